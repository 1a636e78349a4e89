"""`yolotrack gui`: the desktop window for live cameras, streams and files, one or a grid of them.

PyQt6 is imported only when the command runs, so `yolotrack --help` works without it. Ctrl-C in
the terminal or SIGTERM close the window like its close button does (exit 0).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

from yolotrack.commands.common import add_model_flags, config_from_args, split_overrides
from yolotrack.core.errors import UsageError


def configure(p: argparse.ArgumentParser) -> None:
    add_model_flags(p)
    p.add_argument("--cameras", metavar="FILE", help="show every camera of a cameras file (the one 'run --cameras' "
                   "reads) in a grid, all through one batched detector (at most 9)")
    p.add_argument("--fullscreen", action="store_true", help="start full screen")
    p.add_argument("--screenshot", metavar="PNG",
                   help="unattended: wait for --frames frames, save the window as PNG and quit")
    p.add_argument("--frames", type=int, default=10, help="frames to wait for with --screenshot (default 10)")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds to wait with --screenshot (default 60)")


def run(args: argparse.Namespace) -> int:
    cfg, _ = config_from_args(args)
    if args.fullscreen:
        cfg = dataclasses.replace(cfg, ui=dataclasses.replace(cfg.ui, fullscreen=True))
    if args.frames < 1:
        raise UsageError("--frames must be at least 1")
    cameras = links = None
    if args.cameras:
        from yolotrack.core.cameras import load_site

        if args.source is not None:
            raise UsageError("--source does not go with --cameras: the cameras file names the sources")
        site = load_site(args.cameras)
        cameras, links = site.cameras, site.links
        if len(cameras) > 9:
            raise UsageError(f"{args.cameras} has {len(cameras)} cameras; the window shows at most 9 (3x3): use "
                             "'yolotrack run --cameras' for more")
        for cam in cameras:
            cam.config(cfg)  # an override that does not fit this config fails here, before a window opens
    flag_keys = (("conf", "model.conf"), ("weights", "model.weights"), ("source", "source.uri"))
    explicit = {key for attr, key in flag_keys if getattr(args, attr, None) is not None}
    overrides, _ = split_overrides(list(getattr(args, "overrides", []) or []))
    explicit |= {o.split("=", 1)[0] for o in overrides}
    if (sys.platform.startswith("linux") and not os.environ.get("QT_QPA_PLATFORM")
            and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")):
        # Qt would abort the process without a display; say so in one sentence instead.
        raise UsageError("no display to open a window on (DISPLAY is not set); use 'yolotrack run' on a "
                         "headless machine, or set QT_QPA_PLATFORM=offscreen")
    try:
        from yolotrack.ui import run_gui
        from yolotrack.ui.settings import preset_keys
    except ImportError as e:
        raise UsageError(f"'yolotrack gui' needs PyQt6 ({e}); install it with: pip install PyQt6") from None
    explicit |= preset_keys(getattr(args, "config", None))  # a chosen preset wins over remembered values
    shot = Path(args.screenshot) if args.screenshot else None
    return run_gui(cfg, frozenset(explicit), screenshot=shot, frames=args.frames, timeout=args.timeout,
                   cameras=cameras, links=links)
