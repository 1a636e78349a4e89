"""`yolotrack train`: train YOLOv12 (detect, segment or pose) on a YOLO-format dataset, from scratch or a
checkpoint (`model.task=segment` or `--task segment`; default: the data YAML's task, else the checkpoint's)."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from pathlib import Path
from types import FrameType

from yolotrack.core.errors import UsageError

log = logging.getLogger(__name__)


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", help="data YAML (YOLO format: path, train, val, names)")
    p.add_argument("--weights", "--model", dest="model", default="n",
                   help="scale n/s/m/l/x to start from scratch, or a checkpoint to fine-tune (default n)")
    p.add_argument("--task", choices=["detect", "segment", "pose"],
                   help="what to train (also model.task=...); default: the data YAML's 'task' (pose when it has "
                        "kpt_shape), else the checkpoint's, else detect")
    p.add_argument("--family", default="turbo", choices=["turbo", "v1"], help="architecture when from scratch")
    p.add_argument("--out", default="runs/train", help="run folder: last.pt (resume), last/best.safetensors")
    p.add_argument("--imgsz", type=int, default=320, help="training crop size (multiple of 32)")
    p.add_argument("--view-size", type=int, help="inference size the crops mimic (default imgsz)")
    p.add_argument("--val-imgsz", type=int, help="validation letterbox size (default view size)")
    p.add_argument("--steps", type=int, default=2000, help="optimizer steps")
    p.add_argument("--batch", type=int, default=16, help="images per optimizer step")
    p.add_argument("--optimizer", default="adamw", choices=["adamw", "sgd"], help="optimizer")
    p.add_argument("--lr0", type=float, default=0.002, help="initial learning rate")
    p.add_argument("--lrf", type=float, default=0.01, help="final lr as a fraction of lr0")
    p.add_argument("--warmup-steps", type=int, default=100, help="steps of linear learning-rate warm-up")
    p.add_argument("--val-every", type=int, default=200, help="validate every N steps")
    p.add_argument("--save-every", type=int, default=50, help="write last.pt every N steps (for --resume)")
    p.add_argument("--val-max-images", type=int, default=200, help="validate on at most N images")
    p.add_argument("--time", type=float, dest="max_minutes", help="time budget in minutes (shortens the schedule)")
    p.add_argument("--workers", type=int, default=1, help="data loader processes")
    p.add_argument("--threads", type=int, help="torch CPU threads (default: all cores)")
    p.add_argument("--seed", type=int, default=0, help="random seed (data order, augmentation, init)")
    p.add_argument("--freeze", type=int, default=0,
                   help="keep the first N layers as loaded (21: body and neck; only the head learns)")
    p.add_argument("--min-keep", type=float, default=0.35, metavar="SHARE",
                   help="a box the training crop cuts keeps its label while this share of it is left (0.1 with "
                        "data labelled down to slivers at the frame's edge)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from last.pt")
    p.add_argument("overrides", nargs="*", metavar="model.task=TASK", help="the task, as for the other commands")


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    from yolotrack.train.trainer import TrainConfig, Trainer

    for name in ("steps", "batch", "val_every", "save_every", "warmup_steps"):
        if getattr(args, name) < 1 and not (name == "warmup_steps" and args.warmup_steps == 0):
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1")
    if args.workers < 0:
        raise UsageError("--workers must be 0 or more")
    if not 0 < args.min_keep <= 1:
        raise UsageError("--min-keep must be in (0, 1]")
    task = args.task
    for item in getattr(args, "overrides", None) or []:
        key, _, value = item.partition("=")
        if key != "model.task":
            raise UsageError(f"train takes no override {item!r}; only model.task=detect|segment|pose")
        if value not in ("detect", "segment", "pose"):
            raise UsageError(f"model.task must be detect, segment or pose, got {value!r}")
        if task not in (None, value):
            raise UsageError(f"--task {task} and model.task={value} disagree")
        task = value
    cfg = TrainConfig(
        data=args.data, model=args.model, task=task, family=args.family, out=args.out, imgsz=args.imgsz,
        view_size=args.view_size, val_imgsz=args.val_imgsz, steps=args.steps, batch=args.batch,
        optimizer=args.optimizer, lr0=args.lr0, lrf=args.lrf, warmup_steps=max(1, args.warmup_steps),
        val_every=args.val_every, save_every=args.save_every, val_max_images=args.val_max_images,
        max_minutes=args.max_minutes, workers=args.workers, threads=args.threads, seed=args.seed,
        resume=args.resume, freeze=args.freeze, min_keep=args.min_keep,
    )
    previous = None
    if threading.current_thread() is threading.main_thread():
        # `kill` should save a resumable state like Ctrl-C does (the trainer saves on the way out)
        previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        result = Trainer(cfg).run()
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    out = Path(args.out)
    if result is not None:
        print("  ".join(f"{k} {v:.3f}" for k, v in result.metrics().items()))
    print(f"weights: {out / 'best.safetensors' if result is not None else out / 'last.safetensors'}")
    return 0
