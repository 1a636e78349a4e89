"""Atomic file creation: write to a hidden temp file beside the target, then rename into place."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path


def temp_beside(path: Path, suffix: str = ".part") -> Path:
    """Create an empty hidden temp file next to `path` (same filesystem, so the rename is atomic).

    Unlike `tempfile.mkstemp` (mode 0600) it honours the umask, so the final file gets the
    permissions any other file the user writes would get.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}{suffix}"
        try:
            os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            return tmp
        except FileExistsError:
            continue


def atomic_write(dest: Path, write: Callable[[Path], object], suffix: str = ".part") -> Path:
    """Call `write(tmp)` on a temp path beside `dest`, then rename it to `dest`; no partial file remains."""
    dest = Path(dest)
    tmp = temp_beside(dest, suffix)
    try:
        write(tmp)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest
