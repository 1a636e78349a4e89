"""The sink contract and the atomic-file helper every file sink uses.

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
from typing import IO, Protocol

from yolotrack.core.detections import Detections
from yolotrack.core.events import TrackEvent
from yolotrack.core.files import temp_beside
from yolotrack.core.frame import Frame


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


class Sink(Protocol):
    name: str

    def open(self, info: StreamInfo) -> None: ...

    def write(self, frame: Frame, dets: Detections, events: list[TrackEvent]) -> None: ...

    def close(self) -> list[Path]:
        """Finalize; return the files now complete under their final names."""
        ...

    def abort(self) -> None: ...


class AtomicFile:
    """Write to a temp file beside `path`; `commit()` renames it into place, `discard()` removes it."""

    def __init__(self, path: str | Path, mode: str = "w", encoding: str | None = "utf-8") -> None:
        self.path = Path(path)
        self.tmp_path = temp_beside(self.path)
        binary = "b" in mode
        self.file: IO = open(self.tmp_path, mode, encoding=None if binary else encoding)  # noqa: SIM115

    def commit(self) -> Path:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        os.replace(self.tmp_path, self.path)
        return self.path

    def discard(self) -> None:
        if not self.file.closed:
            self.file.close()
        self.tmp_path.unlink(missing_ok=True)
