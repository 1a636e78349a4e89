"""`Analytics`: the `analytics` config section applied to every source of a pipeline.

The pipeline calls `apply(result)` for each frame in the sink thread, before any sink sees it:
the analytics events join the tracker's in `result.events` (so JSON Lines, MQTT, webhooks and
the GUI handle them unchanged) and `result.analytics` gets the frame's `Overlay` for drawing.
Per source there is one `SourceAnalytics`, created at that source's first frame with the lines
and zones that name it (or no source at all).

Read from any thread: `counts()` (per-source `CountSnapshot`s: `run`'s count lines), `source(id)`
(the live per-source object: `overlay()`, `counts()`), and
`config` (the section as it is now). `set_config()` replaces lines and zones in a running
pipeline; it checks the new section first (geometry, names, classes) and raises `ConfigError`
without changing anything when it is wrong.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from yolotrack.analytics.shapes import applies_to, resolve_shapes
from yolotrack.analytics.source import SourceAnalytics
from yolotrack.analytics.tally import CountSnapshot
from yolotrack.core.config import AnalyticsConfig, build
from yolotrack.core.errors import ConfigError


class Analytics:
    """Lines, zones and counts for every source; see the module docstring.

    Args:
        cfg: the `analytics` config section (checked again here: it may come from code).
        names: the model's class id -> name, to resolve `classes` filters (unknown names: `ConfigError`);
            `Pipeline.start()` sets them from its detector when they are not given.
        cameras: source id -> camera name, so a shape's `source` may name a camera of a cameras file.
        forget_after: seconds after which a track neither seen nor removed by the tracker is released.
    """

    def __init__(self, cfg: AnalyticsConfig | None = None, names: Mapping[int, str] | None = None,
                 cameras: Mapping[str, str] | None = None, forget_after: float = 10.0) -> None:
        self.names = dict(names or {})
        self.cameras = dict(cameras or {})
        self.forget_after = forget_after
        self._lock = threading.Lock()
        self._sources: dict[str, SourceAnalytics] = {}
        self._cfg = AnalyticsConfig()
        self._lines: list = []
        self._zones: list = []
        self._unresolved = False
        self.set_config(cfg or AnalyticsConfig())

    # ------------------------------------------------------------ configuration

    @property
    def config(self) -> AnalyticsConfig:
        """The section in force (frozen: `dataclasses.replace` it and pass the result to `set_config`)."""
        with self._lock:
            return self._cfg

    @property
    def enabled(self) -> bool:
        """True when there is at least one line or zone."""
        return bool(self._cfg.lines or self._cfg.zones)

    def set_config(self, cfg: AnalyticsConfig | Mapping[str, Any]) -> None:
        """Replace lines and zones (and the jitter settings) from each source's next frame on.

        Takes an `AnalyticsConfig` or the mapping of an `analytics:` YAML section. Lines and zones
        whose definition is unchanged keep their counts; changed or new ones start from zero.
        """
        data = dataclasses.asdict(cfg) if isinstance(cfg, AnalyticsConfig) else dict(cfg)
        section: AnalyticsConfig = build(AnalyticsConfig, data, "analytics")  # the same checks as a config file
        if not self.names and _names_used(section):  # class filters wait for the model's names (`set_names`)
            with self._lock:
                self._cfg, self._lines, self._zones, self._unresolved = section, [], [], True
            return
        lines, zones = resolve_shapes(section, self.names)
        with self._lock:
            self._unresolved = False
            self._cfg = section
            self._lines, self._zones = lines, zones
            for sid, src in self._sources.items():
                ln, zn = self._for(sid)
                src.replace(ln, zn, section.hysteresis, section.min_displacement)

    def set_names(self, names: Mapping[int, str]) -> None:
        """The model's class names (known once it is loaded): `classes` filters are resolved again."""
        self.names = dict(names)
        self.set_config(self._cfg)
        for src in self.sources.values():
            src.names = dict(names)

    def check_sources(self, source_ids: Iterable[str]) -> None:
        """`ConfigError` when a line or zone names a source that is neither an id nor a camera here."""
        known = set(source_ids) | set(self.cameras.values())
        for kind, items in (("lines", self._cfg.lines), ("zones", self._cfg.zones)):
            for i, item in enumerate(items):
                if item.source is not None and item.source not in known:
                    raise ConfigError(f"analytics.{kind}[{i}] ({item.name}): source '{item.source}' is neither a "
                                      f"source index nor a camera name here (sources: {', '.join(sorted(known))})")

    def _for(self, source_id: str) -> tuple[list, list]:
        cam = self.cameras.get(source_id)
        return ([ln for ln in self._lines if applies_to(ln.source, source_id, cam)],
                [z for z in self._zones if applies_to(z.source, source_id, cam)])

    # ------------------------------------------------------------ the frame path

    def source(self, source_id: str) -> SourceAnalytics:
        """The live analytics of one source (created on first use)."""
        if self._unresolved:
            raise ConfigError("analytics: a classes filter needs the model's class names (set_names)")
        src = self._sources.get(source_id)
        if src is None:
            with self._lock:
                src = self._sources.get(source_id)
                if src is None:
                    ln, zn = self._for(source_id)
                    src = SourceAnalytics(source_id, ln, zn, self._cfg.hysteresis, self._cfg.min_displacement,
                                          self.names, self.forget_after)
                    self._sources[source_id] = src
        return src

    def apply(self, result: Any) -> None:
        """One pipeline `Result`: add the analytics events to `result.events`, set `result.analytics`."""
        frame = result.frame
        src = self.source(frame.source_id)
        events = src.update(frame.index, frame.timestamp, result.detections, result.events, frame.fps,
                            (frame.width, frame.height), final=getattr(result, "final", False))
        if events:
            result.events = [*result.events, *events]
        result.analytics = src.overlay() if src.has_shapes else None

    def restart(self, source_id: str) -> None:
        """A source that starts again (a new tracker, frame indices from 0) starts its counts afresh:
        its old track ids and frame numbers would otherwise be matched against the new ones."""
        with self._lock:
            self._sources.pop(source_id, None)

    # ------------------------------------------------------------ readers

    def counts(self) -> dict[str, CountSnapshot]:
        """{source id: counts} for every source that has lines or zones; a snapshot names its `camera`
        when the source is one of a cameras file."""
        with self._lock:
            sources = list(self._sources.items())
        return {sid: src.counts(self.cameras.get(sid)) for sid, src in sources if src.has_shapes}

    @property
    def sources(self) -> dict[str, SourceAnalytics]:
        with self._lock:
            return dict(self._sources)


def _names_used(cfg: AnalyticsConfig) -> bool:
    """Whether a line or zone filters classes: ids and names are checked against the model's names."""
    return any(item.classes is not None for item in (*cfg.lines, *cfg.zones))
