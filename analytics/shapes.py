"""Resolved lines and zones: a config item with its class names turned into ids, ready for numpy.

`resolve_shapes` is where an `analytics` section meets a model: class names become ids (an unknown
name is a `ConfigError`, as for `model.classes`) and each shape is kept only for the sources it
names. The counters take `Line`/`Zone` objects and never look at the config again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from yolotrack.core.classes import resolve_classes
from yolotrack.core.config import AnalyticsConfig, LineConfig, ZoneConfig
from yolotrack.core.errors import ConfigError


@dataclass(frozen=True)
class Line:
    name: str
    p1: tuple[float, float]
    p2: tuple[float, float]
    classes: frozenset[int] | None  # None: every class
    anchor: str
    source: str | None


@dataclass(frozen=True)
class Zone:
    name: str
    polygon: tuple[tuple[float, float], ...]
    classes: frozenset[int] | None
    anchor: str
    source: str | None
    inertia: int = 1  # frames on the new side before an enter or exit counts
    loitering_s: float | None = None  # a `loitering` event once a visit lasts this long
    min_area: float | None = None  # box area range (frame pixels) of the tracks the zone follows
    max_area: float | None = None
    distances: tuple[float, float, float, float] | None = None  # a speed zone: its edges' lengths in metres
    speed_unit: str = "km/h"
    speed_limit: float | None = None


def class_ids(classes: Sequence[int | str] | None, names: Mapping[int, str], where: str) -> frozenset[int] | None:
    """Ids for a `classes` filter (ids or names, case-insensitive, as `model.classes`); an unknown entry is a
    `ConfigError` that names the line or zone."""
    try:
        ids = resolve_classes(classes, dict(names))
    except ConfigError as e:
        raise ConfigError(f"{where}: {e}") from None
    return None if ids is None else frozenset(ids)


def resolve_line(item: LineConfig, names: Mapping[int, str], where: str) -> Line:
    (x1, y1), (x2, y2) = item.points
    return Line(item.name, (float(x1), float(y1)), (float(x2), float(y2)),
                class_ids(item.classes, names, f"{where} ({item.name})"), item.anchor, item.source)


def resolve_zone(item: ZoneConfig, names: Mapping[int, str], where: str) -> Zone:
    poly = tuple((float(x), float(y)) for x, y in item.polygon)
    return Zone(item.name, poly, class_ids(item.classes, names, f"{where} ({item.name})"), item.anchor, item.source,
                item.inertia, item.loitering_s, item.min_area, item.max_area,
                None if item.distances is None else tuple(float(d) for d in item.distances),  # type: ignore[arg-type]
                item.speed_unit, item.speed_limit)


def resolve_shapes(cfg: AnalyticsConfig, names: Mapping[int, str]) -> tuple[list[Line], list[Zone]]:
    """Every line and zone of `cfg` with class names resolved; raises `ConfigError` for an unknown class."""
    lines = [resolve_line(item, names, f"analytics.lines[{i}]") for i, item in enumerate(cfg.lines)]
    zones = [resolve_zone(item, names, f"analytics.zones[{i}]") for i, item in enumerate(cfg.zones)]
    return lines, zones


def applies_to(source: str | None, source_id: str, camera: str | None) -> bool:
    """A shape without `source` applies to every source; else to the source with that id or camera name."""
    return source is None or source == source_id or (camera is not None and source == camera)


class ClassTable:
    """`allowed[class_id, shape]` as one table lookup per frame (a class id the table does not know
    is allowed only by shapes without a filter)."""

    def __init__(self, filters: Sequence[frozenset[int] | None]) -> None:
        top = max((max(f) for f in filters if f), default=-1)
        self.size = top + 1
        table = np.ones((self.size + 1, len(filters)), bool)
        for j, f in enumerate(filters):
            if f is not None:
                table[:, j] = False
                table[sorted(f), j] = True
        self.table = table
        self.any_filter = any(f is not None for f in filters)

    def allowed(self, class_ids: np.ndarray) -> np.ndarray | None:
        """(N, S) bool, or None when no shape filters (everything allowed)."""
        if not self.any_filter:
            return None
        idx = np.where((class_ids >= 0) & (class_ids < self.size), class_ids, self.size)
        return self.table[idx]
