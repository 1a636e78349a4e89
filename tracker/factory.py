"""The tracker a config asks for: `build_tracker(cfg.tracker, fps)`, used by every command and the GUI."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import TYPE_CHECKING

from yolotrack.core.errors import ConfigError
from yolotrack.tracker.botsort import BotSortTracker
from yolotrack.tracker.byte_tracker import ByteTracker
from yolotrack.tracker.lifecycle import TrackerBase
from yolotrack.tracker.ocsort import OcSortTracker

if TYPE_CHECKING:
    from yolotrack.core.config import TrackerConfig

TRACKERS: dict[str, type[ByteTracker] | type[OcSortTracker]] = {
    "bytetrack": ByteTracker,
    "botsort": BotSortTracker,
    "ocsort": OcSortTracker,
}


def build_tracker(cfg: TrackerConfig, frame_rate: float | None = None) -> TrackerBase:
    """A new tracker of type `cfg.type` with the config's parameters, for one source at `frame_rate`."""
    cls = TRACKERS.get(cfg.type)
    if cls is None:
        close = difflib.get_close_matches(str(cfg.type), list(TRACKERS), n=1, cutoff=0.5)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise ConfigError(f"tracker.type: unknown tracker {cfg.type!r}{hint} (choose one of {', '.join(TRACKERS)})")
    return cls.from_config(cfg, frame_rate)


def tracker_factory(cfg: TrackerConfig) -> Callable[[float], TrackerBase]:
    """`fps -> tracker`, what the pipeline calls once per source."""
    build_tracker(cfg)  # a bad type or parameter fails now, not at the first frame
    return lambda fps: build_tracker(cfg, fps)


def wants_embeddings(cfg: TrackerConfig) -> bool:
    """Whether the configured tracker matches on appearance (the detector must then pool embeddings)."""
    return bool(cfg.enabled and cfg.type == "botsort" and (cfg.botsort.appearance or cfg.botsort.reid))


def wants_images(cfg: TrackerConfig) -> bool:
    """Whether the configured tracker uses the frames themselves (camera-motion compensation)."""
    return bool(cfg.enabled and cfg.type == "botsort" and cfg.botsort.gmc != "none")
