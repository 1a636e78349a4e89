"""Where tracks spent time: seconds of presence accumulated on a coarse grid over the frame.

Each frame adds, at every track's anchor, the time that frame stands for (the gap to the next
frame, from timestamps), so the map is in seconds whatever the frame rate or dropped frames. The
grid is a few pixels per cell: one `np.add.at` per frame on a small array, and the smoothing
and colouring happen once, when the picture is made (`render.heatmap`).
"""

from __future__ import annotations

import numpy as np

from yolotrack.analytics.anchors import anchor_points


class HeatmapAccumulator:
    def __init__(self, width: int, height: int, cell: int = 4, anchor: str = "bottom_center") -> None:
        self.width, self.height, self.cell, self.anchor = int(width), int(height), max(1, int(cell)), anchor
        self.grid = np.zeros((-(-self.height // self.cell), -(-self.width // self.cell)), np.float64)
        self.frames = 0
        self._last_ts: float | None = None
        self._fps: float | None = None
        self._pending: np.ndarray | None = None  # the previous frame's cells, waiting for its duration

    def add(self, xyxy: np.ndarray, ts: float, fps: float | None = None) -> None:
        """One frame's boxes at time `ts` (seconds). A frame's weight is known at the next frame."""
        pts = anchor_points(xyxy, self.anchor) if len(xyxy) else np.zeros((0, 2), np.float32)
        if self._pending is not None and self._last_ts is not None:
            dt = ts - self._last_ts
            self._flush(dt if 0 < dt < 5.0 else 1.0 / (fps or 30.0))
        gx = np.clip((pts[:, 0] // self.cell).astype(np.intp), 0, self.grid.shape[1] - 1)
        gy = np.clip((pts[:, 1] // self.cell).astype(np.intp), 0, self.grid.shape[0] - 1)
        self._pending = gy * self.grid.shape[1] + gx
        self._last_ts = ts
        self._fps = fps
        self.frames += 1

    def _flush(self, dt: float) -> None:
        if self._pending is not None and len(self._pending):
            np.add.at(self.grid.reshape(-1), self._pending, dt)
        self._pending = None

    def seconds(self) -> np.ndarray:
        """The grid in seconds of presence per cell (the last frame counted at the nominal rate)."""
        if self._pending is not None:
            self._flush(1.0 / (self._fps or 30.0))
        return self.grid
