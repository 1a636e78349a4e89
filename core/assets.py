"""Where the bundled offline demo (model + clip) lives. `demo` names resolve here."""

from __future__ import annotations

from pathlib import Path

ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"
DEMO_DIR = ASSETS_DIR / "demo"
DEMO_WEIGHTS = DEMO_DIR / "yolov12n-demo.safetensors"
DEMO_VIDEO = DEMO_DIR / "demo.mp4"
DEMO_GT = DEMO_DIR / "demo_gt.txt"  # MOT ground truth of the demo clip (from the scene generator)
