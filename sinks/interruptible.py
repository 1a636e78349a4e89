"""`Interruptible`: a sink wrapper that discards instead of finalizing once a run was interrupted.

The pipeline closes its sinks on every stop that is not a failure, which is right for `run`
(every line written so far is worth keeping) but not for an export: half an export is no
export, so an interrupted one must leave nothing under a final name.
"""

from __future__ import annotations

import threading
from pathlib import Path

from yolotrack.core.detections import Detections
from yolotrack.core.events import TrackEvent
from yolotrack.core.frame import Frame
from yolotrack.sinks.base import Sink, StreamInfo


class Interruptible:
    """Passes everything to `sink`, except that `close()` becomes `abort()` once `interrupted` is set."""

    def __init__(self, sink: Sink, interrupted: threading.Event) -> None:
        self.sink = sink
        self.name = sink.name
        self.interrupted = interrupted

    def open(self, info: StreamInfo) -> None:
        self.sink.open(info)

    def write(self, frame: Frame, dets: Detections, events: list[TrackEvent]) -> None:
        self.sink.write(frame, dets, events)

    def close(self) -> list[Path]:
        if self.interrupted.is_set():
            self.sink.abort()
            return []
        return self.sink.close()

    def abort(self) -> None:
        self.sink.abort()
