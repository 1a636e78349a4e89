"""Per-frame cost of the trackers: update time by type and object count, camera motion, appearance.

- Motion-only `update` of every tracker type at 10, 50, 200 and 1000 detections per frame:
  random-walk scenes (tracker.simulate) with 5% missed and 10% low-score detections, so every
  association stage and the lost list are exercised. The first frames (track births) are
  excluded; times are for steady state, where the live-track count is printed alongside.
- Camera-motion compensation (`sparse`, `ecc`) per 1280x720 frame: a real frame (the detector
  fixture's) moved along a hand-held pan.
- Appearance: pooling 50 boxes' embeddings from the P3 neck map of a 384x640 input (64 channels
  for an n model), and BoT-SORT's update at 50 objects with and without those embeddings; and,
  with `--detector`, the whole demo-model call on a 720p frame with and without embeddings.

Rounds alternate between the variants and the best round's median is kept (the machine is shared).

    .venv/bin/python benchmarks/tracker.py [--frames 400] [--sizes 10 50 200 1000] [--rounds 3] [--detector]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from yolotrack.tracker import TRACKERS
from yolotrack.tracker.gmc import CameraMotion
from yolotrack.tracker.simulate import random_walk_scene

FIXTURE = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "ultralytics_yolo12n_io.npz"


def median_ms(step: Callable[[int], object], n: int, warmup: int) -> float:
    times = []
    for i in range(n + warmup):
        t0 = time.perf_counter()
        step(i)
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return float(np.median(times) * 1e3)


def bench_update(kind: str, n: int, frames: int, warmup: int, emb_dim: int = 0, seed: int = 0) -> tuple[float, float]:
    """Median ms per `update` and the mean live-track count."""
    scene = list(random_walk_scene(n, frames + warmup, seed=seed))
    rng = np.random.default_rng(seed)
    ident = rng.normal(size=(n, emb_dim)).astype(np.float32) if emb_dim else None
    kwargs = {"appearance": True} if emb_dim else {}
    tracker = TRACKERS[kind](frame_rate=30, **kwargs)  # type: ignore[call-arg]
    live = []

    def step(i: int) -> None:
        boxes, scores = scene[i]
        emb = None
        if ident is not None:  # each object keeps a noisy version of its own embedding
            emb = ident[: len(scores)] + 0.1 * rng.normal(size=(len(scores), emb_dim)).astype(np.float32)
        tracker.update(boxes, scores, np.zeros(len(scores), np.int64), embeddings=emb)
        live.append(tracker.active_count)

    return median_ms(step, frames, warmup), float(np.mean(live[warmup:]))


def pan_frames(n: int) -> list[np.ndarray]:
    frame = np.load(FIXTURE)["predict_img"]
    h, w = frame.shape[:2]
    rng = np.random.default_rng(0)
    out = []
    x = y = 0.0
    for _ in range(n):
        x += rng.uniform(-12, 12)
        y += rng.uniform(-6, 6)
        out.append(cv2.warpAffine(frame, np.array([[1.0, 0, x], [0, 1.0, y]]), (w, h), borderMode=cv2.BORDER_REFLECT))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=400, help="timed frames per size")
    ap.add_argument("--warmup", type=int, default=30, help="untimed frames first (births, caches)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 200, 1000])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--detector", action="store_true", help="also time the demo model with and without embeddings")
    args = ap.parse_args()
    import lap

    load = os.getloadavg()
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} python {platform.python_version()}, numpy "
          f"{np.__version__}, lap {lap.__version__}, opencv {cv2.__version__}, {platform.machine()}; load "
          f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; best of {args.rounds} rounds")

    print("\n## update, motion only: median ms (live tracks)\n")
    kinds = list(TRACKERS)
    print("| detections/frame | " + " | ".join(kinds) + " |")
    print("|---|" + "---|" * len(kinds))
    for n in args.sizes:
        frames = args.frames if n <= 200 else max(args.frames // 4, 20)
        best: dict[str, tuple[float, float]] = {}
        for _ in range(args.rounds):
            for k in kinds:
                ms, live = bench_update(k, n, frames, args.warmup)
                if k not in best or ms < best[k][0]:
                    best[k] = (ms, live)
        print(f"| {n} | " + " | ".join(f"{best[k][0]:.3f} ({best[k][1]:.0f})" for k in kinds) + " |", flush=True)

    print("\n## camera motion per 1280x720 frame: median ms\n")
    frames = pan_frames(60)
    gmc_best: dict[str, float] = {}
    for _ in range(args.rounds):
        for method in ("sparse", "ecc"):
            estimate = CameraMotion(method).estimate
            gmc_best[method] = min(gmc_best.get(method, 1e9), median_ms(lambda i, e=estimate: e(frames[i]), 59, 1))
    print(" | ".join(f"{m}: {v:.2f} ms" for m, v in gmc_best.items()))

    print("\n## appearance at 50 objects: median ms\n")
    from yolotrack.detector.postprocess_np import pool_box_features

    rng = np.random.default_rng(0)
    feat = rng.normal(size=(64, 48, 80)).astype(np.float32)
    xy = rng.uniform(0, 1, (50, 2)) * np.array([560.0, 300.0])
    boxes = np.concatenate([xy, xy + rng.uniform(10, 90, (50, 2))], 1)
    pool, plain, with_emb = 1e9, 1e9, 1e9
    for _ in range(args.rounds):
        pool = min(pool, median_ms(lambda i: pool_box_features(feat, boxes, 8), 200, 10))
        plain = min(plain, bench_update("botsort", 50, args.frames, args.warmup)[0])
        with_emb = min(with_emb, bench_update("botsort", 50, args.frames, args.warmup, emb_dim=64)[0])
    print(f"pool 50 boxes from the neck: {pool:.3f} ms; botsort update {plain:.3f} ms without, {with_emb:.3f} ms "
          f"with embeddings (+{with_emb - plain:.3f}); total extra {pool + with_emb - plain:.3f} ms")

    if args.detector:
        from yolotrack.core.config import ModelConfig
        from yolotrack.detector import Detector

        image = np.load(FIXTURE)["predict_img"]
        print("\n## demo model on a 1280x720 frame, imgsz 640: median ms per call\n")
        for runtime in ("torch", "onnxruntime", "openvino"):
            cfg = ModelConfig(weights="demo", conf=0.01, runtime=runtime)
            dets = {e: Detector.from_config(cfg, embeddings=e) for e in (False, True)}
            best_d = {False: 1e9, True: 1e9}
            for _ in range(args.rounds):
                for e, d in dets.items():
                    best_d[e] = min(best_d[e], median_ms(lambda i, d=d: d([image]), 20, 3))
            n_boxes = len(dets[True]([image])[0])
            print(f"{runtime}: {best_d[False]:.1f} ms without, {best_d[True]:.1f} ms with embeddings "
                  f"(+{best_d[True] - best_d[False]:.2f} ms, {n_boxes} boxes)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
