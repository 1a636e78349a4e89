"""`yolotrack convert IN OUT`: any supported checkpoint or release name -> our safetensors format."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

log = logging.getLogger(__name__)


def configure(p: argparse.ArgumentParser) -> None:
    p.description = ("Convert an official/Ultralytics .pt, a state_dict or a .safetensors file (or a release name "
                     "such as yolo12n) into yolotrack's pickle-free format.")
    p.add_argument("src", help="input checkpoint path or release name")
    p.add_argument("dst", help="output .safetensors path")
    p.add_argument("--half", action="store_true", help="store weights as fp16 (half the size)")


def run(args: argparse.Namespace) -> int:
    from yolotrack.core.errors import UsageError
    from yolotrack.detector import load_model, save_checkpoint

    dst = Path(args.dst)
    if dst.suffix != ".safetensors":
        raise UsageError(f"output {dst} must end in .safetensors")
    model = load_model(args.src, device="cpu", fuse=False)
    save_checkpoint(model, dst, meta={"converted_from": str(args.src)}, half=args.half)
    sys.stdout.write(f"wrote {dst} ({model.family} {model.task}, {model.nc} classes)\n")
    return 0
