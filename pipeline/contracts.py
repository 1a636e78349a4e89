"""What travels between the stages, and what the pipeline needs from a detector and a tracker.

The pipeline is built from a config, but tests, benchmarks and the GUI hand it their own
detector (a wrapper that counts or slows down frames) or tracker factory (one that can be
switched off live). These protocols say what such a stand-in must offer; nothing checks them
at run time, they are for the reader and the type checker.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from yolotrack.analytics.overlay import Overlay
from yolotrack.core.detections import Detections
from yolotrack.core.events import TrackEvent
from yolotrack.core.frame import Frame


@dataclass(slots=True)
class Result:
    """One frame on its way through the stages; what `on_result` gets and `latest()` returns.

    One envelope from capture to the sinks, so no stage copies a frame into a new wrapper.
    `detections` is None only in flight (before the detector, or on a frame the detector skips
    until the tracker fills it in); a `Result` handed to sinks or `on_result` always has it.
    """

    frame: Frame
    detections: Detections | None = None  # with track_ids unless tracking is disabled
    events: list[TrackEvent] = field(default_factory=list[TrackEvent])
    trails: dict[int, np.ndarray] | None = None  # track id -> (K, 2) float32 centres, oldest first
    latency: float = 0.0  # seconds from capture to the sinks
    t_capture: float = 0.0  # time.monotonic() when the frame left its source
    analytics: Overlay | None = None  # lines and zones with their counters at this frame, when any
    final: bool = False  # the last frame of a file that ended by itself: analytics settle what is pending


class DetectorLike(Protocol):
    """What the pipeline calls on a detector (`detector.Detector` is the real one)."""

    names: dict[int, str]
    task: str  # detect, segment or pose
    kpt_shape: tuple[int, int] | None

    def __call__(self, frames: Sequence[np.ndarray]) -> list[Detections]:
        """One `Detections` per BGR frame, in order (a batch across sources)."""
        ...

    def set_thresholds(self, conf: float | None = None, iou: float | None = None,
                       classes: Sequence[int | str] | None | str = "unchanged") -> None:
        """Live threshold changes from the GUI; they apply from the next batch on."""
        ...


class TrackerLike(Protocol):
    """What the pipeline calls on a tracker, one per source (`tracker.build_tracker` makes the real ones).

    `image` is the frame the detections came from (BGR); trackers with camera-motion compensation
    use it, the others ignore it.
    """

    def update_detections(self, dets: Detections, frame_index: int, image: np.ndarray | None = None) -> Detections:
        """The tracked detections of one frame, with `track_ids`."""
        ...

    def coast(self, frame_index: int, names: dict[int, str], image: np.ndarray | None = None) -> Detections:
        """A frame the detector skipped (`pipeline.detect_every`): the tracks at their prediction."""
        ...

    def pop_events(self) -> list[TrackEvent]:
        """Lifecycle events since the last call."""
        ...


class ResumableTracker(TrackerLike, Protocol):
    """A tracker that can go on in another process (a restarted cluster actor), exactly as it was.

    `state()` returns plain values and numpy arrays (picklable) and includes `next_id`, the id
    the next confirmed track gets. `restore(state)` on a tracker built with the same settings
    continues from it: the same updates give the same output. The cluster raises `next_id` in a
    state before restoring it, so ids already written are never given to a new track. A tracker
    without these methods still resumes, but from scratch, its ids shifted past those written.
    """

    def state(self) -> dict[str, Any]:
        ...

    def restore(self, state: dict[str, Any]) -> None:
        ...
