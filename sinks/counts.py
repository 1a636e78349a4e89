"""What `<prefix>/<camera>/counts` says: a dict assembled from counts providers, one set per camera.

A provider sees every frame of its camera (the tracked detections and the events of that frame)
and contributes a few keys to the counts message. `ActiveTracks` gives the tracked objects in view
per class. `LineZoneCounts` gives the line and zone counts (`lines`, `zones`): a `CountTally` of the
camera's analytics events, the one count model (analytics/tally.py), which works wherever the
events are, also on the Ray driver. Every output that publishes counts (MQTT today) carries the
keys of every provider in `PROVIDERS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import numpy as np

from yolotrack.analytics.shapes import applies_to
from yolotrack.analytics.tally import CountTally
from yolotrack.core.config import AnalyticsConfig, Config
from yolotrack.core.detections import Detections, class_name
from yolotrack.core.events import TrackEvent
from yolotrack.core.frame import Frame


class CountsProvider(Protocol):
    """Keeps running counts for one camera; `counts()` returns its keys of the counts message."""

    def update(self, frame: Frame, dets: Detections, events: list[TrackEvent]) -> None: ...

    def counts(self) -> dict[str, Any]: ...


class ActiveTracks:
    """`active`: tracks in the latest frame per class name, 0 for classes seen before (so a
    dashboard sensor falls back to 0 instead of going stale), and `total`."""

    def __init__(self, names: Mapping[int, str] | None = None) -> None:
        self.names = dict(names or {})
        self._active: dict[str, int] = {}

    def update(self, frame: Frame, dets: Detections, events: list[TrackEvent]) -> None:
        ids = dets.class_ids if dets.track_ids is None else dets.class_ids[np.asarray(dets.track_ids) >= 0]
        now = dict.fromkeys(self._active, 0)
        for c, n in zip(*np.unique(np.asarray(ids, np.int64), return_counts=True), strict=True):
            name = class_name(self.names or dets.names, int(c))
            now[name] = int(n)
        self._active = now

    def counts(self) -> dict[str, Any]:
        return {"active": dict(sorted(self._active.items())), "total": sum(self._active.values())}


class LineZoneCounts:
    """`lines`, `zones`: the analytics counts of one camera, tallied from its events. The lines and zones
    of the config that apply to the camera are listed from its first frame on, at zero."""

    def __init__(self, cfg: AnalyticsConfig, names: Mapping[int, str] | None = None) -> None:
        self.cfg = cfg
        self.names = dict(names or {})
        self._tally: CountTally | None = None

    def update(self, frame: Frame, dets: Detections, events: list[TrackEvent]) -> None:
        if self._tally is None:
            sid = frame.source_id
            self._tally = CountTally(sid, [ln.name for ln in self.cfg.lines if applies_to(ln.source, sid, None)],
                                     [z.name for z in self.cfg.zones if applies_to(z.source, sid, None)], self.names)
        self._tally.add(frame.index, frame.timestamp, events)

    def counts(self) -> dict[str, Any]:
        """Nothing when the config has no line or zone and none was counted."""
        if self._tally is None or self._tally.empty:
            return {"lines": {}, "zones": {}} if self.cfg.lines or self.cfg.zones else {}
        rec = self._tally.snapshot().to_record()
        return {"lines": rec["lines"], "zones": rec["zones"]}


# Each entry builds one camera's provider from the config and the model's class names.
# Each provider adds its keys; analytics' `lines` and `zones` are tallied from its events.
PROVIDERS: list[Callable[[Config, Mapping[int, str]], CountsProvider]] = [
    lambda cfg, names: ActiveTracks(names),
    lambda cfg, names: LineZoneCounts(cfg.analytics, names),  # `lines`, `zones`: analytics counts, from its events
]


class Counts:
    """All providers of one camera, merged into the counts message."""

    def __init__(self, cfg: Config, names: Mapping[int, str], source_id: str) -> None:
        self.source_id = source_id
        self.providers = [make(cfg, names) for make in PROVIDERS]
        self.frame: int | None = None
        self.ts: float | None = None

    def update(self, frame: Frame, dets: Detections, events: list[TrackEvent]) -> None:
        self.frame, self.ts = frame.index, frame.timestamp
        for p in self.providers:
            p.update(frame, dets, events)

    def record(self) -> dict[str, Any]:
        rec: dict[str, Any] = {"type": "counts", "source": self.source_id, "frame": self.frame,
                               "ts": None if self.ts is None else round(self.ts, 3)}
        for p in self.providers:
            rec.update(p.counts())
        return rec
