"""`CountTally`: the line and zone counts of one source, kept from its analytics events alone.

Every change of a count raises exactly one event (`line_cross`, `zone_enter`, `zone_exit`, `loitering`, `speeding`, also
those raised when the tracker removes a track), so the events are the whole truth about the counts.
That makes one model enough for every reader, wherever the events are: `SourceAnalytics` keeps a
tally of the events it raises (the overlay's counters, the `counts` lines of JSON Lines, the
counts export and its per-second CSV, `run`'s count lines), and the MQTT sink keeps one per camera
of the events it is handed, which is also how the counts reach the Ray driver, where only the
events travel (the counters run in the camera groups' actors).

A reader gets a `CountSnapshot`: frozen, typed, safe to hand to another thread; `to_record()` is
its JSON form (the schema every output writes). Per-class counts are ordered by class id.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from yolotrack.core.detections import class_name
from yolotrack.core.events import EventKind, TrackEvent


@dataclass(frozen=True, slots=True)
class ClassCrossings:
    """One class's crossings of a line."""

    in_count: int = 0
    out_count: int = 0

    def to_record(self) -> dict[str, Any]:
        return {"in": self.in_count, "out": self.out_count}


@dataclass(frozen=True, slots=True)
class LineCount:
    """A line's crossings: `in` is from the left of points[0]->points[1] to its right."""

    name: str
    in_count: int = 0
    out_count: int = 0
    by_class: tuple[tuple[str, ClassCrossings], ...] = ()  # (class name, crossings), by class id

    def to_record(self) -> dict[str, Any]:
        return {"in": self.in_count, "out": self.out_count,
                "by_class": {c: v.to_record() for c, v in self.by_class}}


@dataclass(frozen=True, slots=True)
class ClassVisits:
    """One class's visits of a zone (a visit counts under the class it entered with)."""

    occupancy: int = 0
    entries: int = 0
    exits: int = 0
    dwell_s: float = 0.0  # total of the finished visits

    @property
    def mean_dwell_s(self) -> float | None:
        return _mean(self.dwell_s, self.exits)

    def to_record(self) -> dict[str, Any]:
        return {"occupancy": self.occupancy, "entries": self.entries, "exits": self.exits,
                "mean_dwell_s": self.mean_dwell_s}


@dataclass(frozen=True, slots=True)
class ZoneCount:
    """A zone's occupancy now, its entries and exits so far, the most inside at once, the dwell."""

    name: str
    occupancy: int = 0
    entries: int = 0
    exits: int = 0
    max_occupancy: int = 0
    dwell_s: float = 0.0  # total of the finished visits
    by_class: tuple[tuple[str, ClassVisits], ...] = ()  # (class name, visits), by class id
    loitering: int = 0  # visits that lasted the zone's `loitering_s` (`loitering` events)
    speeding: int = 0  # visits over the speed zone's `speed_limit` (`speeding` events)

    @property
    def mean_dwell_s(self) -> float | None:
        return _mean(self.dwell_s, self.exits)

    def to_record(self) -> dict[str, Any]:
        return {"occupancy": self.occupancy, "entries": self.entries, "exits": self.exits,
                "max_occupancy": self.max_occupancy, "mean_dwell_s": self.mean_dwell_s,
                "loitering": self.loitering, "speeding": self.speeding,
                "by_class": {c: v.to_record() for c, v in self.by_class}}


@dataclass(frozen=True, slots=True)
class CountSnapshot:
    """Every line and zone count of one source as of one frame."""

    source: str
    frame: int
    ts: float
    lines: tuple[LineCount, ...] = ()
    zones: tuple[ZoneCount, ...] = ()
    camera: str | None = None  # the camera's name, when the source is one of a cameras file

    def line(self, name: str) -> LineCount | None:
        return next((v for v in self.lines if v.name == name), None)

    def zone(self, name: str) -> ZoneCount | None:
        return next((v for v in self.zones if v.name == name), None)

    def to_record(self) -> dict[str, Any]:
        """The JSON object of the counts (`counts` lines, the export's JSON, MQTT's `lines`/`zones`)."""
        rec: dict[str, Any] = {"source": self.source, "frame": self.frame, "ts": round(self.ts, 3),
                               "lines": {v.name: v.to_record() for v in self.lines},
                               "zones": {v.name: v.to_record() for v in self.zones}}
        if self.camera is not None:
            rec["camera"] = self.camera
        return rec


class _Line:
    __slots__ = ("by_class", "counts")

    def __init__(self) -> None:
        self.counts = [0, 0]  # in, out
        self.by_class: dict[int, tuple[str, list[int]]] = {}  # class id -> (name, [in, out])


class _Zone:
    __slots__ = ("by_class", "counts", "dwell", "max_occupancy")

    def __init__(self) -> None:
        self.counts = [0, 0, 0, 0, 0]  # occupancy, entries, exits, loitering, speeding
        self.max_occupancy = 0
        self.dwell = 0.0
        self.by_class: dict[int, tuple[str, list[Any]]] = {}  # class id -> (name, [occupancy, entries, exits, dwell])


class CountTally:
    """Counts of one source from its events; see the module docstring. Thread-safe: one thread adds
    (the sink thread), any thread takes snapshots.

    Args:
        source_id: the source the events are of.
        lines, zones: the names of the lines and zones that apply to the source, listed at zero from
            the start (a dashboard sensor exists before the first crossing).
        names: class id -> name, for events that came without their class name.
    """

    def __init__(self, source_id: str, lines: Sequence[str] = (), zones: Sequence[str] = (),
                 names: Mapping[int, str] | None = None) -> None:
        self.source_id = source_id
        self.names = dict(names or {})
        self._lock = threading.Lock()
        self._lines: dict[str, _Line] = {n: _Line() for n in lines}
        self._zones: dict[str, _Zone] = {n: _Zone() for n in zones}
        self._counts: tuple[tuple[LineCount, ...], tuple[ZoneCount, ...]] | None = None  # until a count changes
        self.frame = -1
        self.ts = 0.0

    @property
    def empty(self) -> bool:
        """No line or zone to report (none applies, and no event named one)."""
        return not (self._lines or self._zones)

    def reshape(self, lines: Sequence[str], zones: Sequence[str], keep: Collection[str]) -> None:
        """The lines and zones now in force, in this order: those named in `keep` (unchanged definitions)
        go on with their counts, the others start at zero."""
        with self._lock:
            self._lines = {n: self._lines[n] if n in keep and n in self._lines else _Line() for n in lines}
            self._zones = {n: self._zones[n] if n in keep and n in self._zones else _Zone() for n in zones}
            self._counts = None

    def add(self, frame: int, ts: float, events: Iterable[TrackEvent]) -> None:
        """One frame: its index and time, and its events (any kind; only analytics events count)."""
        with self._lock:
            self.frame, self.ts = frame, ts
            for ev in events:
                kind = ev.kind
                if kind in _COUNTED:
                    self._counts = None
                if kind == EventKind.LINE_CROSS:
                    k = 0 if ev.attrs["direction"] == "in" else 1
                    ln = self._lines.get(ev.attrs["line"])
                    if ln is None:
                        ln = self._lines[ev.attrs["line"]] = _Line()
                    ln.counts[k] += 1
                    per = ln.by_class.get(ev.class_id)
                    if per is None:
                        per = ln.by_class[ev.class_id] = (self._class(ev), [0, 0])
                    per[1][k] += 1
                elif kind in _ZONE_EVENTS:
                    z = self._zones.get(ev.attrs["zone"])
                    if z is None:
                        z = self._zones[ev.attrs["zone"]] = _Zone()
                    if kind == EventKind.LOITERING or kind == EventKind.SPEEDING:
                        z.counts[3 if kind == EventKind.LOITERING else 4] += 1
                        continue
                    visits = z.by_class.get(ev.class_id)
                    if visits is None:
                        visits = z.by_class[ev.class_id] = (self._class(ev), [0, 0, 0, 0.0])
                    by = visits[1]
                    if kind == EventKind.ZONE_ENTER:
                        z.counts[0] += 1
                        z.counts[1] += 1
                        z.max_occupancy = max(z.max_occupancy, z.counts[0])
                        by[0] += 1
                        by[1] += 1
                    else:
                        dwell = ev.attrs["dwell_s"]
                        z.counts[0] -= 1
                        z.counts[2] += 1
                        z.dwell += dwell
                        by[0] -= 1
                        by[2] += 1
                        by[3] += dwell

    def _class(self, ev: TrackEvent) -> str:
        return ev.class_name if ev.class_name is not None else class_name(self.names, ev.class_id)

    def snapshot(self, camera: str | None = None) -> CountSnapshot:
        """The counts as of the last frame added."""
        lines, zones = self.counts()
        return CountSnapshot(self.source_id, self.frame, self.ts, lines, zones, camera)

    def totals(self) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Just what the overlay draws, cheap every frame: (in, out) per line, (occupancy, entries) per zone,
        in the order of the lines and zones."""
        with self._lock:
            return ([(v.counts[0], v.counts[1]) for v in self._lines.values()],
                    [(v.counts[0], v.counts[1]) for v in self._zones.values()])

    def counts(self) -> tuple[tuple[LineCount, ...], tuple[ZoneCount, ...]]:
        """The line and zone counts now (rebuilt only after a change)."""
        with self._lock:
            if self._counts is None:
                lines = tuple(LineCount(n, v.counts[0], v.counts[1], tuple(
                    (c, ClassCrossings(a, b)) for _, (c, (a, b)) in sorted(v.by_class.items())))
                    for n, v in self._lines.items())
                zones = tuple(ZoneCount(n, v.counts[0], v.counts[1], v.counts[2], v.max_occupancy, v.dwell,
                                        tuple((c, ClassVisits(*r)) for _, (c, r) in sorted(v.by_class.items())),
                                        v.counts[3], v.counts[4])
                              for n, v in self._zones.items())
                self._counts = (lines, zones)
            return self._counts


_ZONE_EVENTS = (EventKind.ZONE_ENTER, EventKind.ZONE_EXIT, EventKind.LOITERING, EventKind.SPEEDING)
_COUNTED = (EventKind.LINE_CROSS, *_ZONE_EVENTS)


def _mean(total: float, n: int) -> float | None:
    return round(total / n, 3) if n else None
