"""The stage threads: capture (one per source) -> detect (all sources, batched) -> track -> sinks.

Each stage is a small object with `start()`/`join()` running one daemon thread; stages talk only
through `FrameQueue`s and stop on one shared `halt` event. Any exception inside a stage is handed
to `fail(stage_name, exc)`, which halts the whole pipeline; the runner turns it into one error.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from yolotrack.core.detections import Detections
from yolotrack.core.events import TrackEvent
from yolotrack.core.frame import Frame
from yolotrack.pipeline.queues import EndOfStream, FrameQueue
from yolotrack.pipeline.sources import Source
from yolotrack.pipeline.stats import Meter

log = logging.getLogger(__name__)

FailFn = Callable[[str, BaseException], None]


class StageFailure(Exception):
    """Names a more precise culprit than the thread it happened in (a sink, the inline tracker)."""

    def __init__(self, stage: str, error: BaseException) -> None:
        super().__init__(str(error))
        self.stage = stage
        self.error = error


@dataclass(slots=True)
class Captured:
    frame: Frame
    t_capture: float  # time.monotonic() when the frame left the source


@dataclass(slots=True)
class Packet:
    """One frame on its way through the stages."""

    frame: Frame
    detections: Detections | None  # None: the detector skipped this frame, the tracker fills it in
    t_capture: float
    events: list[TrackEvent] = field(default_factory=list)


class Stage:
    """A named daemon thread; subclasses implement `run()`."""

    def __init__(self, name: str, halt: threading.Event, fail: FailFn) -> None:
        self.name = name
        self.halt = halt
        self.fail = fail
        self.meter = Meter()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._main, name=f"yolotrack-{self.name}", daemon=True)
        self._thread.start()

    def _main(self) -> None:
        try:
            self.run()
        except BaseException as e:  # noqa: BLE001 - any failure must stop the whole pipeline, not one thread
            self.fail(self.name, e)

    def run(self) -> None:
        raise NotImplementedError

    def join(self, timeout: float | None = None) -> bool:
        """True when the thread has finished."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()


class CaptureStage(Stage):
    """Reads one source into its queue; the queue's policy decides drop (live) or block (file)."""

    def __init__(self, source: Source, out: FrameQueue, halt: threading.Event, fail: FailFn,
                 started: bool) -> None:
        super().__init__(f"source {source.info.source_id}", halt, fail)
        self.source = source
        self.out = out
        self._started = started
        self._eos_lock = threading.Lock()
        self._eos_sent = False

    def run(self) -> None:
        try:
            if not self._started:
                self.source.start()
            t_prev = time.perf_counter()
            for frame in self.source:
                if self.halt.is_set() or self.source.stopped:
                    break
                self.meter.add(time.perf_counter() - t_prev)  # read + decode (+ pacing for live sources)
                if not self.out.put(Captured(frame, time.monotonic()), self.halt):
                    break
                t_prev = time.perf_counter()
        finally:
            self.send_eos()
            self.source.close()

    def send_eos(self) -> None:
        """Exactly once, also from the runner when a blocked read outlives the stop grace period."""
        with self._eos_lock:
            if not self._eos_sent:
                self._eos_sent = True
                self.out.put(EndOfStream(self.source.info.source_id), force=True)


class Tracking:
    """One tracker per source, created at the source's first frame (its fps is known by then)."""

    def __init__(self, factory: Callable[[float], Any] | None, names: dict[int, str] | None = None) -> None:
        self.factory = factory
        self.names = dict(names or {})  # class names for the boxes of frames the detector skipped
        self.trackers: dict[str, Any] = {}
        self.meter = Meter()

    def apply(self, pkt: Packet) -> Packet:
        if self.factory is None:
            return pkt
        t0 = time.perf_counter()
        sid = pkt.frame.source_id
        try:
            tracker = self.trackers.get(sid)
            if tracker is None:
                tracker = self.trackers[sid] = self.factory(pkt.frame.fps or 30.0)
            if pkt.detections is None:
                pkt.detections = tracker.coast(pkt.frame.index, self.names)
            else:
                pkt.detections = tracker.update_detections(pkt.detections, pkt.frame.index)
            events = list(tracker.pop_events())
        except Exception as e:
            raise StageFailure("tracker", e) from e
        pkt.events = [e if e.source_id == sid else dataclasses.replace(e, source_id=sid) for e in events]
        self.meter.add(time.perf_counter() - t0)
        return pkt


class DetectStage(Stage):
    """Runs the detector on the newest frame of every source at once (a batch across cameras).

    Also the pause gate: while paused it takes nothing (files block, cameras keep only the latest
    frame); `step()` lets one batch through. With `detect_every` k > 1, only every k-th frame a
    source delivers goes to the model (counted per source, so a live source that drops frames
    still gets detections); the others pass with no detections for the tracker to predict.
    """

    def __init__(self, detector: Any, inputs: dict[str, FrameQueue], cond: threading.Condition,
                 out: FrameQueue, halt: threading.Event, fail: FailFn, tracking: Tracking | None,
                 detect_every: int = 1) -> None:
        super().__init__("detector", halt, fail)
        self.detector = detector
        self.detect_every = max(1, int(detect_every))
        self._seen: dict[str, int] = {}  # frames taken per source
        self.inputs = inputs
        self.cond = cond
        self.out = out
        self.tracking = tracking  # set: track in this thread too (fused)
        self.paused = False
        self._steps = 0
        self._rr = 0

    def pause(self) -> None:
        with self.cond:
            self.paused = True

    def resume(self) -> None:
        with self.cond:
            self.paused = False
            self._steps = 0
            self.cond.notify_all()

    def step(self, n: int = 1) -> None:
        with self.cond:
            self._steps += n
            self.cond.notify_all()

    def _take(self, open_ids: list[str]) -> list[Any] | None:
        with self.cond:
            while not self.halt.is_set():
                if not self.paused or self._steps > 0:
                    n = len(open_ids)
                    items = []
                    for k in range(n):
                        sid = open_ids[(self._rr + k) % n]
                        item = self.inputs[sid].get_nowait()
                        if item is not None:
                            items.append(item)
                    if items:
                        self._rr += 1
                        if self.paused:
                            self._steps -= 1
                        return items
                self.cond.wait(0.05)
        return None

    def _due(self, source_id: str) -> bool:
        n = self._seen.get(source_id, 0)
        self._seen[source_id] = n + 1
        return n % self.detect_every == 0

    def run(self) -> None:
        open_ids = list(self.inputs)
        while open_ids:
            items = self._take(open_ids)
            if items is None:
                return
            caps = [it for it in items if isinstance(it, Captured) and self._due(it.frame.source_id)]
            results: dict[int, Detections] = {}
            if caps:
                t0 = time.perf_counter()
                out = self.detector([c.frame.image for c in caps])
                self.meter.add(time.perf_counter() - t0)
                if len(out) != len(caps):
                    raise RuntimeError(f"detector returned {len(out)} results for {len(caps)} frames")
                results = {id(c): d for c, d in zip(caps, out, strict=True)}
            for it in items:
                if isinstance(it, EndOfStream):
                    open_ids.remove(it.source_id)
                    nxt: Any = it
                else:
                    nxt = Packet(it.frame, results.get(id(it)), it.t_capture)
                    if self.tracking is not None:
                        nxt = self.tracking.apply(nxt)
                if not self.out.put(nxt, self.halt):
                    return


class TrackStage(Stage):
    """Tracking in its own thread (used when that measured faster than tracking inline)."""

    def __init__(self, tracking: Tracking, inp: FrameQueue, out: FrameQueue, n_sources: int,
                 halt: threading.Event, fail: FailFn) -> None:
        super().__init__("tracker", halt, fail)
        self.tracking = tracking
        self.meter = tracking.meter
        self.inp = inp
        self.out = out
        self.n_sources = n_sources

    def run(self) -> None:
        open_n = self.n_sources
        while open_n:
            item = self.inp.get(self.halt)
            if item is None:
                return
            if isinstance(item, EndOfStream):
                open_n -= 1
            else:
                item = self.tracking.apply(item)
            if not self.out.put(item, self.halt):
                return


class SinkStage(Stage):
    """Hands every packet, in order, to the sinks and the result callback; owns the periodic stats.

    Sinks are opened lazily at each stream's first frame (a network stream's size is unknown
    before), and always finalized here: `close()` on a normal end or stop, `abort()` after a failure.
    """

    def __init__(self, inp: FrameQueue, n_sources: int, halt: threading.Event, fail: FailFn,
                 handle: Callable[[Packet], None], on_idle: Callable[[], None],
                 on_eos: Callable[[str], None]) -> None:
        super().__init__("sinks", halt, fail)
        self.inp = inp
        self.n_sources = n_sources
        self.handle = handle
        self.on_idle = on_idle
        self.on_eos = on_eos

    def run(self) -> None:
        open_n = self.n_sources
        while open_n and not self.halt.is_set():
            item = self.inp.get(self.halt, timeout=0.25)
            if item is None:
                self.on_idle()
                continue
            if isinstance(item, EndOfStream):
                open_n -= 1
                self.on_eos(item.source_id)
                continue
            t0 = time.perf_counter()
            self.handle(item)
            self.meter.add(time.perf_counter() - t0)
            self.on_idle()


def sink_names(sinks: Sequence[Any]) -> str:
    return ", ".join(getattr(s, "name", type(s).__name__) for s in sinks)
