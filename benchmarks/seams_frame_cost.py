"""Per-frame cost of the pipeline on the demo, old code against new, in alternated rounds.

    .venv/bin/python benchmarks/seams_frame_cost.py --old /tmp/old --rounds 4

`--old` is a folder holding the old code as `yolotrack/` (an unpacked `git archive` of the old
commit); it is put first on PYTHONPATH for the old rounds. Each round is a fresh process that runs
the whole bundled demo clip (300 frames, lossless, the demo model, the default runtime) through
`Pipeline` with a JSON Lines sink and analytics (two lines, two zones: events, counts and the
overlay every frame), and reports the wall time per frame and the median time per frame of the
tracker and sink stages (where analytics, counts and the sinks run). The order flips every pair
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


def run_round(old: str | None) -> dict:
    env = dict(os.environ)
    if old:
        env["PYTHONPATH"] = old + os.pathsep + env.get("PYTHONPATH", "")
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run([sys.executable, __file__, "--child", tmp], capture_output=True, text=True, env=env,
                              timeout=900, cwd=tmp)
    if proc.returncode != 0:
        raise SystemExit(f"round failed: {proc.stderr[-1500:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--old", help="folder with the old code as yolotrack/")
    ap.add_argument("--rounds", type=int, default=4, help="pairs of rounds (default 4)")
    ap.add_argument("--child", metavar="DIR", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child)
        return 0
    if not args.old:
        ap.error("--old is required")
    run_round(None)  # warms the export cache and the page cache for both
    got: dict[str, list[dict]] = {"old": [], "new": []}
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {os.getloadavg()[0]:.1f}")
    for i in range(args.rounds):
        for which in (("old", "new") if i % 2 == 0 else ("new", "old")):
            r = run_round(args.old if which == "old" else None)
            got[which].append(r)
            print(f"round {i + 1} {which}: " + ", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}"
                                                       for k, v in r.items()), flush=True)
    print(f"# load average {os.getloadavg()[0]:.1f}")
    for key in ("wall_ms_per_frame", "detector", "tracker", "sinks"):
        if key not in got["new"][0]:
            continue
        o = statistics.median(r[key] for r in got["old"])
        n = statistics.median(r[key] for r in got["new"])
        print(f"{key:18s} median old {o:7.3f} ms  new {n:7.3f} ms  new/old {n / o:5.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
