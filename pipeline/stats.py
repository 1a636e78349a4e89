"""Per-stage meters and the stats snapshot the UI, sinks and logs read.

Meters are written by one stage thread and read by others; they only append to bounded deques
and bump ints, which is safe under the GIL, so reading a snapshot never blocks a stage.
"""

from __future__ import annotations

import enum
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np


class SourceKind(enum.StrEnum):
    """What a source is; it decides how it is opened, whether it is live by default, and whether a
    restarted reader can replay it (files and image folders) or goes on live (the rest)."""

    FILE = "file"
    IMAGES = "images"
    STREAM = "stream"
    WEBCAM = "webcam"
    SYNTHETIC = "synthetic"

    @property
    def replayable(self) -> bool:
        return self in (SourceKind.FILE, SourceKind.IMAGES)


class SourceState(enum.StrEnum):
    """Where a source is in its life; `LIVE` means frames are flowing (files too)."""

    CONNECTING = "connecting"
    LIVE = "live"
    RECONNECTING = "reconnecting"
    ENDED = "ended"
    ERROR = "error"
    STOPPED = "stopped"


@dataclass
class SourceStatus:
    """One source's state for the UI: `retry_in` is the seconds left before the next reconnect."""

    source_id: str
    uri: str
    kind: SourceKind
    state: SourceState = SourceState.CONNECTING
    message: str = ""
    retry_in: float | None = None
    attempts: int = 0  # failed (re)connect attempts in a row
    reconnects: int = 0  # successful reconnects since start
    frames: int = 0  # frames read from the source
    dropped: int = 0  # frames dropped by the latest-frame policy
    fps: float = 0.0  # frames read per second (recent)
    width: int | None = None
    height: int | None = None


@dataclass
class StageStats:
    name: str
    frames: int = 0
    fps: float = 0.0
    p50_ms: float = 0.0  # time spent on one item in this stage
    p95_ms: float = 0.0
    queue_depth: int = 0  # items waiting in this stage's input
    dropped: int = 0


@dataclass
class PipelineStats:
    """A point-in-time snapshot; cheap to build, safe to keep."""

    elapsed: float = 0.0
    frames: int = 0  # frames that reached the sinks
    fps: float = 0.0  # end-to-end output rate (recent)
    inference_ms: float = 0.0  # detector time per batch, p50
    latency_p50_ms: float = 0.0  # capture -> sinks, per frame
    latency_p95_ms: float = 0.0
    track_count: int = 0  # tracks in the last output frame
    dropped: int = 0  # all sources
    paused: bool = False
    stages: dict[str, StageStats] = field(default_factory=dict)
    sources: dict[str, SourceStatus] = field(default_factory=dict)

    def to_record(self) -> dict[str, Any]:
        """JSON-ready, rounded: the `stats` line of `yolotrack run`."""
        rec = asdict(self)
        for src in rec["sources"].values():
            src["state"] = src["state"].value if isinstance(src["state"], SourceState) else src["state"]
        return _round(rec)


def _round(obj: Any) -> Any:
    if isinstance(obj, float):
        return round(obj, 2)
    if isinstance(obj, dict):
        return {k: _round(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_round(v) for v in obj]
    return obj


class Meter:
    """Rolling window of (finish time, duration) for one stage or source."""

    def __init__(self, window: int = 256) -> None:
        self.count = 0
        self._done: deque[float] = deque(maxlen=window)
        self._dur: deque[float] = deque(maxlen=window)

    def add(self, duration: float, now: float | None = None) -> None:
        self.count += 1
        self._done.append(time.monotonic() if now is None else now)
        self._dur.append(duration)

    def tick(self, now: float | None = None) -> None:
        """Count an event that has no duration (a frame read)."""
        self.add(0.0, now)

    def fps(self, horizon: float = 5.0) -> float:
        done = list(self._done)
        if len(done) < 2:
            return 0.0
        now = time.monotonic()
        recent = [t for t in done if now - t <= horizon]
        if len(recent) < 2:
            return 0.0
        span = recent[-1] - recent[0]
        return (len(recent) - 1) / span if span > 0 else 0.0

    def percentiles_ms(self) -> tuple[float, float]:
        dur = list(self._dur)
        if not dur:
            return 0.0, 0.0
        p50, p95 = np.percentile(np.asarray(dur) * 1000.0, [50, 95])
        return float(p50), float(p95)


def merge_stats(parts: dict[str, PipelineStats]) -> PipelineStats:
    """One snapshot of several pipelines (the groups of `run --cameras`), named by group: counts and
    rates add up, latencies take the worst group, stages are prefixed with the group name."""
    items = list(parts.values())
    if not items:
        return PipelineStats()
    return PipelineStats(
        elapsed=max(s.elapsed for s in items), frames=sum(s.frames for s in items), fps=sum(s.fps for s in items),
        inference_ms=max(s.inference_ms for s in items), latency_p50_ms=max(s.latency_p50_ms for s in items),
        latency_p95_ms=max(s.latency_p95_ms for s in items), track_count=sum(s.track_count for s in items),
        dropped=sum(s.dropped for s in items), paused=any(s.paused for s in items),
        stages={f"{g} {k}": v for g, s in parts.items() for k, v in s.stages.items()},
        sources={k: v for s in items for k, v in s.sources.items()},
    )
