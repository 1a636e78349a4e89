"""`model.weights: auto`: the demo model for the bundled demo, the official COCO model for anything real.

The demo models (detect, segment, pose: `demo`, `demo-seg`, `demo-pose`) follow `model.task`.

The bundled demo model knows four synthetic shapes; pointed at a street it never detects anything,
and nothing would say why. So the default looks at the sources: the demo clip (or a synthetic
test pattern) gets the demo model, which works offline; a camera, a stream or a user's file gets
the official COCO release for `model.scale` and `model.task` (`yolov12n` for detect), downloaded
once to the cache. One detector serves every source of a pipeline, so a mix of the demo and a
real camera gets the COCO model: the real camera is what the user is watching.

The choice is made where a config meets its sources (`Pipeline.start`, the GUI, `yolotrack
info`), and is logged with its reason, because a model the user did not name must say where it
came from. Only strings are looked at here: no camera is opened and no file is read.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yolotrack.core.assets import DEMO_TASK_WEIGHTS, DEMO_VIDEO
from yolotrack.core.urls import redact
from yolotrack.detector.hub import cached_release, release_url, weights_name

log = logging.getLogger(__name__)

AUTO = "auto"
_SYNTHETIC = ("synthetic", "synthetic:", "lavfi:")


@dataclass(frozen=True)
class WeightsChoice:
    """What to load (`demo`, a release name or a path) and why, in words for a log line."""

    weights: str
    reason: str
    auto: bool = True

    def describe(self) -> str:
        return f"{self.weights} ({'auto: ' if self.auto else ''}{self.reason})"


def is_demo_source(uri: str) -> bool:
    """The bundled demo clip (by name or path) or a synthetic test pattern."""
    u = str(uri).strip()
    if u == "demo" or u == "synthetic" or u.startswith(_SYNTHETIC):
        return True
    try:
        return Path(u).expanduser().resolve() == DEMO_VIDEO.resolve()
    except (OSError, ValueError):
        return False


def _kind(uri: str) -> str:
    u = str(uri).strip()
    if u.isdigit() or u.startswith("/dev/video"):
        return f"camera {u}"
    if "://" in u:
        return f"stream {redact(u)}"
    return f"source {u}"


def choose_weights(model: Any, uris: Sequence[str]) -> WeightsChoice:
    """The weights `model` (a `ModelConfig`) stands for with these sources.

    Raises `ConfigError` (from `weights_name`) for a task upstream never published, e.g. pose.
    """
    weights = str(model.weights or "")
    if weights and weights != AUTO:
        return WeightsChoice(weights, "set by model.weights", auto=False)
    if not weights:
        return WeightsChoice(weights_name(model.scale, model.task),
                             f"model.weights is empty: the official release for scale {model.scale}, task {model.task}",
                             auto=False)
    real = [u for u in uris if not is_demo_source(u)]
    demo_name, demo_file = DEMO_TASK_WEIGHTS.get(model.task, ("", None))
    if uris and not real and demo_file is not None and demo_file.is_file():
        return WeightsChoice(demo_name, f"the source is the bundled demo: the {model.task} demo model knows its "
                                        "shapes and needs no download")
    name = weights_name(model.scale, model.task)
    if not real:
        why = f"there is no bundled {model.task} demo model"
    elif len(real) < len(uris):
        why = f"{_kind(real[0])} is real and one detector serves all {len(uris)} sources, the demo among them"
    else:
        why = f"{_kind(real[0])} is real" + (f" (and {len(real) - 1} more)" if len(real) > 1 else "")
    dest = cached_release(name)
    url = redact(release_url(name) or name)
    where = f"cached at {dest}" if dest.is_file() else f"downloaded once from {url} to {dest}"
    return WeightsChoice(name, f"{why}: the official COCO model for scale {model.scale}, task {model.task}, {where}")


def apply_auto(cfg: Any, uris: Sequence[str] | None = None) -> Any:
    """`cfg` with `model.weights: auto` replaced by its choice for `uris` (default `cfg.source.uri`),
    logged once with the reason; any other config is returned as it is."""
    if str(cfg.model.weights) != AUTO:
        return cfg
    if uris is None:
        uri = cfg.source.uri
        uris = [str(u) for u in uri] if isinstance(uri, list) else [str(uri)]
    choice = choose_weights(cfg.model, uris)
    log.info("model: %s", choice.describe())
    return dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, weights=choice.weights))
