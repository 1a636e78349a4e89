"""`yolotrack eval GT PRED`: score MOT Challenge tracker output against ground truth.

GT and PRED are two MOT text files (one sequence) or two folders: `GT/<seq>/gt/gt.txt` (or
`GT/<seq>.txt`) paired by name with `PRED/<seq>.txt`. Prints HOTA, MOTA, IDF1, ID switches and
the usual counts per sequence (plus a combined row for several), or JSON with `--json`.

`--cross-camera`: GT is a folder of cameras (`GT/<cam>/gt/gt.txt`, ids global, as `yolotrack
synth --cameras` writes them) and PRED holds `<cam>.txt` (MOT, global ids) or `<cam>.jsonl`
(`run --cameras` output, its `global_id`s); one row per camera plus `ALL CAMERAS`, the
multi-camera score (the cameras laid end to end: an object keeps one id everywhere).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from yolotrack.core.errors import UsageError

_TABLE = (("HOTA", "{:.2%}"), ("DetA", "{:.2%}"), ("AssA", "{:.2%}"), ("MOTA", "{:.2%}"), ("IDF1", "{:.2%}"),
          ("MOTP", "{:.3f}"), ("IDSW", "{}"), ("FP", "{}"), ("FN", "{}"), ("Frag", "{}"),
          ("MT", "{}"), ("ML", "{}"), ("gt_ids", "{}"), ("pred_ids", "{}"), ("frames", "{}"))


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("gt", help="ground-truth MOT file (gt.txt) or folder of sequences")
    p.add_argument("pred", help="tracker result MOT file (<seq>.txt) or folder of them")
    p.add_argument("--iou", type=float, default=0.5, help="IoU for a match in MOTA/IDF1 (default 0.5)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON instead of a table")
    p.add_argument("--cross-camera", action="store_true",
                   help="GT and PRED are folders of cameras; adds the multi-camera score on global ids")


def format_table(results: dict[str, dict[str, float | int]]) -> str:
    """Fixed-width text table, one row per sequence (the combined row only for several)."""
    rows = list(results.items())
    if len(rows) == 2 and rows[1][0] == "COMBINED":  # one sequence + COMBINED: identical numbers, show one row
        rows = rows[:1]
    name_w = max(8, *(len(n) for n, _ in rows))
    cells = [[fmt.format(m[k]) for k, fmt in _TABLE] for _, m in rows]
    widths = [max(len(k), *(len(c[i]) for c in cells)) for i, (k, _) in enumerate(_TABLE)]
    lines = ["sequence".ljust(name_w) + "  " + "  ".join(k.rjust(w) for (k, _), w in zip(_TABLE, widths, strict=True))]
    for (name, _), c in zip(rows, cells, strict=True):
        lines.append(name.ljust(name_w) + "  " + "  ".join(v.rjust(w) for v, w in zip(c, widths, strict=True)))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from yolotrack.tracker.evaluate import evaluate_paths

    for what, path in (("ground truth", args.gt), ("prediction", args.pred)):
        if not Path(path).exists():
            raise UsageError(f"{what} path {path} does not exist")
    if not 0.0 < args.iou < 1.0:
        raise UsageError(f"--iou must be between 0 and 1, got {args.iou}")
    if args.cross_camera:
        from yolotrack.tracker.evaluate import evaluate_cameras, find_cameras

        if not (Path(args.gt).is_dir() and Path(args.pred).is_dir()):
            raise UsageError("--cross-camera needs two folders: GT/<camera>/gt/gt.txt and PRED/<camera>.txt or .jsonl")
        results = evaluate_cameras(find_cameras(args.gt, args.pred), args.iou)
    else:
        results = evaluate_paths(args.gt, args.pred, args.iou)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(format_table(results))
    return 0
