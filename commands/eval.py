"""`yolotrack eval GT PRED`: score MOT Challenge tracker output against ground truth.
`yolotrack eval --data DATA --weights W`: score a model on a YOLO dataset's val split.

GT and PRED are two MOT text files (one sequence) or two folders: `GT/<seq>/gt/gt.txt` (or
`GT/<seq>.txt`) paired by name with `PRED/<seq>.txt`. Prints HOTA, MOTA, IDF1, ID switches and
the usual counts per sequence (plus a combined row for several), or JSON with `--json`.

With `--data`, the model's detections on the letterboxed val images give box mAP50 / mAP50-95 per
class and, for segment and pose models, mask mAP (mask IoU) or keypoint OKS mAP, as the trainer's
validation computes them.

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
    p.add_argument("gt", nargs="?", help="ground-truth MOT file (gt.txt) or folder of sequences")
    p.add_argument("pred", nargs="?", help="tracker result MOT file (<seq>.txt) or folder of them")
    p.add_argument("--data", help="a YOLO data YAML: score --weights on its val split instead")
    p.add_argument("--weights", help="with --data: the checkpoint or model name to score")
    p.add_argument("--imgsz", type=int, default=640, help="with --data: letterbox size (default 640)")
    p.add_argument("--split", default="val", choices=["val", "train"], help="with --data: which split")
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


def run_dataset(args: argparse.Namespace) -> int:
    from yolotrack.detector import load_model
    from yolotrack.train.dataset import YoloDataset, load_data_yaml
    from yolotrack.train.trainer import evaluate

    if not args.weights:
        raise UsageError("--data needs --weights (the model to score)")
    if args.imgsz < 32 or args.imgsz % 32:
        raise UsageError(f"--imgsz must be a multiple of 32, got {args.imgsz}")
    spec = load_data_yaml(args.data)
    folders = spec.val if args.split == "val" else spec.train
    if not folders:
        raise UsageError(f"{args.data} has no {args.split} split")
    model = load_model(args.weights, fuse=False).float()
    task = model.task
    if task == "pose" and spec.kpt_shape != model.kpt_shape:
        raise UsageError(f"the model has keypoints {model.kpt_shape}, the data {spec.kpt_shape}")
    if model.nc != spec.nc:
        raise UsageError(f"the model knows {model.nc} classes, {args.data} names {spec.nc}")
    ds = YoloDataset(folders, spec.nc, args.imgsz, augment=False, task=task, kpt_shape=spec.kpt_shape,
                     mask_ratio=1)
    sigmas = spec.kpt_sigmas or (model.meta.get("keypoints") or {}).get("sigmas")
    result = evaluate(model, ds, sigmas=sigmas)
    if args.json:
        print(json.dumps({**result.metrics(), "task": task, "images": len(ds)}, indent=2))
    else:
        print(result.table(spec.names))
    return 0


def run(args: argparse.Namespace) -> int:
    from yolotrack.tracker.evaluate import evaluate_paths

    if args.data:
        return run_dataset(args)
    if not args.gt or not args.pred:
        raise UsageError("give GT and PRED (MOT files or folders), or --data DATA --weights W")

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
