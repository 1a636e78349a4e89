"""Camera groups: which cameras can share one batched detector, and the config that detector runs with.

A group is the unit of work everywhere: one `Pipeline` in this process, or one Ray actor on a
cluster. Cameras share a group only when their overrides agree on every key that shapes the
network or the batched NMS (weights, imgsz, runtime, precision, device, ...) and on the pipeline
section; `cluster.group_size` caps how many share one. The keys that may differ inside a group
are applied per camera: the source section by each camera's own source, `model.conf` and
`model.classes` by a filter after the shared detector (which runs at the group's lowest
threshold and the union of its classes), the tracker section by each camera's own tracker.
`model.weights: auto` is decided per camera, by its own source, before grouping: the demo clip
gets the demo model, a real camera the COCO model, so the two never share a detector.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from yolotrack.core.cameras import Camera
from yolotrack.core.config import Config
from yolotrack.core.errors import ConfigError
from yolotrack.detector.auto_weights import AUTO, choose_weights

log = logging.getLogger(__name__)

PER_CAMERA_MODEL_KEYS = ("conf", "classes")  # applied after the shared detector, per camera


@dataclass
class CameraGroup:
    name: str  # group-0, group-1, ...: names the group in log lines and errors
    cameras: list[Camera]
    configs: dict[str, Config]  # camera name -> its full config (base + its overrides)
    config: Config  # what the group's detector and pipeline run with

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.cameras]


def detector_key(cfg: Config) -> tuple:
    """What must be equal for two cameras to share one batched detector and one pipeline."""
    model = tuple((k, repr(v)) for k, v in dataclasses.asdict(cfg.model).items() if k not in PER_CAMERA_MODEL_KEYS)
    return model, tuple(sorted(dataclasses.asdict(cfg.pipeline).items()))


def plan_groups(cameras: Sequence[Camera], base: Config, group_size: int | None = None) -> list[CameraGroup]:
    """Split `cameras` into groups of at most `group_size` (default `base.cluster.group_size`) cameras
    with equal `detector_key`, in file order."""
    size = group_size or base.cluster.group_size
    buckets: dict[tuple, list[tuple[Camera, Config]]] = {}
    chosen: dict[str, list[str]] = {}  # what auto picked -> for which cameras (logged once each)
    for cam in cameras:
        cfg = cam.config(base)
        if cfg.model.weights == AUTO:
            choice = choose_weights(cfg.model, [cam.source])
            cfg = dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, weights=choice.weights))
            chosen.setdefault(choice.describe(), []).append(cam.name)
        if cfg.pipeline.detect_every > 1 and not cfg.tracker.enabled:
            raise ConfigError(f"camera {cam.name}: pipeline.detect_every > 1 needs tracker.enabled: true "
                              "(the tracker carries the boxes over the skipped frames)")
        buckets.setdefault(detector_key(cfg), []).append((cam, cfg))
    for what, names in chosen.items():
        log.info("model for %s: %s", ", ".join(names), what)
    groups: list[CameraGroup] = []
    for members in buckets.values():
        for i in range(0, len(members), size):
            chunk = members[i:i + size]
            groups.append(CameraGroup(f"group-{len(groups)}", [c for c, _ in chunk],
                                      {c.name: cfg for c, cfg in chunk}, _shared_config([cfg for _, cfg in chunk])))
    return groups


def _shared_config(configs: list[Config]) -> Config:
    """The group's config: the first camera's, with the lowest `conf` and the union of `classes`
    (None when any camera keeps every class), and tracking on (each camera's tracker decides)."""
    first = configs[0]
    classes: list[int | str] | None = None
    if all(c.model.classes is not None for c in configs):
        classes = []
        for c in configs:
            classes.extend(x for x in c.model.classes or [] if x not in classes)
    model = dataclasses.replace(first.model, conf=min(c.model.conf for c in configs), classes=classes)
    return dataclasses.replace(first, model=model, tracker=dataclasses.replace(first.tracker, enabled=True))
