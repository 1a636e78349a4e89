"""Anchor points: which point of a box stands for the object when it meets a line or a zone.

`center` suits a top-down view; `bottom_center` (the feet, the wheels on the road) suits a camera
looking at a floor from the side, where the box centre floats above the ground plane the lines
and zones are drawn on. Each anchor is a fixed fraction of the box's width and height, so the
points of all tracks for all shapes come out of one broadcast.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# anchor -> (fraction of the width from x1, fraction of the height from y1)
ANCHOR_FRACTIONS: dict[str, tuple[float, float]] = {
    "center": (0.5, 0.5),
    "bottom_center": (0.5, 1.0),
    "top_center": (0.5, 0.0),
    "center_left": (0.0, 0.5),
    "center_right": (1.0, 0.5),
    "top_left": (0.0, 0.0),
    "top_right": (1.0, 0.0),
    "bottom_left": (0.0, 1.0),
    "bottom_right": (1.0, 1.0),
}


def fractions(anchors: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(fx, fy) float32 arrays, one entry per shape."""
    fx = np.array([ANCHOR_FRACTIONS[a][0] for a in anchors], np.float32)
    fy = np.array([ANCHOR_FRACTIONS[a][1] for a in anchors], np.float32)
    return fx, fy


def anchor_points(xyxy: np.ndarray, anchor: str) -> np.ndarray:
    """(N, 2) anchor points of (N, 4) boxes."""
    fx, fy = ANCHOR_FRACTIONS[anchor]
    b = np.asarray(xyxy, np.float32).reshape(-1, 4)
    return np.stack([b[:, 0] + fx * (b[:, 2] - b[:, 0]), b[:, 1] + fy * (b[:, 3] - b[:, 1])], axis=1)
