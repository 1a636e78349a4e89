"""Model names -> files: the demo asset, a local path, or an official release cached under XDG."""

from __future__ import annotations

import logging
import os
import urllib.error
import urllib.request
from pathlib import Path

from yolotrack.core.assets import DEMO_WEIGHTS
from yolotrack.core.cache import cache_dir
from yolotrack.core.errors import ConfigError, WeightsError
from yolotrack.core.files import atomic_write

log = logging.getLogger(__name__)

TURBO_URL = "https://github.com/sunsmarterjie/yolov12/releases/download/turbo/{name}.pt"
SEG_URL = "https://github.com/sunsmarterjie/yolov12/releases/download/seg/{name}.pt"
ULTRALYTICS_URL = "https://github.com/ultralytics/assets/releases/download/v8.3.0/{name}.pt"
SCALES = ("n", "s", "m", "l", "x")
# What upstream publishes, and nothing more, so no picker can offer a name that cannot download: the
# official repository has turbo detect and seg releases; Ultralytics' asset list (GITHUB_ASSETS_NAMES in
# ultralytics/utils/downloads.py) has yolo12{n..x}.pt, "detect models only". Nobody publishes YOLOv12
# pose weights: pose needs a checkpoint file.
RELEASES: dict[str, dict[str, tuple[str, str]]] = {  # release -> task -> (name with {scale}, URL with {name})
    "official": {"detect": ("yolov12{scale}", TURBO_URL), "segment": ("yolov12{scale}-seg", SEG_URL)},
    "ultralytics": {"detect": ("yolo12{scale}", ULTRALYTICS_URL)},
}
_URLS = {name.format(scale=s): url.format(name=name.format(scale=s))
         for tasks in RELEASES.values() for name, url in tasks.values() for s in SCALES}


def weights_name(scale: str, task: str, release: str = "official") -> str:
    """The download name for a release, scale and task (`model.weights` empty, or the GUI's picker).

    Combinations upstream never published are a config error naming what does exist, not a 404 later.
    """
    tasks = RELEASES.get(release)
    if tasks is None:
        raise ConfigError(f"unknown release {release!r}; releases: {', '.join(RELEASES)}")
    if scale not in SCALES:
        raise ConfigError(f"unknown scale {scale!r}; scales: {', '.join(SCALES)}")
    if task not in tasks:
        raise ConfigError(f"no {release} YOLOv12 {task} weights exist (it publishes {', '.join(tasks)}); "
                          f"set model.weights to a {task} checkpoint")
    return tasks[task][0].format(scale=scale)


def _stem(name: str) -> str:
    return name[:-3] if name.endswith(".pt") else name


def release_url(name: str) -> str | None:
    """Upstream's download URL for a release name (`yolov12n`, `yolov12s-seg`, `yolo12m`, `.pt` optional), else None."""
    return _URLS.get(_stem(name))


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
        names = ", ".join(n.format(scale="{n..x}") for tasks in RELEASES.values() for n, _ in tasks.values())
        raise WeightsError(f"weights file {path} does not exist (names: demo, {names})")
    stem = _stem(text)
    dest = (cache or cache_dir()) / f"{stem}.pt"
    if dest.is_file():
        return dest
    log.info("downloading %s from %s", stem, url)
    return download(url, dest)
