"""Procedural scenes with exact ground truth, so detection and tracking can be scored offline.

A scene is a textured, slowly relit background with a handful of coloured, textured shapes that
move, rotate, grow or shrink, cross and occlude each other, and enter and leave the frame. Every
random choice comes from one seeded generator, so a (seed, settings) pair always gives the same
pixels and the same boxes. Classes differ in both shape and colour/texture so a small model learns
them within a CPU-sized training budget.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import cv2
import numpy as np

from yolotrack.train.polygons import clip_to_rect, fill_polygons, join_rings, mask_rings
from yolotrack.train.shape_keypoints import shape_keypoints

CLASS_NAMES: tuple[str, ...] = ("disc", "square", "triangle", "star")

# Base colours (BGR) per class; each object jitters its own a little.
_BASE_BGR = {0: (40, 40, 220), 1: (220, 90, 30), 2: (40, 190, 40), 3: (30, 210, 235)}


@dataclass
class SceneConfig:
    """Knobs for one sequence; defaults give the demo's look (640x384, 3-7 objects)."""

    width: int = 640
    height: int = 384
    fps: float = 30.0
    frames: int = 300
    min_objects: int = 3
    max_objects: int = 7
    min_size: float = 18.0  # object radius range in pixels
    max_size: float = 48.0
    max_speed: float = 5.0  # pixels per frame
    noise_sigma: tuple[float, float] = (1.5, 6.0)
    blur_prob: float = 0.15
    light_amplitude: float = 0.25


@dataclass
class ObjectState:
    """One moving shape; `track_id` is stable for its whole life in the scene."""

    track_id: int
    cls: int
    x: float
    y: float
    vx: float
    vy: float
    radius: float
    growth: float  # multiplicative radius change per frame
    angle: float
    spin: float
    z: float
    color: tuple[float, float, float]
    texture_scale: float
    texture_phase: float
    wobble: float = 0.0  # small random steering per frame
    age: int = 0


@dataclass
class GroundTruth:
    """One object in one frame: box clipped to the frame, visibility = visible share of its area.

    `in_frame` is the share of its area inside the frame, so `visibility / in_frame` says how much of
    what the frame holds of it is not hidden by other objects.

    `polygon` (P,2) is the outline of what is visible in frame pixels: the shape's own vertices when
    nothing hides it, else its visible part traced at 1/4 px (pieces joined into one ring).
    `keypoints` (K,3) is x, y, visibility in the COCO sense (2 seen, 1 hidden by another object,
    0 outside the frame or a slot the class does not use), layout `shape_keypoints.KEYPOINT_NAMES`.
    """

    track_id: int
    cls: int
    xyxy: tuple[float, float, float, float]
    visibility: float
    polygon: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    keypoints: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    in_frame: float = 1.0


@dataclass
class SceneFrame:
    image: np.ndarray  # HxWx3 BGR uint8
    index: int
    objects: list[GroundTruth] = field(default_factory=list)


def _polygon(cls: int, radius: float, angle: float) -> np.ndarray:
    """Vertices (K,2) of the class shape around the origin, rotated by `angle`."""
    if cls == 0:
        t = np.linspace(0, 2 * math.pi, 40, endpoint=False)
        pts = np.stack([np.cos(t), np.sin(t)], 1)
    elif cls == 1:
        pts = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], np.float64) * 0.8
    elif cls == 2:
        t = np.array([-math.pi / 2, math.pi / 6, 5 * math.pi / 6])
        pts = np.stack([np.cos(t), np.sin(t)], 1)
    else:
        t = np.arange(10) * math.pi / 5 - math.pi / 2
        r = np.where(np.arange(10) % 2 == 0, 1.0, 0.45)
        pts = np.stack([np.cos(t) * r, np.sin(t) * r], 1)
    c, s = math.cos(angle), math.sin(angle)
    rot = np.array([[c, -s], [s, c]])
    return (pts @ rot.T) * radius


def _texture(cls: int, h: int, w: int, obj: ObjectState, ox: float, oy: float) -> np.ndarray:
    """Per-class pattern (HxW float 0.35..1) in the object's own rotating frame."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    xx = xx + ox - obj.x
    yy = yy + oy - obj.y
    c, s = math.cos(-obj.angle), math.sin(-obj.angle)
    u = (xx * c - yy * s) / max(obj.radius, 1.0)
    v = (xx * s + yy * c) / max(obj.radius, 1.0)
    k = obj.texture_scale
    if cls == 0:  # concentric rings
        pat = 0.5 + 0.5 * np.cos(np.sqrt(u * u + v * v) * k * 2.2 + obj.texture_phase)
    elif cls == 1:  # checkerboard
        pat = ((np.floor(u * k) + np.floor(v * k)) % 2).astype(np.float32)
    elif cls == 2:  # stripes
        pat = (np.sin(u * k * 2.5 + obj.texture_phase) > 0).astype(np.float32)
    else:  # dark centre dot
        pat = (np.sqrt(u * u + v * v) > 0.22).astype(np.float32)
    return 0.35 + 0.65 * pat


SUPERSAMPLE = 4  # occluded outlines are traced at 1/4 px


def visible_outline(track_id: int, outlines: dict[int, np.ndarray], width: int, height: int) -> np.ndarray:
    """The visible part of one drawn shape as one polygon (frame pixels); `outlines` in drawing order.

    Clipping to the frame is exact; only a shape that a later one overlaps is traced from a
    supersampled raster of itself minus the shapes drawn over it."""
    ids = list(outlines)
    own = clip_to_rect(outlines[track_id], 0, 0, width, height)
    if len(own) < 3:
        return np.zeros((0, 2))
    x1, y1 = own.min(0)
    x2, y2 = own.max(0)
    above = []
    for other in ids[ids.index(track_id) + 1:]:
        o = outlines[other]
        if o[:, 0].max() > x1 and o[:, 0].min() < x2 and o[:, 1].max() > y1 and o[:, 1].min() < y2:
            above.append(o)
    if not above:
        return own
    ox, oy = math.floor(x1), math.floor(y1)
    mh, mw = (math.ceil(y2) - oy) * SUPERSAMPLE, (math.ceil(x2) - ox) * SUPERSAMPLE
    mask = fill_polygons(np.zeros((mh, mw), np.uint8), [own], 1, SUPERSAMPLE, (ox, oy))
    fill_polygons(mask, above, 0, SUPERSAMPLE, (ox, oy))
    if not mask.any():
        return np.zeros((0, 2))
    rings = mask_rings(mask.astype(bool), SUPERSAMPLE, (ox, oy), min_area=1.0)
    if not rings:
        return np.zeros((0, 2))
    simplified = [cv2.approxPolyDP(r.astype(np.float32).reshape(-1, 1, 2), 0.2, True).reshape(-1, 2) for r in rings]
    return join_rings([s for s in simplified if len(s) >= 3] or rings[:1])


def _keypoints(o: ObjectState, outline: np.ndarray, owner: np.ndarray, width: int, height: int) -> np.ndarray:
    """(K,3) keypoints of a drawn shape: seen (2) when the shape itself owns the pixel just inside the
    point, hidden (1) when another shape does, 0 outside the frame or in an unused slot."""
    xy = shape_keypoints(o.cls, outline, (o.x, o.y), o.radius)
    out = np.zeros((len(xy), 3), np.float64)
    for k, (x, y) in enumerate(xy):
        if not (np.isfinite(x) and 0 <= x < width and 0 <= y < height):
            continue
        d = math.hypot(o.x - x, o.y - y)
        step = min(1.5, d) / d if d > 0 else 0.0  # look 1.5 px towards the centre: corners sit on the edge
        px = int(np.clip(x + (o.x - x) * step, 0, width - 1))
        py = int(np.clip(y + (o.y - y) * step, 0, height - 1))
        who = int(owner[py, px])
        out[k] = (x, y, 1.0 if who not in (-1, o.track_id) else 2.0)
    return out


class SceneGenerator:
    """Renders one seeded sequence frame by frame; iterate it to get `SceneFrame`s."""

    def __init__(self, seed: int, config: SceneConfig | None = None) -> None:
        self.cfg = config or SceneConfig()
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self._next_id = 1
        self.background = self._make_background()
        self.objects: list[ObjectState] = []
        for _ in range(int(self.rng.integers(self.cfg.min_objects, self.cfg.max_objects + 1))):
            self.objects.append(self._spawn(inside=True))
        self.light_phase = float(self.rng.uniform(0, 2 * math.pi))
        self.light_period = float(self.rng.uniform(90, 240))
        self.noise_sigma = float(self.rng.uniform(*self.cfg.noise_sigma))

    # -- scene content -------------------------------------------------------------------------
    def _make_background(self) -> np.ndarray:
        h, w, rng = self.cfg.height, self.cfg.width, self.rng
        low = rng.uniform(0, 1, (max(2, h // 48), max(2, w // 48), 1)).astype(np.float32)
        low = cv2.resize(low, (w, h), interpolation=cv2.INTER_CUBIC)[..., None]
        tint = rng.uniform(60, 170, 3).astype(np.float32)
        tint2 = tint + rng.uniform(-40, 40, 3).astype(np.float32)
        bg = low * tint + (1 - low) * tint2
        grey = bg.mean(axis=2, keepdims=True)
        bg = 0.7 * grey + 0.3 * bg  # keep the background desaturated so object colour stays a cue
        for _ in range(int(rng.integers(6, 16))):  # neutral clutter: rectangles and lines
            v = float(rng.uniform(50, 200))
            p1 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            if rng.random() < 0.5:
                p2 = (p1[0] + int(rng.integers(20, 160)), p1[1] + int(rng.integers(10, 90)))
                cv2.rectangle(bg, p1, p2, (v, v, v), -1)
            else:
                p2 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
                cv2.line(bg, p1, p2, (v, v, v), int(rng.integers(1, 5)), cv2.LINE_AA)
        fine = rng.normal(0, 8, (h, w, 1)).astype(np.float32)
        bg = cv2.GaussianBlur(bg, (0, 0), 1.5) + fine
        return np.clip(bg, 0, 255).astype(np.float32)

    def _spawn(self, inside: bool) -> ObjectState:
        cfg, rng = self.cfg, self.rng
        cls = int(rng.integers(0, len(CLASS_NAMES)))
        radius = float(rng.uniform(cfg.min_size, cfg.max_size))
        speed = float(rng.uniform(0.6, cfg.max_speed))
        if inside:
            x = float(rng.uniform(radius, cfg.width - radius))
            y = float(rng.uniform(radius, cfg.height - radius))
            heading = float(rng.uniform(0, 2 * math.pi))
        else:  # just outside one edge, heading roughly inwards
            edge = int(rng.integers(0, 4))
            if edge == 0:
                x, y, base = -radius, float(rng.uniform(0, cfg.height)), 0.0
            elif edge == 1:
                x, y, base = cfg.width + radius, float(rng.uniform(0, cfg.height)), math.pi
            elif edge == 2:
                x, y, base = float(rng.uniform(0, cfg.width)), -radius, math.pi / 2
            else:
                x, y, base = float(rng.uniform(0, cfg.width)), cfg.height + radius, -math.pi / 2
            heading = base + float(rng.uniform(-0.9, 0.9))
        base_bgr = np.array(_BASE_BGR[cls], np.float64)
        color = np.clip(base_bgr + rng.uniform(-25, 25, 3), 0, 255)
        obj = ObjectState(
            track_id=self._next_id, cls=cls, x=x, y=y,
            vx=speed * math.cos(heading), vy=speed * math.sin(heading),
            radius=radius, growth=float(rng.uniform(-0.004, 0.004)),
            angle=float(rng.uniform(0, 2 * math.pi)), spin=float(rng.uniform(-0.05, 0.05)),
            z=float(rng.uniform()), color=(float(color[0]), float(color[1]), float(color[2])),
            texture_scale=float(rng.uniform(2.0, 3.5)), texture_phase=float(rng.uniform(0, 6.28)),
            wobble=float(rng.uniform(0.0, 0.08)),
        )
        self._next_id += 1
        return obj

    def _step(self) -> None:
        cfg, rng = self.cfg, self.rng
        alive = []
        for o in self.objects:
            o.age += 1
            o.vx += float(rng.normal(0, o.wobble))
            o.vy += float(rng.normal(0, o.wobble))
            sp = math.hypot(o.vx, o.vy)
            if sp > cfg.max_speed:
                o.vx, o.vy = o.vx * cfg.max_speed / sp, o.vy * cfg.max_speed / sp
            o.x += o.vx
            o.y += o.vy
            o.angle += o.spin
            o.radius = float(np.clip(o.radius * (1 + o.growth), cfg.min_size * 0.7, cfg.max_size * 1.3))
            if o.radius in (cfg.min_size * 0.7, cfg.max_size * 1.3):
                o.growth = -o.growth
            r = o.radius
            gone = o.x < -2 * r or o.x > cfg.width + 2 * r or o.y < -2 * r or o.y > cfg.height + 2 * r
            if not gone:
                alive.append(o)
        self.objects = alive
        if len(self.objects) < cfg.min_objects or (
            len(self.objects) < cfg.max_objects and rng.random() < 0.02
        ):
            self.objects.append(self._spawn(inside=False))

    # -- rendering -----------------------------------------------------------------------------
    def _render(self, index: int) -> SceneFrame:
        cfg, rng = self.cfg, self.rng
        h, w = cfg.height, cfg.width
        img = self.background.copy()
        owner = np.full((h, w), -1, np.int32)
        areas: dict[int, float] = {}
        framed: dict[int, int] = {}  # pixels of each shape inside the frame
        boxes: dict[int, tuple[float, float, float, float]] = {}
        outlines: dict[int, np.ndarray] = {}  # drawn shapes, bottom to top
        for o in sorted(self.objects, key=lambda q: q.z):
            pts = _polygon(o.cls, o.radius, o.angle) + (o.x, o.y)
            x1, y1 = pts.min(0)
            x2, y2 = pts.max(0)
            cx1, cy1 = max(0.0, x1), max(0.0, y1)
            cx2, cy2 = min(float(w), x2), min(float(h), y2)
            if cx2 - cx1 < 2 or cy2 - cy1 < 2:
                continue
            ix1, iy1 = int(math.floor(cx1)), int(math.floor(cy1))
            ix2, iy2 = int(math.ceil(cx2)), int(math.ceil(cy2))
            mask = np.zeros((iy2 - iy1, ix2 - ix1), np.uint8)
            local = np.round((pts - (ix1, iy1)) * 16).astype(np.int32)
            cv2.fillPoly(mask, [local], 255, cv2.LINE_AA, shift=4)
            tex = _texture(o.cls, iy2 - iy1, ix2 - ix1, o, ix1, iy1)
            shade = tex[..., None] * np.array(o.color, np.float32)
            alpha = (mask.astype(np.float32) / 255.0)[..., None]
            roi = img[iy1:iy2, ix1:ix2]
            img[iy1:iy2, ix1:ix2] = roi * (1 - alpha) + shade * alpha
            owner[iy1:iy2, ix1:ix2][mask > 127] = o.track_id
            framed[o.track_id] = int((mask > 127).sum())
            areas[o.track_id] = float(cv2.contourArea(pts.astype(np.float32)))
            boxes[o.track_id] = (cx1, cy1, cx2, cy2)
            outlines[o.track_id] = pts
        # global lighting drift and a moving soft light spot
        t = index / max(self.light_period, 1.0)
        gain = 1.0 + cfg.light_amplitude * math.sin(2 * math.pi * t + self.light_phase)
        yy = np.linspace(-1, 1, h, dtype=np.float32)[:, None]
        xx = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
        sx, sy = math.cos(2 * math.pi * t * 0.7), math.sin(2 * math.pi * t * 0.5)
        spot = 1.0 + 0.15 * np.exp(-((xx - sx) ** 2 + (yy - sy) ** 2) * 1.5)
        img = img * (gain * spot)[..., None]
        img = img + rng.normal(0, self.noise_sigma, img.shape).astype(np.float32)
        if rng.random() < cfg.blur_prob:
            k = int(rng.choice([3, 5]))
            img = cv2.GaussianBlur(img, (k, k), 0)
        image = np.clip(img, 0, 255).astype(np.uint8)
        ids, counts = np.unique(owner[owner >= 0], return_counts=True)
        visible = dict(zip(ids.tolist(), counts.tolist(), strict=True))
        gts = []
        for o in self.objects:
            if o.track_id not in boxes:
                continue
            area = max(areas[o.track_id], 1.0)
            vis = min(1.0, visible.get(o.track_id, 0) / area)
            polygon = visible_outline(o.track_id, outlines, w, h)
            kpts = _keypoints(o, outlines[o.track_id], owner, w, h)
            gts.append(GroundTruth(o.track_id, o.cls, boxes[o.track_id], vis, polygon, kpts,
                                   in_frame=min(1.0, framed[o.track_id] / area)))
        return SceneFrame(image=image, index=index, objects=gts)

    def __iter__(self) -> Iterator[SceneFrame]:
        for i in range(self.cfg.frames):
            yield self._render(i)
            self._step()
