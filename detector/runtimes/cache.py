"""Where exported models live and what they are keyed by.

An export is only valid for one set of weights, one input shape and batch, and the tool versions
that wrote it, so all of those go into the file name. Files go next to the weights (in a hidden
folder) when that folder is writable, else into the XDG cache, and appear atomically so a crash or
a second process never sees half a file.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
from pathlib import Path

import torch

log = logging.getLogger(__name__)

SUBDIR = ".yolotrack-exports"
EXPORT_FORMAT = 1  # bump when the export code changes what it writes


def xdg_exports_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "yolotrack" / "exports"


def _writable_dir(d: Path) -> bool:
    """Root passes every access check, so a folder marked read-only (no write bit at all) is respected too."""
    parent = d.parent
    try:
        if not d.exists() and not (parent.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)):
            return False
        d.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(d, os.W_OK | os.X_OK)


def export_dir(weights_path: Path | None, override: Path | None = None) -> Path:
    """`override`, else `<weights folder>/.yolotrack-exports` if writable, else the XDG cache."""
    if override is not None:
        override.mkdir(parents=True, exist_ok=True)
        return override
    if weights_path is not None:
        beside = Path(weights_path).resolve().parent / SUBDIR
        if _writable_dir(beside):
            return beside
    xdg = xdg_exports_dir()
    xdg.mkdir(parents=True, exist_ok=True)
    return xdg


def file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def module_hash(model: torch.nn.Module) -> str:
    """Hash of every tensor (name, shape, dtype, bytes): for models that did not come from a file."""
    h = hashlib.sha256()
    for name, t in sorted(model.state_dict().items()):
        t = t.detach().cpu().contiguous()
        h.update(f"{name}:{tuple(t.shape)}:{t.dtype}".encode())
        h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()[:16]


def weights_key(model: torch.nn.Module, weights_path: Path | None) -> str:
    """Weights hash + the model settings that change the exported graph (attention backend does not)."""
    base = file_hash(Path(weights_path)) if weights_path is not None else module_hash(model)
    return f"{base}-{getattr(model, 'family', 'x')}-{getattr(model, 'task', 'detect')}"


def export_name(stem: str, key: str, imgsz: tuple[int, int], batch: int, tool: str, suffix: str) -> str:
    """e.g. `yolo12n-<hash>-turbo-detect-640x640-b1-torch2.13.0-opset17-f1.onnx`."""
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in stem)
    return f"{safe}-{key}-{imgsz[0]}x{imgsz[1]}-b{batch}-{tool}-f{EXPORT_FORMAT}{suffix}"
