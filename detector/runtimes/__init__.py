"""Inference runtimes behind one call: torch, ONNX Runtime, OpenVINO, or `auto` (fastest measured).

    rt = create_runtime(model, "auto", imgsz=(384, 640), batch=1, device="cpu", weights_path=path)
    y = rt(x)            # x (B,3,H,W) float in [0,1]; same raw output as model(x)
    outs = rt.infer(b)   # b (B,H,W,3) letterboxed BGR uint8 -> {output name: numpy array}
    rt.name              # the runtime actually used

`model` is a torch model or a `source.ModelSource` (a cached model card that loads the torch model
only if an export is missing). Exports (ONNX, OpenVINO IR, int8 IR) are made on first use and
cached (see cache.py). `precision` bf16 and int8 run on OpenVINO only.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from yolotrack.core.errors import ConfigError
from yolotrack.detector.runtimes.base import PRECISIONS, RawOutput, Runtime, RuntimeSpec, device_type
from yolotrack.detector.runtimes.select import AUTO_ORDER, CHOICES, RUNTIMES, auto_candidates
from yolotrack.detector.runtimes.source import ModelSource

log = logging.getLogger(__name__)

__all__ = ["AUTO_ORDER", "CHOICES", "PRECISIONS", "RUNTIMES", "ModelSource", "RawOutput", "Runtime", "RuntimeSpec",
           "check_request", "create_runtime"]

LOW_PRECISION = ("openvino",)  # the runtimes that run bf16 / int8 (BENCHMARKS.md, "int8 and bf16")


def check_request(runtime: str, precision: str, device: Any = "cpu") -> None:
    """Refuse a runtime / precision / device combination up front, in one sentence, before any export.

    The one check of a precision request: `InferenceSpec` calls it when a detector is asked for, and
    `create_runtime` for callers that build a runtime directly; the runtimes trust what reaches them.
    """
    if precision not in PRECISIONS:
        raise ConfigError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    if precision == "fp32":
        return
    dev = str(device).lower()
    if dev.startswith("cuda") or dev.isdigit():
        raise ConfigError(f"model.precision={precision} is for the CPU (OpenVINO); on CUDA use model.half")
    if runtime not in ("auto", *LOW_PRECISION):
        raise ConfigError(f"model.precision={precision} runs on OpenVINO only (runtime=openvino or auto), "
                          f"not on {runtime}; use precision fp32 with runtime={runtime}")
    from yolotrack.detector.runtimes.openvino_runtime import check_precision, import_ov

    try:
        ov = import_ov()
    except ConfigError:
        raise ConfigError(f"model.precision={precision} needs OpenVINO (pip install 'yolotrack[openvino]')") from None
    check_precision(ov.Core(), precision)


def _build(name: str, source: ModelSource, spec: RuntimeSpec) -> Runtime:
    if name == "torch":
        from yolotrack.detector.runtimes.torch_runtime import TorchRuntime

        return TorchRuntime(source.module(), spec)
    if name == "onnxruntime":
        from yolotrack.detector.runtimes.ort_runtime import OrtRuntime

        return OrtRuntime(source, spec)
    if name == "openvino":
        from yolotrack.detector.runtimes.openvino_runtime import OpenVinoRuntime

        return OpenVinoRuntime(source, spec)
    raise ConfigError(f"unknown runtime {name!r}; choose one of {', '.join(CHOICES)}")


def create_runtime(model: Any, name: str = "auto", imgsz: int | tuple[int, int] = 640, batch: int = 1,
                   device: Any = "cpu", weights_path: str | os.PathLike[str] | None = None,
                   threads: int | None = None, cache_dir: str | os.PathLike[str] | None = None,
                   precision: str = "fp32", calibration: Any = None) -> Runtime:
    """A runtime for a fused eval model (or a `ModelSource`) at one static input shape.

    An explicit runtime that cannot be built is an error the user sees; `auto` logs why a
    candidate failed and moves on, ending with torch, which always works (for fp32).
    """
    name = (name or "auto").lower()
    if name not in CHOICES:
        raise ConfigError(f"unknown runtime {name!r}; choose one of {', '.join(CHOICES)}")
    check_request(name, precision, device)
    hw = (int(imgsz), int(imgsz)) if isinstance(imgsz, int) else (int(imgsz[0]), int(imgsz[1]))
    if hw[0] % 32 or hw[1] % 32 or min(hw) < 32:
        raise ConfigError(f"runtime input size must be multiples of 32, got {hw[0]}x{hw[1]}")
    if batch < 1:
        raise ConfigError(f"batch must be at least 1, got {batch}")
    cache = Path(cache_dir) if cache_dir is not None else None
    source = ModelSource.of(model, weights_path, cache)
    spec = RuntimeSpec(imgsz=hw, batch=int(batch), device=device, threads=threads,
                       weights_path=Path(weights_path) if weights_path is not None else source.weights_path,
                       cache_dir=cache, precision=precision, calibration=calibration)
    if name != "auto":
        return _build(name, source, spec)
    candidates = auto_candidates(device_type(device))
    if precision != "fp32":
        candidates = [c for c in candidates if c in LOW_PRECISION]
        if not candidates:
            raise ConfigError(f"model.precision={precision} needs OpenVINO (pip install 'yolotrack[openvino]')")
        return _build(candidates[0], source, spec)  # no silent fallback to another precision
    for cand in candidates:
        try:
            rt = _build(cand, source, spec)
        except Exception as e:  # ORT/OpenVINO raise their own types on odd graphs or broken installs
            if cand == "torch":
                raise
            log.warning("runtime %s unavailable (%s); trying the next one", cand, e)
            continue
        log.info("runtime auto -> %s for %s", rt.name, device_type(device))
        return rt
    raise AssertionError("unreachable: torch is always a candidate")
