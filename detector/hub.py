"""Model names -> files: the demo asset, a local path, or an official release cached under XDG."""

from __future__ import annotations

import logging
import os
import threading
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

from yolotrack.core.assets import DEMO_NAMES
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
# Points every release name at another server (a mirror, an offline site's file server, the tests'
# local http.server): a URL with `{name}` in it, or a base URL that `<name>.pt` is appended to.
RELEASE_URL_ENV = "YOLOTRACK_RELEASE_URL"
OFFLINE_HINT = "or run offline with --weights demo (the bundled model: it knows only the demo clip's shapes)"
ProgressFn = Callable[[int, "int | None"], None]


class DownloadCancelled(WeightsError):
    """The user cancelled a download (the GUI's progress dialog); nothing was kept."""


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
    """The download URL for a release name (`yolov12n`, `yolov12s-seg`, `yolo12m`, `.pt` optional), else None:
    upstream's, or the `YOLOTRACK_RELEASE_URL` server's when that is set."""
    stem = _stem(name)
    if stem not in _URLS:
        return None
    mirror = os.environ.get(RELEASE_URL_ENV, "").strip()
    if mirror:
        return mirror.replace("{name}", stem) if "{name}" in mirror else f"{mirror.rstrip('/')}/{stem}.pt"
    return _URLS[stem]


def cached_release(name: str, cache: Path | None = None) -> Path:
    """Where a release name's file lives in the cache (it may not be there yet)."""
    return (cache or cache_dir()) / f"{_stem(name)}.pt"


def pending_download(name: str, cache: Path | None = None) -> tuple[str, Path] | None:
    """(url, destination) when `name` is a release that is not in the cache yet, else None.

    The GUI asks first, so that a download gets its progress dialog before the model loads.
    """
    url = release_url(name) if not (os.sep in name or "/" in name) and not Path(name).expanduser().is_file() else None
    if url is None:
        return None
    dest = cached_release(name, cache)
    return None if dest.is_file() else (url, dest)


def download(url: str, dest: Path, timeout: float = 30.0, progress: ProgressFn | None = None,
             cancel: threading.Event | None = None) -> Path:
    """Stream `url` to `dest`; the file appears only when complete and sound (atomic rename).

    Progress goes to a tqdm bar, or to `progress(bytes_done, total_or_None)` when given (the GUI's
    dialog). Setting `cancel` stops between chunks with `DownloadCancelled`. A short body (fewer
    bytes than Content-Length) or a `.pt` that is not a complete zip archive (every torch
    checkpoint is one) is refused; in every failure the partial file is removed.
    """
    def fetch(tmp: Path) -> None:
        req = urllib.request.Request(url, headers={"User-Agent": "yolotrack"})
        with open(tmp, "wb") as out, urllib.request.urlopen(req, timeout=timeout) as resp:
            total = int(resp.headers.get("Content-Length") or 0) or None
            bar = None
            if progress is None:
                from tqdm import tqdm

                bar = tqdm(total=total, unit="B", unit_scale=True, desc=dest.name, leave=False)
            try:
                while chunk := resp.read(1 << 16):
                    if cancel is not None and cancel.is_set():
                        raise DownloadCancelled(f"download of {dest.name} cancelled; nothing was kept")
                    out.write(chunk)
                    if bar is not None:
                        bar.update(len(chunk))
                    else:
                        progress(out.tell(), total)
            finally:
                if bar is not None:
                    bar.close()
            if total is not None and out.tell() != total:
                raise OSError(f"the download was cut short: got {out.tell()} of {total} bytes")
        if dest.suffix == ".pt" and not _complete_zip(tmp):
            raise OSError("the file is not a complete checkpoint (truncated or not a .pt)")

    try:
        atomic_write(dest, fetch)
    except DownloadCancelled:
        raise
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = f"HTTP {e.code} {e.reason}" if isinstance(e, urllib.error.HTTPError) else (
            getattr(e, "reason", None) or e)
        raise WeightsError(f"could not download {url} ({reason}); put that file at {dest}, {OFFLINE_HINT}") from None
    log.info("downloaded %s to %s", url, dest)
    return dest


def _complete_zip(path: Path) -> bool:
    """A torch checkpoint is a zip archive: its central directory is at the very end, so a cut-short
    file has none, and `testzip` checks every member's CRC."""
    try:
        with zipfile.ZipFile(path) as z:
            return z.testzip() is None
    except (zipfile.BadZipFile, OSError, EOFError):
        return False


def resolve_weights(name_or_path: str | os.PathLike[str], cache: Path | None = None) -> Path:
    """A readable local file for a path, `demo`, or a release name (downloaded once into the cache)."""
    text = os.fspath(name_or_path)
    if text == "auto":
        raise WeightsError("model.weights 'auto' picks a model from the source (demo for the bundled clip, else the "
                           "official COCO model): resolve it with detector.auto_weights.apply_auto(cfg) first, or "
                           "set model.weights to demo, a release name or a checkpoint file")
    if text in DEMO_NAMES:
        demo = DEMO_NAMES[text]
        if not demo.is_file():
            raise WeightsError(f"the demo model {demo} is not there yet; train it with 'yolotrack train' "
                               "or pass --weights with a checkpoint path or a name such as yolo12n")
        return demo
    path = Path(text).expanduser()
    if path.is_file():
        return path
    url = release_url(text) if not (os.sep in text or "/" in text) else None
    if url is None:
        if path.exists():
            raise WeightsError(f"weights path {path} is not a file")
        names = ", ".join(n.format(scale="{n..x}") for tasks in RELEASES.values() for n, _ in tasks.values())
        raise WeightsError(f"weights file {path} does not exist (names: {', '.join(DEMO_NAMES)}, {names})")
    stem = _stem(text)
    dest = cached_release(stem, cache)
    if dest.is_file():
        return dest
    log.info("downloading %s from %s", stem, url)
    return download(url, dest)
