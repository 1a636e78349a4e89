"""Files that ship inside the package: the config presets and the bundled offline demo.

They are found through `importlib.resources`, so a checkout, an editable install and an installed
wheel resolve them alike. pip installs wheels unpacked, so each resource is a real file on disk.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def package_path(*parts: str) -> Path:
    """A file or folder inside the installed `yolotrack` package."""
    path = resources.files("yolotrack").joinpath(*parts)
    if not isinstance(path, Path):  # a zip import: never produced by pip
        raise RuntimeError(f"yolotrack must be installed as files on disk to read {'/'.join(parts)}")
    return path


CONFIG_DIR = package_path("configs")
DEMO_DIR = package_path("assets", "demo")
DEMO_WEIGHTS = DEMO_DIR / "yolov12n-demo.safetensors"
# the same shapes with masks and with corner keypoints: name -> file (`--weights demo-seg`, ...)
DEMO_TASK_WEIGHTS = {"detect": ("demo", DEMO_WEIGHTS),
                     "segment": ("demo-seg", DEMO_DIR / "yolov12n-seg-demo.safetensors"),
                     "pose": ("demo-pose", DEMO_DIR / "yolov12n-pose-demo.safetensors")}
DEMO_NAMES = {name: path for name, path in DEMO_TASK_WEIGHTS.values()}
DEMO_VIDEO = DEMO_DIR / "demo.mp4"
DEMO_GT = DEMO_DIR / "demo_gt.txt"  # MOT ground truth of the demo clip (from the scene generator)
