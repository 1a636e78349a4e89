"""`RecordingSink`: one camera's annotated recording from the GUI, a sink like any other.

The pipeline's sink stage writes it (`Pipeline.attach_sink`), after analytics and in frame order,
exactly as it writes the sinks of `run` and `export`; only its lifetime is the user's: the Record
button starts it and stops it (`finish()`), and it outlives a pipeline (a model switch starts a new
one and the recording is attached to that too), so a pipeline's end of stream (`close()`, also
`abort()` after a failure) leaves the file open. Timestamps keep increasing when the camera's
stream starts again. The GUI's class filter applies to what is recorded, as to what is shown.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from yolotrack.core.config import Config
from yolotrack.core.detections import Detections
from yolotrack.core.events import TrackEvent
from yolotrack.core.frame import Frame
from yolotrack.sinks.base import StreamInfo
from yolotrack.sinks.video import VideoSink
from yolotrack.ui.view import keep_classes


class RecordingSink:
    """See the module docstring. `classes()` is the class filter in force (None: every class)."""

    name = "recording"

    def __init__(self, cfg: Config, path: Path, classes: Callable[[], Sequence[int] | None] = lambda: None) -> None:
        self.cfg = cfg
        self.path = Path(path)
        self.classes = classes
        self.frames = 0
        self._sink: VideoSink | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._offset = 0.0
        self._last = -1.0

    def open(self, info: StreamInfo) -> None:
        """The first stream opens the file; a later one (the camera again, a new pipeline) goes on in it."""
        with self._lock:
            if self._sink is not None or self._closed:
                return
            sink = VideoSink.from_config(self.path, self.cfg)
            sink.copy_audio = False
            sink.open(dataclasses.replace(info, uri="", fps=info.fps or 30.0))
            self._sink = sink

    def write(self, frame: Frame, dets: Detections, events: list[TrackEvent]) -> None:
        with self._lock:
            if self._sink is None:
                return
            ts = frame.timestamp + self._offset
            if ts <= self._last:  # the stream started again: go on from the last frame
                self._offset += self._last - ts + 1.0 / (frame.fps or 30.0)
                ts = frame.timestamp + self._offset
            self._last = ts
            shown, _ = keep_classes(dets, None, self.classes())
            self._sink.write(Frame(frame.image, frame.index, ts, frame.source_id, frame.fps), shown, events)
            self.frames += 1

    def close(self) -> list[Path]:
        """A pipeline's stream ended: the recording goes on (into the next pipeline) until `finish()`."""
        return []

    def abort(self) -> None:
        """A pipeline failed: what was recorded stays; `finish()` still writes it."""

    def finish(self) -> list[Path]:
        """Close and return the finished file (empty when no frame was recorded)."""
        with self._lock:
            self._closed = True
            sink, self._sink = self._sink, None
        return sink.close() if sink is not None else []
