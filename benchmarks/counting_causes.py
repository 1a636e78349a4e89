"""Where the count error comes from: every missed and extra crossing of a replay, sorted by cause.

`counting_replay.py` says how large the error is; this says what each error is, so the next change aims at
the largest group. Scenes and detections are `counting_replay.py`'s (made once into `--work`, shared with
it). A missed true crossing is put in the first group it fits:

- `edge`: the object is mostly outside the picture (under 40 % visible, its box at the frame's edge);
- `hidden`: the object is mostly hidden by another (under 40 % visible);
- `never tracked`: no track covers it (IoU >= 0.3) in the frames around the crossing;
- `new id`: tracks cover it before and after, but none both (its identity changed at the crossing);
- `track starts after`, `track ends at`: covered on one side of the crossing only;
- `same track`: one track covers it throughout and still did not count: a graze or wobble inside the
  hysteresis band (the truth counts any change of side), a tie within a pixel of the line, a slow drift
  that came back before it was held.

An extra crossing is `no object`, `repeat` or `no crossing` (`counting.per_object`). Misses and extras are
counted object by object, so an exchange between two objects that cross together shows as one of each while
the strict error (per line and direction) counts nothing.

    .venv/bin/python benchmarks/counting_causes.py --seed 2000 --sequences 10 --work /tmp/replay2000 --det-conf 0.05
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter

import numpy as np
from counting import MIN_VISIBILITY, at_edge, count_error, per_object, tally, track_owner, true_crossings
from counting_replay import cached_scenes, replay, scene_arguments

from yolotrack.train.demo import read_mot_gt
from yolotrack.train.metrics import iou_matrix

AROUND = 8  # frames before and after a crossing in which a covering track is looked for
MISSED = ("edge", "hidden", "never tracked", "new id", "track starts after", "track ends at", "same track")
EXTRA = ("no object", "repeat", "no crossing")


def covering(gt: dict[int, np.ndarray], tracks: dict[int, np.ndarray], frame: int, obj: int) -> set[int]:
    """Ids of the tracks whose box overlaps object `obj` at `frame` by IoU >= 0.3."""
    objs, tr = gt.get(frame), tracks.get(frame)
    if objs is None or tr is None or not len(tr):
        return set()
    row = objs[objs[:, 0] == obj]
    if not len(row):
        return set()
    iou = iou_matrix(row[:, 1:5], tr[:, 1:5])[0]
    return {int(tr[j, 0]) for j in np.flatnonzero(iou >= 0.3)}


def missed_cause(gt: dict[int, np.ndarray], tracks: dict[int, np.ndarray], crossing, size: tuple[int, int]) -> str:
    frame, obj, _, _, vis = crossing
    if vis < MIN_VISIBILITY:
        row = gt[frame][gt[frame][:, 0] == obj][0]
        return "edge" if at_edge(row[1:5], size)[0] else "hidden"
    before = set().union(*(covering(gt, tracks, f, obj) for f in range(frame - AROUND, frame)))
    after = set().union(*(covering(gt, tracks, f, obj) for f in range(frame, frame + AROUND)))
    if not before and not after:
        return "never tracked"
    if not before:
        return "track starts after"
    if not after:
        return "track ends at"
    return "same track" if before & after else "new id"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    scene_arguments(ap)
    ap.add_argument("--verbose", action="store_true", help="one line per missed crossing")
    ap.add_argument("overrides", nargs="*", metavar="KEY=VALUE",
                    help="tracker keys (botsort.reid=true), or model./analytics. keys as they are")
    args = ap.parse_args()
    lines, scenes = cached_scenes(args)
    w, h = (int(v) for v in args.size.split("x"))
    missed: Counter = Counter()
    extra: Counter = Counter()
    err = n_true = 0
    for video, gt_path, cache in scenes:
        gt = read_mot_gt(gt_path)
        truth = true_crossings(gt, lines)
        rows, events, tracks = replay(video, cache, args.overrides, lines)
        e, _, _ = count_error(tally(events), truth, len(lines))
        err, n_true = err + e, n_true + len(truth)
        misses, extras = per_object(events, truth, track_owner(rows, gt))
        for crossing in misses:
            cause = missed_cause(gt, tracks, crossing, (w, h))
            missed[cause] += 1
            if args.verbose:
                f, obj, line, direction, vis = crossing
                print(f"  {video.stem} frame {f} object {obj} line {line} {direction} visible {vis:.2f}: {cause}")
        extra += extras
    print(f"seeds {args.seed}-{args.seed + args.sequences - 1}: strict count error {err}/{n_true} = "
          f"{100 * err / max(n_true, 1):.1f} %")
    print(f"missed {sum(missed.values())}: " + ", ".join(f"{c} {missed[c]}" for c in MISSED))
    print(f"extra {sum(extra.values())}: " + ", ".join(f"{c} {extra[c]}" for c in EXTRA))
    return 0


if __name__ == "__main__":
    sys.exit(main())
