"""Device selection shared by the detector, the pipeline and `yolotrack info`."""

from __future__ import annotations

import os
import sys
from importlib import metadata
from typing import Any

from yolotrack.core.errors import ConfigError


def cuda_possible() -> bool:
    """Could `device: auto` mean CUDA here? Told without importing torch (a second of start-up) when the
    installed torch is a CPU build or no NVIDIA driver is loaded; otherwise torch is asked."""
    if "torch" not in sys.modules:
        try:
            if "+cpu" in metadata.version("torch"):
                return False
        except metadata.PackageNotFoundError:
            return False
        if sys.platform == "linux" and not os.path.exists("/proc/driver/nvidia/version"):
            return False
    import torch

    return bool(torch.cuda.is_available())


def select_device(spec: Any = "auto") -> Any:
    """Turn `auto`, `cpu`, `cuda`, `cuda:N` or a bare index into a usable device.

    Asking for CUDA on a machine without it is a config mistake the user can fix, so it is
    reported in one sentence instead of failing later inside a forward pass.
    """
    import torch

    if isinstance(spec, torch.device):
        return spec
    text = str(spec or "auto").strip().lower()
    if text in ("", "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if text.isdigit():
        text = f"cuda:{text}"
    if text == "mps":
        if not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
            raise ConfigError("device 'mps' was requested but Metal is not available on this machine")
        return torch.device("mps")
    try:
        device = torch.device(text)
    except (RuntimeError, ValueError) as e:
        raise ConfigError(f"unknown device {spec!r}; use auto, cpu, cuda or cuda:N") from e
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError(f"device {spec!r} was requested but CUDA is not available; use device=cpu or auto")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ConfigError(f"device {spec!r} does not exist; this machine has {torch.cuda.device_count()} GPU(s)")
    elif device.type != "cpu":
        raise ConfigError(f"unsupported device {spec!r}; use auto, cpu, cuda or cuda:N")
    return device
