"""`UnackedRecords`: a group actor's results waiting for the driver, kept until the driver acknowledges them.

The actor's pipeline writes into it through one `UnackedSink` per camera (the pipeline's sink
thread); the driver takes from it with `poll(acks)`, where `acks` are the driver's commit points
(the last frame written per camera). A record leaves only once acknowledged, so a reply lost on
the way is sent again with the next poll; the driver ignores what it already wrote. A full
store holds the sink thread back, and with it the group's cameras: files wait, live cameras
drop their oldest frames and count them, as they do behind any slow stage.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from yolotrack.cluster.records import FrameRecord
from yolotrack.core.detections import Detections
from yolotrack.core.events import TrackEvent
from yolotrack.core.frame import Frame
from yolotrack.pipeline.stats import PipelineStats
from yolotrack.sinks.base import Sink, StreamInfo


class UnackedRecords:
    """Args:
        capacity: records held before `put` waits for the driver.
        skip: camera -> last frame the driver already wrote; a resumed camera's replayed frames
            up to it rebuild its tracker but are not sent again.
        images: cameras whose records carry the image (a driver sink needs pixels).
    """

    def __init__(self, capacity: int, skip: Mapping[str, int] | None = None, images: set[str] | None = None) -> None:
        self.capacity = max(1, int(capacity))
        self.skip = dict(skip or {})
        self.images = set(images or ())
        self._cond = threading.Condition()
        self._records: deque[FrameRecord] = deque()
        self._checkpoints: dict[tuple[str, int], dict[str, Any]] = {}
        self._stats: PipelineStats | None = None
        self._closed = False

    # ------------------------------------------------------------------ pipeline side

    def sinks(self, info: StreamInfo) -> list[Sink]:
        """The pipeline's sink factory: one `UnackedSink` per camera."""
        return [UnackedSink(self, info)]

    def checkpoint(self, camera: str, index: int, state: dict[str, Any]) -> None:
        """From the tracking thread: sent with that frame's record, which follows shortly."""
        self._checkpoints[(camera, index)] = state

    def set_stats(self, stats: PipelineStats) -> None:
        self._stats = stats

    def put(self, record: FrameRecord) -> None:
        """Queue one record; waits while the store is full (dropped once `close`d)."""
        record.checkpoint = self._checkpoints.pop((record.camera, record.index), None)
        if record.index <= self.skip.get(record.camera, -1):
            return
        with self._cond:
            while len(self._records) >= self.capacity and not self._closed:
                self._cond.wait(0.1)
            if self._closed:
                return
            self._records.append(record)
            self._cond.notify_all()

    def close(self) -> None:
        """A hard stop: nothing more is queued and no writer waits."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    # ------------------------------------------------------------------ driver side

    def poll(self, acks: Mapping[str, int], timeout: float, finished: Callable[[], bool]) -> list[FrameRecord]:
        """Forget what `acks` cover, then return every record not yet acknowledged, waiting up to
        `timeout` seconds for one (less once `finished()` says no more will come)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            if acks:
                self._records = deque(r for r in self._records if r.index > acks.get(r.camera, -1))
                self._cond.notify_all()
            while not self._records and time.monotonic() < deadline and not finished():
                self._cond.wait(min(0.05, max(0.0, deadline - time.monotonic())))
            return list(self._records)

    def take_stats(self) -> PipelineStats | None:
        stats, self._stats = self._stats, None
        return stats


class UnackedSink:
    """The pipeline sink of one camera inside an actor: turns each result into a compact record.

    The camera's `StreamInfo` goes with the first record this actor sends for it, so a restarted
    actor's camera needs no separate message (the driver opened its sinks long before).
    """

    name = "unacked"

    def __init__(self, outbox: UnackedRecords, info: StreamInfo) -> None:
        self.outbox = outbox
        self.info = info
        self._info_sent = False

    def open(self, info: StreamInfo) -> None:
        # the live counters stay in the actor (they hold a lock); the driver tallies counts from the events
        self.info = dataclasses.replace(info, analytics=None)

    def write(self, frame: Frame, dets: Detections, events: list[TrackEvent]) -> None:
        rec = FrameRecord.of(frame, dets, events, with_image=frame.source_id in self.outbox.images)
        if not self._info_sent and rec.index > self.outbox.skip.get(rec.camera, -1):
            rec.info = self.info
            self._info_sent = True
        self.outbox.put(rec)

    def close(self) -> list[Path]:
        return []

    def abort(self) -> None:
        pass
