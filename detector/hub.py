"""Model names -> files: the demo asset, a local path, or an official release cached under XDG."""

from __future__ import annotations

import logging
import os
import re
import urllib.error
import urllib.request
from pathlib import Path

from yolotrack.core.assets import DEMO_WEIGHTS
from yolotrack.core.cache import cache_dir
from yolotrack.core.errors import WeightsError
from yolotrack.core.files import atomic_write

log = logging.getLogger(__name__)

TURBO_URL = "https://github.com/sunsmarterjie/yolov12/releases/download/turbo/{name}.pt"
SEG_URL = "https://github.com/sunsmarterjie/yolov12/releases/download/seg/{name}.pt"
ULTRALYTICS_URL = "https://github.com/ultralytics/assets/releases/download/v8.3.0/{name}.pt"
_NAME = re.compile(r"^(yolov12[nsmlx](-seg)?|yolo12[nsmlx])(\.pt)?$")


def release_url(name: str) -> str | None:
    """Official download URL for a release name (`yolov12n`, `yolov12s-seg`, `yolo12m`), else None."""
    m = _NAME.match(name)
    if not m:
        return None
    stem = m.group(1)
    if stem.startswith("yolo12"):
        return ULTRALYTICS_URL.format(name=stem)
    return (SEG_URL if stem.endswith("-seg") else TURBO_URL).format(name=stem)


def download(url: str, dest: Path, timeout: float = 30.0) -> Path:
    """Stream `url` to `dest` with a tqdm bar; the file appears only when complete (atomic rename)."""
    from tqdm import tqdm

    def fetch(tmp: Path) -> None:
        req = urllib.request.Request(url, headers={"User-Agent": "yolotrack"})
        with open(tmp, "wb") as out, urllib.request.urlopen(req, timeout=timeout) as resp:
            total = int(resp.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=dest.name, leave=False) as bar:
                while chunk := resp.read(1 << 20):
                    out.write(chunk)
                    bar.update(len(chunk))
            if total is not None and out.tell() != total:
                raise OSError(f"got {out.tell()} of {total} bytes")

    try:
        atomic_write(dest, fetch)
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = f"HTTP {e.code} {e.reason}" if isinstance(e, urllib.error.HTTPError) else (
            getattr(e, "reason", None) or e)
        raise WeightsError(f"could not download {url} ({reason}); download it yourself and put it at {dest}") from None
    log.info("downloaded %s to %s", url, dest)
    return dest


def resolve_weights(name_or_path: str | os.PathLike[str], cache: Path | None = None) -> Path:
    """A readable local file for a path, `demo`, or a release name (downloaded once into the cache)."""
    text = os.fspath(name_or_path)
    if text == "demo":
        if not DEMO_WEIGHTS.is_file():
            raise WeightsError(f"the demo model {DEMO_WEIGHTS} is not there yet; train it with 'yolotrack train' "
                               "or pass --weights with a checkpoint path or a name such as yolo12n")
        return DEMO_WEIGHTS
    path = Path(text).expanduser()
    if path.is_file():
        return path
    url = release_url(text) if not (os.sep in text or "/" in text) else None
    if url is None:
        if path.exists():
            raise WeightsError(f"weights path {path} is not a file")
        raise WeightsError(f"weights file {path} does not exist (names: demo, yolov12n..x, yolov12n-seg..x-seg, "
                           "yolo12n..x)")
    stem = _NAME.match(text).group(1)  # type: ignore[union-attr]
    dest = (cache or cache_dir()) / f"{stem}.pt"
    if dest.is_file():
        return dest
    log.info("downloading %s from %s", stem, url)
    return download(url, dest)
