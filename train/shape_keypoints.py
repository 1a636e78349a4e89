"""The synthetic shapes' keypoint layout: the centre, then up to five outline points.

Corners are what a shape has to point at: a square's 4 corners, a triangle's 3, a star's 5 tips,
and for a disc (no corners) its top, right, bottom and left edge points. The shapes look the same
after some rotations (a square after 90 degrees), so "corner 1" cannot mean a corner of the object
itself: it is the outline point closest to straight up in the picture, and the others follow
clockwise. That depends only on what the picture shows, so a model can learn it. Slots a class does
not use are unlabelled (visibility 0). There is no left/right pairing (no `flip_idx`): a mirrored
picture reverses the clockwise order, so pose training does not flip.
"""

from __future__ import annotations

import math

import numpy as np

KEYPOINT_NAMES: tuple[str, ...] = ("centre", "p1", "p2", "p3", "p4", "p5")
# spokes from the centre: every class draws all of its own (an outline ring would miss its closing edge
# for classes with fewer than five points)
SKELETON: tuple[tuple[int, int], ...] = ((0, 1), (0, 2), (0, 3), (0, 4), (0, 5))
# OKS per-keypoint sigma (COCO's sense: a share of the object's scale); COCO's hip/knee use 0.087-0.107.
KEYPOINT_SIGMAS: tuple[float, ...] = (0.1,) * len(KEYPOINT_NAMES)
KPT_SHAPE = (len(KEYPOINT_NAMES), 3)


def outline_points(cls: int, polygon: np.ndarray, centre: tuple[float, float], radius: float) -> np.ndarray:
    """(n,2) outline keypoints of one shape in picture order (closest to up first, then clockwise).

    `polygon` is the full shape outline from `synth._polygon` (already placed in the picture)."""
    cx, cy = centre
    if cls == 0:  # disc: the four compass points
        pts = np.array([[cx, cy - radius], [cx + radius, cy], [cx, cy + radius], [cx - radius, cy]], np.float64)
    elif cls == 3:  # star: the tips are the even vertices
        pts = np.asarray(polygon, np.float64)[0::2]
    else:
        pts = np.asarray(polygon, np.float64)
    # clockwise angle from picture-up (y grows downwards)
    ang = np.arctan2(pts[:, 0] - cx, -(pts[:, 1] - cy))
    start = int(np.argmin(np.abs(ang)))
    order = np.argsort((ang - ang[start]) % (2 * math.pi), kind="stable")
    return pts[order]


def shape_keypoints(cls: int, polygon: np.ndarray, centre: tuple[float, float], radius: float) -> np.ndarray:
    """(K,2) keypoints with NaN in the slots the class does not use."""
    out = np.full((len(KEYPOINT_NAMES), 2), np.nan, np.float64)
    out[0] = centre
    pts = outline_points(cls, polygon, centre, radius)
    out[1: 1 + len(pts)] = pts
    return out
