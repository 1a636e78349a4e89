"""Polygon geometry for segment labels: clipping to a rectangle, one ring from several, rasterizing.

YOLO segment labels hold one polygon per object. An object cut in pieces (by an occluder or the
picture's edge) is still one polygon: the pieces are joined by zero-width bridges, which fill to
the same pixels as the pieces themselves.
"""

from __future__ import annotations

import cv2
import numpy as np

SUBPIXEL_BITS = 4  # fillPoly fixed-point fraction: 1/16 px


def clip_to_rect(poly: np.ndarray, x1: float, y1: float, x2: float, y2: float) -> np.ndarray:
    """(P,2) polygon clipped to the rectangle (Sutherland-Hodgman: exact for any simple polygon
    against a convex window); (0,2) when nothing is left."""
    pts = np.asarray(poly, np.float64).reshape(-1, 2)
    for axis, bound, keep_low in ((0, x1, False), (0, x2, True), (1, y1, False), (1, y2, True)):
        if len(pts) == 0:
            break
        inside = pts[:, axis] <= bound if keep_low else pts[:, axis] >= bound
        if inside.all():
            continue
        out: list[np.ndarray] = []
        prev, prev_in = pts[-1], inside[-1]
        for p, p_in in zip(pts, inside, strict=True):
            if p_in != prev_in:
                t = (bound - prev[axis]) / (p[axis] - prev[axis])
                out.append(prev + t * (p - prev))
            if p_in:
                out.append(p)
            prev, prev_in = p, p_in
        pts = np.array(out, np.float64).reshape(-1, 2)
    return pts


def polygon_area(poly: np.ndarray) -> float:
    p = np.asarray(poly, np.float64).reshape(-1, 2)
    if len(p) < 3:
        return 0.0
    x, y = p[:, 0], p[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)


def join_rings(rings: list[np.ndarray]) -> np.ndarray:
    """One polygon from several rings: each next ring is entered from the closest vertex of what is
    already joined and left back to it (a zero-width bridge)."""
    rings = [np.asarray(r, np.float64).reshape(-1, 2) for r in rings if len(r) >= 3]
    if not rings:
        return np.zeros((0, 2), np.float64)
    joined = rings[0]
    for ring in rings[1:]:
        d = ((joined[:, None, :] - ring[None, :, :]) ** 2).sum(-1)
        i, j = np.unravel_index(int(np.argmin(d)), d.shape)
        ring = np.roll(ring, -int(j), axis=0)
        joined = np.concatenate([joined[: i + 1], ring, ring[:1], joined[i:]])
    return joined


def fill_polygons(mask: np.ndarray, polys: list[np.ndarray], value: int = 1, scale: float = 1.0,
                  offset: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """Fill polygons (pixel coordinates, mapped by `(p - offset) * scale`) into `mask` in place,
    at 1/16 px precision; pixel centres inside a polygon are set."""
    one = 1 << SUBPIXEL_BITS
    fixed = []
    for p in polys:
        p = np.asarray(p, np.float64).reshape(-1, 2)
        if len(p) < 3:
            continue
        # pixel (i, j) covers [i, i+1): its centre is at i + 0.5, fillPoly's integer grid is the centre
        q = (p - np.asarray(offset)) * scale - 0.5
        fixed.append(np.round(q * one).astype(np.int32))
    if fixed:
        cv2.fillPoly(mask, fixed, int(value), cv2.LINE_8, shift=SUBPIXEL_BITS)
    return mask


def rasterize(polys: list[np.ndarray], height: int, width: int, scale: float = 1.0) -> np.ndarray:
    """A (height, width) bool mask of the polygons (pixel coordinates times `scale`)."""
    return fill_polygons(np.zeros((height, width), np.uint8), polys, 1, scale).astype(bool)


def mask_rings(mask: np.ndarray, scale: float = 1.0, offset: tuple[float, float] = (0.0, 0.0),
               min_area: float = 1.0) -> list[np.ndarray]:
    """Outer contours of a bool mask as rings in pixel units (`p / scale + offset`), largest first;
    pieces smaller than `min_area` (in output pixels squared) are dropped."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    rings = []
    for c in contours:
        # contour points are pixel indices; their pixel centres sit at +0.5
        ring = (c.reshape(-1, 2).astype(np.float64) + 0.5) / scale + np.asarray(offset)
        if polygon_area(ring) >= min_area:
            rings.append(ring)
    rings.sort(key=polygon_area, reverse=True)
    return rings
