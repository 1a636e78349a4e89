"""`auto`: the runtime measured fastest per device type, falling back when one is not installed.

The order comes from benchmarks/runtimes.py (forward ms, yolo12n, same run, ratios) recorded in
BENCHMARKS.md; re-measure and edit this table rather than guessing for a new device type.
"""

from __future__ import annotations

import importlib.util

RUNTIMES = ("torch", "onnxruntime", "openvino")
CHOICES = ("auto", *RUNTIMES)

# Fastest first. CPU: 2-core x86_64 shared VM (AMD EPYC, AVX2, no AVX-512), 2026-11-23, yolo12n, see
# BENCHMARKS.md. End to end on a 300-frame 720p H.264 clip, imgsz 640 (input 384x640), same run, 1 thread:
# torch 2.80 fps, onnxruntime 4.53 (1.62x), openvino 5.62 (2.01x); imgsz 320: 9.12 / 19.89 / 21.58 fps.
# Forward only, 384x640, interleaved: torch 267 ms, onnxruntime 159-183 ms, openvino 150-173 ms.
# CUDA: torch fp16 + FlashAttention + CUDA graph is the measured-by-design default (docs/gpu.md);
# ORT/TensorRT only when asked for explicitly, as TensorRT builds take minutes on first use.
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
