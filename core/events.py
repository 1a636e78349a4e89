"""Events: what happened to a tracked object, from the tracker or from analytics, in one shape.

The tracker raises lifecycle events (`new`, `lost`, `refound`, `removed`); analytics raises
`line_cross`, `zone_enter`, `zone_exit`, `loitering` (a visit that lasted a zone's `loitering_s`) and
`speeding` (a speed zone's estimate over its `speed_limit`; a speed zone's exits carry `speed` too).
Both are `TrackEvent`s, so every sink (JSON Lines, MQTT, webhooks, snapshots, the GUI) handles both
without special cases. What only one kind has (`line` and `direction` of a crossing, `zone` and
`dwell_s` of an exit or of loitering) goes in `attrs`, which `to_record` merges into the flat JSON
object.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class EventKind(enum.StrEnum):
    """What happened; a `StrEnum`, so records and payloads carry the plain word (`"new"`)."""

    NEW = "new"
    LOST = "lost"
    REFOUND = "refound"
    REMOVED = "removed"
    LINE_CROSS = "line_cross"
    ZONE_ENTER = "zone_enter"
    ZONE_EXIT = "zone_exit"
    LOITERING = "loitering"
    SPEEDING = "speeding"


TRACK_EVENTS = (EventKind.NEW, EventKind.LOST, EventKind.REFOUND, EventKind.REMOVED)
ANALYTICS_EVENTS = (EventKind.LINE_CROSS, EventKind.ZONE_ENTER, EventKind.ZONE_EXIT, EventKind.LOITERING,
                    EventKind.SPEEDING)


@dataclass(frozen=True, slots=True)
class TrackEvent:
    kind: EventKind
    track_id: int
    frame_index: int
    class_id: int
    box: tuple[float, float, float, float]  # last known xyxy in frame pixels
    score: float = 0.0
    source_id: str = "0"
    timestamp: float | None = None  # the frame's timestamp in seconds, when the stage that raised it knew it
    class_name: str | None = None
    attrs: Mapping[str, Any] = field(default_factory=dict[str, Any])
    global_id: int | None = None  # the object's identity across cameras (`tracker.global_ids`), when known

    def to_record(self) -> dict[str, Any]:
        """The flat JSON object of the event: the same in JSON Lines, MQTT payloads and webhooks."""
        rec: dict[str, Any] = {"event": str(self.kind), "id": self.track_id}
        if self.global_id is not None:
            rec["global_id"] = self.global_id
        rec["frame"] = self.frame_index
        if self.timestamp is not None:
            rec["ts"] = round(self.timestamp, 3)
        rec["class_id"] = self.class_id
        if self.class_name is not None:
            rec["class"] = self.class_name
        rec["score"] = round(self.score, 4)
        rec["box"] = [round(v, 2) for v in self.box]
        rec["source"] = self.source_id
        rec.update(self.attrs)
        return rec


Event = TrackEvent  # the neutral name, for code that handles analytics events too
