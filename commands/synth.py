"""`yolotrack synth`: procedural scenes with exact ground truth (videos, MOT gt, YOLO detect/segment/pose dataset)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from yolotrack.core.errors import UsageError

log = logging.getLogger(__name__)


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="runs/synth", help="output folder")
    p.add_argument("--sequences", type=int, default=4, help="number of sequences")
    p.add_argument("--frames", type=int, default=300, help="frames per sequence")
    p.add_argument("--seed", type=int, default=0, help="seed of the first sequence; sequence i uses seed+i")
    p.add_argument("--width", type=int, default=640, help="frame width in pixels")
    p.add_argument("--height", type=int, default=384, help="frame height in pixels")
    p.add_argument("--fps", type=float, default=30.0, help="frame rate of the videos and ground truth")
    p.add_argument("--every", type=int, default=5, help="keep every Nth frame as a dataset image")
    p.add_argument("--val-fraction", type=float, default=0.25, help="share of sequences held out for val")
    p.add_argument("--min-objects", type=int, default=3, help="fewest objects in a sequence")
    p.add_argument("--max-objects", type=int, default=7, help="most objects in a sequence")
    p.add_argument("--crf", type=int, default=26, help="x264 quality (lower = bigger, better)")
    p.add_argument("--task", default="detect", choices=["detect", "segment", "pose"],
                   help="dataset labels: boxes (detect), visible outlines (segment) or boxes + corner keypoints (pose)")
    p.add_argument("--no-video", action="store_true", help="skip the MP4 files")
    p.add_argument("--no-dataset", action="store_true", help="skip the YOLO dataset")


def run(args: argparse.Namespace) -> int:
    from yolotrack.train.synth_export import SynthPlan, run_plan, scene_config

    if args.sequences < 1 or args.frames < 1 or args.every < 1:
        raise UsageError("--sequences, --frames and --every must be at least 1")
    if args.width < 64 or args.height < 64 or args.width % 2 or args.height % 2:
        raise UsageError("--width and --height must be even and at least 64")
    if not 0 <= args.val_fraction < 1:
        raise UsageError("--val-fraction must be in [0, 1)")
    if not 1 <= args.min_objects <= args.max_objects:
        raise UsageError("need 1 <= --min-objects <= --max-objects")
    scene = scene_config(width=args.width, height=args.height, fps=args.fps, frames=args.frames,
                         min_objects=args.min_objects, max_objects=args.max_objects)
    out = Path(args.out)
    plan = SynthPlan(out=out, sequences=args.sequences, seed=args.seed, scene=scene,
                     val_fraction=args.val_fraction, every=args.every, videos=not args.no_video,
                     dataset=not args.no_dataset, crf=args.crf, task=args.task)
    splits = run_plan(plan)
    print(f"wrote {args.sequences} sequence(s) to {out}: train {', '.join(splits['train']) or '-'}; "
          f"val {', '.join(splits['val']) or '-'}")
    if plan.dataset:
        print(f"dataset: {out / 'dataset' / 'data.yaml'}")
    return 0
