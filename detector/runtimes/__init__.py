"""Inference runtimes behind one call: torch, ONNX Runtime, OpenVINO, or `auto` (fastest measured).

    rt = create_runtime(model, "auto", imgsz=(384, 640), batch=1, device="cpu", weights_path=path)
    y = rt(x)          # x (B,3,H,W) float in [0,1]; same raw output as model(x)
    rt.name            # the runtime actually used

Exports (ONNX, OpenVINO IR) are made on first use and cached (see cache.py).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import torch

from yolotrack.core.errors import ConfigError
from yolotrack.detector.runtimes.base import RawOutput, Runtime, RuntimeSpec
from yolotrack.detector.runtimes.select import AUTO_ORDER, CHOICES, RUNTIMES, auto_candidates

log = logging.getLogger(__name__)

__all__ = ["AUTO_ORDER", "CHOICES", "RUNTIMES", "RawOutput", "Runtime", "RuntimeSpec", "create_runtime"]


def _build(name: str, model: torch.nn.Module, spec: RuntimeSpec) -> Runtime:
    if name == "torch":
        from yolotrack.detector.runtimes.torch_runtime import TorchRuntime

        return TorchRuntime(model, spec)
    if name == "onnxruntime":
        from yolotrack.detector.runtimes.ort_runtime import OrtRuntime

        return OrtRuntime(model, spec)
    if name == "openvino":
        from yolotrack.detector.runtimes.openvino_runtime import OpenVinoRuntime

        return OpenVinoRuntime(model, spec)
    raise ConfigError(f"unknown runtime {name!r}; choose one of {', '.join(CHOICES)}")


def create_runtime(model: torch.nn.Module, name: str = "auto", imgsz: int | tuple[int, int] = 640, batch: int = 1,
                   device: str | torch.device = "cpu", weights_path: str | os.PathLike[str] | None = None,
                   threads: int | None = None, cache_dir: str | os.PathLike[str] | None = None) -> Runtime:
    """A runtime for a fused eval model at one static input shape.

    An explicit runtime that cannot be built is an error the user sees; `auto` logs why a
    candidate failed and moves on, ending with torch, which always works.
    """
    name = (name or "auto").lower()
    if name not in CHOICES:
        raise ConfigError(f"unknown runtime {name!r}; choose one of {', '.join(CHOICES)}")
    hw = (int(imgsz), int(imgsz)) if isinstance(imgsz, int) else (int(imgsz[0]), int(imgsz[1]))
    if hw[0] % 32 or hw[1] % 32 or min(hw) < 32:
        raise ConfigError(f"runtime input size must be multiples of 32, got {hw[0]}x{hw[1]}")
    if batch < 1:
        raise ConfigError(f"batch must be at least 1, got {batch}")
    dev = torch.device(device)
    spec = RuntimeSpec(imgsz=hw, batch=int(batch), device=dev, threads=threads,
                       weights_path=Path(weights_path) if weights_path is not None else None,
                       cache_dir=Path(cache_dir) if cache_dir is not None else None)
    if name != "auto":
        return _build(name, model, spec)
    for cand in auto_candidates(dev.type):
        try:
            rt = _build(cand, model, spec)
        except Exception as e:  # ORT/OpenVINO raise their own types on odd graphs or broken installs
            if cand == "torch":
                raise
            log.warning("runtime %s unavailable (%s); trying the next one", cand, e)
            continue
        log.info("runtime auto -> %s for %s", rt.name, dev.type)
        return rt
    raise AssertionError("unreachable: torch is always a candidate")
