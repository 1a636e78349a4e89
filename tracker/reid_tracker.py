"""`ReidTracker`: a camera's tracker whose tracked boxes get ReID embeddings (`tracker.reid_model`).

The cross-camera gallery (`tracker.global_ids`) reads `Detections.embeddings` of the tracked
results. With a ReID network those are replaced, after tracking, by the network's embeddings of
the tracked boxes (the tracker itself still matched on whatever it had, e.g. the detector's pooled
features for `botsort.appearance`). A forward per box and frame is more than the gallery needs:
a track's first box is always embedded (the gallery decides a new track's global id on it), then
every `every` frames (tracks born together take turns); rows not embedded this frame are zero,
which the gallery skips (it keeps the track's smoothed feature). Coasted frames
(`pipeline.detect_every`) are not embedded: their boxes are predictions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from yolotrack.core.detections import Detections
from yolotrack.core.events import TrackEvent
from yolotrack.tracker.reid_model import ReidModel

DEFAULT_EVERY = 10  # frames between two embeddings of one track (its first frame always)


class ReidTracker:
    """Wraps any `TrackerLike`; everything but `update_detections` and `coast` is the inner tracker's.
    `active`: asked each frame whether embeddings are wanted now (the GUI grid: only while it shows
    two cameras or more); None = always."""

    def __init__(self, inner: Any, model: ReidModel, every: int = DEFAULT_EVERY,
                 active: Callable[[], bool] | None = None) -> None:
        self.inner = inner
        self.model = model
        self.every = max(1, int(every))
        self.active = active
        self._last: dict[int, int] = {}  # track id -> frame index of its last embedding

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def update_detections(self, dets: Detections, frame_index: int, image: np.ndarray | None = None) -> Detections:
        out = self.inner.update_detections(dets, frame_index, image=image)
        if self.active is not None and not self.active():
            self._last.clear()  # when embeddings are wanted again, every track starts afresh
            return out
        return self.embed(out, frame_index, image)

    def coast(self, frame_index: int, names: dict[int, str], image: np.ndarray | None = None) -> Detections:
        out = self.inner.coast(frame_index, names, image=image)
        if out.track_ids is not None:
            out.embeddings = np.zeros((len(out), self.model.dim), np.float32)
        return out

    def pop_events(self) -> list[TrackEvent]:
        return self.inner.pop_events()

    def embed(self, out: Detections, frame_index: int, image: np.ndarray | None) -> Detections:
        """`out` with `embeddings` (N, D): the network's for due tracks, zero rows for the rest."""
        tids = out.track_ids
        if tids is None:
            return out
        emb = np.zeros((len(out), self.model.dim), np.float32)
        if image is not None and len(out):
            last = self._last
            due = np.fromiter((t >= 0 and frame_index - last.get(t, -self.every) >= self.every for t in tids.tolist()),
                              bool, len(tids))
            if due.any():
                emb[due] = self.model.embed(image, out.xyxy[due])
                for t in tids[due].tolist():
                    # a new track's next turn comes after every - (id % every) frames: tracks born
                    # together (a stream's first frame) then take turns instead of all at once
                    last[t] = frame_index if t in last else frame_index - t % self.every
            if len(last) > 4 * max(64, len(tids)):  # forget tracks that ended long ago
                keep = set(tids.tolist())
                self._last = {t: f for t, f in last.items() if t in keep or frame_index - f < 10 * self.every}
        out.embeddings = emb
        return out
