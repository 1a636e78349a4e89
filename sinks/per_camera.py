"""The sinks of one camera of a cameras file, in one place for every way of running them.

`run --cameras` in one process and the Ray driver both build a camera's outputs here, so an
output added for cameras (MQTT, webhooks, snapshots) is added once, in `camera_sinks`, and works
locally and on a cluster alike. A sink that needs the frame's pixels (snapshots, video) says so
with a class attribute `needs_images = True`: only then does a cluster actor send that camera's
images to the driver.
"""

from __future__ import annotations

from pathlib import Path

from yolotrack.core.config import Config
from yolotrack.sinks.base import Sink
from yolotrack.sinks.jsonl import JsonlSink


def camera_sinks(cfg: Config, camera: str, out_dir: str | Path) -> list[Sink]:
    """The sinks of `camera` (its own config, overrides applied): `out_dir/<camera>.jsonl` with the
    same lines as `run -o` (frames, events, stats), flushed per line."""
    sinks: list[Sink] = [JsonlSink(Path(out_dir) / f"{camera}.jsonl", events=None)]
    return sinks


def needs_images(sinks: list[Sink]) -> bool:
    return any(getattr(s, "needs_images", False) for s in sinks)
