"""What travels between a camera-group actor and the driver: compact results, commit points, resume points.

A frame's result crosses the network without its image (the driver's sinks write boxes, ids and
events) unless one of that camera's sinks declares `needs_images`; class names travel once per
camera in its `StreamInfo`, not with every frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from yolotrack.core.detections import Detections
from yolotrack.core.events import TrackEvent
from yolotrack.core.frame import Frame
from yolotrack.pipeline.stats import PipelineStats
from yolotrack.sinks.base import StreamInfo

_BLACK = np.zeros((1, 1, 3), np.uint8)


@dataclass(slots=True)
class FrameRecord:
    """One processed frame of one camera, as the driver's sinks need it."""

    camera: str
    index: int
    timestamp: float
    fps: float | None
    height: int
    width: int
    detections: Detections  # names stripped (they are in `StreamInfo`); masks only with `image`; embeddings
    # when pooled (global ids: the driver's gallery labels the records)
    events: list[TrackEvent]
    info: StreamInfo | None = None  # on the first frame a (re)started actor sends for the camera
    checkpoint: dict[str, Any] | None = None  # the camera's tracker state right after this frame
    image: np.ndarray | None = None  # only for cameras whose sinks need images

    @classmethod
    def of(cls, frame: Frame, dets: Detections, events: list[TrackEvent], with_image: bool) -> FrameRecord:
        compact = Detections(dets.xyxy, dets.scores, dets.class_ids, names={},
                             masks=dets.masks if with_image else None, keypoints=dets.keypoints,
                             track_ids=dets.track_ids, embeddings=dets.embeddings)
        return cls(frame.source_id, frame.index, frame.timestamp, frame.fps, frame.height, frame.width, compact,
                   list(events), image=frame.image if with_image else None)

    def frame(self) -> Frame:
        """The frame for the driver's sinks: the real image when it was sent, else a black one
        that takes no memory (a read-only broadcast view of one pixel)."""
        image = self.image if self.image is not None else np.broadcast_to(_BLACK, (self.height, self.width, 3))
        return Frame(image=image, index=self.index, timestamp=self.timestamp, source_id=self.camera, fps=self.fps)


@dataclass
class Reply:
    """What one `poll` of a group actor returns."""

    records: list[FrameRecord] = field(default_factory=list)
    stats: PipelineStats | None = None  # the group's newest periodic stats, if any since the last poll
    done: bool = False  # the group's pipeline has finished and every record was delivered
    error: str | None = None  # the group's pipeline failed: one line for the user
    exit_code: int = 1


@dataclass
class Resume:
    """Where a camera goes on after its group's actor was restarted (the driver's commit point)."""

    after: int = -1  # the last frame index the driver wrote (-1: none)
    timestamp: float = 0.0  # that frame's timestamp plus the time the camera was away (live sources)
    checkpoint_index: int = -1  # the frame the tracker state is from (-1: none; a file replays from 0)
    state: dict[str, Any] | None = None
    next_id: int = 1  # one above the largest track id the driver wrote

    def replay_from(self, tracked: bool) -> int:
        """The first frame a resumed file camera decodes again: after its tracker's checkpoint (from
        the start when there is none yet), so frames up to `after` rebuild the tracker unseen; or
        right after `after` when the camera has no tracker."""
        return self.checkpoint_index + 1 if tracked else self.after + 1


@dataclass
class Commit:
    """The driver's commit point for one camera: what it wrote last, and what a restart goes on from."""

    after: int = -1  # the last frame index written (-1: none)
    timestamp: float = 0.0  # that frame's timestamp
    written_at: float = 0.0  # time.monotonic() when it was written (the same clock in every process here)
    checkpoint_index: int = -1  # the newest tracker checkpoint at or before `after`
    state: dict[str, Any] | None = None
    max_id: int = 0  # the largest track id written

    @property
    def started(self) -> bool:
        return self.after >= 0 or self.state is not None

    def resume(self, live: bool, now: float) -> Resume:
        """A live camera's timestamps go on after the time it was away; a file's from its own frames."""
        away = now - self.written_at if live and self.written_at else 0.0
        return Resume(after=self.after, timestamp=self.timestamp + away, checkpoint_index=self.checkpoint_index,
                      state=self.state, next_id=self.max_id + 1)


@dataclass
class StartInfo:
    """What `start` tells the driver about the actor (for log lines and the tests)."""

    pid: int
    node: str
    restarts: int = 0
    already_running: bool = False
    error: str | None = None
    exit_code: int = 1
