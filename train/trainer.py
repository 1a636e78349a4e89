"""The YOLO training loop: AdamW/SGD with warm-up and cosine decay, EMA weights, periodic mAP.

Training is counted in optimizer steps rather than epochs so a CPU time budget maps directly to a
schedule (`max_minutes` shortens the cosine once the step time is known). Every `save_every` steps
the loop writes `last.pt` (full resume state: weights, EMA, optimizer, step) and `last.safetensors`
(the EMA weights in our checkpoint format); the best validation mAP50-95 is kept as
`best.safetensors`. Resume state is plain tensors and numbers, so it loads with `weights_only=True`.
"""

from __future__ import annotations

import copy
import csv
import logging
import math
import os
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from yolotrack.core.errors import ConfigError, WeightsError
from yolotrack.train.boxes import nms
from yolotrack.train.dataset import DataSpec, YoloDataset, collate, load_data_yaml
from yolotrack.train.losses import DetectionLoss, keypoint_sigmas, loss_for
from yolotrack.train.metrics import MapAccumulator, MapResult, mask_iou, oks_matrix

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    data: str
    model: str = "n"  # a scale (n/s/m/l/x) to start from scratch, or a checkpoint load_model reads
    task: str | None = None  # detect | segment | pose; default: the data YAML's, else the checkpoint's
    family: str = "turbo"
    out: str = "runs/train"
    imgsz: int = 320  # training crop size
    view_size: int | None = None  # inference size the crops should mimic (default imgsz)
    val_imgsz: int | None = None  # letterbox size for validation (default view_size or imgsz)
    steps: int = 2000
    batch: int = 16
    optimizer: str = "adamw"
    lr0: float = 0.002
    lrf: float = 0.01  # final lr = lr0 * lrf
    momentum: float = 0.9
    weight_decay: float = 5e-4
    warmup_steps: int = 100
    ema_decay: float = 0.9999
    ema_tau: float = 400.0
    val_every: int = 200
    save_every: int = 50
    val_max_images: int = 200
    max_minutes: float | None = None
    workers: int = 1
    threads: int | None = None
    seed: int = 0
    resume: bool = False
    scale_range: tuple[float, float] = (0.6, 1.4)
    # a box the crop cuts keeps its label while this share of it is left: lower it with data labelled down
    # to slivers at the frame's edge (synth --edge-visibility), or the crop's edge teaches the opposite
    min_keep: float = 0.35
    calib_batches: int = 8  # batches used to re-measure BatchNorm statistics before validating/saving
    augment: bool = True  # off: letterboxed images as they are (overfit checks, tiny datasets)
    freeze: int = 0  # layers 0..freeze-1 keep their weights (21: body and neck, only the head learns)
    extra_meta: dict[str, Any] = field(default_factory=dict)


class ModelEMA:
    """Exponential moving average of weights and buffers; the decay ramps up so early steps count."""

    def __init__(self, model: torch.nn.Module, decay: float, tau: float, updates: int = 0) -> None:
        self.ema = copy.deepcopy(model).eval()
        for p in self.ema.parameters():
            p.requires_grad_(False)
        self.decay, self.tau, self.updates = decay, tau, updates

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        self.updates += 1
        d = self.decay * (1 - math.exp(-self.updates / self.tau))
        msd = model.state_dict()
        for k, v in self.ema.state_dict().items():
            if v.dtype.is_floating_point:
                v.mul_(d).add_(msd[k].detach(), alpha=1 - d)
            else:
                v.copy_(msd[k])


BN_WARMUP_STEPS = 30


class BatchNormWarmup:
    """Exact (cumulative) BatchNorm running statistics for the first steps of a fresh model.

    With the usual momentum 0.03 the initial running variance of 1 still weighs 0.97^n after n steps,
    which for the first layers (true variance ~1e-3) ruins eval-mode outputs for hundreds of steps.
    Averaging the first batches exactly, then switching to the normal momentum, removes that bias.
    """

    def __init__(self, model: torch.nn.Module, steps: int) -> None:
        self.steps = steps
        self.bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
        self.momentum = [m.momentum for m in self.bns]

    def step(self, step: int) -> None:
        if step == 0 and self.steps:
            for m in self.bns:
                m.momentum = None  # cumulative average over num_batches_tracked
                m.num_batches_tracked.zero_()
        elif step == self.steps:
            for m, mom in zip(self.bns, self.momentum, strict=True):
                m.momentum = mom


@torch.no_grad()
def recalibrate_bn(model: torch.nn.Module, batches: Iterable[torch.Tensor], frozen: int = 0) -> None:
    """Re-measure BatchNorm running statistics for the current weights ("precise BN").

    Running statistics are a slow average over weights that kept changing; on short CPU runs they
    lag the weights enough to spoil eval-mode outputs. Averaging a few training batches through the
    final weights makes eval mode match what the model actually learned. The first `frozen` layers
    keep theirs: they ran in eval mode while the rest learned on their outputs.
    """
    bns = [m for name, m in model.named_modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
           and not name.startswith(frozen_prefixes(frozen))]
    if not bns:
        return
    momentum = [m.momentum for m in bns]
    was_training = model.training
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average
    train_unfrozen(model, frozen)
    for x in batches:
        model(x)
    for m, mom in zip(bns, momentum, strict=True):
        m.momentum = mom
    model.train(was_training)


def frozen_prefixes(frozen: int) -> tuple[str, ...]:
    return tuple(f"model.{i}." for i in range(frozen))


def train_unfrozen(model: torch.nn.Module, frozen: int) -> None:
    """Training mode, except the first `frozen` layers: they run as at inference (BatchNorm uses and keeps
    its running statistics), so what follows learns on exactly the features it will see, and the
    batch statistics are not computed at all."""
    model.train()
    layers = getattr(model, "model", None)
    if frozen and isinstance(layers, torch.nn.ModuleList):
        for i in range(min(frozen, len(layers))):
            layers[i].eval()


def _param_groups(model: torch.nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """Decay only conv/linear weights; biases and norm scales are left alone."""
    decay, no_decay = [], []
    for module in model.modules():
        for name, p in module.named_parameters(recurse=False):
            if not p.requires_grad:
                continue
            if name == "bias" or isinstance(module, (torch.nn.modules.batchnorm._BatchNorm, torch.nn.LayerNorm)):
                no_decay.append(p)
            else:
                decay.append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def lr_at(step: int, total: int, cfg: TrainConfig) -> float:
    """Linear warm-up, then cosine from lr0 down to lr0 * lrf at `total`."""
    if step < cfg.warmup_steps:
        return cfg.lr0 * (step + 1) / cfg.warmup_steps
    t = min(1.0, (step - cfg.warmup_steps) / max(1, total - cfg.warmup_steps))
    return cfg.lr0 * (cfg.lrf + (1 - cfg.lrf) * 0.5 * (1 + math.cos(math.pi * t)))


def decode_predictions(out: Any, conf: float = 0.001, iou: float = 0.7, max_det: int = 300, nc: int | None = None
                       ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Eval-mode head output (B, 4+nc(+extra), A) xywh + sigmoid scores (+ mask coefficients or keypoints)
    -> per image (xyxy, score, class, extra rows) after NMS. `nc` is needed when there are extra rows."""
    pred = out[0] if isinstance(out, (tuple, list)) else out
    nc = nc if nc is not None else pred.shape[1] - 4
    results = []
    for p in pred.float().transpose(1, 2):  # (A, 4+nc+extra)
        scores, cls = p[:, 4:4 + nc].max(1)
        keep = scores > conf
        box, scores, cls, extra = p[keep, :4], scores[keep], cls[keep], p[keep, 4 + nc:]
        xyxy = torch.cat((box[:, :2] - box[:, 2:] / 2, box[:, :2] + box[:, 2:] / 2), 1)
        if len(scores) > 3000:
            top = scores.topk(3000).indices
            xyxy, scores, cls, extra = xyxy[top], scores[top], cls[top], extra[top]
        if len(scores):
            kept = nms(xyxy + cls[:, None].float() * 7680, scores, iou)[:max_det]
            xyxy, scores, cls, extra = xyxy[kept], scores[kept], cls[kept], extra[kept]
        results.append((xyxy.numpy(), scores.numpy(), cls.numpy(), extra.numpy()))
    return results


def box_masks(coeffs: np.ndarray, protos: torch.Tensor, xyxy: np.ndarray, size: tuple[int, int]
              ) -> tuple[np.ndarray, list[np.ndarray]]:
    """Each detection's mask at input resolution, inside its (integer, clipped) box only: the prototypes
    are upsampled once, then each box's crop is combined with that detection's coefficients."""
    h, w = size
    up = torch.nn.functional.interpolate(protos[None].float(), (h, w), mode="bilinear", align_corners=False)[0]
    boxes = np.zeros((len(xyxy), 4), np.int64)
    masks = []
    c = torch.from_numpy(np.asarray(coeffs, np.float32))
    for i, (x1, y1, x2, y2) in enumerate(np.asarray(xyxy, np.float64).reshape(-1, 4)):
        bx1, by1 = int(np.clip(np.floor(x1), 0, w)), int(np.clip(np.floor(y1), 0, h))
        bx2, by2 = int(np.clip(np.ceil(x2), bx1, w)), int(np.clip(np.ceil(y2), by1, h))
        boxes[i] = (bx1, by1, bx2, by2)
        crop = up[:, by1:by2, bx1:bx2]
        masks.append((torch.einsum("n,nhw->hw", c[i], crop) > 0).numpy())
    return boxes, masks


@torch.no_grad()
def evaluate(model: torch.nn.Module, dataset: YoloDataset, batch: int = 8, max_images: int | None = None,
             sigmas: list[float] | None = None) -> MapResult:
    """mAP of `model` (eval mode) on a letterboxed dataset, boxes compared in letterboxed pixels; a
    segment dataset (masks at full resolution: `mask_ratio=1`) adds mask mAP, a pose dataset OKS mAP."""
    model.eval()
    task = dataset.task
    nc = int(getattr(model, "nc", dataset.nc))
    n = len(dataset) if max_images is None else min(len(dataset), max_images)
    idx = np.linspace(0, len(dataset) - 1, n).round().astype(int) if n < len(dataset) else np.arange(n)
    acc, extra_acc = MapAccumulator(), MapAccumulator()
    k_sigmas = None
    if task == "pose":
        assert dataset.kpt_shape is not None
        k_sigmas = keypoint_sigmas(dataset.kpt_shape[0], sigmas).numpy()
    for start in range(0, n, batch):
        items = [dataset[int(i)] for i in idx[start:start + batch]]
        images = torch.stack([it[0] for it in items]).float() / 255
        out = model(images)
        decoded = decode_predictions(out, nc=nc)
        for j, ((xyxy, scores, cls, extra), item) in enumerate(zip(decoded, items, strict=True)):
            t = item[1].numpy()
            gt = np.concatenate([t[:, 1:3] - t[:, 3:5] / 2, t[:, 1:3] + t[:, 3:5] / 2], 1)
            gt_cls = t[:, 0].astype(np.int64)
            acc.add(xyxy, scores, cls, gt, gt_cls)
            if task == "segment":
                gt_masks = item[2].numpy().astype(bool)
                if gt_masks.shape[-2:] != tuple(images.shape[-2:]):
                    raise ValueError("segment evaluation needs full-resolution masks (dataset mask_ratio=1)")
                boxes, masks = box_masks(extra, out[1][j], xyxy, tuple(images.shape[-2:]))
                extra_acc.add_similarity(mask_iou(boxes, masks, gt_masks), scores, cls, gt_cls)
            elif task == "pose":
                assert dataset.kpt_shape is not None and k_sigmas is not None
                k, d = dataset.kpt_shape
                pk = extra.reshape(len(extra), k, d)
                gk = t[:, 5:].reshape(len(t), k, 3)
                area = (gt[:, 2] - gt[:, 0]) * (gt[:, 3] - gt[:, 1]) * 0.53
                extra_acc.add_similarity(oks_matrix(pk, gk, area, k_sigmas), scores, cls, gt_cls)
    result = acc.compute()
    if task == "segment":
        result.mask = extra_acc.compute()
    elif task == "pose":
        result.pose = extra_acc.compute()
    return result


def _load_detector_api() -> Any:
    try:
        from yolotrack import detector
    except ImportError as e:  # the detector package is part of yolotrack; this only fires on a broken install
        raise WeightsError(f"the detector package is unavailable: {e}") from e
    return detector


class Trainer:
    """One training run; `run()` returns the final validation result (or None without a val split)."""

    def __init__(self, cfg: TrainConfig) -> None:
        self.cfg = cfg
        self.out = Path(cfg.out)
        self.data: DataSpec = load_data_yaml(cfg.data)
        if cfg.imgsz % 32:
            raise ConfigError(f"--imgsz must be a multiple of 32, got {cfg.imgsz}")
        if cfg.optimizer not in ("adamw", "sgd"):
            raise ConfigError(f"optimizer must be adamw or sgd, got {cfg.optimizer}")
        if not 0 <= cfg.freeze <= 21:
            raise ConfigError(f"--freeze must be 0..21 (layers before the head), got {cfg.freeze}")
        if not self.data.train:
            raise ConfigError(f"{cfg.data} names no training images")
        self.task = cfg.task or self.data.task or ("pose" if self.data.kpt_shape else None)
        if self.task not in (None, "detect", "segment", "pose"):
            raise ConfigError(f"task must be detect, segment or pose, got {self.task!r}")
        if self.task == "pose" and self.data.kpt_shape is None:
            raise ConfigError(f"pose training needs 'kpt_shape' in {cfg.data}")

    def _build_model(self) -> torch.nn.Module:
        det = _load_detector_api()
        spec = self.cfg.model
        data = self.data
        self.fresh = spec.lower() in ("n", "s", "m", "l", "x")
        if self.fresh:
            self.task = self.task or "detect"
            model = det.build_model(scale=spec.lower(), task=self.task, nc=data.nc, family=self.cfg.family,
                                    kpt_shape=data.kpt_shape, names=dict(data.names))
        else:
            model = det.load_model(spec, fuse=False)
            self.task = self.task or getattr(model, "task", "detect")
            if (model.task, model.nc) != (self.task, data.nc) or (
                    self.task == "pose" and tuple(model.kpt_shape or ()) != tuple(data.kpt_shape or ())):
                model, started = det.adapt_model(model, self.task, data.nc, dict(data.names), data.kpt_shape)
                log.info("%s: %s head for %d classes; starting fresh: %s", spec, self.task, data.nc,
                         ", ".join(sorted({".".join(k.split(".")[2:4]) for k in started})) or "nothing")
        model.names = dict(data.names)
        if self.task == "pose":
            assert data.kpt_shape is not None
            k = data.kpt_shape[0]
            model.meta["keypoints"] = {
                "names": data.kpt_names or [f"kp{j}" for j in range(k)],
                "skeleton": [list(e) for e in data.skeleton] if data.skeleton is not None else None,
                "sigmas": data.kpt_sigmas, "flip_idx": data.flip_idx}
        for p in model.parameters():
            if p.dtype.is_floating_point:
                p.data = p.data.float()
        # the DFL projection is a fixed expectation, not something to learn; frozen layers keep theirs
        frozen = frozen_prefixes(self.cfg.freeze)
        for name, p in model.named_parameters():
            p.requires_grad_("dfl" not in name and not name.startswith(frozen))
        return model.float()

    def _save(self, path: Path, model: torch.nn.Module, meta: dict[str, Any], half: bool = False) -> None:
        _load_detector_api().save_checkpoint(model, path, meta, half=half)  # writes atomically itself

    def run(self) -> MapResult | None:
        cfg = self.cfg
        torch.manual_seed(cfg.seed)
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        torch.set_flush_denormal(True)  # tiny gradients/moments as denormals slow CPU steps several-fold
        self.out.mkdir(parents=True, exist_ok=True)
        model = self._build_model()
        strides = [float(s) for s in getattr(model, "stride", torch.tensor([8, 16, 32]))]
        task, data = self.task or "detect", self.data
        loss_fn = loss_for(task, data.nc, strides, data.kpt_shape, data.kpt_sigmas)
        view = cfg.view_size or cfg.imgsz
        train_ds = YoloDataset(data.train, data.nc, cfg.imgsz, augment=cfg.augment, seed=cfg.seed,
                               view_size=view, scale=cfg.scale_range, task=task, kpt_shape=data.kpt_shape,
                               min_keep=cfg.min_keep,
                               flip_idx=data.flip_idx)
        val_ds = YoloDataset(data.val, data.nc, cfg.val_imgsz or view, augment=False, task=task,
                             kpt_shape=data.kpt_shape, mask_ratio=1) if data.val else None
        groups = _param_groups(model, cfg.weight_decay)
        if cfg.optimizer == "adamw":
            opt: torch.optim.Optimizer = torch.optim.AdamW(groups, lr=cfg.lr0, betas=(cfg.momentum, 0.999))
        else:
            opt = torch.optim.SGD(groups, lr=cfg.lr0, momentum=cfg.momentum, nesterov=True)
        step, best, total = 0, -1.0, cfg.steps
        ema = ModelEMA(model, cfg.ema_decay, cfg.ema_tau)
        state_path = self.out / "last.pt"
        if cfg.resume:
            if not state_path.exists():
                raise ConfigError(f"nothing to resume: {state_path} does not exist")
            state = torch.load(state_path, map_location="cpu", weights_only=True)
            model.load_state_dict(state["model"])
            ema.ema.load_state_dict(state["ema"])
            ema.updates = int(state["ema_updates"])
            opt.load_state_dict(state["optimizer"])
            step, best, total = int(state["step"]), float(state["best"]), int(state["total"])
            total = max(total, cfg.steps)  # asking for more steps than the first run extends it
            log.info("resumed from %s at step %d/%d", state_path, step, total)
        meta_base = {"names": {str(k): v for k, v in self.data.names.items()},
                     "train": {k: v for k, v in asdict(cfg).items() if k != "extra_meta"} | cfg.extra_meta}
        csv_path = self.out / "results.csv"
        new_csv = not csv_path.exists()
        with open(csv_path, "a", newline="") as fcsv:
            writer = csv.writer(fcsv)
            if new_csv:
                metrics = ["mAP50", "mAP50-95"] + {"segment": ["mask_mAP50", "mask_mAP50-95"],
                                                   "pose": ["pose_mAP50", "pose_mAP50-95"]}.get(task, [])
                writer.writerow(["step", "minutes", "lr", *loss_fn.parts, *metrics])
            result = self._loop(model, ema, opt, loss_fn, train_ds, val_ds, step, best, total, writer, fcsv,
                                meta_base, state_path)
        return result

    def _loop(self, model: torch.nn.Module, ema: ModelEMA, opt: torch.optim.Optimizer, loss_fn: DetectionLoss,
              train_ds: YoloDataset, val_ds: YoloDataset | None, step: int, best: float, total: int,
              writer: Any, fcsv: Any, meta_base: dict[str, Any], state_path: Path) -> MapResult | None:
        cfg = self.cfg
        t0 = time.monotonic()
        epoch = step // max(1, math.ceil(len(train_ds) / cfg.batch))
        running = torch.zeros(len(loss_fn.parts))
        result: MapResult | None = None
        bar = tqdm(total=total, initial=step, desc="train", dynamic_ncols=True, leave=True)
        timed_from = None
        max_steps = total  # --steps is the most a time budget may schedule
        bn_warmup = BatchNormWarmup(model, BN_WARMUP_STEPS if self.fresh else 0)

        calib_gen = torch.Generator().manual_seed(cfg.seed + 1)

        def calibrate(n_batches: int) -> None:
            idx = torch.randint(len(train_ds), (n_batches, cfg.batch), generator=calib_gen)
            batches = (collate([train_ds[int(i)] for i in row])["images"].float() / 255 for row in idx)
            recalibrate_bn(ema.ema, batches, cfg.freeze)

        def save_state() -> None:
            calibrate(cfg.calib_batches // 2 or 1)
            tmp = state_path.with_name(".last.pt.part")
            torch.save({"model": model.state_dict(), "ema": ema.ema.state_dict(), "ema_updates": ema.updates,
                        "optimizer": opt.state_dict(), "step": step, "best": best, "total": total}, tmp)
            os.replace(tmp, state_path)
            self._save(self.out / "last.safetensors", ema.ema, meta_base | {"step": step})

        def validate() -> MapResult | None:
            nonlocal best
            if val_ds is None:
                return None
            calibrate(cfg.calib_batches)
            r = evaluate(ema.ema, val_ds, max_images=cfg.val_max_images, sigmas=self.data.kpt_sigmas)
            minutes = (time.monotonic() - t0) / 60
            writer.writerow([step, f"{minutes:.2f}", f"{opt.param_groups[0]['lr']:.6f}",
                             *[f"{x:.4f}" for x in running.tolist()], *[f"{v:.4f}" for v in r.metrics().values()]])
            fcsv.flush()
            log.info("step %d: %s\n%s", step, "  ".join(f"{k} {v:.3f}" for k, v in r.metrics().items()),
                     r.table(self.data.names))
            judged = r.task_result.map50_95  # masks for segment, keypoints for pose
            if judged > best:
                best = judged
                self._save(self.out / "best.safetensors", ema.ema,
                           meta_base | {"step": step, "metrics": r.metrics()})
            return r

        try:
            while step < total:
                train_ds.epoch = epoch
                loader = torch.utils.data.DataLoader(
                    train_ds, batch_size=cfg.batch, shuffle=True, collate_fn=collate,
                    drop_last=len(train_ds) > cfg.batch, num_workers=cfg.workers,
                    generator=torch.Generator().manual_seed(cfg.seed + epoch))
                for batch in loader:
                    if step >= total:
                        break
                    train_unfrozen(model, cfg.freeze)
                    bn_warmup.step(step)
                    lr = lr_at(step, total, cfg)
                    for g in opt.param_groups:
                        g["lr"] = lr
                    images = batch["images"].float() / 255
                    loss, parts = loss_fn.batch_loss(model(images), batch)
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
                    opt.step()
                    ema.update(model)
                    step += 1
                    running = parts if not running.any() else running * 0.9 + parts * 0.1
                    bar.update(1)
                    bar.set_postfix({k: f"{v:.3f}" for k, v in zip(loss_fn.parts, running.tolist(), strict=True)}
                                    | {"lr": f"{lr:.2e}"})
                    if timed_from is None and step >= 5:
                        timed_from = (step, time.monotonic())
                    elif cfg.max_minutes and timed_from and (step - timed_from[0]) % 20 == 0:
                        # re-fit the schedule to the time left (the machine may get busier or quieter);
                        # the cosine stretches or shrinks smoothly since lr depends on step / total
                        per_step = (time.monotonic() - timed_from[1]) / (step - timed_from[0])
                        budget = cfg.max_minutes * 60 - (time.monotonic() - t0)
                        fit = step + int(budget / per_step * 0.92)  # leave room for validation and saving
                        fit = min(max_steps, max(step + 1, fit))
                        if fit != total:
                            total = fit
                            bar.total = total
                            if (step - timed_from[0]) == 20:
                                log.info("%.2f s/step: schedule set to %d steps to fit %.0f minutes",
                                         per_step, total, cfg.max_minutes)
                    if step % cfg.save_every == 0:
                        save_state()
                    if step % cfg.val_every == 0 and step < total:
                        result = validate()
                epoch += 1
        finally:
            bar.close()
            if step > 0:
                save_state()
        result = validate()
        save_state()
        return result
