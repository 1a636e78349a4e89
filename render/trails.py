"""Per-track centre history for drawing trails: the one place trails are kept.

The annotated video (`sinks.video`) and the GUI (through `Result.trails` from the pipeline) both
draw what this returns, so `render.trail_length` means the same everywhere and every frame a
track is output in adds a point, also frames the detector skipped (`pipeline.detect_every`).
Built from tracked detections, it works with any tracker, and needs none of its internals.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from yolotrack.core.detections import Detections


class TrailHistory:
    """Last `length` anchor points per track id; ids unseen for `length` frames are forgotten."""

    def __init__(self, length: int = 30) -> None:
        self.length = max(0, int(length))
        self._points: dict[int, deque[tuple[float, float]]] = {}
        self._last_seen: dict[int, int] = {}
        self._frame = 0

    def update(self, dets: Detections) -> dict[int, np.ndarray]:
        """Add this frame's points and return {track_id: (K, 2) float32 points, oldest first}."""
        self._frame += 1
        if self.length == 0 or dets.track_ids is None:
            return {}
        xyxy = dets.xyxy
        cx = (xyxy[:, 0] + xyxy[:, 2]) * 0.5
        cy = (xyxy[:, 1] + xyxy[:, 3]) * 0.5
        for tid, x, y in zip(dets.track_ids.tolist(), cx.tolist(), cy.tolist(), strict=True):
            pts = self._points.get(tid)
            if pts is None:
                pts = self._points[tid] = deque(maxlen=self.length)
            pts.append((x, y))
            self._last_seen[tid] = self._frame
        stale = [t for t, f in self._last_seen.items() if self._frame - f >= self.length]
        for t in stale:
            del self._points[t], self._last_seen[t]
        visible = set(dets.track_ids.tolist())
        return {t: np.asarray(p, np.float32) for t, p in self._points.items() if t in visible}

    def reset(self) -> None:
        self._points.clear()
        self._last_seen.clear()
        self._frame = 0
