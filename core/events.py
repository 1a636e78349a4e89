"""Track lifecycle events: produced by the tracker, consumed by sinks and the UI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

EventKind = Literal["new", "lost", "refound", "removed"]


@dataclass(frozen=True, slots=True)
class TrackEvent:
    kind: EventKind
    track_id: int
    frame_index: int
    class_id: int
    box: tuple[float, float, float, float]  # last known xyxy in frame pixels
    score: float = 0.0
    source_id: str = "0"

    def to_record(self) -> dict:
        return {"event": self.kind, "id": self.track_id, "frame": self.frame_index,
                "class_id": self.class_id, "score": round(self.score, 4),
                "box": [round(v, 2) for v in self.box], "source": self.source_id}
