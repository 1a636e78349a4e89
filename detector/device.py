"""Device selection shared by the detector, the pipeline and `yolotrack info`."""

from __future__ import annotations

import torch

from yolotrack.core.errors import ConfigError


def select_device(spec: str | torch.device | None = "auto") -> torch.device:
    """Turn `auto`, `cpu`, `cuda`, `cuda:N` or a bare index into a usable device.

    Asking for CUDA on a machine without it is a config mistake the user can fix, so it is
    reported in one sentence instead of failing later inside a forward pass.
    """
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
