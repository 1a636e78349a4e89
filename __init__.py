"""yolotrack: real-time YOLOv12 detection and multi-object tracking for cameras, streams and files.

The repository root is this package (setuptools maps `yolotrack` to it), so `yolotrack.tracker`
is `tracker/`, `yolotrack.detector` is `detector/`, and so on. Heavy parts import lazily.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("yolotrack")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0+unknown"
