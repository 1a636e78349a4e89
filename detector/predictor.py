"""`Detector`: BGR frames in, `core.Detections` (frame pixels) out: letterbox, forward, NMS, masks, keypoints."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from yolotrack.core.classes import resolve_classes
from yolotrack.core.detections import Detections
from yolotrack.core.errors import ConfigError, InvalidInputError
from yolotrack.detector import torch_thread
from yolotrack.detector.device import select_device
from yolotrack.detector.hub import resolve_weights, weights_name
from yolotrack.detector.letterbox import LetterboxInfo, input_shape, letterbox
from yolotrack.detector.loader import load_model
from yolotrack.detector.postprocess import (
    masks_to_frame,
    non_max_suppression,
    process_masks,
    scale_boxes,
    scale_keypoints,
)
from yolotrack.detector.staging import HostStaging

log = logging.getLogger(__name__)


class Detector:
    """Batched YOLOv12 inference on BGR uint8 frames of any size.

    Thresholds set with `set_thresholds` from another thread (GUI sliders) apply from the next call.
    """

    def __init__(self, weights: str | os.PathLike[str] | torch.nn.Module = "demo", imgsz: int = 640,
                 conf: float = 0.25, iou: float = 0.7, classes: Sequence[int | str] | None = None,
                 max_det: int = 300, agnostic_nms: bool = False, device: str | torch.device = "auto",
                 half: bool | None = None, attention: str = "auto", runtime: str = "torch",
                 threads: int | None = None) -> None:
        # Built on the torch thread, where it will also run (see detector/torch_thread.py).
        torch_thread.run(self._init, weights, imgsz, conf, iou, classes, max_det, agnostic_nms, device, half,
                         attention, runtime, threads)

    def _init(self, weights: str | os.PathLike[str] | torch.nn.Module, imgsz: int, conf: float, iou: float,
              classes: Sequence[int | str] | None, max_det: int, agnostic_nms: bool, device: str | torch.device,
              half: bool | None, attention: str, runtime: str, threads: int | None) -> None:
        if imgsz < 32:
            raise ConfigError(f"imgsz must be at least 32, got {imgsz}")
        self.device = select_device(device)
        if isinstance(weights, torch.nn.Module):
            self.model = weights.to(self.device).eval()
        else:
            self.model = load_model(weights, device=self.device, attention=attention)
        self.half = (self.device.type == "cuda") if half is None else bool(half)
        if self.half and self.device.type == "cpu":
            log.warning("half precision is not used on CPU; running float32")
            self.half = False
        if self.half:
            self.model.half()
        self.dtype = torch.float16 if self.half else torch.float32
        self.imgsz = max(32, int(round(imgsz / 32)) * 32)
        if self.imgsz != imgsz:
            log.warning("imgsz %d is not a multiple of 32; using %d", imgsz, self.imgsz)
        self.names: dict[int, str] = dict(self.model.names)
        self.task: str = self.model.task
        self.kpt_shape: tuple[int, int] | None = self.model.kpt_shape
        self.nc: int = self.model.nc
        self.conf = float(conf)
        self.iou = float(iou)
        self.classes = resolve_classes(classes, self.names)
        self.max_det = int(max_det)
        self.agnostic_nms = bool(agnostic_nms)
        self.last_timing: dict[str, float] = {"preprocess": 0.0, "inference": 0.0, "postprocess": 0.0}
        self._lock = threading.Lock()
        self._pending: dict[str, Any] = {}
        self._staging = HostStaging(self.device)
        # measured on the 2-core CPU VM: NHWC convs + SDPA were 9-17% faster than NCHW (benchmarks/detector.py)
        self.channels_last = True
        self.model.to(memory_format=torch.channels_last)
        self.runtime = runtime
        if runtime != "torch":  # exported once per weights and input shape, cached (core/cache.py)
            from yolotrack.detector.runtimes.dispatch import RuntimeModel

            wpath = None if isinstance(weights, torch.nn.Module) else resolve_weights(weights)
            self.model = RuntimeModel(self.model, runtime, self.device, wpath, threads)

    @classmethod
    def from_config(cls, cfg: Any) -> Detector:
        """From a `core.config.ModelConfig` (weights, imgsz, conf, iou, classes, ... attention)."""
        weights = cfg.weights or weights_name(cfg.scale, cfg.task)
        det = cls(weights, imgsz=cfg.imgsz, conf=cfg.conf, iou=cfg.iou, classes=None, max_det=cfg.max_det,
                  agnostic_nms=cfg.agnostic_nms, device=cfg.device, half=cfg.half, attention=cfg.attention,
                  runtime=getattr(cfg, "runtime", "torch"))
        det.classes = resolve_classes(cfg.classes, det.names)
        if getattr(cfg, "task", det.task) != det.task:
            log.info("config says task=%s but the weights are a %s model; using %s", cfg.task, det.task, det.task)
        return det

    @property
    def attention(self) -> str:
        return getattr(self.model, "attention", "sdpa")

    def set_thresholds(self, conf: float | None = None, iou: float | None = None,
                       classes: Sequence[int | str] | None | str = "unchanged") -> None:
        """Thread-safe; values take effect at the start of the next call. `classes=None` clears the filter."""
        update: dict[str, Any] = {}
        if conf is not None:
            if not 0.0 <= conf <= 1.0:
                raise ConfigError(f"conf must be in [0, 1], got {conf}")
            update["conf"] = float(conf)
        if iou is not None:
            if not 0.0 <= iou <= 1.0:
                raise ConfigError(f"iou must be in [0, 1], got {iou}")
            update["iou"] = float(iou)
        if not (isinstance(classes, str) and classes == "unchanged"):
            update["classes"] = resolve_classes(classes, self.names)  # type: ignore[arg-type]
        with self._lock:
            self._pending.update(update)

    def _apply_pending(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
        for k, v in pending.items():
            setattr(self, k, v)

    def preprocess(self, frames: Sequence[np.ndarray]) -> tuple[torch.Tensor, list[LetterboxInfo]]:
        """Letterbox every frame to one input shape (minimal rectangle when all frames share a size)."""
        return torch_thread.run(self._preprocess, frames)

    def _preprocess(self, frames: Sequence[np.ndarray]) -> tuple[torch.Tensor, list[LetterboxInfo]]:
        for f in frames:
            if not isinstance(f, np.ndarray) or f.ndim != 3 or f.shape[2] != 3 or f.dtype != np.uint8:
                desc = f"{f.dtype} array of shape {f.shape}" if isinstance(f, np.ndarray) else type(f).__name__
                raise InvalidInputError(f"Detector expects BGR uint8 frames of shape (H, W, 3), got {desc}")
        same = all(f.shape == frames[0].shape for f in frames)
        shape = input_shape(frames[0].shape[:2], self.imgsz, 32, auto=same)
        boxed, infos = [], []
        for f in frames:
            img, info = letterbox(f, shape)
            boxed.append(img)
            infos.append(info)
        batch = np.ascontiguousarray(np.stack(boxed)[..., ::-1])  # BGR -> RGB, NHWC
        x = self._staging.to_device(batch).permute(0, 3, 1, 2)  # NCHW view in channels_last layout
        if not self.channels_last:
            x = x.contiguous()
        x = x.to(self.dtype).div_(255.0)
        return x, infos

    def __call__(self, frames: Sequence[np.ndarray]) -> list[Detections]:
        if isinstance(frames, np.ndarray) and frames.ndim == 3:
            frames = [frames]
        if len(frames) == 0:
            return []
        return torch_thread.run(self._call, frames)

    @torch.inference_mode()
    def _call(self, frames: Sequence[np.ndarray]) -> list[Detections]:
        self._apply_pending()
        t0 = time.perf_counter()
        x, infos = self._preprocess(frames)
        t1 = time.perf_counter()
        out = self.model(x)
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        t2 = time.perf_counter()
        results = self._postprocess(out, infos)
        t3 = time.perf_counter()
        self.last_timing = {"preprocess": (t1 - t0) * 1e3, "inference": (t2 - t1) * 1e3,
                            "postprocess": (t3 - t2) * 1e3}
        return results

    def postprocess(self, out: Any, infos: list[LetterboxInfo]) -> list[Detections]:
        return torch_thread.run(self._postprocess, out, infos)

    @torch.inference_mode()
    def _postprocess(self, out: Any, infos: list[LetterboxInfo]) -> list[Detections]:
        protos = None
        if self.task == "segment":
            out, protos = out
        rows_per_image = non_max_suppression(out.float(), self.nc, self.conf, self.iou, self.classes,
                                             self.agnostic_nms, self.max_det)
        results = []
        for i, (rows, info) in enumerate(zip(rows_per_image, infos, strict=True)):
            masks = kpts = None
            if self.task == "segment":
                assert protos is not None
                m = process_masks(protos[i], rows[:, 6:], rows[:, :4], info.input_shape)
                masks = masks_to_frame(m, info).cpu().numpy()
            elif self.task == "pose":
                k = rows[:, 6:].view(-1, *self.kpt_shape)
                kpts = scale_keypoints(k, info).cpu().numpy().astype(np.float32)
            boxes = scale_boxes(rows[:, :4], info)
            results.append(Detections(
                xyxy=boxes.cpu().numpy(), scores=rows[:, 4].cpu().numpy(), class_ids=rows[:, 5].long().cpu().numpy(),
                names=self.names, masks=masks, keypoints=kpts))
        return results
