"""`auto`: the runtime measured fastest per device type, falling back when one is not installed.

The order comes from benchmarks/runtimes.py (forward ms, yolo12n, same run, ratios) recorded in
BENCHMARKS.md; re-measure and edit this table rather than guessing for a new device type.
"""

from __future__ import annotations

import importlib.util

RUNTIMES = ("torch", "onnxruntime", "openvino")
CHOICES = ("auto", *RUNTIMES)

# Fastest first, per device type, as measured by benchmarks/runtimes.py and benchmarks/e2e.py
# (numbers, dates and machine in BENCHMARKS.md). CUDA: torch fp16 + FlashAttention + CUDA graph by
# design (docs/gpu.md); ORT/TensorRT only when asked for, as TensorRT builds take minutes on first use.
AUTO_ORDER: dict[str, tuple[str, ...]] = {
    "cpu": ("openvino", "onnxruntime", "torch"),
    "cuda": ("torch",),
    "mps": ("torch",),
}

_MODULES = {"onnxruntime": "onnxruntime", "openvino": "openvino"}


def installed(name: str) -> bool:
    mod = _MODULES.get(name)
    return mod is None or importlib.util.find_spec(mod) is not None


def auto_candidates(device_type: str) -> list[str]:
    """Installed runtimes for `auto` on this device type, fastest first; torch always ends the list."""
    order = [r for r in AUTO_ORDER.get(device_type, ("torch",)) if installed(r)]
    return order if "torch" in order else [*order, "torch"]
