"""`Renderer`: draws `Detections` onto a BGR frame. Used by the video sink and the GUI alike.

Layers, bottom to top: translucent masks, trails, boxes, pose skeletons, labels (`#id class
score`, `#id g<global id> class score` across cameras). Colours come from `render.colors.color_for`
of the global id (else the track id, else the class id) so the same object looks the same
everywhere, in every camera. Drawing works in place on `out` to avoid frame copies.
Analytics zones go under every layer, lines and their counters over them (`render/analytics.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from yolotrack.core.config import RenderConfig
from yolotrack.core.detections import Detections, class_name
from yolotrack.core.errors import InvalidInputError
from yolotrack.core.keypoints import KeypointLayout
from yolotrack.render.analytics import ZoneMasks, draw_lines, draw_zone_tags, draw_zones
from yolotrack.render.colors import PALETTE_BGR, color_for, text_color_on
from yolotrack.render.skeleton import COCO17_LIMB_COLORS

if TYPE_CHECKING:
    from yolotrack.analytics.overlay import Overlay

_FONT = cv2.FONT_HERSHEY_SIMPLEX
_KPT_VISIBLE = 0.5
_TRAIL_BANDS = 4


class Renderer:
    """Draws boxes, labels, trails, masks and keypoints as `cfg` enables them.

    Args:
        cfg: the `render` config section.
        names: class id -> name (falls back to the detections' own names).
        task: detect, segment or pose (only decides defaults; optional parts are drawn when present).
        keypoints: the pose model's keypoint layout (its skeleton is drawn; the COCO person layout's
            limbs keep their colour groups, other skeletons take the object's colour).
    """

    def __init__(self, cfg: RenderConfig | None = None, names: Mapping[int, str] | None = None,
                 task: str = "detect", keypoints: KeypointLayout | None = None) -> None:
        self.cfg = cfg or RenderConfig()
        self.names = dict(names or {})
        self.task = task
        self.keypoints = keypoints  # the model's layout; None: the default for the keypoint count
        self._ink: dict[tuple[int, int, int], tuple[int, int, int]] = {}  # label text colour per tag colour
        # (colour index, trail length, line width) -> the bands `_trail_bands` draws
        self._band_cache: dict[tuple[int, int, int], tuple[tuple[int, int, tuple[int, int, int], int], ...]] = {}
        self._zone_masks = ZoneMasks()  # rasterized analytics zones per frame size

    # ------------------------------------------------------------ public API

    def label(self, dets: Detections, i: int) -> str:
        """`#id class score` (no `#id` for untracked detections; `#id gN` with a global id): the one label format."""
        return self._label_texts(dets[i: i + 1])[0]

    def _label_texts(self, dets: Detections) -> list[str]:
        """`label()` for every detection at once (one numpy-to-Python conversion per column): the
        format lives here only."""
        names, own = self.names, dets.names
        texts = []
        for c, sc in zip(np.asarray(dets.class_ids, np.int64).tolist(), np.asarray(dets.scores, np.float64).tolist(),
                         strict=True):
            texts.append(f"{class_name(names if c in names else own, c)} {sc:.2f}")
        if dets.global_ids is not None:
            texts = [f"g{g} {x}" if g >= 0 else x
                     for g, x in zip(np.asarray(dets.global_ids, np.int64).tolist(), texts, strict=True)]
        if dets.track_ids is not None:
            texts = [f"#{t} {x}" for t, x in zip(np.asarray(dets.track_ids, np.int64).tolist(), texts, strict=True)]
        return texts

    def color(self, dets: Detections, i: int) -> tuple[int, int, int]:
        return color_for(int(_color_keys(dets)[i]))

    def draw(self, image: np.ndarray, dets: Detections, trails: Mapping[int, Any] | None = None,
             out: np.ndarray | None = None, analytics: Overlay | None = None) -> np.ndarray:
        """Draw onto `out` (pass `out=image` to draw in place; None draws on a copy) and return it.

        `analytics` (an `analytics.Overlay`): zones go under everything else, lines and their
        counters over it; a track's speed in a speed zone ends its label.
        """
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise InvalidInputError(f"expected an (H, W, 3) uint8 BGR image, got {image.shape} {image.dtype}")
        if out is None:
            out = image.copy()
        elif out is not image:
            np.copyto(out, image)
        if len(dets) == 0 and not trails and not analytics:
            return out
        cfg = self.cfg
        h, w = out.shape[:2]
        lw = cfg.line_width or max(2, round((h + w) / 2 * 0.003))
        if analytics and analytics.zones:
            draw_zones(out, analytics.zones, self._zone_masks, lw)
        n = len(dets)
        colors = [color_for(k) for k in _color_keys(dets).tolist()] if n else []
        if cfg.masks and dets.masks is not None and n:
            self._masks(out, dets, colors)
        if cfg.trails and trails:
            keys = {}  # a trail takes its box's colour: the global id's, across cameras
            if n and dets.track_ids is not None and dets.global_ids is not None:
                keys = {t: g for t, g in zip(dets.track_ids.tolist(), dets.global_ids.tolist(), strict=True) if g >= 0}
            self._trails(out, trails, lw, keys)
        boxes = np.asarray(dets.xyxy, np.float64).tolist() if n else []
        if cfg.boxes:
            # one rounding for all boxes; Python's round() is numpy's rint (half to even)
            for (x1, y1, x2, y2), c in zip(np.rint(dets.xyxy).astype(np.int64).tolist(), colors, strict=True):
                # axis-aligned edges gain nothing from anti-aliasing, which costs ~1.4 ms per 30 boxes
                cv2.rectangle(out, (x1, y1), (x2, y2), c, lw, cv2.LINE_8)
        if cfg.keypoints and dets.keypoints is not None and n:
            self._keypoints(out, dets, colors, lw)
        fs = cfg.font_scale or max(0.35, lw / 3)
        tf = max(1, lw // 2)
        if cfg.labels and n:
            texts = self._label_texts(dets)
            if analytics and analytics.speeds and dets.track_ids is not None:
                speed = {v.track_id: v.text for v in analytics.speeds}
                texts = [f"{t} {speed[k]}" if k in speed else t
                         for t, k in zip(texts, np.asarray(dets.track_ids, np.int64).tolist(), strict=True)]
            for text, box, c in zip(texts, boxes, colors, strict=True):
                self._label(out, text, box, c, fs, tf)
        if analytics:
            draw_zone_tags(out, analytics.zones, fs, tf)
            draw_lines(out, analytics.lines, lw, fs, tf)
        return out

    # ------------------------------------------------------------ layers

    def _masks(self, out: np.ndarray, dets: Detections, colors: list[tuple[int, int, int]]) -> None:
        """Blend each mask only inside its box (detector masks are cropped to their boxes): a
        full-frame blend per object would cost more than the encoder."""
        alpha = float(self.cfg.mask_alpha)
        if alpha <= 0:
            return
        masks = dets.masks
        assert masks is not None
        h, w = out.shape[:2]
        if masks.shape[1:] != (h, w):
            raise InvalidInputError(f"masks are {masks.shape[1:]} but the frame is {(h, w)}")
        for m, box, c in zip(masks, dets.xyxy, colors, strict=True):
            x0 = min(max(int(box[0]) - 1, 0), w)
            y0 = min(max(int(box[1]) - 1, 0), h)
            x1 = min(max(int(np.ceil(box[2])) + 2, 0), w)
            y1 = min(max(int(np.ceil(box[3])) + 2, 0), h)
            if x1 <= x0 or y1 <= y0:
                continue
            sub = m[y0:y1, x0:x1]
            if not sub.any():
                continue
            region = out[y0:y1, x0:x1]
            tint = np.empty_like(region)
            tint[:] = c
            blended = cv2.addWeighted(region, 1.0 - alpha, tint, alpha, 0.0)
            np.copyto(region, blended, where=sub[..., None])

    def _trails(self, out: np.ndarray, trails: Mapping[int, Any], lw: int,
                keys: Mapping[int, int] | None = None) -> None:
        """Older parts are thinner and greyer, so the direction of travel reads at a glance.

        The path is cut into a few age bands, one polyline each: per-segment drawing costs
        several ms per frame with many tracks. All points are rounded in one numpy call, and
        band colours, widths and edges come from caches, so the per-track Python work is only
        the drawing calls (which dominated the GUI's frame budget before).
        """
        ids: list[int] = []
        arrays: list[np.ndarray] = []
        for tid, pts in trails.items():
            p = np.asarray(pts, np.float32)
            if p.ndim != 2 or len(p) < 2 or p.shape[1] < 2:
                continue
            if p.shape[1] >= 4:  # boxes: use their centres like TrailHistory and the tracker
                p = np.stack([(p[:, 0] + p[:, 2]) * 0.5, (p[:, 1] + p[:, 3]) * 0.5], axis=1)
            elif p.shape[1] != 2:
                p = p[:, :2]
            ids.append(int(tid))
            arrays.append(p)
        if not arrays:
            return
        flat = np.concatenate(arrays) if len(arrays) > 1 else arrays[0]
        flat = np.rint(flat).astype(np.int32)
        polylines, aa = cv2.polylines, cv2.LINE_AA
        start = 0
        for tid, p in zip(ids, arrays, strict=True):
            n = len(p)
            pts = flat[start: start + n]
            start += n
            for lo, hi, col, thick in self._trail_bands(keys.get(tid, tid) if keys else tid, n, lw):
                polylines(out, [pts[lo: hi + 1]], False, col, thick, aa)

    def _trail_bands(self, tid: int, n: int, lw: int) -> tuple[tuple[int, int, tuple[int, int, int], int], ...]:
        """(first point, last point, colour, thickness) per non-empty age band of an n-point trail,
        oldest first: the track colour fading to grey and thinning with age. Cached per colour."""
        ci = tid % len(PALETTE_BGR)
        key = (ci, n, lw)
        bands = self._band_cache.get(key)
        if bands is None:
            if len(self._band_cache) > 8192:  # bounded: trail lengths and line widths change rarely
                self._band_cache.clear()
            base = np.asarray(PALETTE_BGR[ci], np.float32)
            count = min(_TRAIL_BANDS, n - 1)
            e = np.linspace(0, n - 1, count + 1).round().astype(int).tolist()
            styles = []
            for k in range(count):
                if e[k + 1] <= e[k]:
                    continue
                age = (k + 1) / count  # newest band = 1
                col = tuple(int(v) for v in base * (0.35 + 0.65 * age) + 128 * 0.65 * (1 - age))
                styles.append((e[k], e[k + 1], col, max(1, int(round(lw * (0.3 + 0.7 * age))))))
            bands = self._band_cache[key] = tuple(styles)
        return bands

    def _keypoints(self, out: np.ndarray, dets: Detections, colors: list[tuple[int, int, int]],
                   lw: int) -> None:
        kpts = dets.keypoints
        assert kpts is not None
        layout = self.keypoints
        if layout is None or len(layout.names) != kpts.shape[1]:
            layout = KeypointLayout.default(kpts.shape[1])
        limbs = layout.limbs
        limb_colors = COCO17_LIMB_COLORS if layout.coco17 else None
        radius = max(2, lw + 1)
        for obj, c in zip(kpts, colors, strict=True):
            vis = obj[:, 2] >= _KPT_VISIBLE if obj.shape[1] > 2 else np.ones(len(obj), bool)
            xy = np.round(obj[:, :2]).astype(np.int32)
            for j, (a, b) in enumerate(limbs):
                if vis[a] and vis[b]:
                    cv2.line(out, tuple(xy[a].tolist()), tuple(xy[b].tolist()),
                             limb_colors[j] if limb_colors else c, max(1, lw - 1), cv2.LINE_AA)
            for k in np.flatnonzero(vis):
                cv2.circle(out, tuple(xy[k].tolist()), radius, c, -1, cv2.LINE_AA)

    def _label(self, out: np.ndarray, text: str, box: list[float], color: tuple[int, int, int],
               fs: float, tf: int) -> None:
        """A filled tag above the box (inside it when there is no room above)."""
        h, w = out.shape[:2]
        (tw, th), base = cv2.getTextSize(text, _FONT, fs, tf)
        x1 = int(min(max(0.0, float(box[0])), max(0, w - tw - 2)))
        y1 = int(round(float(box[1])))
        top = y1 - th - base - 2
        if top < 0:
            top = max(0, y1)
        cv2.rectangle(out, (x1, top), (x1 + tw + 2, top + th + base + 2), color, -1)
        ink = self._ink.get(color)
        if ink is None:
            ink = self._ink[color] = text_color_on(color)
        cv2.putText(out, text, (x1 + 1, top + th + 1), _FONT, fs, ink, tf, cv2.LINE_AA)


def _color_keys(dets: Detections) -> np.ndarray:
    """What picks each row's colour: the global id where there is one, else the track id, else the class."""
    keys = np.asarray(dets.track_ids if dets.track_ids is not None else dets.class_ids, np.int64)
    if dets.global_ids is not None:
        keys = np.where(dets.global_ids >= 0, dets.global_ids, keys)
    return keys
