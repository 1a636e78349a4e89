"""`RuntimeModel`: stands in for the model inside `Detector`, with one static runtime per input shape.

The letterbox picks the input rectangle from the frame size (e.g. 384x640 for 720p at imgsz 640)
and the batch is the number of sources, while exports are static; so runtimes are built lazily
per (batch, H, W) on the first call with that shape and kept (a stream rarely changes shape).
Model attributes (`names`, `task`, `nc`, `stride`, `kpt_shape`, ...) are forwarded, from the torch
model when it is loaded and from the cached model card otherwise, so code written against the
model keeps working and a warm start never loads torch.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from yolotrack.detector.inference import InferenceSpec
from yolotrack.detector.runtimes import create_runtime
from yolotrack.detector.runtimes.base import RawOutput, Runtime
from yolotrack.detector.runtimes.source import ModelSource

log = logging.getLogger(__name__)


class RuntimeModel:
    """Callable like the model; `name` is the requested runtime, `.runtime_name` the one in use."""

    MAX_SHAPES = 8  # each compiled runtime holds its own weights and buffers; a group of up to 8 cameras
                    # of mixed sizes needs one per batch size (Detector keeps one input rectangle)

    def __init__(self, model: Any, spec: InferenceSpec, device: Any = "cpu",
                 weights_path: str | os.PathLike[str] | None = None, calibration: Any = None,
                 cache_dir: str | os.PathLike[str] | None = None) -> None:
        """`spec` gives the runtime, threads and precision (checked when it was built); `device` is the one
        chosen for it and `calibration` the loaded int8 `CalibrationSet`."""
        self.source = ModelSource.of(model, Path(weights_path) if weights_path is not None else None,
                                     Path(cache_dir) if cache_dir is not None else None)
        self.spec = spec
        self.name = spec.runtime
        self.device = device
        self.weights_path = Path(weights_path) if weights_path is not None else self.source.weights_path
        self.cache_dir = cache_dir
        self.calibration = calibration
        self._runtimes: OrderedDict[tuple[int, ...], Runtime] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def model(self) -> Any:
        """The torch model (loads it when the runtimes came from the cache alone)."""
        return self.source.module()

    def runtime_for(self, shape: tuple[int, ...]) -> Runtime:
        """`shape` is (B,3,H,W) for torch input or (B,H,W,3) for uint8 frames."""
        key = tuple(shape) if shape[1] == 3 else (shape[0], 3, shape[1], shape[2])
        with self._lock:
            rt = self._runtimes.get(key)
            if rt is None:
                b, _, h, w = key
                spec = self.spec
                rt = create_runtime(self.source, spec.runtime, (h, w), b, self.device, self.weights_path,
                                    spec.threads, self.cache_dir, spec.precision, self.calibration)
                log.info("runtime %s (%s) ready for input %dx%d, batch %d", rt.name, spec.precision, h, w, b)
                self._runtimes[key] = rt
                while len(self._runtimes) > self.MAX_SHAPES:
                    self._runtimes.popitem(last=False)
            else:
                self._runtimes.move_to_end(key)
            return rt

    def __call__(self, x: Any) -> RawOutput:
        return self.runtime_for(tuple(x.shape))(x)

    def infer(self, frames: np.ndarray) -> dict[str, np.ndarray]:
        """Letterboxed (B,H,W,3) BGR uint8 -> outputs by name, as numpy arrays."""
        return self.runtime_for(tuple(frames.shape)).infer(frames)

    @property
    def runtime_name(self) -> str | None:
        """The runtime used for the latest shape (None before the first call)."""
        return next(reversed(self._runtimes.values())).name if self._runtimes else None

    def __getattr__(self, item: str) -> Any:
        # only reached for names not set in __init__: the card's facts, else the torch model's attributes
        source = self.__dict__["source"]
        card = source.card
        if item in ("names", "task", "nc", "kpt_shape", "family", "keypoint_layout") and not source.loaded:
            return getattr(card, item)
        if item == "stride" and not source.loaded:
            return np.array(card.stride, dtype=np.float32)
        return getattr(source.module(), item)
