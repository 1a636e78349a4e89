"""Score the bundled segment and pose demo models on held-out synthetic scenes.

    .venv/bin/python -m benchmarks.segpose_demo [--frames 150] [--every 6] [--work runs/heldout]

Renders scene seeds `train.demo.HELD_OUT_SEEDS` (no demo model trained or validated on them), one
sequence each, keeps every `--every`th frame, and scores each model letterboxed to 640 as the app
runs it: box mAP and mask mAP (mask IoU) for `demo-seg`, box mAP and keypoint OKS mAP (the sigmas
the model records) for `demo-pose`. Prints the per-class tables and one JSON line per model.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from yolotrack.core.assets import DEMO_TASK_WEIGHTS
from yolotrack.train.demo import HELD_OUT_SEEDS, evaluate_held_out
from yolotrack.train.synth import CLASS_NAMES


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--frames", type=int, default=150)
    p.add_argument("--every", type=int, default=6)
    p.add_argument("--work", default="runs/heldout", help="rendered scenes are kept here and reused")
    p.add_argument("--tasks", default="segment,pose")
    args = p.parse_args()
    names = dict(enumerate(CLASS_NAMES))
    for task in args.tasks.split(","):
        name, weights = DEMO_TASK_WEIGHTS[task]
        t0 = time.perf_counter()
        r = evaluate_held_out(weights, task, Path(args.work) / f"{task}-{args.frames}-{args.every}",
                              frames=args.frames, every=args.every)
        print(f"{name} on seeds {HELD_OUT_SEEDS[0]}-{HELD_OUT_SEEDS[-1]}:\n{r.table(names)}")
        print(json.dumps({"model": name, **{k: round(v, 4) for k, v in r.metrics().items()},
                          "objects": sum(r.n_gt.values()), "seconds": round(time.perf_counter() - t0, 1)}))


if __name__ == "__main__":
    main()
