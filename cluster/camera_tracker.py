"""`CameraTracker`: what the pipeline's tracking stage runs for one camera of a group.

The group's detector is shared, so what is per camera happens here, in the tracking thread,
right after the detector: the camera's own `model.conf` and `model.classes` (the detector ran
at the group's lowest threshold), then the camera's own tracker (or none, `tracker.enabled:
false`). It is also where a camera survives a restart: every `checkpoint_every` frames it hands
the tracker's `state()` to `on_checkpoint`, and a camera resumed on another process starts from
such a state and never gives an id below the one the driver already wrote.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from yolotrack.core.config import Config
from yolotrack.core.detections import Detections
from yolotrack.core.events import TrackEvent
from yolotrack.pipeline.contracts import TrackerLike

log = logging.getLogger(__name__)

CheckpointFn = Callable[[str, int, dict[str, Any]], None]  # (camera, frame index, tracker state)


def make_tracker(cfg: Config, fps: float) -> TrackerLike:
    """The camera's tracker, as the single-camera pipeline builds it."""
    from yolotrack.tracker import build_tracker

    return build_tracker(cfg.tracker, fps)


def checkpoint_period(checkpoint_every: int, detect_every: int) -> int:
    """Frames between checkpoints: a multiple of `detect_every`, so a file resumed after a
    checkpoint meets the detector on the same frames as the original run."""
    k = max(1, detect_every)
    return max(k, -(-checkpoint_every // k) * k)


class CameraTracker:
    """One camera's filter + tracker + checkpoints; the pipeline calls it like a tracker.

    Args:
        camera: the camera's name (its source id).
        cfg: the camera's full config (its conf, classes and tracker section are used).
        class_ids: `cfg.model.classes` resolved against the detector's names (None: every class).
        fps: the camera's frame rate (scales the tracker's lost buffer).
        state: a tracker state to go on from (a resumed camera), or None.
        next_id: resumed cameras: ids already written by the driver end below this; from frame
            `id_floor_from` on no track gets a smaller new id.
        checkpoint_every: 0 for no checkpoints, else the period in frames (`checkpoint_period`).
        on_checkpoint: receives (camera, frame index, state) after that frame was tracked.
    """

    def __init__(self, camera: str, cfg: Config, class_ids: Sequence[int] | None, fps: float, *,
                 state: dict[str, Any] | None = None, next_id: int = 1, id_floor_from: int = 0,
                 checkpoint_every: int = 0, on_checkpoint: CheckpointFn | None = None) -> None:
        self.camera = camera
        self.conf = cfg.model.conf
        self.class_ids = None if class_ids is None else np.asarray(list(class_ids), np.int64)
        self.tracker: TrackerLike | None = make_tracker(cfg, fps) if cfg.tracker.enabled else None
        if self.tracker is not None:
            from yolotrack.tracker.reid_model import reid_for

            model = reid_for(cfg.global_ids, [cfg.model.weights])  # global ids on a ReID network: it embeds the boxes
            if model is not None:
                from yolotrack.tracker.reid_tracker import ReidTracker

                self.tracker = ReidTracker(self.tracker, model, cfg.global_ids.reid_every)
        self.resumable = all(hasattr(self.tracker, m) for m in ("state", "restore")) if self.tracker else False
        self._id_offset = 0  # trackers without state(): shift their ids past the ones already written
        if state is not None and self.resumable:
            self.tracker.restore(state)  # type: ignore[union-attr]
        elif next_id > 1 and self.tracker is not None and not self.resumable:
            self._id_offset = next_id - 1
        self._floor = next_id if self.resumable and next_id > 1 else 0
        self._floor_from = id_floor_from
        self._every = checkpoint_every if self.resumable else 0
        self._on_checkpoint = on_checkpoint

    def update_detections(self, dets: Detections, frame_index: int, image: np.ndarray | None = None) -> Detections:
        dets = self._filter(dets)
        if self.tracker is None:
            return dets
        self._raise_ids(frame_index)
        out = self.tracker.update_detections(dets, frame_index, image=image)
        self._checkpoint(frame_index)
        return self._shift(out)

    def coast(self, frame_index: int, names: dict[int, str], image: np.ndarray | None = None) -> Detections:
        if self.tracker is None:
            return Detections.empty(names)
        self._raise_ids(frame_index)
        out = self.tracker.coast(frame_index, names, image=image)
        self._checkpoint(frame_index)
        return self._shift(out)

    def pop_events(self) -> list[TrackEvent]:
        if self.tracker is None:
            return []
        events = self.tracker.pop_events()
        if self._id_offset:
            events = [dataclasses.replace(e, track_id=e.track_id + self._id_offset) for e in events]
        return events

    # ------------------------------------------------------------------ internals

    def _filter(self, dets: Detections) -> Detections:
        keep = dets.scores >= self.conf
        if self.class_ids is not None:
            keep &= np.isin(dets.class_ids, self.class_ids)
        return dets if keep.all() else dets[keep]

    def _raise_ids(self, frame_index: int) -> None:
        """From the first frame the driver has not written on, no id below the floor: a replay
        that diverged from the original run (another batch, other float rounding) must not give
        a written id to a new track."""
        if self._floor and frame_index >= self._floor_from:
            state = self.tracker.state()  # type: ignore[union-attr]
            if state["next_id"] < self._floor:
                log.info("camera %s: track ids go on from %d", self.camera, self._floor)
                state["next_id"] = self._floor
                self.tracker.restore(state)  # type: ignore[union-attr]
            self._floor = 0

    def _checkpoint(self, frame_index: int) -> None:
        if self._every and self._on_checkpoint is not None and (frame_index + 1) % self._every == 0:
            self._on_checkpoint(self.camera, frame_index, self.tracker.state())  # type: ignore[union-attr]

    def _shift(self, dets: Detections) -> Detections:
        if self._id_offset and dets.track_ids is not None:
            return dets.with_tracks(dets.track_ids + self._id_offset)
        return dets
