"""The GUI's cameras as `core.cameras.Camera`s: names for new sources, and the remembered list.

The window keeps its cameras in the same cameras file format as `run --cameras` (one format, one
loader with its checks), saved in the config folder beside the QSettings file, so the next start
shows the same grid, and `File > Save cameras as...` writes a file `run --cameras` can read.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from yolotrack.core.cameras import Camera, load_cameras, save_cameras
from yolotrack.core.config import Config
from yolotrack.core.errors import ConfigError
from yolotrack.pipeline.sources import source_kind
from yolotrack.pipeline.stats import SourceKind

log = logging.getLogger(__name__)

MAX_CAMERAS = 9  # the largest layout, 3x3
REMEMBERED_FILE = "gui-cameras.yaml"


def camera_name(uri: str, taken: Iterable[str] = ()) -> str:
    """A short unique name for a source: `demo`, `cam0`, a file's stem, a stream's host (no credentials)."""
    u = str(uri).strip()
    kind = source_kind(u)
    if u == "demo":
        base = "demo"
    elif kind is SourceKind.WEBCAM:
        base = "cam" + (u if u.isdigit() else u.rsplit("video", 1)[-1])
    elif kind is SourceKind.STREAM:
        parts = urlsplit(u)
        base = (parts.hostname or "stream") + (f"-{PurePosixPath(parts.path).name}" if parts.path.strip("/") else "")
    elif kind is SourceKind.SYNTHETIC:
        base = "synthetic"
    else:
        base = Path(u.rstrip("/*")).stem or "video"
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip(".-")[:48] or "camera"
    used = {t.lower() for t in taken}
    name, n = base, 2
    while name.lower() in used:
        name, n = f"{base}-{n}", n + 1
    return name


def cameras_from_uris(uris: Iterable[str]) -> list[Camera]:
    cams: list[Camera] = []
    for u in uris:
        if str(u).strip():
            cams.append(Camera(camera_name(str(u), [c.name for c in cams]), str(u)))
    return cams


def cameras_from_config(cfg: Config) -> list[Camera]:
    """`source.uri` (one source or a list) as cameras."""
    uri = cfg.source.uri
    return cameras_from_uris(uri if isinstance(uri, list) else [uri])


def remembered_path(settings_file: str | Path) -> Path:
    """The remembered cameras file, beside the QSettings file (the user's config folder)."""
    return Path(settings_file).parent / REMEMBERED_FILE


def load_remembered(path: Path) -> list[Camera]:
    """The cameras of the last session; a missing or broken file means none (logged, never fatal)."""
    if not path.is_file():
        return []
    try:
        return load_cameras(path)[:MAX_CAMERAS]
    except ConfigError as e:
        log.warning("ignoring the remembered cameras: %s", e)
        return []


def save_remembered(path: Path, cameras: list[Camera]) -> None:
    if cameras:
        save_cameras(path, cameras)
    else:
        path.unlink(missing_ok=True)
