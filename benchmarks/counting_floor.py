"""What a count-error goal asks of the detector: our counter on perfect tracks, cut the way a detector loses objects.

`counting.py` measures the whole chain; `counting_causes.py` sorts its errors. This asks the reverse
question: if boxes and identities were exact, how far would the count still be from the truth when the
detector cannot see an object whose share in view is below some value? The tracks are the scenes' ground
truth (exact boxes, one id per object for its whole life). In every frame an object is dropped while it is

- at the picture's edge (`counting.at_edge`) and less than `--edge` of it is in view, or
- elsewhere and less than `--occluded` of it is visible (another object hides it),

then the box centres optionally get Gaussian jitter of `--jitter` box sizes (`counting.jittered`), and
`SourceAnalytics` counts the four lines of `counting.py` at each `--hysteresis`. The error is strict, as
in `counting.py`. A dropped object keeps its id when it comes back, so this is a floor: a real tracker
also loses identities. Scenes are `counting_replay.py`'s (made once into `--work`; no detection runs).

    .venv/bin/python benchmarks/counting_floor.py --seed 9000 --sequences 30 --work /tmp/fo9000
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np
from common import scenes_once
from counting import DEFAULTS, at_edge, count_error, count_tracks, gt_rows, jittered, scene_lines, tally, true_crossings

from yolotrack.train.demo import read_mot_gt


def seen(gt: dict[int, np.ndarray], size: tuple[int, int], edge: float, occluded: float) -> dict[int, np.ndarray]:
    """The ground truth a detector blind below these shares in view would give (rows of `read_mot_gt`)."""
    out = {}
    for f, rows in gt.items():
        need = np.where(at_edge(rows[:, 1:5], size), edge, occluded)
        out[f] = rows[rows[:, 6] >= need]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=2000)
    ap.add_argument("--sequences", type=int, default=10)
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--size", default="640x384")
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--edge", type=float, nargs="+", default=[0.0, 0.05, 0.1, 0.2, 0.4],
                    help="least share in view an object cut by the picture's edge needs to be seen")
    ap.add_argument("--occluded", type=float, nargs="+", default=[0.0, 0.2, 0.4],
                    help="least visible share an object hidden by another needs to be seen")
    ap.add_argument("--jitter", type=float, nargs="+", default=[0.0, 0.01],
                    help="Gaussian jitter of the box centres, in box sizes")
    ap.add_argument("--hysteresis", type=float, nargs="+", default=[DEFAULTS.hysteresis])
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    lines = scene_lines(w, h)
    gts = [read_mot_gt(gt) for _, gt in scenes_once(args.work, args.sequences, args.seed, w, h, args.frames)]
    truths = [true_crossings(g, lines) for g in gts]
    n_true = sum(map(len, truths))
    print(f"seeds {args.seed}-{args.seed + args.sequences - 1}: {n_true} true crossings; strict count error of our "
          f"counter on ground-truth tracks seen only above these shares")
    print("| edge >= | occluded >= | jitter | hysteresis | strict error |\n|---|---|---|---|---|")
    for edge, occluded, jitter, hyst in itertools.product(args.edge, args.occluded, args.jitter, args.hysteresis):
        err = 0
        for k, (gt, truth) in enumerate(zip(gts, truths, strict=True)):
            rows = gt_rows(seen(gt, (w, h), edge, occluded), args.frames)
            if jitter:
                rows = jittered(rows, jitter, np.random.default_rng(args.seed + k))
            events = count_tracks(rows, lines, 30.0, hysteresis=hyst)
            err += count_error(tally(events), truth, len(lines))[0]
        print(f"| {edge:g} | {occluded:g} | {jitter:g} | {hyst:g} | {100 * err / max(n_true, 1):.1f} % ({err}) |",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
