"""`RuntimeModel`: stands in for the model inside `Detector`, with one static runtime per input shape.

The letterbox picks the input rectangle from the frame size (e.g. 384x640 for 720p at imgsz 640)
and the batch is the number of sources, while exports are static; so runtimes are built lazily
per (batch, H, W) on the first call with that shape and kept (a stream rarely changes shape).
Model attributes (`names`, `task`, `nc`, `stride`, `kpt_shape`, ...) are forwarded, so code
written against the model keeps working.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import torch

from yolotrack.detector.runtimes import create_runtime
from yolotrack.detector.runtimes.base import RawOutput, Runtime

log = logging.getLogger(__name__)


class RuntimeModel:
    """Callable like the model; `name` is the requested runtime, `.runtime_name` the one in use."""

    MAX_SHAPES = 4  # each compiled runtime holds its own weights and buffers

    def __init__(self, model: torch.nn.Module, name: str = "auto", device: str | torch.device = "cpu",
                 weights_path: str | os.PathLike[str] | None = None, threads: int | None = None,
                 cache_dir: str | os.PathLike[str] | None = None) -> None:
        self.model = model
        self.name = name
        self.device = torch.device(device)
        self.weights_path = Path(weights_path) if weights_path is not None else None
        self.threads = threads
        self.cache_dir = cache_dir
        self._runtimes: OrderedDict[tuple[int, ...], Runtime] = OrderedDict()
        self._lock = threading.Lock()

    def runtime_for(self, shape: tuple[int, ...]) -> Runtime:
        with self._lock:
            rt = self._runtimes.get(shape)
            if rt is None:
                b, _, h, w = shape
                rt = create_runtime(self.model, self.name, (h, w), b, self.device, self.weights_path,
                                    self.threads, self.cache_dir)
                log.info("runtime %s ready for input %s", rt.name, shape)
                self._runtimes[shape] = rt
                while len(self._runtimes) > self.MAX_SHAPES:
                    self._runtimes.popitem(last=False)
            else:
                self._runtimes.move_to_end(shape)
            return rt

    def __call__(self, x: torch.Tensor) -> RawOutput:
        return self.runtime_for(tuple(x.shape))(x)

    @property
    def runtime_name(self) -> str | None:
        """The runtime used for the latest shape (None before the first call)."""
        return next(reversed(self._runtimes.values())).name if self._runtimes else None

    def __getattr__(self, item: str) -> Any:
        # only reached for names not set in __init__: the model's own attributes
        return getattr(self.__dict__["model"], item)
