"""The sink contract, the atomic-file helper and the base of every one-file sink.

A sink receives every processed frame of one stream in order. `close()` finalizes (flush,
rename temp -> final name) and `abort()` discards what is half-written, so a crash or Ctrl-C
never leaves a partial file under a final name. Streaming sinks (JSONL for `run`) flush per
frame instead and have nothing to rename.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

from yolotrack.core.detections import Detections
from yolotrack.core.events import TrackEvent
from yolotrack.core.files import temp_beside
from yolotrack.core.frame import Frame
from yolotrack.core.keypoints import KeypointLayout

if TYPE_CHECKING:
    from yolotrack.analytics.source import SourceAnalytics


@dataclass
class StreamInfo:
    """What a sink needs to know before the first frame."""

    source_id: str
    uri: str  # the source as given (a file path for files: the video sink copies its audio)
    width: int
    height: int
    fps: float | None
    names: Mapping[int, str] = field(default_factory=dict)
    task: str = "detect"
    kpt_shape: tuple[int, int] | None = None
    total_frames: int | None = None
    time_base: float | None = None  # seconds per pts tick of the input video stream, when known
    # the live analytics of this stream when lines or zones apply to it: already advanced to the frame a
    # sink's write() gets (overlay(), counts())
    analytics: SourceAnalytics | None = None
    keypoints: KeypointLayout | None = None  # pose: names and skeleton of the keypoints


class Sink(Protocol):
    name: str

    def open(self, info: StreamInfo) -> None: ...

    def write(self, frame: Frame, dets: Detections, events: list[TrackEvent]) -> None: ...

    def close(self) -> list[Path]:
        """Finalize; return the files now complete under their final names."""
        ...

    def abort(self) -> None: ...


class AtomicFile:
    """Write to a temp file beside `path`; `commit()` renames it into place, `discard()` removes it.

    `mode=None` only reserves the temp name, for writers that open files by name themselves
    (FFmpeg through PyAV): `tmp_path` is theirs to write, and they must close it before `commit()`.
    """

    def __init__(self, path: str | Path, mode: str | None = "w", encoding: str | None = "utf-8") -> None:
        self.path = Path(path)
        self.tmp_path = temp_beside(self.path)
        self._file: IO | None = None
        if mode is not None:
            binary = "b" in mode
            self._file = open(self.tmp_path, mode, encoding=None if binary else encoding)  # noqa: SIM115

    @property
    def file(self) -> IO:
        if self._file is None:
            raise ValueError(f"{self.tmp_path} was reserved by name only (mode=None): open it yourself")
        return self._file

    def commit(self) -> Path:
        """Make the content durable, then give it the final name (so a crash never leaves it empty)."""
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
        else:
            fd = os.open(self.tmp_path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(self.tmp_path, self.path)
        return self.path

    def discard(self) -> None:
        if self._file is not None and not self._file.closed:
            self._file.close()
        self.tmp_path.unlink(missing_ok=True)


class FileSink:
    """Base of the sinks that write one file (MOT, CVAT, COCO, the annotated video).

    The file exists under a temp name from `open()` on; `close()` renames it into place and
    `abort()` removes it, so an export that fails or is interrupted leaves no partial file under
    a final name. Subclasses write to `self._file` (an `AtomicFile`) and fill in the hooks:
    `_begin(info)` once the temp file exists, `_finish()` before the rename (return False to
    discard an output that has nothing in it), `_release()` to free what an abort leaves behind.
    """

    name = "file"
    mode: str | None = "w"  # of the temp file; None: the subclass opens `_file.tmp_path` by name

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        self._file: AtomicFile | None = None

    def open(self, info: StreamInfo) -> None:
        self._file = AtomicFile(self.path, self.mode)
        try:
            self._begin(info)
        except BaseException:
            self.abort()
            raise

    def close(self) -> list[Path]:
        f = self._file
        if f is None:
            return []
        try:
            keep = self._finish()
        except BaseException:
            self.abort()
            raise
        self._file = None
        if not keep:
            f.discard()
            return []
        return [f.commit()]

    def abort(self) -> None:
        try:
            self._release()
        finally:
            if self._file is not None:
                self._file.discard()
                self._file = None

    def _begin(self, info: StreamInfo) -> None:
        pass

    def _finish(self) -> bool:
        return True

    def _release(self) -> None:
        pass
