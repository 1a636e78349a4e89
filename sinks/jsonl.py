"""JSON Lines output for `yolotrack run`: one line per frame, per track event, per stats period.

A line is flushed as soon as it is written, so a crash or `kill -9` loses at most the line being
written and every earlier line stays valid JSON. (The kernel stops a long write between pages when the
process is killed, so the lost line can leave its beginning as an unterminated last line;
`yolotrack eval --cross-camera`, which scores these files, skips such a line.) That is why this sink
writes straight to the final file instead of a temp file renamed at the end. One sink may serve several
sources: each line names its `source`.

Line types (`type` key):
- `stream`: once per source at its first frame: source, uri, width, height, fps, names.
- `frame`: source, frame (index), ts (seconds), tracks: [{id, class_id, class, score, box}] (and
  `speed`, `speed_unit` for a track inside a speed zone whose speed is known).
- `event`: a track lifecycle event (new, lost, refound, removed) with id, frame, class_id, box, or an
  analytics event (line_cross with line and direction, zone_enter, zone_exit with dwell_s (and speed in
  a speed zone), loitering, speeding).
- `stats`: the periodic `PipelineStats` snapshot (fps, latency, dropped frames, per stage).
- `counts`: with the stats, and once more at the end, per source with lines or zones: its
  `CountSnapshot.to_record()` (line in/out, zone occupancy, entries, exits, dwell; by class).
- `status`: a source's connection changed: `reconnecting` (attempt, error, retry_in) while a
  camera is down, `connected` once frames flow again (`core.status.StatusRecord`).

`event_line` is the one serialization of an event: the MQTT payload and the webhook body are
exactly this JSON object too.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from yolotrack.core.detections import Detections
from yolotrack.core.events import TrackEvent
from yolotrack.core.frame import Frame
from yolotrack.core.status import StatusRecord
from yolotrack.sinks.base import AtomicFile, StreamInfo

if TYPE_CHECKING:
    from yolotrack.analytics.source import SourceAnalytics


def dumps(rec: dict[str, Any]) -> str:
    """One compact JSON line (no newline): the wire form of every JSON Lines record."""
    return json.dumps(rec, separators=(",", ":"))


def event_line(ev: TrackEvent) -> str:
    """The JSON Lines object of an event; also the MQTT payload and the webhook body of that event."""
    return dumps({"type": "event", **ev.to_record()})


class JsonlSink:
    name = "jsonl"

    def __init__(self, path: str | Path | IO[str] = "-", events: str | Path | None = None,
                 stats: bool = True, ndigits: int = 2, atomic: bool = False) -> None:
        """`path` "-" means stdout; `events` None puts events into the main stream.

        `atomic` (for exports of finished files): write to a temp file renamed into place by
        `close()` and removed by `abort()`, like the other export sinks, instead of flushing per frame.
        """
        self.path = path
        self.events_path = events
        self.with_stats = stats
        self.ndigits = ndigits
        self.atomic = atomic
        self._atomic: list[AtomicFile] = []
        self._out: IO[str] | None = None
        self._events: IO[str] | None = None
        self._owned: list[IO[str]] = []
        self._files: list[Path] = []
        self._streams = 0
        self._analytics: dict[str, SourceAnalytics] = {}

    def _open_file(self, path: str | Path | IO[str]) -> IO[str]:
        if not isinstance(path, (str, Path)):
            return path
        if str(path) == "-":
            return sys.stdout
        p = Path(path).expanduser()
        if self.atomic:
            af = AtomicFile(p)
            self._atomic.append(af)
            return af.file
        p.parent.mkdir(parents=True, exist_ok=True)
        f = open(p, "w", encoding="utf-8")  # noqa: SIM115 - kept open for the whole run
        self._owned.append(f)
        self._files.append(p)
        return f

    def open(self, info: StreamInfo) -> None:
        if self._out is None:
            self._out = self._open_file(self.path)
            self._events = self._open_file(self.events_path) if self.events_path is not None else self._out
        self._streams += 1
        if info.analytics is not None:
            self._analytics[info.source_id] = info.analytics
        self._line(self._out, {"type": "stream", "source": info.source_id, "uri": info.uri, "width": info.width,
                               "height": info.height, "fps": info.fps, "task": info.task,
                               "names": {str(k): v for k, v in info.names.items()}})

    def write(self, frame: Frame, dets: Detections, events: list[TrackEvent]) -> None:
        assert self._out is not None and self._events is not None, "write() before open()"
        tracks = dets.to_records(self.ndigits)
        src = self._analytics.get(frame.source_id)
        if src is not None and src.has_speed_zones:
            speeds = {v.track_id: v for v in src.overlay().speeds}
            for row in tracks:
                v = speeds.get(row.get("id", -1))
                if v is not None:
                    row["speed"], row["speed_unit"] = v.speed, v.unit
        rec = {"type": "frame", "source": frame.source_id, "frame": frame.index,
               "ts": round(frame.timestamp, 3), "tracks": tracks}
        self._out.write(dumps(rec) + "\n")
        for ev in events:
            self._events.write(event_line(ev) + "\n")
        self._flush()

    def write_status(self, rec: StatusRecord) -> None:
        """A source's connection state (a `status` line); may come before any frame of that source."""
        if self._out is None:  # a camera that never connected: its status still reaches the stream
            self._out = self._open_file(self.path)
            self._events = self._open_file(self.events_path) if self.events_path is not None else self._out
        self._line(self._out, rec.to_record())

    def write_stats(self, stats: Any) -> None:
        if not self.with_stats or self._out is None:
            return
        self._line(self._out, {"type": "stats", "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                               **stats.to_record()})
        self._write_counts()

    def _write_counts(self) -> None:
        assert self._out is not None
        for src in self._analytics.values():
            if src.has_shapes:
                self._line(self._out, {"type": "counts", **src.counts().to_record()})

    def _line(self, f: IO[str], rec: dict[str, Any]) -> None:
        f.write(dumps(rec) + "\n")
        self._flush()

    def _flush(self) -> None:
        if self.atomic:
            return
        for f in {id(self._out): self._out, id(self._events): self._events}.values():
            if f is not None:
                f.flush()

    def close(self) -> list[Path]:
        """Closes when the last stream using this sink closes; returns the files written."""
        self._streams -= 1
        if self._streams > 0:
            return []
        if self.with_stats and self._out is not None and self._analytics:
            self._write_counts()  # the final counts
        self._analytics = {}
        done = [af.commit() for af in self._atomic]
        self._atomic = []
        for f in {id(self._out): self._out, id(self._events): self._events}.values():
            if f is not None and not f.closed:
                f.flush()
        for f in self._owned:
            f.close()
        self._owned = []
        self._out = self._events = None
        return done + list(self._files)

    def abort(self) -> None:
        """Streaming: keep what was written (every line is complete and flushed). Atomic: discard."""
        self._streams = 1
        self._analytics = {}  # no final counts line after a failure
        for af in self._atomic:
            af.discard()
        self._atomic = []
        self.close()
