"""What the overlay draws of analytics: each line and zone with its live numbers, frozen per frame.

An `Overlay` is a small immutable value (names, geometry in frame pixels, counters), so the sink
thread can hand it to the GUI thread with a `Result` and the video sink can draw the counters
exactly as they stood at that frame. `scaled` maps it to a view's size.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LineView:
    name: str
    p1: tuple[float, float]
    p2: tuple[float, float]
    in_count: int
    out_count: int


@dataclass(frozen=True, slots=True)
class ZoneView:
    name: str
    polygon: tuple[tuple[float, float], ...]
    occupancy: int
    entries: int


@dataclass(frozen=True, slots=True)
class TrackSpeed:
    """A track's speed in a speed zone at this frame, in the zone's unit."""

    track_id: int
    speed: float
    unit: str

    @property
    def text(self) -> str:
        return f"{self.speed:.0f} {self.unit}" if self.speed >= 10 else f"{self.speed:.1f} {self.unit}"


@dataclass(frozen=True, slots=True)
class Overlay:
    source_id: str
    frame: int
    lines: tuple[LineView, ...] = ()
    zones: tuple[ZoneView, ...] = ()
    speeds: tuple[TrackSpeed, ...] = ()  # tracks in speed zones (labels and JSONL tracks carry them)

    def __bool__(self) -> bool:
        return bool(self.lines or self.zones)

    def scaled(self, sx: float, sy: float) -> Overlay:
        """The same overlay in a frame resized by (sx, sy) (the GUI draws at view resolution)."""
        if sx == 1.0 and sy == 1.0:
            return self
        lines = tuple(LineView(v.name, (v.p1[0] * sx, v.p1[1] * sy), (v.p2[0] * sx, v.p2[1] * sy),
                               v.in_count, v.out_count) for v in self.lines)
        zones = tuple(ZoneView(z.name, tuple((x * sx, y * sy) for x, y in z.polygon), z.occupancy, z.entries)
                      for z in self.zones)
        return Overlay(self.source_id, self.frame, lines, zones, self.speeds)
