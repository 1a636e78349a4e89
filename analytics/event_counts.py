"""Line and zone counts rebuilt from the analytics events alone: the `lines`/`zones` keys of the counts
message that MQTT publishes as `<prefix>/<camera>/counts` (a `sinks.counts` provider).

Every change of a count raises exactly one event (`line_cross`, `zone_enter`, `zone_exit`, also
those raised when the tracker removes a track), so tallying the events a camera's sinks receive
gives the same numbers as its `SourceAnalytics.counts()`, also where only the events travel: the
sinks of a cameras-file run on a Ray cluster live on the driver, the counters in the camera
groups' actors. The lines and zones of the config that apply to the camera are listed from its
first frame on, at zero, so a dashboard sensor exists before the first crossing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from yolotrack.analytics.shapes import applies_to
from yolotrack.core.config import AnalyticsConfig
from yolotrack.core.detections import Detections, class_name
from yolotrack.core.events import TrackEvent
from yolotrack.core.frame import Frame


class LineZoneCounts:
    """A counts provider: `update` per frame of one camera, `counts()` the `lines` and `zones` keys."""

    def __init__(self, cfg: AnalyticsConfig, names: Mapping[int, str] | None = None) -> None:
        self.cfg = cfg
        self.names = dict(names or {})
        self._lines: dict[str, dict[str, Any]] = {}
        self._zones: dict[str, dict[str, Any]] = {}
        self._started = False

    def update(self, frame: Frame, dets: Detections, events: list[TrackEvent]) -> None:
        if not self._started:
            self._started = True
            for ln in self.cfg.lines:
                if applies_to(ln.source, frame.source_id, None):
                    self._line(ln.name)
            for z in self.cfg.zones:
                if applies_to(z.source, frame.source_id, None):
                    self._zone(z.name)
        for ev in events:
            if ev.kind == "line_cross":
                d = ev.attrs["direction"]
                rec = self._line(ev.attrs["line"])
                rec[d] += 1
                rec["by_class"].setdefault(self._cls(ev), {"in": 0, "out": 0})[d] += 1
            elif ev.kind in ("zone_enter", "zone_exit"):
                rec = self._zone(ev.attrs["zone"])
                by = rec["by_class"].setdefault(self._cls(ev), {"occupancy": 0, "entries": 0, "exits": 0,
                                                                "dwell": 0.0})
                if ev.kind == "zone_enter":
                    rec["occupancy"] += 1
                    rec["entries"] += 1
                    rec["max_occupancy"] = max(rec["max_occupancy"], rec["occupancy"])
                    by["occupancy"] += 1
                    by["entries"] += 1
                else:
                    rec["occupancy"] -= 1
                    rec["exits"] += 1
                    rec["dwell"] += ev.attrs["dwell_s"]
                    by["occupancy"] -= 1
                    by["exits"] += 1
                    by["dwell"] += ev.attrs["dwell_s"]

    def _cls(self, ev: TrackEvent) -> str:
        return ev.class_name if ev.class_name is not None else class_name(self.names, ev.class_id)

    def _line(self, name: str) -> dict[str, Any]:
        return self._lines.setdefault(name, {"in": 0, "out": 0, "by_class": {}})

    def _zone(self, name: str) -> dict[str, Any]:
        return self._zones.setdefault(name, {"occupancy": 0, "entries": 0, "exits": 0, "max_occupancy": 0,
                                             "dwell": 0.0, "by_class": {}})

    def counts(self) -> dict[str, Any]:
        """`lines` and `zones` as `SourceAnalytics.counts()` has them; nothing when no line or zone is set."""
        if not (self.cfg.lines or self.cfg.zones or self._lines or self._zones):
            return {}
        lines = {n: {"in": r["in"], "out": r["out"], "by_class": {c: dict(v) for c, v in r["by_class"].items()}}
                 for n, r in self._lines.items()}
        zones = {}
        for n, r in self._zones.items():
            by = {c: {"occupancy": v["occupancy"], "entries": v["entries"], "exits": v["exits"],
                      "mean_dwell_s": _mean(v["dwell"], v["exits"])} for c, v in r["by_class"].items()}
            zones[n] = {"occupancy": r["occupancy"], "entries": r["entries"], "exits": r["exits"],
                        "max_occupancy": r["max_occupancy"], "mean_dwell_s": _mean(r["dwell"], r["exits"]),
                        "by_class": by}
        return {"lines": lines, "zones": zones}


def _mean(total: float, n: int) -> float | None:
    return round(total / n, 3) if n else None
