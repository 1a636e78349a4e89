"""A tracker that can be switched off and on while the pipeline runs (the GUI's "Tracker" checkbox).

The pipeline keeps one tracker per source for its whole life, so turning tracking off cannot mean
building a new pipeline: `SwitchableTracker` stands in for the real one and consults a shared
`TrackerSwitch` on every frame. Off, detections pass through without ids and the real tracker is
dropped; on again, a fresh tracker starts, since ids and Kalman states from before the gap would
match boxes that have long moved.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from yolotrack.core.detections import Detections
from yolotrack.core.events import TrackEvent


class TrackerSwitch:
    """One flag shared by every `SwitchableTracker` of a pipeline; flipped from any thread."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled


class SwitchableTracker:
    """The pipeline's tracker interface (`update_detections`, `coast`, `pop_events`) behind a switch.

    Args:
        make: `make(fps) -> tracker`, called whenever tracking (re)starts.
        fps: the source's frame rate, passed on to `make`.
        switch: the shared on/off flag.
    """

    def __init__(self, make: Callable[[float], Any], fps: float, switch: TrackerSwitch) -> None:
        self._make = make
        self._fps = fps
        self._switch = switch
        self._tracker: Any = make(fps) if switch.enabled else None

    def _current(self) -> Any:
        """The live tracker, or None while switched off (dropping any old one)."""
        if not self._switch.enabled:
            self._tracker = None
        elif self._tracker is None:
            self._tracker = self._make(self._fps)
        return self._tracker

    def update_detections(self, dets: Detections, frame_index: int, image: np.ndarray | None = None) -> Detections:
        tracker = self._current()
        return dets if tracker is None else tracker.update_detections(dets, frame_index, image=image)

    def coast(self, frame_index: int, names: dict[int, str], image: np.ndarray | None = None) -> Detections:
        """A frame the detector skipped (`pipeline.detect_every`): predicted boxes, or none when off."""
        tracker = self._current()
        return Detections.empty(names) if tracker is None else tracker.coast(frame_index, names, image=image)

    def pop_events(self) -> list[TrackEvent]:
        return list(self._tracker.pop_events()) if self._tracker is not None else []
