"""Calibration frames for int8: an image folder, a video, or frames in memory, and a key that names them.

The key goes into the int8 model's cache name, so it must be cheap to compute on every start
(it is computed before the cache is looked up) and must change when the frames would: for files
it hashes paths, sizes and modification times, not pixels; for frames in memory, their bytes.
Frames are read only when a quantization actually runs.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from yolotrack.core.errors import ConfigError

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
VIDEO_STEP = 4  # from a video, every 4th of its first frames: the start of the source, with some motion


@dataclass(frozen=True)
class CalibrationSet:
    key: str  # 12 hex digits
    description: str
    load: Callable[[], list[np.ndarray]]  # BGR uint8 frames

    def frames(self) -> list[np.ndarray]:
        frames = self.load()
        if not frames:
            raise ConfigError(f"no calibration frames could be read from {self.description}")
        return frames


def _digest(*parts: object) -> str:
    return hashlib.sha256("\0".join(str(p) for p in parts).encode()).hexdigest()[:12]


def _stat_key(path: Path) -> str:
    st = path.stat()
    return f"{path.resolve()}:{st.st_size}:{st.st_mtime_ns}"


def _spread(items: list, n: int) -> list:
    if len(items) <= n:
        return items
    idx = np.linspace(0, len(items) - 1, n).round().astype(int)
    return [items[i] for i in idx]


def _read_images(paths: list[Path]) -> list[np.ndarray]:
    import cv2

    out = []
    for p in paths:
        img = cv2.imread(str(p), cv2.IMREAD_COLOR)
        if img is None:
            log.warning("calibration: cannot read %s, skipped", p)
        else:
            out.append(img)
    return out


def _read_video(path: Path, n: int) -> list[np.ndarray]:
    """Every VIDEO_STEP-th of the first n*VIDEO_STEP frames; a shorter video gives n frames spread over it."""
    import av

    frames: list[np.ndarray] = []
    try:
        with av.open(str(path)) as container:
            for i, f in enumerate(container.decode(video=0)):
                frames.append(f.to_ndarray(format="bgr24"))
                if i + 1 >= n * VIDEO_STEP:
                    break
    except av.error.FFmpegError as e:
        if not frames:
            raise ConfigError(f"cannot read calibration video {path}: {e}") from e
    if len(frames) >= n * VIDEO_STEP:
        return frames[::VIDEO_STEP][:n]
    return _spread(frames, n)


def calibration_set(spec: str | Path | Sequence[np.ndarray], n: int = 64) -> CalibrationSet:
    """From an image folder, a video file (or `demo`), or a sequence of BGR frames; at most `n` frames."""
    if n < 1:
        raise ConfigError(f"calibration_frames must be at least 1, got {n}")
    if not isinstance(spec, (str, Path)):
        frames = _spread(list(spec), n)
        h = hashlib.sha256()
        for f in frames:
            h.update(np.ascontiguousarray(f).tobytes())
        return CalibrationSet(h.hexdigest()[:12], f"{len(frames)} given frames", lambda: frames)
    if str(spec) == "demo":
        from yolotrack.core.assets import DEMO_VIDEO

        spec = DEMO_VIDEO
    path = Path(spec).expanduser()
    if path.is_dir():
        images = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not images:
            raise ConfigError(f"calibration folder {path} has no images ({', '.join(IMAGE_SUFFIXES)})")
        chosen = _spread(images, n)
        return CalibrationSet(_digest("images", n, *(_stat_key(p) for p in chosen)),
                              f"{len(chosen)} images of {path}", lambda: _read_images(chosen))
    if path.is_file():
        if path.suffix.lower() in IMAGE_SUFFIXES:
            return CalibrationSet(_digest("image", _stat_key(path)), str(path), lambda: _read_images([path]))
        return CalibrationSet(_digest("video", n, VIDEO_STEP, _stat_key(path)),
                              f"the first frames of {path.name}", lambda: _read_video(path, n))
    raise ConfigError(f"calibration source {spec} does not exist; give an image folder or a video file")


def fallback_source(uri: str | list[str]) -> str | None:
    """The source to calibrate on when `model.calibration` is empty: the first source if it is a file,
    a folder or the demo; None for cameras and streams (frames we cannot read twice)."""
    first = uri[0] if isinstance(uri, list) and uri else uri
    if not isinstance(first, str):
        return None
    if first == "demo":
        return first
    p = Path(first).expanduser()
    return str(p) if p.is_file() or p.is_dir() else None
