"""`SourceAnalytics`: lines and zones of one source, fed its tracked frames in order.

One object per video source. `update` takes a frame's tracked `Detections` and the tracker's
events, advances every line and zone, and returns the analytics events (`line_cross`,
`zone_enter`, `zone_exit`) as `TrackEvent`s. The counts are a `CountTally` of those events (the
one count model, see tally.py). Other threads read it at any time: `counts()` (a frozen
`CountSnapshot`: the counts export, the `counts` lines, `run`'s count lines) and `overlay()`
(what to draw). `replace()` swaps the lines and zones between two frames; shapes whose
definition did not change keep their counts and per-track state.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from yolotrack.analytics.lines import LineCounter, box_features, box_scale
from yolotrack.analytics.overlay import LineView, Overlay, TrackSpeed, ZoneView
from yolotrack.analytics.shapes import Line, Zone
from yolotrack.analytics.slots import TrackSlots
from yolotrack.analytics.speed import SpeedMeter
from yolotrack.analytics.tally import CountSnapshot, CountTally
from yolotrack.analytics.zones import ZoneCounter
from yolotrack.core.detections import Detections, class_name
from yolotrack.core.events import EventKind, TrackEvent

_STALE_CHECK = 128  # frames between checks for tracks that vanished without a `removed` event


class SourceAnalytics:
    """Lines and zones of one source; see the module docstring.

    Args:
        source_id: the pipeline's id of the source (events carry it).
        lines, zones: resolved shapes that apply to this source.
        hysteresis, min_displacement: jitter guards, in box sizes (`analytics.lines`).
        names: class id -> name, for event labels and per-class counts.
        forget_after: seconds after which a track that was neither seen nor removed is released.
    """

    def __init__(self, source_id: str, lines: Sequence[Line], zones: Sequence[Zone], hysteresis: float = 0.2,
                 min_displacement: float = 0.05, names: Mapping[int, str] | None = None,
                 forget_after: float = 10.0) -> None:
        self.source_id = source_id
        self.names = dict(names or {})
        self.forget_after = float(forget_after)
        self._lock = threading.Lock()
        self._slots = TrackSlots()
        self._lines = LineCounter(lines, self._slots.capacity, hysteresis, min_displacement)
        self._zones = ZoneCounter(zones, self._slots.capacity, hysteresis)
        self._speed = SpeedMeter(zones, self._slots.capacity)
        self._speeds: tuple[TrackSpeed, ...] = ()  # of the last frame
        self._tally = CountTally(source_id, [v.name for v in lines], [z.name for z in zones], self.names)
        self._pending: tuple[list[Line], list[Zone], float, float] | None = None
        self.frame = -1
        self.ts = 0.0
        self.frames = 0
        self.first_ts: float | None = None
        self.size: tuple[int, int] | None = None  # frame (width, height), when known
        self._overlay: Overlay | None = None

    # ------------------------------------------------------------ configuration

    @property
    def lines(self) -> list[Line]:
        return list(self._lines.lines)

    @property
    def zones(self) -> list[Zone]:
        return list(self._zones.zones)

    @property
    def has_shapes(self) -> bool:
        return bool(self._lines.lines or self._zones.zones)

    @property
    def has_speed_zones(self) -> bool:
        return bool(self._speed)

    def replace(self, lines: Sequence[Line], zones: Sequence[Zone], hysteresis: float, min_displacement: float) -> None:
        """New lines and zones from the next frame on (safe from any thread)."""
        with self._lock:
            self._pending = (list(lines), list(zones), float(hysteresis), float(min_displacement))
            if self.frames == 0:
                self._apply_pending()

    def _apply_pending(self) -> None:
        assert self._pending is not None
        lines, zones, hyst, mind = self._pending
        self._pending = None
        cap = self._slots.capacity
        new_lines = LineCounter(lines, cap, hyst, mind)
        new_lines.adopt(self._lines)
        new_zones = ZoneCounter(zones, cap, hyst)
        new_zones.adopt(self._zones)
        kept = {v.name for v in lines if v in self._lines.lines} | {z.name for z in zones if z in self._zones.zones}
        self._tally.reshape([v.name for v in lines], [z.name for z in zones], kept)
        self._lines, self._zones = new_lines, new_zones
        self._speed = SpeedMeter(zones, cap)  # speeds start afresh: their windows are short
        self._speeds = ()
        self._overlay = None

    # ------------------------------------------------------------ the frame path

    def update(self, frame_index: int, ts: float, dets: Detections | None, events: Sequence[TrackEvent] = (),
               fps: float | None = None, size: tuple[int, int] | None = None,
               final: bool = False) -> list[TrackEvent]:
        """Advance every line and zone by one frame; returns the analytics events it raised.

        `size` (width, height) of the frame tells which removed tracks were last seen at its edge.
        `final`: the stream ends with this frame, so what is pending is settled now (`flush`).
        """
        with self._lock:
            out = self._update(frame_index, ts, dets, events, fps, size)
            if final:
                out += self._flush(frame_index, ts)
            self._tally.add(frame_index, ts, out)
            return out

    def flush(self, frame_index: int, ts: float) -> list[TrackEvent]:
        """The stream ended after the last frame given: settle what is pending (see `_flush`); returns
        the events, which are counted like any other."""
        with self._lock:
            out = self._flush(frame_index, ts)
            self._tally.add(max(frame_index, self.frame), ts, out)
            return out

    def _flush(self, frame: int, ts: float) -> list[TrackEvent]:
        """End of stream. A track seen on the last frame that has changed side of a line within the
        segment but not yet left the hysteresis band never will: the band guards against jitter
        that the next frames would undo, and there are none, so the crossing counts. A track no longer
        seen is settled as if the tracker had removed it (it would have, had the video gone on): a
        pending crossing counts when it was last seen at the edge of the picture, its zones are left.
        Tracks still in view stay inside their zones (their visits have not ended). The last position
        of each track in view is used first, however little it moved since the one before."""
        s = self._slots
        if not s.row_of or not self.has_shapes:
            return []
        ids = list(s.row_of)
        rows = np.array([s.row_of[t] for t in ids], np.intp)
        visible = s.last[rows, 7] >= self.frame
        out: list[TrackEvent] = []
        if self._lines.lines and visible.any():
            vis_rows = rows[visible]
            last = s.last[vis_rows]
            feats = box_features(last[:, :4])
            scale, scale2 = box_scale(feats)
            out += self._held_crossings(vis_rows, frame, ts, *self._lines.update(
                vis_rows, feats, scale, scale2, last[:, 4].astype(np.int64), final=True))
            out += self._held_crossings(vis_rows, frame, ts, *self._lines.settle(vis_rows))
        gone = [t for t, v in zip(ids, visible.tolist(), strict=True) if not v]
        if gone:
            out += self._release(gone, frame, ts)
        return out

    def _update(self, frame_index: int, ts: float, dets: Detections | None, events: Sequence[TrackEvent],
                fps: float | None, size: tuple[int, int] | None) -> list[TrackEvent]:
        """The frame's work, under the lock of `update`."""
        if size is not None:
            self.size = size
        if self._pending is not None:
            self._apply_pending()
        self.frame, self.ts = frame_index, ts
        if self.first_ts is None:
            self.first_ts = ts
        self.frames += 1
        self._overlay = None
        self._speeds = ()
        out: list[TrackEvent] = []
        removed = [e.track_id for e in events if e.kind == EventKind.REMOVED]
        if removed:
            out.extend(self._release(removed, frame_index, ts))
        if self.frames % _STALE_CHECK == 0:
            stale = self._slots.stale(frame_index, max(1, int(self.forget_after * (fps or 30.0))))
            if stale:
                out.extend(self._release(stale, frame_index, ts))
        if dets is None or dets.track_ids is None or len(dets) == 0 or not self.has_shapes:
            return out
        ids = dets.track_ids.tolist()
        rows, new = self._slots.assign(ids)
        if self._slots.capacity > len(self._lines.state):
            self._lines.grow(self._slots.capacity)
            self._zones.grow(self._slots.capacity)
            self._speed.grow(self._slots.capacity)
        if new is not None:
            self._lines.reset(rows[new])
            self._zones.reset(rows[new])
            self._speed.reset(rows[new])
        xyxy = dets.xyxy
        cls = dets.class_ids
        self._slots.seen(rows, frame_index, ts, xyxy, cls, dets.scores)
        feats = box_features(xyxy)
        scale, scale2 = box_scale(feats)
        if self._lines.lines:
            det, line, direction = self._lines.update(rows, feats, scale, scale2, cls, new)
            for i, j, dr in zip(det.tolist(), line.tolist(), direction.tolist(), strict=True):
                out.append(self._event(EventKind.LINE_CROSS, dets, i, frame_index, ts,
                                       {"line": self._lines.lines[j].name, "direction": "in" if dr > 0 else "out"}))
        if self._zones.zones:
            ch = self._zones.update(rows, feats, scale, cls, ts)
            zones = self._zones.zones
            for i, j in zip(*(a.tolist() for a in ch.enter), strict=True):
                out.append(self._event(EventKind.ZONE_ENTER, dets, i, frame_index, ts, {"zone": zones[j].name}))
            xi, xz = ch.exit[0], ch.exit[1]
            exit_speed = self._speed.visit_speed(rows[xi], xz) if self._speed else None
            for kind, (di, dz, dwell, dcls) in ((EventKind.ZONE_EXIT, ch.exit), (EventKind.LOITERING, ch.loiter)):
                for k, (i, j, dw, c) in enumerate(zip(di.tolist(), dz.tolist(), dwell.tolist(), dcls.tolist(),
                                                      strict=True)):
                    attrs: dict[str, Any] = {"zone": zones[j].name, "dwell_s": dw}
                    if kind == EventKind.ZONE_EXIT and exit_speed is not None:
                        _speed_attrs(attrs, zones[j], float(exit_speed[k]))
                    out.append(self._event(kind, dets, i, frame_index, ts, attrs, cls=c))
            if self._speed:
                si, sz, sv = self._speed.update(rows, feats, self._zones.inside[rows], ts)
                for i, j, v in zip(si.tolist(), sz.tolist(), sv.tolist(), strict=True):
                    attrs = {"zone": zones[j].name}
                    _speed_attrs(attrs, zones[j], v)
                    attrs["speed_limit"] = zones[j].speed_limit
                    out.append(self._event(EventKind.SPEEDING, dets, i, frame_index, ts, attrs))
                k, col, v = self._speed.current(rows)
                ids = dets.track_ids.tolist()
                units = [z.speed_unit for z in self._speed.zones]
                self._speeds = tuple(TrackSpeed(int(ids[a]), round(b, 2), units[c])
                                     for a, c, b in zip(k.tolist(), col.tolist(), v.tolist(), strict=True))
        return out

    def _event(self, kind: EventKind, dets: Detections, i: int, frame: int, ts: float, attrs: dict[str, Any],
               cls: int | None = None) -> TrackEvent:
        """An event of detection `i`; `cls` overrides its class (a zone visit keeps the class it entered with)."""
        c = int(dets.class_ids[i]) if cls is None else int(cls)
        x1, y1, x2, y2 = dets.xyxy[i].tolist()
        assert dets.track_ids is not None
        return TrackEvent(kind, int(dets.track_ids[i]), frame, c, (x1, y1, x2, y2), float(dets.scores[i]),
                          self.source_id, ts, self._class_name(c, dets.names), attrs)

    def _class_name(self, c: int, own: Mapping[int, str] | None = None) -> str:
        return class_name(self.names if c in self.names else (own or {}), c)

    def _release(self, track_ids: list[int], frame: int, ts: float) -> list[TrackEvent]:
        """Tracks that are gone: finish crossings they made just before vanishing, leave their zones
        (dwell up to their last sighting), free their rows."""
        known = [t for t in track_ids if t in self._slots.row_of]
        if not known:
            return []
        rows = np.array([self._slots.row_of[t] for t in known], np.intp)
        s = self._slots
        out = []
        last = s.last[rows]
        out += self._held_crossings(rows, frame, ts, *self._lines.release(rows, self._at_edge(last[:, :4])))
        k, zone, dwell, zcls = self._zones.release(rows, s.last[rows, 6])
        speeds = self._speed.visit_speed(rows[k], zone) if self._speed else None
        for n, (kk, j, dw, c) in enumerate(zip(k.tolist(), zone.tolist(), dwell.tolist(), zcls.tolist(),
                                               strict=True)):
            attrs: dict[str, Any] = {"zone": self._zones.zones[j].name, "dwell_s": dw}
            if speeds is not None:
                _speed_attrs(attrs, self._zones.zones[j], float(speeds[n]))
            out.append(self._held_event(EventKind.ZONE_EXIT, int(rows[kk]), frame, ts, c, attrs))
        if self._speed:
            self._speed.reset(rows)
        self._slots.release(known)
        return out

    def _held_crossings(self, rows: np.ndarray, frame: int, ts: float, k: np.ndarray, line: np.ndarray,
                        direction: np.ndarray) -> list[TrackEvent]:
        """`line_cross` events from what was last seen of each track, from the (index into `rows`, line, +1 in /
        -1 out) arrays that `LineCounter.update`, `settle` and `release` return."""
        return [self._held_event(EventKind.LINE_CROSS, int(rows[kk]), frame, ts, None,
                                 {"line": self._lines.lines[j].name, "direction": "in" if dr > 0 else "out"})
                for kk, j, dr in zip(k.tolist(), line.tolist(), direction.tolist(), strict=True)]

    def _held_event(self, kind: EventKind, row: int, frame: int, ts: float, cls: int | None,
                    attrs: dict[str, Any]) -> TrackEvent:
        """An event of a track from what was last seen of it (row `row`); `cls` overrides its class."""
        s = self._slots
        box, c, score, _ = s.last_seen(row)
        c = c if cls is None else int(cls)
        return TrackEvent(kind, int(s.track_id[row]), frame, c, box, score, self.source_id, ts,
                          self._class_name(c), attrs)

    def _at_edge(self, xyxy: np.ndarray) -> np.ndarray:
        """(N,) bool: boxes touching the border of the frame (within 1 % of its larger side, at least 2 px)."""
        if self.size is None:
            return np.zeros(len(xyxy), bool)
        w, h = self.size
        m = max(2.0, 0.01 * max(w, h))
        return (xyxy[:, 0] <= m) | (xyxy[:, 1] <= m) | (xyxy[:, 2] >= w - m) | (xyxy[:, 3] >= h - m)

    # ------------------------------------------------------------ readers (any thread)

    def overlay(self) -> Overlay:
        """Lines and zones with their counters as of the last frame (cached until the next one)."""
        with self._lock:
            ov = self._overlay
            if ov is None:
                line_totals, zone_totals = self._tally.totals()
                lines = tuple(LineView(v.name, v.p1, v.p2, a, b)
                              for v, (a, b) in zip(self._lines.lines, line_totals, strict=True))
                zones = tuple(ZoneView(z.name, z.polygon, occ, entries)
                              for z, (occ, entries) in zip(self._zones.zones, zone_totals, strict=True))
                ov = self._overlay = Overlay(self.source_id, self.frame, lines, zones, self._speeds)
            return ov

    def counts(self, camera: str | None = None) -> CountSnapshot:
        """The counts now: per line in/out (by class), per zone occupancy, entries, exits, max occupancy
        and mean dwell of finished visits (by class); `camera` names the source's camera, when it has one."""
        with self._lock:
            return self._tally.snapshot(camera)

    @property
    def tracks(self) -> int:
        """Tracks with state held (bounded: removed tracks are released)."""
        return len(self._slots)


def _speed_attrs(attrs: dict[str, Any], zone: Zone, speed: float) -> None:
    """`speed` and `speed_unit` of a speed zone's event, when the speed is known."""
    if zone.distances is not None and np.isfinite(speed):
        attrs["speed"] = round(speed, 2)
        attrs["speed_unit"] = zone.speed_unit
