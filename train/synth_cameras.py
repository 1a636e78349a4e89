"""One procedural scene seen by several cameras, with ground truth holding global ids.

The world is a long strip; each camera sees one window of it, as wide as its frame. Neighbouring
windows alternately overlap (an object is in both pictures at once) and leave a gap (an object
walks unseen for a while between them), so both ways an identity must cross cameras are there.
Objects walk along the strip, most of them through several windows, and each has its own look
(colour and texture jittered around its class's), so identity is possible. Each camera has its
own background, lighting and sensor noise (one `SceneGenerator` per camera does the drawing), and
its ground truth is in the world's ids: the global ids a cross-camera tracker should reproduce.
Every frame of every camera has the same timestamp, index / fps (recordings made together).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import yaml

from yolotrack.core.cameras import Link
from yolotrack.core.files import atomic_write
from yolotrack.train.synth import _BASE_BGR, CLASS_NAMES, ObjectState, SceneConfig, SceneFrame, SceneGenerator

OVERLAP = 0.3  # share of a frame's width two overlapping neighbours see together
GAP = 0.5  # width of the unseen stretch between two disjoint neighbours, in frame widths


@dataclass(frozen=True)
class CameraView:
    name: str
    offset: float  # world x of the window's left edge


def layout(n: int, width: int) -> list[CameraView]:
    """`n` windows left to right: cam0 and cam1 overlap, cam1 and cam2 leave a gap, and so on."""
    views, x = [], 0.0
    for i in range(n):
        views.append(CameraView(f"cam{i}", x))
        x += width * (1 - OVERLAP) if i % 2 == 0 else width * (1 + GAP)
    return views


def links(views: list[CameraView], width: int, fps: float, min_speed: float) -> list[Link]:
    """Both ways between neighbours: overlapping ones from 0 s, disjoint ones until the slowest
    walker has crossed the gap (with a margin)."""
    out: list[Link] = []
    for i in range(len(views) - 1):
        a, b = views[i].name, views[i + 1].name
        if i % 2 == 0:
            lo, hi = 0.0, 2.0
        else:
            lo, hi = 0.0, math.ceil(1.5 * GAP * width / min_speed / fps)
        out += [Link(a, b, lo, float(hi)), Link(b, a, lo, float(hi))]
    return out


class MultiCameraScene:
    """Iterate to get, per frame index, one `SceneFrame` per camera (ground truth in world ids)."""

    MIN_SPEED = 1.5  # pixels per frame, along the strip

    def __init__(self, seed: int, n_cameras: int, config: SceneConfig | None = None) -> None:
        self.cfg = config or SceneConfig()
        self.views = layout(n_cameras, self.cfg.width)
        self.world = self.views[-1].offset + self.cfg.width
        self.rng = np.random.default_rng(seed)
        # one generator per camera: its own background, light and noise; its objects are set each frame
        self.cams = [SceneGenerator(seed * 1000 + 17 * i + 1, replace(self.cfg, min_objects=0, max_objects=0))
                     for i in range(n_cameras)]
        self._next_id = 1
        self.objects: list[ObjectState] = []
        n0 = int(self.rng.integers(self.cfg.min_objects, self.cfg.max_objects + 1)) * max(1, n_cameras // 2)
        for _ in range(n0):
            self.objects.append(self._spawn(inside=True))

    def _spawn(self, inside: bool) -> ObjectState:
        cfg, rng = self.cfg, self.rng
        cls = int(rng.integers(0, len(CLASS_NAMES)))
        radius = float(rng.uniform(cfg.min_size, cfg.max_size))
        speed = float(rng.uniform(self.MIN_SPEED, cfg.max_speed))
        right = rng.random() < 0.5
        heading = (math.pi if right else 0.0) + float(rng.uniform(-0.2, 0.2))
        x = float(rng.uniform(0, self.world)) if inside else (self.world + radius if right else -radius)
        y = float(rng.uniform(radius, cfg.height - radius))
        color = np.clip(np.array(_BASE_BGR[cls], np.float64) + rng.uniform(-45, 45, 3), 0, 255)
        obj = ObjectState(
            track_id=self._next_id, cls=cls, x=x, y=y, vx=speed * math.cos(heading), vy=speed * math.sin(heading),
            radius=radius, growth=0.0, angle=float(rng.uniform(0, 2 * math.pi)),
            spin=float(rng.uniform(-0.03, 0.03)), z=float(rng.uniform()),
            color=(float(color[0]), float(color[1]), float(color[2])),
            texture_scale=float(rng.uniform(1.5, 4.0)), texture_phase=float(rng.uniform(0, 6.28)))
        self._next_id += 1
        return obj

    def _step(self) -> None:
        cfg = self.cfg
        alive = []
        for o in self.objects:
            o.age += 1
            o.x += o.vx
            o.y += o.vy
            o.angle += o.spin
            if o.y < o.radius or o.y > cfg.height - o.radius:  # walk along the strip, never off it sideways
                o.vy = -o.vy
                o.y = float(np.clip(o.y, o.radius, cfg.height - o.radius))
            if -2 * o.radius <= o.x <= self.world + 2 * o.radius:
                alive.append(o)
        self.objects = alive
        n = max(1, len(self.views) // 2)
        if len(self.objects) < cfg.min_objects * n or (
                len(self.objects) < cfg.max_objects * n and self.rng.random() < 0.03 * n):
            self.objects.append(self._spawn(inside=False))

    def placed(self) -> Iterator[SceneGenerator]:
        """Each camera's generator, given the objects it sees now in its own pixels (nothing drawn yet:
        the ReID training data renders only the frames it samples)."""
        for view, gen in zip(self.views, self.cams, strict=True):
            seen = []
            for o in self.objects:
                if view.offset - 2 * o.radius < o.x < view.offset + self.cfg.width + 2 * o.radius:
                    local = copy.copy(o)
                    local.x = o.x - view.offset
                    seen.append(local)
            gen.objects = seen
            yield gen

    def frames(self) -> Iterator[list[SceneFrame]]:
        for i in range(self.cfg.frames):
            yield [gen._render(i) for gen in self.placed()]
            self._step()


def write_scene(seed: int, n_cameras: int, out: Path, cfg: SceneConfig, crf: int = 26,
                videos: bool = True) -> dict[str, int]:
    """One multi-camera sequence into `out`: `<cam>.mp4` per camera, `gt/<cam>/gt/gt.txt` (MOT, ids are
    global), `gt/<cam>/seqinfo.ini`, and `cameras.yaml` (the videos and the links of the layout)
    for `yolotrack run --cameras`. Returns the ground-truth boxes per camera."""
    from yolotrack.core.cameras import Camera
    from yolotrack.sinks.base import AtomicFile
    from yolotrack.train.synth_export import VideoWriter, mot_rows

    scene = MultiCameraScene(seed, n_cameras, cfg)
    names = [v.name for v in scene.views]
    writers = [VideoWriter(out / f"{n}.mp4", cfg.width, cfg.height, cfg.fps, crf) for n in names] if videos else []
    gts = [AtomicFile(out / "gt" / n / "gt" / "gt.txt") for n in names]
    boxes = dict.fromkeys(names, 0)
    frames = 0
    try:
        for views in scene.frames():
            frames += 1
            for k, f in enumerate(views):
                if writers:
                    writers[k].write(f.image)
                rows = mot_rows(f)
                boxes[names[k]] += len(rows)
                gts[k].file.write("".join(r + "\n" for r in rows))
    except BaseException:
        for w in writers:
            w.abort()
        for g in gts:
            g.discard()
        raise
    for w in writers:
        w.close()
    for n, g in zip(names, gts, strict=True):
        g.commit()
        info = AtomicFile(out / "gt" / n / "seqinfo.ini")
        info.file.write(f"[Sequence]\nname={n}\nimDir=img1\nframeRate={cfg.fps:g}\nseqLength={frames}\n"
                        f"imWidth={cfg.width}\nimHeight={cfg.height}\nimExt=.jpg\n")
        info.commit()
    site = {"cameras": [Camera(n, str((out / f"{n}.mp4").resolve())).to_dict() for n in names],
            "links": [{"from": ln.source, "to": ln.target, "min_s": ln.min_s, "max_s": ln.max_s}
                      for ln in links(scene.views, cfg.width, cfg.fps, MultiCameraScene.MIN_SPEED)]}
    text = yaml.safe_dump(site, sort_keys=False)
    atomic_write(out / "cameras.yaml", lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return boxes
