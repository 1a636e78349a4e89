"""Flags shared by the subcommands that run a model, and turning them into a `Config`."""

from __future__ import annotations

import argparse
import re

from yolotrack.core.config import Config, apply_override, load_config, set_value
from yolotrack.core.errors import UsageError

_OVERRIDE = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)+=")

def add_model_flags(p: argparse.ArgumentParser, *, source: bool = True) -> None:
    p.add_argument("-c", "--config", help="YAML config file or preset name (default, webcam, rtsp_headless, export)")
    p.add_argument("--weights", help="checkpoint path or model name (demo, yolov12n, yolo12s, yolov12m-seg, ...)")
    if source:
        p.add_argument("--source", help="webcam index, /dev/videoN, rtsp://..., file, folder, glob or 'demo'")
    p.add_argument("--imgsz", type=int, help="inference size in pixels (multiple of 32)")
    p.add_argument("--conf", type=float, help="confidence threshold")
    p.add_argument("--device", help="auto, cpu, cuda, cuda:N")
    p.add_argument("overrides", nargs="*", metavar="KEY=VALUE",
                   help="config overrides such as model.iou=0.5 tracker.track_buffer=60")

def split_overrides(items: list[str]) -> tuple[list[str], list[str]]:
    """Separate `section.key=value` overrides from plain positional arguments."""
    overrides = [i for i in items if _OVERRIDE.match(i)]
    rest = [i for i in items if not _OVERRIDE.match(i)]
    return overrides, rest

def config_from_args(args: argparse.Namespace, positional: int = 0) -> tuple[Config, list[str]]:
    """Build the config (file, then flags, then overrides) and return leftover positionals.

    `positional` is how many plain (non key=value) arguments the subcommand accepts.
    """
    overrides, rest = split_overrides(list(getattr(args, "overrides", []) or []))
    if len(rest) > positional:
        extra = rest[positional:]
        raise UsageError(f"unexpected argument(s) {' '.join(extra)}; overrides look like section.key=value")
    flag_map = {"weights": "model.weights", "source": "source.uri", "imgsz": "model.imgsz",
                "conf": "model.conf", "device": "model.device"}
    flags = []
    for attr, key in flag_map.items():
        value = getattr(args, attr, None)
        if value is not None:
            flags.append((key, value))
    cfg = load_config(getattr(args, "config", None), overrides=None)
    for key, value in flags:
        cfg = set_value(cfg, key.split("."), value)
    for item in overrides:
        cfg = apply_override(cfg, item)
    return cfg, rest
