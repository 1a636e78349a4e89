"""The sinks of one camera of a cameras file, in one place for every way of running them.

`run --cameras` in one process and the Ray driver both build a camera's outputs here, so an
output added for cameras (MQTT, webhooks, snapshots) is added once, in `camera_sinks`, and works
locally and on a cluster alike. A sink that needs the frame's pixels (snapshots, video) says so
with a class attribute `needs_images = True`: only then does a cluster actor send that camera's
images to the driver.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from yolotrack.core.config import Config
from yolotrack.sinks.base import Sink
from yolotrack.sinks.jsonl import JsonlSink


def camera_sinks(cfg: Config, camera: str, out_dir: str | Path, service: Any = None) -> list[Sink]:
    """The sinks of `camera` (its own config, overrides applied): `out_dir/<camera>.jsonl` with the
    same lines as `run -o` (frames, events, stats), flushed per line, plus the sinks feeding the
    process's service outputs (`sinks.service.ServiceOutputs`: MQTT, webhook, snapshots) when given.
    The camera's name is its source id, so it names its MQTT topics and snapshot folder."""
    sinks: list[Sink] = [JsonlSink(Path(out_dir) / f"{camera}.jsonl", events=None)]
    if service is not None and service.enabled:
        sinks += service.sinks()
    return sinks


def needs_images(sinks: list[Sink]) -> bool:
    return any(getattr(s, "needs_images", False) for s in sinks)
