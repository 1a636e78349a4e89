"""Score a model on a synthetic clip end to end (detector + tracker) and write the demo model card.

The clip is scored the way the app runs it: frames decoded from the H.264 file, the app's default
detector and tracker settings, boxes in frame pixels. Ground truth objects hidden more than
`min_visibility` are "ignore" regions: finding them is not required and not punished.

    python -m train.demo evaluate WEIGHTS VIDEO GT      # print mAP50, mAP50-95, IDF1 as JSON
    python -m train.demo heldout WEIGHTS --task segment # box + mask (or keypoint OKS) mAP on unseen scenes
    python -m train.demo export WEIGHTS DATA OUT        # precise-BN + fp16 copy for shipping
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np

from yolotrack.core.errors import SourceError
from yolotrack.train.metrics import MapAccumulator, iou_matrix

log = logging.getLogger(__name__)


def read_mot_gt(path: str | Path) -> dict[int, np.ndarray]:
    """frame (0-based) -> rows (id, x1, y1, x2, y2, class 0-based, visibility)."""
    raw = np.loadtxt(path, delimiter=",", ndmin=2)
    out: dict[int, np.ndarray] = {}
    for f in np.unique(raw[:, 0]).astype(int):
        r = raw[raw[:, 0] == f]
        out[f - 1] = np.stack([r[:, 1], r[:, 2], r[:, 3], r[:, 2] + r[:, 4], r[:, 3] + r[:, 5],
                               r[:, 7] - 1, r[:, 8]], 1)
    return out


def decode_frames(path: str | Path) -> Iterator[np.ndarray]:
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as e:
        raise SourceError(f"cannot open video {path}: {e}") from e
    with container:
        for frame in container.decode(video=0):
            yield frame.to_ndarray(format="bgr24")


def idf1_score(gt: dict[int, np.ndarray], tracks: dict[int, np.ndarray], min_visibility: float) -> dict[str, float]:
    """IDF1/MOTA/HOTA with `tracker.evaluate`; track rows (id, x1, y1, x2, y2). Ground truth hidden more than
    `min_visibility` is dropped together with the tracks on it, as MOTChallenge does with distractors."""
    from yolotrack.tracker.evaluate import evaluate_arrays

    gt_rows, pred_rows = [], []
    for f in sorted(set(gt) | set(tracks)):
        g = gt.get(f, np.zeros((0, 7)))
        t = tracks.get(f, np.zeros((0, 5)))
        keep_g = g[:, 6] >= min_visibility
        ign, g = g[~keep_g], g[keep_g]
        if len(ign) and len(t):
            hit_real = iou_matrix(t[:, 1:5], g[:, 1:5]).max(1) >= 0.5 if len(g) else np.zeros(len(t), bool)
            on_ignored = iou_matrix(t[:, 1:5], ign[:, 1:5]).max(1) >= 0.5
            t = t[hit_real | ~on_ignored]
        for rows, src in ((gt_rows, g[:, :5]), (pred_rows, t)):
            for tid, x1, y1, x2, y2 in src:
                rows.append((f + 1, tid, x1, y1, x2 - x1, y2 - y1, 1.0))
    r = evaluate_arrays(np.array(gt_rows).reshape(-1, 7), np.array(pred_rows).reshape(-1, 7), name="clip")
    return {"IDF1": float(r["IDF1"]), "MOTA": float(r["MOTA"]), "HOTA": float(r["HOTA"]), "IDSW": int(r["IDSW"])}


def evaluate_clip(weights: str | Path, video: str | Path, gt_path: str | Path, min_visibility: float = 0.4,
                  imgsz: int | None = None, max_frames: int | None = None, detector: Any = None) -> dict[str, Any]:
    """Detector + tracker on a clip with the app's default settings; mAP and IDF1 against the gt.

    `detector`: a ready Detector (conf 0.001; another runtime or precision) instead of one built from `weights`.
    """
    from yolotrack.core.config import load_config
    from yolotrack.detector import Detector
    from yolotrack.tracker import build_tracker

    cfg = load_config(None, overrides=None)
    det = detector or Detector(str(weights), imgsz=imgsz or cfg.model.imgsz, conf=0.001, iou=cfg.model.iou,
                               device="cpu", runtime="torch")
    with av.open(str(video)) as c:
        fps = float(c.streams.video[0].average_rate or 30)
    tracker = build_tracker(cfg.tracker, frame_rate=fps)
    gt = read_mot_gt(gt_path)
    acc = MapAccumulator()
    tracks: dict[int, np.ndarray] = {}
    t0, n = time.perf_counter(), 0
    for i, frame in enumerate(decode_frames(video)):
        if max_frames is not None and i >= max_frames:
            break
        d = det([frame])[0]
        g = gt.get(i, np.zeros((0, 7)))
        vis = g[:, 6] >= min_visibility
        acc.add(d.xyxy, d.scores, d.class_ids, g[vis, 1:5], g[vis, 5].astype(int), ignore_xyxy=g[~vis, 1:5])
        keep = d.scores >= cfg.model.conf
        tracked = tracker.update_detections(d[keep], frame_index=i, image=frame)
        tracks[i] = np.concatenate([tracked.track_ids[:, None].astype(float), tracked.xyxy], 1)
        n += 1
    if n == 0:
        raise SourceError(f"{video} has no frames")
    seconds = time.perf_counter() - t0
    m = acc.compute()
    gt_used = {f: r for f, r in gt.items() if max_frames is None or f < max_frames}
    result: dict[str, Any] = {"frames": n, "mAP50": m.map50, "mAP50-95": m.map50_95,
                              "per_class_AP50": {str(k): v[0] for k, v in m.per_class.items()},
                              **idf1_score(gt_used, tracks, min_visibility),
                              "seconds": seconds, "fps": n / seconds}
    return result


HELD_OUT_SEEDS = (3000, 3001, 3002, 3003)  # scene seeds no demo model trains or validates on


def evaluate_held_out(weights: str | Path, task: str, work: str | Path, seeds: tuple[int, ...] = HELD_OUT_SEEDS,
                      frames: int = 150, every: int = 6, imgsz: int = 640) -> Any:
    """Box mAP and the task's mAP (masks: mask IoU; pose: keypoint OKS with the model's sigmas) of a
    checkpoint on freshly rendered scenes from `seeds`, letterboxed to `imgsz` as the app runs it."""
    from yolotrack.detector import load_model
    from yolotrack.train.dataset import YoloDataset, load_data_yaml
    from yolotrack.train.synth_export import SynthPlan, run_plan, scene_config
    from yolotrack.train.trainer import evaluate

    work = Path(work)
    for seed in seeds:  # one sequence per seed, all held out
        out = work / f"seed{seed}"
        if not (out / "dataset" / "data.yaml").exists():
            run_plan(SynthPlan(out=out, sequences=1, seed=seed, scene=scene_config(frames=frames), every=every,
                               videos=False, val_fraction=0.0, task=task))
    spec = load_data_yaml(work / f"seed{seeds[0]}" / "dataset" / "data.yaml")
    folders = [work / f"seed{seed}" / "dataset" / "images" / "train" for seed in seeds]
    ds = YoloDataset(folders, spec.nc, imgsz, augment=False, task=task, kpt_shape=spec.kpt_shape, mask_ratio=1)
    model = load_model(str(weights), fuse=False).float()
    sigmas = (model.meta.get("keypoints") or {}).get("sigmas") if task == "pose" else None
    return evaluate(model, ds, sigmas=sigmas)


def export_demo(weights: str | Path, data: str | Path, out: str | Path, meta: dict[str, Any],
                imgsz: int = 256, view_size: int = 640, calib_batches: int = 24, batch: int = 8,
                frozen: int = 0) -> Path:
    """Re-measure BatchNorm statistics of a trained checkpoint (but for its first `frozen` layers, which
    trained in eval mode) and save it as a small fp16 file."""
    import torch

    from yolotrack.detector import load_model, save_checkpoint
    from yolotrack.train.dataset import YoloDataset, collate, load_data_yaml
    from yolotrack.train.trainer import recalibrate_bn

    spec = load_data_yaml(data)
    model = load_model(str(weights), fuse=False)
    ds = YoloDataset(spec.train, spec.nc, imgsz, augment=True, seed=1234, view_size=view_size,
                     task=spec.task or "detect", kpt_shape=spec.kpt_shape)
    gen = torch.Generator().manual_seed(1234)
    idx = torch.randint(len(ds), (calib_batches, batch), generator=gen)
    recalibrate_bn(model, (collate([ds[int(i)] for i in row])["images"].float() / 255 for row in idx), frozen)
    return save_checkpoint(model, out, meta, half=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m train.demo")
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("evaluate", help="score WEIGHTS on VIDEO against MOT GT")
    e.add_argument("weights")
    e.add_argument("video")
    e.add_argument("gt")
    e.add_argument("--imgsz", type=int)
    e.add_argument("--max-frames", type=int)
    h = sub.add_parser("heldout", help="score WEIGHTS on scenes rendered from unseen seeds")
    h.add_argument("weights")
    h.add_argument("--task", required=True, choices=["detect", "segment", "pose"])
    h.add_argument("--work", default="runs/heldout", help="folder for the rendered scenes (reused)")
    h.add_argument("--frames", type=int, default=150)
    h.add_argument("--every", type=int, default=6)
    x = sub.add_parser("export", help="recalibrate BatchNorm and save WEIGHTS as fp16 OUT")
    x.add_argument("weights")
    x.add_argument("data")
    x.add_argument("out")
    x.add_argument("--meta", default="{}", help="JSON merged into the checkpoint metadata")
    x.add_argument("--freeze", type=int, default=0, help="the first N layers were frozen in training")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    if args.cmd == "export":
        path = export_demo(args.weights, args.data, args.out, json.loads(args.meta), frozen=args.freeze)
        sys.stdout.write(f"{path}\n")
        return 0
    if args.cmd == "heldout":
        t0 = time.perf_counter()
        m = evaluate_held_out(args.weights, args.task, Path(args.work) / args.task, frames=args.frames,
                              every=args.every)
        sys.stdout.write(m.table() + "\n" + json.dumps({**m.metrics(), "seeds": list(HELD_OUT_SEEDS),
                                                        "seconds": time.perf_counter() - t0}) + "\n")
        return 0
    r = evaluate_clip(args.weights, args.video, args.gt, imgsz=args.imgsz, max_frames=args.max_frames)
    sys.stdout.write(json.dumps(r, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
