"""Per-frame cost of the pipeline on the demo, old code against new, in alternated rounds.

    .venv/bin/python benchmarks/seams_frame_cost.py --old /tmp/old --rounds 4

`--old` is a folder holding the old code as `yolotrack/` (an unpacked `git archive` of the old
commit); it is put first on PYTHONPATH for the old rounds. Each round is a fresh process that runs
the whole bundled demo clip (300 frames, lossless, the demo model, the default runtime) through
`Pipeline` with a JSON Lines sink and analytics (two lines, two zones: events, counts and the
overlay every frame), and reports the wall time per frame and the median time per frame of the
tracker and sink stages (where analytics, counts and the sinks run). `--analytics` times the
analytics of one source alone (`update` + `overlay()` per frame, 40 tracks, two lines, two zones,
3000 frames): the part of the sink stage this change touched. The order flips every pair
(old-new, new-old, ...), so drift in the machine's load falls on both alike; the script prints
every round, the medians and the new/old ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ANALYTICS = """analytics:
  lines:
    - {name: mid, points: [[320, 0], [320, 384]]}
    - {name: across, points: [[0, 192], [640, 192]], classes: [disc, square]}
  zones:
    - {name: left, polygon: [[20, 40], [250, 40], [250, 340], [20, 340]]}
    - {name: right, polygon: [[400, 20], [620, 20], [620, 370], [400, 370]], classes: [star]}
"""


def child(out_dir: str) -> None:
    """One round in this process; prints one JSON line. Uses only APIs the old code has too."""
    from yolotrack.core.config import load_config
    from yolotrack.pipeline import Pipeline
    from yolotrack.sinks.jsonl import JsonlSink

    cfg_file = Path(out_dir) / "site.yaml"
    cfg_file.write_text(ANALYTICS)
    cfg = load_config(cfg_file, ["source.uri=demo", "source.policy=lossless", "model.weights=demo",
                                 "pipeline.stats_interval=0"])
    pipe = Pipeline(cfg, sinks=[JsonlSink(Path(out_dir) / "out.jsonl")])
    pipe.start()
    t0 = time.perf_counter()
    while not pipe.wait(0.05):
        pass
    wall = time.perf_counter() - t0
    st = pipe.stats()
    stages = {name: st.stages[name].p50_ms for name in ("detector", "tracker", "sinks") if name in st.stages}
    print(json.dumps({"frames": st.frames, "wall_ms_per_frame": 1e3 * wall / st.frames, **stages}))


def child_analytics(frames: int = 3000, n: int = 40) -> None:
    """The analytics of one source alone (the sink stage's share that changed): `update` and `overlay()`
    per frame for `n` tracks walking across two lines and two zones; prints one JSON line."""
    import numpy as np

    from yolotrack.analytics import SourceAnalytics
    from yolotrack.analytics.shapes import Line, Zone
    from yolotrack.core.detections import Detections

    names = {0: "a", 1: "b"}
    lines = [Line("mid", (320.0, 0.0), (320.0, 384.0), None, "center", None),
             Line("across", (0.0, 192.0), (640.0, 192.0), frozenset({1}), "center", None)]
    zones = [Zone("left", ((20.0, 40.0), (250.0, 40.0), (250.0, 340.0), (20.0, 340.0)), None, "center", None),
             Zone("right", ((400.0, 20.0), (620.0, 20.0), (620.0, 370.0), (400.0, 370.0)), None, "center", None)]
    src = SourceAnalytics("0", lines, zones, names=names)
    rng = np.random.default_rng(0)
    pos = rng.uniform(0, 1, (n, 2)) * [640, 384]
    vel = rng.normal(0, 4, (n, 2))
    cls = rng.integers(0, 2, n)
    ids = np.arange(n)
    times = []
    for f in range(frames):
        pos += vel
        for k, lim in enumerate((640, 384)):
            out = (pos[:, k] < 0) | (pos[:, k] > lim)
            vel[out, k] *= -1
            pos[:, k] = np.clip(pos[:, k], 0, lim)
        dets = Detections(xyxy=np.concatenate([pos - 15, pos + 15], 1), scores=np.full(n, 0.9), class_ids=cls,
                          names=names, track_ids=ids)
        t0 = time.perf_counter()
        src.update(f, f / 30, dets, (), 30.0, (640, 384))
        src.overlay()
        times.append(time.perf_counter() - t0)
    print(json.dumps({"analytics_us_per_frame": 1e6 * statistics.median(times)}))


def run_round(old: str | None, mode: str = "--child") -> dict:
    env = dict(os.environ)
    if old:
        env["PYTHONPATH"] = old + os.pathsep + env.get("PYTHONPATH", "")
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run([sys.executable, __file__, mode, tmp], capture_output=True, text=True, env=env,
                              timeout=900, cwd=tmp)
    if proc.returncode != 0:
        raise SystemExit(f"round failed: {proc.stderr[-1500:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--old", help="folder with the old code as yolotrack/")
    ap.add_argument("--rounds", type=int, default=4, help="pairs of rounds (default 4)")
    ap.add_argument("--analytics", action="store_true", help="time the analytics of one source alone instead")
    ap.add_argument("--child", metavar="DIR", help=argparse.SUPPRESS)
    ap.add_argument("--child-analytics", metavar="DIR", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child)
        return 0
    if args.child_analytics:
        child_analytics()
        return 0
    if not args.old:
        ap.error("--old is required")
    mode = "--child-analytics" if args.analytics else "--child"
    run_round(None, mode)  # warms the export cache and the page cache for both
    got: dict[str, list[dict]] = {"old": [], "new": []}
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {os.getloadavg()[0]:.1f}")
    for i in range(args.rounds):
        for which in (("old", "new") if i % 2 == 0 else ("new", "old")):
            r = run_round(args.old if which == "old" else None, mode)
            got[which].append(r)
            print(f"round {i + 1} {which}: " + ", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}"
                                                       for k, v in r.items()), flush=True)
    print(f"# load average {os.getloadavg()[0]:.1f}")
    for key in ("wall_ms_per_frame", "detector", "tracker", "sinks", "analytics_us_per_frame"):
        if key not in got["new"][0]:
            continue
        o = statistics.median(r[key] for r in got["old"])
        n = statistics.median(r[key] for r in got["new"])
        unit = "us" if key.endswith("_us_per_frame") else "ms"
        print(f"{key:22s} median old {o:8.3f} {unit}  new {n:8.3f} {unit}  new/old {n / o:5.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
