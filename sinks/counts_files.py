"""Counts of a recorded video: `<stem>_counts.json` (totals) and `<stem>_counts.csv` (per second).

The JSON is the stream's counts at the last frame (`CountSnapshot.to_record()`: the same counts
`yolotrack run` logs and MQTT publishes) plus the span it covers:

    {"source": "0", "video": "clip.mp4", "frames": 300, "duration_s": 10.0,
     "lines": {"door": {"in": 4, "out": 2, "by_class": {"person": {"in": 4, "out": 2}}}},
     "zones": {"bay": {"occupancy": 1, "entries": 5, "exits": 4, "max_occupancy": 3,
                       "mean_dwell_s": 2.4, "by_class": {...}}}}

The CSV has one row per second of video time from the first frame (every second, also those
without frames): `second`, `first_frame`, `last_frame`, then per line `<name>.in` and
`<name>.out` (crossings in that second), per zone `<name>.occupancy` (at the end of that
second), `<name>.max_occupancy` (within it), `<name>.entries` and `<name>.exits` (in it).
Both files are written under temporary names at `close()` and renamed; `abort()` writes nothing.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from yolotrack.analytics.tally import CountSnapshot
from yolotrack.core.detections import Detections
from yolotrack.core.events import TrackEvent
from yolotrack.core.files import atomic_write
from yolotrack.core.frame import Frame
from yolotrack.sinks.base import StreamInfo


class SecondSeries:
    """Per-second rows from the running counts (`SourceAnalytics.counts()`) of every frame."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.line_names: list[str] = []
        self.zone_names: list[str] = []
        self._t0: float | None = None
        self._sec = -1
        self._row: dict[str, Any] | None = None
        self._base: dict[str, int] = {}  # cumulative totals at the start of the current second
        self._now: dict[str, int] = {}

    def add(self, frame: int, ts: float, counts: CountSnapshot) -> None:
        if self._t0 is None:
            self._t0 = ts
        sec = max(0, int(np.floor(ts - self._t0 + 1e-9)))
        cur = self._totals(counts)
        if sec != self._sec:
            if self._row is not None:
                self._close_row()
                for gap in range(self._sec + 1, sec):  # seconds without frames: no change, same occupancy
                    self._start(gap, None)
                    self._close_row()
            self._start(sec, frame)
        row = self._row
        assert row is not None
        row["last_frame"] = frame
        for z in counts.zones:
            row[f"{z.name}.occupancy"] = z.occupancy
            key = f"{z.name}.max_occupancy"
            row[key] = max(row.get(key, 0), z.occupancy)
        self._now = cur

    def _totals(self, counts: CountSnapshot) -> dict[str, int]:
        for items, known in ((counts.lines, self.line_names), (counts.zones, self.zone_names)):
            for v in items:
                if v.name not in known:
                    known.append(v.name)
        cur: dict[str, int] = {}
        for ln in counts.lines:
            cur[f"{ln.name}.in"], cur[f"{ln.name}.out"] = ln.in_count, ln.out_count
        for z in counts.zones:
            cur[f"{z.name}.entries"], cur[f"{z.name}.exits"] = z.entries, z.exits
        return cur

    def _start(self, sec: int, frame: int | None) -> None:
        prev = self._row
        self._base = dict(self._now)
        self._row = {"second": sec, "first_frame": frame, "last_frame": frame}
        if prev is not None:  # occupancy carries over until a frame says otherwise
            for name in self.zone_names:
                occ = prev.get(f"{name}.occupancy", 0)
                self._row[f"{name}.occupancy"] = occ
                self._row[f"{name}.max_occupancy"] = occ
        self._sec = sec

    def _close_row(self) -> None:
        row = self._row
        assert row is not None
        for key, value in self._now.items():
            row[key] = value - self._base.get(key, 0)
        self.rows.append(row)
        self._row = None

    def finish(self) -> list[dict[str, Any]]:
        if self._row is not None:
            self._close_row()
        return self.rows

    def columns(self) -> list[str]:
        cols = ["second", "first_frame", "last_frame"]
        for n in self.line_names:
            cols += [f"{n}.in", f"{n}.out"]
        for n in self.zone_names:
            cols += [f"{n}.occupancy", f"{n}.max_occupancy", f"{n}.entries", f"{n}.exits"]
        return cols


class CountsSink:
    """Writes the counts JSON and the per-second CSV of one stream; see the module docstring."""

    name = "counts"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        self.csv_path = self.path.with_suffix(".csv")
        self._info: StreamInfo | None = None
        self._series = SecondSeries()
        self._frames = 0
        self._first_ts: float | None = None
        self._last_ts = 0.0

    def open(self, info: StreamInfo) -> None:
        self._info = info
        self._series = SecondSeries()
        self._frames = 0

    def write(self, frame: Frame, dets: Detections, events: list[TrackEvent]) -> None:
        src = self._info.analytics if self._info is not None else None
        if self._first_ts is None:
            self._first_ts = frame.timestamp
        self._last_ts = frame.timestamp
        self._frames += 1
        if src is not None:
            self._series.add(frame.index, frame.timestamp, src.counts())

    def close(self) -> list[Path]:
        info = self._info
        if info is None:
            return []
        src = info.analytics
        snap = src.counts().to_record() if src is not None else {"source": info.source_id, "lines": {}, "zones": {}}
        fps = info.fps or 0.0
        span = (self._last_ts - self._first_ts + (1.0 / fps if fps else 0.0)) if self._first_ts is not None else 0.0
        doc = {"source": info.source_id, "video": info.uri, "frames": self._frames, "duration_s": round(span, 3),
               "lines": snap["lines"], "zones": snap["zones"]}
        rows = self._series.finish()
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=self._series.columns(), restval=0, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        text = json.dumps(doc, indent=2) + "\n"
        done = [atomic_write(self.path, lambda tmp: tmp.write_text(text, encoding="utf-8")),
                atomic_write(self.csv_path, lambda tmp: tmp.write_text(buf.getvalue(), encoding="utf-8"))]
        self._info = None
        return done

    def abort(self) -> None:
        self._info = None
