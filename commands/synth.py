"""`yolotrack synth`: procedural scenes with exact ground truth (videos, MOT gt, YOLO detect/segment/pose dataset).

With `--cameras N`, each sequence is one scene seen by N cameras (`train/synth_cameras.py`):
`OUT/<seq>/<cam>.mp4`, ground truth in global ids under `OUT/<seq>/gt/`, and a cameras file
`OUT/<seq>/cameras.yaml` for `yolotrack run --cameras`; `yolotrack eval --cross-camera` scores it.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from yolotrack.core.errors import UsageError

if TYPE_CHECKING:
    from yolotrack.train.synth import SceneConfig

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
    p.add_argument("--edge-visibility", type=float, default=None, metavar="SHARE",
                   help="also label objects cut by the frame's edge down to this share in view (0.1: slivers "
                        "entering or leaving), when no other object hides them; default: only the 40 %% rule")
    p.add_argument("--no-video", action="store_true", help="skip the MP4 files")
    p.add_argument("--no-dataset", action="store_true", help="skip the YOLO dataset")
    p.add_argument("--cameras", type=int, default=None, metavar="N",
                   help="one scene seen by N cameras (overlapping and disjoint views), ground truth in global "
                        "ids and a cameras file per sequence; no dataset")


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
    if args.edge_visibility is not None and not 0 < args.edge_visibility <= 1:
        raise UsageError("--edge-visibility must be in (0, 1]")
    scene = scene_config(width=args.width, height=args.height, fps=args.fps, frames=args.frames,
                         min_objects=args.min_objects, max_objects=args.max_objects)
    out = Path(args.out)
    if args.cameras is not None:
        return _cameras(args, scene, out)
    plan = SynthPlan(out=out, sequences=args.sequences, seed=args.seed, scene=scene,
                     val_fraction=args.val_fraction, every=args.every, videos=not args.no_video,
                     dataset=not args.no_dataset, crf=args.crf, task=args.task,
                     edge_visibility=args.edge_visibility)
    splits = run_plan(plan)
    print(f"wrote {args.sequences} sequence(s) to {out}: train {', '.join(splits['train']) or '-'}; "
          f"val {', '.join(splits['val']) or '-'}")
    if plan.dataset:
        print(f"dataset: {out / 'dataset' / 'data.yaml'}")
    return 0


def _cameras(args: argparse.Namespace, scene: SceneConfig, out: Path) -> int:
    from yolotrack.train.synth_cameras import write_scene

    if not 2 <= args.cameras <= 16:
        raise UsageError("--cameras must be between 2 and 16")
    for i in range(args.sequences):
        name = f"seq{args.seed + i:04d}"
        boxes = write_scene(args.seed + i, args.cameras, out / name, scene, crf=args.crf,
                            videos=not args.no_video)
        log.info("wrote %s: %s", name, ", ".join(f"{cam} {n} boxes" for cam, n in boxes.items()))
    print(f"wrote {args.sequences} sequence(s) of {args.cameras} cameras to {out}: "
          f"run one with `yolotrack run --cameras {out}/seq{args.seed:04d}/cameras.yaml --out DIR`")
    return 0
