"""`Detector`: BGR frames in, `core.Detections` (frame pixels) out: letterbox, forward, NMS, masks, keypoints.

Two paths behind one class. On CPU with an exported runtime (ONNX Runtime, OpenVINO) the frames go
in as the letterboxed uint8 batch and the outputs come back as numpy arrays, post-processed in
numpy (postprocess_np.py); when the export cache already holds the model (its card and runtime
files) this path never imports torch. The torch runtime, CUDA and a model passed as a module take
the torch path (postprocess.py). Both give the same detections (tests/test_postprocess_np.py).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from yolotrack.core.classes import resolve_classes
from yolotrack.core.config import ModelConfig
from yolotrack.core.detections import Detections
from yolotrack.core.errors import ConfigError, InvalidInputError
from yolotrack.core.keypoints import KeypointLayout
from yolotrack.detector import postprocess_np as pp_np
from yolotrack.detector import torch_thread
from yolotrack.detector.device import cuda_possible
from yolotrack.detector.hub import resolve_weights
from yolotrack.detector.inference import InferenceSpec
from yolotrack.detector.letterbox import LetterboxInfo, input_shape, letterbox

log = logging.getLogger(__name__)


def _is_module(obj: Any) -> bool:
    """A torch module, told without importing torch (only a caller that has torch can pass one)."""
    return type(obj).__module__.startswith("torch") or hasattr(obj, "state_dict")


class Detector:
    """Batched YOLOv12 inference on BGR uint8 frames of any size.

    Built from one `InferenceSpec` (`spec`, kept unchanged). Thresholds set with `set_thresholds`
    from another thread (GUI sliders) apply from the next call. `precision` (fp32 | bf16 | int8)
    applies to the OpenVINO runtime; int8 calibrates on `calibration` (an image folder, a video,
    or a list of BGR frames) once and caches the result.
    `device` is a torch.device, or the string "cpu" when the model runs from the export cache without torch.
    With `embeddings=True` every `Detections` also carries `embeddings` (N, D): the finest neck
    feature map averaged in each box, for trackers that match on appearance (every runtime
    exports the map as an extra output).
    """

    def __init__(self, weights: Any = "demo", *, spec: InferenceSpec | None = None, **options: Any) -> None:
        """`Detector("demo", imgsz=320, runtime="torch")`: keywords are `InferenceSpec` fields (checked
        there, once); or a ready `spec` (`Detector.from_config` builds one from a `ModelConfig`)."""
        if spec is None:
            spec = InferenceSpec(weights=weights, **options)
        elif options or weights != "demo":
            raise TypeError("give either a spec or weights and keywords, not both")
        # The torch parts are built on the torch thread, where they also run (detector/torch_thread.py);
        # the exported runtimes (OpenVINO, ONNX Runtime) run on the caller's thread with their own threads.
        self._init(spec)

    def _init(self, spec: InferenceSpec) -> None:
        self.spec = spec
        imgsz = spec.imgsz
        self.imgsz = max(32, int(round(imgsz / 32)) * 32)
        if self.imgsz != imgsz:
            log.warning("imgsz %d is not a multiple of 32; using %d", imgsz, self.imgsz)
        self.runtime = spec.runtime
        self.precision = spec.precision
        self.embeddings = bool(spec.embeddings)
        self.conf = float(spec.conf)
        self.iou = float(spec.iou)
        self.max_det = int(spec.max_det)
        self.agnostic_nms = bool(spec.agnostic_nms)
        self.last_timing: dict[str, float] = {"preprocess": 0.0, "inference": 0.0, "postprocess": 0.0}
        self._lock = threading.Lock()
        self._pending: dict[str, Any] = {}
        self._frame_size: tuple[int, ...] | None = None
        self._mixed = False
        calib = None
        if spec.precision == "int8" and spec.calibration is not None:
            from yolotrack.detector.calibration import CalibrationSet, calibration_set

            calib = spec.calibration if isinstance(spec.calibration, CalibrationSet) else \
                calibration_set(spec.calibration, spec.calibration_frames)
        self.calibration = calib
        weights, device = spec.weights, spec.device
        card = wpath = None
        if not _is_module(weights) and spec.runtime != "torch" and str(device).lower() in ("auto", "cpu", "") \
                and not (str(device).lower() in ("auto", "") and cuda_possible()):
            from yolotrack.detector.runtimes.source import read_card

            wpath = resolve_weights(weights)
            card = read_card(wpath)
        if card is not None:  # warm export cache: no torch until a file is missing
            from yolotrack.detector.runtimes.dispatch import RuntimeModel
            from yolotrack.detector.runtimes.source import ModelSource

            self.device = "cpu"
            self._numpy = True
            loader = functools.partial(torch_thread.run, self._load_torch, weights, "cpu", spec.attention)
            self.model: Any = RuntimeModel(ModelSource(card, wpath, loader=loader, features=self.embeddings), spec,
                                           "cpu", wpath, calibration=calib)
        else:
            torch_thread.run(self._init_torch, spec, calib)
        self.names: dict[int, str] = dict(self.model.names)
        self.task: str = self.model.task
        self.kpt_shape: tuple[int, int] | None = self.model.kpt_shape
        layout = getattr(self.model, "keypoint_layout", None)  # a module handed in may be any nn.Module
        self.keypoint_layout: KeypointLayout | None = layout if isinstance(layout, KeypointLayout) else (
            KeypointLayout.default(self.kpt_shape[0]) if self.kpt_shape is not None else None)
        self.nc: int = self.model.nc
        self.classes = resolve_classes(spec.classes, self.names)

    @staticmethod
    def _load_torch(weights: Any, device: Any, attention: str) -> Any:
        import torch

        from yolotrack.detector.loader import load_model

        model = load_model(weights, device=device, attention=attention)
        return model.to(memory_format=torch.channels_last)  # pyright: ignore[reportCallIssue] - nn.Module.to takes it

    def _init_torch(self, spec: InferenceSpec, calib: Any) -> None:
        import torch

        from yolotrack.detector.device import select_device
        from yolotrack.detector.staging import HostStaging

        weights = spec.weights
        self.device = select_device(spec.device)
        if _is_module(weights):
            self.model = weights.to(self.device).eval()
        else:
            self.model = self._load_torch(weights, self.device, spec.attention)
        self.half = (self.device.type == "cuda") if spec.half is None else bool(spec.half)
        if self.half and self.device.type == "cpu":
            log.warning("half precision is not used on CPU; running float32")
            self.half = False
        if self.half:
            self.model.half()
        self.dtype = torch.float16 if self.half else torch.float32
        self._staging = HostStaging(self.device)
        # measured on the 2-core CPU VM: NHWC convs + SDPA were 9-17% faster than NCHW (benchmarks/detector.py)
        self.channels_last = True
        self.model.to(memory_format=torch.channels_last)
        self.model.return_features = self.embeddings  # before an export, which then has the map as an output
        self._numpy = False
        if spec.runtime != "torch":  # exported once per weights and input shape, cached (core/cache.py)
            from yolotrack.detector.runtimes.dispatch import RuntimeModel

            wpath = None if _is_module(weights) else resolve_weights(weights)
            self.model = RuntimeModel(self.model, spec, self.device, wpath, calibration=calib)
            self._numpy = self.device.type == "cpu"

    @classmethod
    def from_config(cls, cfg: ModelConfig, source: str | Sequence[str] | None = None,
                    embeddings: bool = False) -> Detector:
        """From the `model` config section (see `InferenceSpec.from_config`)."""
        det = cls(spec=InferenceSpec.from_config(cfg, source, embeddings))
        if cfg.task != det.task:
            log.info("config says task=%s but the weights are a %s model; using %s", cfg.task, det.task, det.task)
        return det

    @property
    def attention(self) -> str:
        if self._numpy:
            return "eager"  # exports trace the plain matmul + softmax path (onnx_export.py)
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

    def preprocess(self, frames: Sequence[np.ndarray]) -> tuple[Any, list[LetterboxInfo]]:
        """Letterbox every frame to one input shape (minimal rectangle when all frames share a size): a
        (B,3,H,W) float tensor on the torch path, the (B,H,W,3) BGR uint8 batch on the numpy path."""
        return self._on_own_thread(self._preprocess, frames)

    def _on_own_thread(self, fn: Any, *args: Any) -> Any:
        """Torch work on the torch thread; an exported runtime's on the caller's, so detectors of
        several camera groups run their forwards at once (each runtime with its own thread count)."""
        return fn(*args) if self._numpy else torch_thread.run(fn, *args)

    def _letterbox_batch(self, frames: Sequence[np.ndarray]) -> tuple[np.ndarray, list[LetterboxInfo]]:
        for f in frames:
            if not isinstance(f, np.ndarray) or f.ndim != 3 or f.shape[2] != 3 or f.dtype != np.uint8:
                desc = f"{f.dtype} array of shape {f.shape}" if isinstance(f, np.ndarray) else type(f).__name__
                raise InvalidInputError(f"Detector expects BGR uint8 frames of shape (H, W, 3), got {desc}")
        # The minimal rectangle while every frame so far had one size; the square input for good once
        # sizes differ, so a detector serving cameras of several sizes has one input shape per batch
        # size (every shape is a compiled runtime of its own on the exported path).
        if self._frame_size is None:
            self._frame_size = frames[0].shape
        self._mixed = self._mixed or any(f.shape != self._frame_size for f in frames)
        shape = input_shape(frames[0].shape[:2], self.imgsz, 32, auto=not self._mixed)
        boxed, infos = [], []
        for f in frames:
            img, info = letterbox(f, shape)
            boxed.append(img)
            infos.append(info)
        batch = boxed[0][None] if len(boxed) == 1 else np.stack(boxed)
        return np.ascontiguousarray(batch), infos

    def _preprocess(self, frames: Sequence[np.ndarray]) -> tuple[Any, list[LetterboxInfo]]:
        batch, infos = self._letterbox_batch(frames)
        if self._numpy:
            return batch, infos
        batch = np.ascontiguousarray(batch[..., ::-1])  # BGR -> RGB, NHWC
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
        return self._on_own_thread(self._call, frames)

    def warmup(self, frame_sizes: Sequence[tuple[int, int]] = (), batch: int = 1) -> float:
        """Build the runtime now (torch load, ONNX export, int8 calibration, compile), off the frame
        path: one forward of a blank batch for each (height, width) of frame expected (the input
        rectangle follows the frame's shape), or of a square `imgsz` frame when none is known.
        Returns the seconds it took."""
        t0 = time.perf_counter()
        seen = self._frame_size, self._mixed  # blank frames say nothing about the cameras' sizes
        for h, w in frame_sizes or [(self.imgsz, self.imgsz)]:
            self([np.zeros((int(h), int(w), 3), np.uint8)] * max(1, int(batch)))
            self._frame_size, self._mixed = seen
        took = time.perf_counter() - t0
        log.info("detector warmed up in %.1f s", took)
        return took

    def _call(self, frames: Sequence[np.ndarray]) -> list[Detections]:
        self._apply_pending()
        if self._numpy:
            t0 = time.perf_counter()
            batch, infos = self._letterbox_batch(frames)
            t1 = time.perf_counter()
            outs = self.model.infer(batch)
            t2 = time.perf_counter()
            results = self._postprocess_np(outs, infos)
        else:
            import torch

            with torch.inference_mode():
                t0 = time.perf_counter()
                x, infos = self._preprocess(frames)
                t1 = time.perf_counter()
                out = self.model(x)
                if getattr(self.device, "type", "cpu") == "cuda":  # a torch.device here
                    torch.cuda.synchronize(self.device)
                t2 = time.perf_counter()
                results = self._postprocess(out, infos)
        t3 = time.perf_counter()
        self.last_timing = {"preprocess": (t1 - t0) * 1e3, "inference": (t2 - t1) * 1e3,
                            "postprocess": (t3 - t2) * 1e3}
        return results

    def postprocess(self, out: Any, infos: list[LetterboxInfo]) -> list[Detections]:
        """Raw output (torch: as the model returns it; numpy path: the runtime's outputs by name) -> Detections."""
        return self._on_own_thread(self._postprocess_np if self._numpy else self._postprocess, out, infos)

    def _postprocess_np(self, outs: dict[str, np.ndarray], infos: list[LetterboxInfo]) -> list[Detections]:
        arrays = list(outs.values())
        y = arrays[0]
        protos = arrays[1] if self.task == "segment" else None
        feats = outs.get("feat0")
        rows_per_image = pp_np.non_max_suppression(y, self.nc, self.conf, self.iou, self.classes,
                                                   self.agnostic_nms, self.max_det)
        results = []
        for i, (rows, info) in enumerate(zip(rows_per_image, infos, strict=True)):
            masks = kpts = None
            if protos is not None:
                m = pp_np.process_masks(protos[i], rows[:, 6:], rows[:, :4], info.input_shape)
                masks = pp_np.masks_to_frame(m, info)
            elif self.task == "pose" and self.kpt_shape is not None:
                kpts = pp_np.scale_keypoints(rows[:, 6:].reshape(-1, *self.kpt_shape), info)
            emb = None if feats is None else pp_np.pool_box_features(feats[i], rows[:, :4], 8)
            results.append(Detections(
                xyxy=pp_np.scale_boxes(rows[:, :4], info), scores=rows[:, 4].copy(),
                class_ids=rows[:, 5].astype(np.int64), names=self.names, masks=masks, keypoints=kpts,
                embeddings=emb))
        return results

    def _postprocess(self, out: Any, infos: list[LetterboxInfo]) -> list[Detections]:
        import torch

        from yolotrack.detector.postprocess import (
            masks_to_frame,
            non_max_suppression,
            process_masks,
            scale_boxes,
            scale_keypoints,
        )

        with torch.inference_mode():
            feats = None
            if self.embeddings:  # the neck's P3 map follows the head's outputs
                n = 2 if self.task == "segment" else 1
                out, feats = (out[0] if n == 1 else out[:n]), out[n].float().cpu().numpy()
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
                elif self.task == "pose" and self.kpt_shape is not None:
                    k = rows[:, 6:].view(-1, *self.kpt_shape)
                    kpts = scale_keypoints(k, info).cpu().numpy().astype(np.float32)
                boxes = scale_boxes(rows[:, :4], info)
                emb = None if feats is None else pp_np.pool_box_features(feats[i], rows[:, :4].cpu().numpy(), 8)
                results.append(Detections(
                    xyxy=boxes.cpu().numpy(), scores=rows[:, 4].cpu().numpy(),
                    class_ids=rows[:, 5].long().cpu().numpy(), names=self.names, masks=masks, keypoints=kpts,
                    embeddings=emb))
            return results
