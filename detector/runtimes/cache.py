"""Where exported models live and what they are keyed by.

An export is only valid for one set of weights, one input shape and batch, one precision and the
tool versions that wrote it, so all of those go into the file name. Files go into the XDG cache
(`$XDG_CACHE_HOME/yolotrack/exports`), never beside the weights or inside the package, and appear
atomically so a crash or a second process never sees half a file.

Nothing here imports torch: a warm start finds its files by name, and torch's version comes from
the installed package's metadata.
"""

from __future__ import annotations

import hashlib
import logging
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from yolotrack.core.cache import cache_dir

log = logging.getLogger(__name__)

EXPORT_FORMAT = 1  # bump when the export code changes what it writes


def export_dir(override: Path | None = None) -> Path:
    """`override` (tests, benchmarks), else the XDG cache; created when missing."""
    d = override if override is not None else cache_dir("exports")
    d.mkdir(parents=True, exist_ok=True)
    return d


@cache
def package_version(name: str) -> str:
    """Installed version without importing the package (`2.13.0+cpu` -> `2.13.0`)."""
    try:
        return metadata.version(name).split("+")[0]
    except metadata.PackageNotFoundError:
        return "none"


def _file_hash(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


_hashes: dict[tuple[str, int, int], str] = {}


def file_hash(path: Path) -> str:
    """Content hash, remembered per (path, size, mtime) for the life of the process."""
    st = Path(path).stat()
    k = (str(Path(path).resolve()), st.st_size, st.st_mtime_ns)
    if k not in _hashes:
        _hashes[k] = _file_hash(*k)
    return _hashes[k]


def module_hash(model: Any) -> str:
    """Hash of every tensor (name, shape, dtype, bytes): for models that did not come from a file."""
    import torch

    h = hashlib.sha256()
    for name, t in sorted(model.state_dict().items()):
        t = t.detach().cpu().contiguous()
        h.update(f"{name}:{tuple(t.shape)}:{t.dtype}".encode())
        h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()[:16]


def weights_key(model: Any, weights_path: Path | None) -> str:
    """Weights hash + the model settings that change the exported graph (attention backend does not)."""
    base = file_hash(Path(weights_path)) if weights_path is not None else module_hash(model)
    return f"{base}-{getattr(model, 'family', 'x')}-{getattr(model, 'task', 'detect')}"


def export_name(stem: str, key: str, imgsz: tuple[int, int], batch: int, tool: str, suffix: str,
                precision: str = "fp32") -> str:
    """e.g. `yolo12n-<hash>-turbo-detect-640x640-b1-fp32-torch2.13.0-opset17-f1.onnx`."""
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in stem)
    return f"{safe}-{key}-{imgsz[0]}x{imgsz[1]}-b{batch}-{precision}-{tool}-f{EXPORT_FORMAT}{suffix}"
