"""Per-frame `ByteTracker.update` time at 10, 50, 200 and 1000 detections per frame.

Random-walk scenes (tracker.simulate) with 5% missed and 10% low-score detections, so all
three associations and the lost list are exercised. The first frames (track births) are
excluded; times are for steady state, where the live-track count is printed alongside.

    .venv/bin/python benchmarks/tracker.py [--frames 400] [--sizes 10 50 200 1000]
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np

from yolotrack.tracker import ByteTracker
from yolotrack.tracker.simulate import random_walk_scene


def bench(n: int, frames: int, warmup: int, seed: int = 0) -> dict[str, float]:
    scene = list(random_walk_scene(n, frames + warmup, seed=seed))
    tracker = ByteTracker(frame_rate=30)
    times, live, out = [], [], []
    classes = [np.zeros(len(s), np.int64) for _, s in scene]
    for i, ((boxes, scores), cls) in enumerate(zip(scene, classes, strict=True)):
        t0 = time.perf_counter()
        res = tracker.update(boxes, scores, cls)
        dt = time.perf_counter() - t0
        if i >= warmup:
            times.append(dt)
            live.append(tracker.active_count)
            out.append(len(res))
    ms = np.array(times) * 1e3
    return {"dets": n, "median_ms": float(np.median(ms)), "p95_ms": float(np.percentile(ms, 95)),
            "mean_ms": float(ms.mean()), "fps": float(1e3 / np.median(ms)),
            "live_tracks": float(np.mean(live)), "output_tracks": float(np.mean(out))}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=400, help="timed frames per size")
    ap.add_argument("--warmup", type=int, default=30, help="untimed frames first (births, caches)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 200, 1000])
    args = ap.parse_args()
    import lap

    print(f"# ByteTracker.update, python {platform.python_version()}, numpy {np.__version__}, "
          f"lap {lap.__version__}, {platform.machine()}")
    print(f"{'dets':>6} {'median ms':>10} {'p95 ms':>8} {'mean ms':>8} {'fps':>8} {'live tracks':>12} {'output':>7}")
    for n in args.sizes:
        frames = args.frames if n <= 200 else max(args.frames // 4, 20)
        r = bench(n, frames, args.warmup)
        print(f"{r['dets']:>6} {r['median_ms']:>10.3f} {r['p95_ms']:>8.3f} {r['mean_ms']:>8.3f} "
              f"{r['fps']:>8.0f} {r['live_tracks']:>12.1f} {r['output_tracks']:>7.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
