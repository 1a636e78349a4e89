"""Drawing lines and zones with their live counters (the video sink and the GUI, through `Renderer`).

Zones are translucent polygons whose fill turns from green (empty) through yellow (one object)
to red (five or more) with their occupancy, with a `name N` tag. Lines are drawn with an arrow
from their middle towards the side a track moves to when it crosses `in` (right of p1->p2), and
a `name in N out M` tag a quarter of the way from p1. Zones go under the boxes, lines and tags over them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

from yolotrack.render.colors import text_color_on

_FONT = cv2.FONT_HERSHEY_SIMPLEX
_EMPTY = np.array((90, 190, 60), np.float32)  # BGR green
_ONE = np.array((0, 215, 255), np.float32)  # yellow
_FULL = np.array((40, 40, 230), np.float32)  # red
_FULL_AT = 5
LINE_COLOR = (255, 230, 0)  # cyan-ish, apart from the track palette's boxes
_MASK_CACHE_MAX = 64


def occupancy_color(occupancy: int) -> tuple[int, int, int]:
    """BGR fill of a zone holding `occupancy` objects."""
    if occupancy <= 0:
        c = _EMPTY
    else:
        k = min(1.0, (occupancy - 1) / (_FULL_AT - 1))
        c = _ONE * (1 - k) + _FULL * k
    b, g, r = (int(v) for v in c)
    return b, g, r


class ZoneMasks:
    """Rasterized zone polygons per frame size, so a zone is filled with one masked blend per frame."""

    def __init__(self) -> None:
        self._cache: dict[Any, tuple[int, int, int, int, np.ndarray]] = {}

    def get(self, polygon: Sequence[tuple[float, float]], h: int,
            w: int) -> tuple[int, int, int, int, np.ndarray] | None:
        key = (tuple(polygon), h, w)
        hit = self._cache.get(key)
        if hit is None:
            pts = np.asarray(polygon, np.float64)
            x0, y0 = (max(0, int(np.floor(v))) for v in pts.min(0))
            x1, y1 = (int(np.ceil(v)) + 1 for v in pts.max(0))
            x1, y1 = min(x1, w), min(y1, h)
            if x1 <= x0 or y1 <= y0:
                return None
            mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
            cv2.fillPoly(mask, [np.round((pts - (x0, y0)) * 16).astype(np.int32)], 1, cv2.LINE_8, shift=4)
            if len(self._cache) >= _MASK_CACHE_MAX:
                self._cache.clear()
            hit = self._cache[key] = (x0, y0, x1, y1, mask.astype(bool))
        return hit


def draw_zones(out: np.ndarray, zones: Sequence[Any], masks: ZoneMasks, lw: int, alpha: float = 0.3) -> None:
    h, w = out.shape[:2]
    for z in zones:
        color = occupancy_color(z.occupancy)
        hit = masks.get(z.polygon, h, w)
        if hit is not None:
            x0, y0, x1, y1, m = hit
            region = out[y0:y1, x0:x1]
            tint = np.empty_like(region)
            tint[:] = color
            a = alpha if z.occupancy > 0 else alpha * 0.6
            np.copyto(region, cv2.addWeighted(region, 1.0 - a, tint, a, 0.0), where=m[..., None])
        pts = np.round(np.asarray(z.polygon, np.float64) * 16).astype(np.int32)
        cv2.polylines(out, [pts], True, color, max(1, lw - 1), cv2.LINE_AA, shift=4)


def draw_zone_tags(out: np.ndarray, zones: Sequence[Any], fs: float, tf: int) -> None:
    for z in zones:
        pts = np.asarray(z.polygon, np.float64)
        top = pts[np.argmin(pts[:, 1] * 10000 + pts[:, 0])]  # the topmost (then leftmost) corner
        tag(out, f"{z.name} {z.occupancy}", (top[0], top[1]), occupancy_color(z.occupancy), fs, tf, above=True)


def draw_lines(out: np.ndarray, lines: Sequence[Any], lw: int, fs: float, tf: int) -> None:
    for ln in lines:
        p1 = np.asarray(ln.p1, np.float64)
        p2 = np.asarray(ln.p2, np.float64)
        a = tuple(int(round(v)) for v in p1)
        b = tuple(int(round(v)) for v in p2)
        cv2.line(out, a, b, (0, 0, 0), lw + 2, cv2.LINE_AA)
        cv2.line(out, a, b, LINE_COLOR, lw, cv2.LINE_AA)
        for p in (a, b):
            cv2.circle(out, p, lw + 2, LINE_COLOR, -1, cv2.LINE_AA)
        d = p2 - p1
        length = float(np.hypot(*d))
        if length < 1:
            continue
        normal = np.array([-d[1], d[0]]) / length  # right of p1->p2 in image coordinates: the `in` side
        mid = (p1 + p2) / 2
        arrow = max(12.0, min(40.0, length * 0.15))
        tip = mid + normal * arrow
        cv2.arrowedLine(out, tuple(int(round(v)) for v in mid), tuple(int(round(v)) for v in tip), LINE_COLOR,
                        max(1, lw - 1), cv2.LINE_AA, tipLength=0.35)
        # the tag a quarter of the way from p1, on the `out` side: clear of the arrow and of other lines
        # through the same middle
        anchor = p1 + d * 0.25 - normal * (arrow * 0.6)
        tag(out, f"{ln.name} in {ln.in_count} out {ln.out_count}", (anchor[0], anchor[1]), LINE_COLOR, fs, tf)


def tag(out: np.ndarray, text: str, at: tuple[float, float], color: tuple[int, int, int], fs: float, tf: int,
        above: bool = False) -> None:
    """A filled label centred on `at` (or sitting on it with `above`), kept inside the frame."""
    h, w = out.shape[:2]
    (tw, th), base = cv2.getTextSize(text, _FONT, fs, tf)
    bw, bh = tw + 6, th + base + 4
    x = int(round(at[0] - bw / 2))
    y = int(round(at[1] - (bh if above else bh / 2)))
    x = min(max(0, x), max(0, w - bw))
    y = min(max(0, y), max(0, h - bh))
    cv2.rectangle(out, (x, y), (x + bw, y + bh), color, -1)
    cv2.putText(out, text, (x + 3, y + th + 2), _FONT, fs, text_color_on(color), tf, cv2.LINE_AA)
