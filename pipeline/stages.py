"""The stage threads: capture (one per source) -> detect (all sources, batched) -> track -> sinks.

Each stage is a small object with `start()`/`join()` running one daemon thread; stages talk only
through `FrameQueue`s and stop on one shared `halt` event. One `Result` per frame travels the
whole way. Any exception inside a stage is handed to `fail(stage_name, exc)`, which halts the
whole pipeline; the runner turns it into one error.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yolotrack.core.detections import Detections, class_name
from yolotrack.core.events import TrackEvent
from yolotrack.core.frame import Frame
from yolotrack.core.status import StatusRecord
from yolotrack.pipeline.contracts import DetectorLike, Result, TrackerLike
from yolotrack.pipeline.queues import EndOfStream, FrameQueue
from yolotrack.pipeline.sources import Source, SourceError, redact
from yolotrack.pipeline.stats import Meter, PipelineStats, SourceState
from yolotrack.render.trails import TrailHistory
from yolotrack.sinks.base import Sink, StreamInfo

if TYPE_CHECKING:
    from yolotrack.analytics.engine import Analytics

log = logging.getLogger(__name__)

FailFn = Callable[[str, BaseException], None]
SinkFactory = Callable[[StreamInfo], Sequence[Sink]]


class StageFailure(Exception):
    """Names a more precise culprit than the thread it happened in (a sink, the inline tracker)."""

    def __init__(self, stage: str, error: BaseException) -> None:
        super().__init__(str(error))
        self.stage = stage
        self.error = error


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
    """Reads one source into its queue; the queue's policy decides drop (live) or block (file).

    With `isolated`, a failing source (a stream that refuses the first connect, a broken file) ends
    alone, its status in state `error` with the reason, instead of stopping the whole pipeline.
    """

    def __init__(self, source: Source, out: FrameQueue, halt: threading.Event, fail: FailFn,
                 started: bool, isolated: bool = False) -> None:
        super().__init__(f"source {source.info.source_id}", halt, fail)
        self.source = source
        self.out = out
        self._started = started
        self.isolated = isolated
        self._eos_lock = threading.Lock()
        self._eos_sent = False

    def run(self) -> None:
        # a lossless source (a file) holds each frame until the next one is read, so its last frame goes
        # out marked `final` (the analytics' end-of-stream flush); a live source never waits for the next
        hold = not self.out.drop_oldest
        held: Result | None = None
        try:
            if not self._started:
                self.source.start()
            t_prev = time.perf_counter()
            for frame in self.source:
                if self.halt.is_set() or self.source.stopped:
                    break
                self.meter.add(time.perf_counter() - t_prev)  # read + decode (+ pacing for live sources)
                r: Result | None = Result(frame, t_capture=time.monotonic())
                if hold:
                    r, held = held, r
                if r is not None and not self.out.put(r, self.halt):
                    held = None
                    break
                t_prev = time.perf_counter()
            else:
                if held is not None:
                    held.final = not (self.halt.is_set() or self.source.stopped)
        except Exception as e:
            if not self.isolated:
                raise
            msg = str(e) if isinstance(e, SourceError) else f"{type(e).__name__}: {e}"
            st = self.source.status
            st.state, st.message, st.retry_in = SourceState.ERROR, msg, None
            log.warning("source %s failed and ends: %s", self.source.info.source_id, msg)
        finally:
            if held is not None:
                self.out.put(held, self.halt)
            self.send_eos()
            self.source.close()

    def send_eos(self) -> None:
        """Exactly once, also from the runner when a blocked read outlives the stop grace period."""
        with self._eos_lock:
            if not self._eos_sent:
                self._eos_sent = True
                self.out.put(EndOfStream(self.source.info.source_id), force=True)


class Tracking:
    """One tracker per source, created at the source's first frame (its fps is known by then)
    by `factory(source_id, fps)`."""

    def __init__(self, factory: Callable[[str, float], TrackerLike] | None,
                 names: dict[int, str] | None = None) -> None:
        self.factory = factory
        self.names = dict(names or {})  # class names for the boxes of frames the detector skipped
        self.trackers: dict[str, TrackerLike] = {}
        self.meter = Meter()

    def apply(self, r: Result) -> None:
        """Track `r` in place: its detections become the tracked ones, its events are set."""
        if self.factory is None:
            return
        t0 = time.perf_counter()
        sid = r.frame.source_id
        try:
            tracker = self.trackers.get(sid)
            if tracker is None:
                tracker = self.trackers[sid] = self.factory(sid, r.frame.fps or 30.0)
            if r.detections is None:
                r.detections = tracker.coast(r.frame.index, self.names, image=r.frame.image)
            else:
                r.detections = tracker.update_detections(r.detections, r.frame.index, image=r.frame.image)
            events = list(tracker.pop_events())
        except Exception as e:
            raise StageFailure("tracker", e) from e
        r.events = [self._complete(e, r.frame) for e in events]
        self.meter.add(time.perf_counter() - t0)

    def _complete(self, e: TrackEvent, frame: Frame) -> TrackEvent:
        """The event with its source id, and the frame time and class name when the tracker left them out."""
        if e.source_id == frame.source_id and e.timestamp is not None and e.class_name is not None:
            return e
        return dataclasses.replace(
            e, source_id=frame.source_id, timestamp=frame.timestamp if e.timestamp is None else e.timestamp,
            class_name=e.class_name if e.class_name is not None else class_name(self.names, e.class_id))


class DetectStage(Stage):
    """Runs the detector on the newest frame of every source at once (a batch across cameras).

    Also the pause gate: while paused it takes nothing (files block, cameras keep only the latest
    frame); `step()` lets one batch through. With `detect_every` k > 1, only every k-th frame a
    source delivers goes to the model (counted per source, so a live source that drops frames
    still gets detections); the others pass with no detections for the tracker to predict.
    """

    def __init__(self, detector: DetectorLike, inputs: dict[str, FrameQueue], cond: threading.Condition,
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
        self._open = list(inputs)  # sources that have not ended; changed under `cond`
        self._closed = False  # set under `cond` when the stage ends: no source can join any more

    def add_input(self, source_id: str, queue: FrameQueue) -> bool:
        """A source joins the batch while running (the GUI adds a camera); False once the stage has ended.

        Call under `cond` together with the sink stage's `add_source`, so the two agree."""
        with self.cond:
            if self._closed:
                return False
            self.inputs[source_id] = queue
            self._seen.pop(source_id, None)
            self._open.append(source_id)
            self.cond.notify_all()
            return True

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
        try:
            self._run()
        finally:
            with self.cond:
                self._closed = True

    def _run(self) -> None:
        open_ids = self._open
        while True:
            with self.cond:
                if not open_ids:
                    self._closed = True
                    return
            items = self._take(open_ids)
            if items is None:
                return
            due = [it for it in items if isinstance(it, Result) and self._due(it.frame.source_id)]
            if due:
                t0 = time.perf_counter()
                out = self.detector([r.frame.image for r in due])
                self.meter.add(time.perf_counter() - t0)
                if len(out) != len(due):
                    raise RuntimeError(f"detector returned {len(out)} results for {len(due)} frames")
                for r, dets in zip(due, out, strict=True):
                    r.detections = dets
            for it in items:
                if isinstance(it, EndOfStream):
                    with self.cond:
                        open_ids.remove(it.source_id)
                elif self.tracking is not None:
                    self.tracking.apply(it)
                if not self.out.put(it, self.halt):
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
        self._lock = threading.Lock()
        self._closed = False

    def add_source(self) -> bool:
        """One more source to wait for (see `DetectStage.add_input`); False once the stage has ended."""
        with self._lock:
            if self._closed:
                return False
            self.n_sources += 1
            return True

    def run(self) -> None:
        while True:
            with self._lock:
                if not self.n_sources:
                    self._closed = True
                    return
            item = self.inp.get(self.halt)
            if item is None:
                return
            if isinstance(item, EndOfStream):
                with self._lock:
                    self.n_sources -= 1
            else:
                self.tracking.apply(item)
            if not self.out.put(item, self.halt):
                return


class SinkStage(Stage):
    """Hands every result, in order, to its source's sinks and then to `deliver`; owns the sinks.

    Sinks are opened lazily at each source's first frame (a network stream's size is unknown
    before) and finalized by `finalize()` once every stage has stopped: `close()` after a normal
    end or stop, `abort()` after a failure. With `trail_length` set, each result also gets its
    trails for drawing, from one `render.TrailHistory` per source: the same history the video
    sink draws from, so the GUI and the annotated video agree. With `analytics` (an
    `analytics.Analytics`), each result first gets its line and zone events and overlay, so every
    sink sees them, and each sink's `StreamInfo.analytics` is that source's live counters. Then
    `annotate` (e.g. `tracker.global_ids.GlobalIds.annotate`) may add to the result what spans
    sources, before any sink or `deliver` sees it.
    """

    def __init__(self, inp: FrameQueue, sources: Mapping[str, Source], sinks: Sequence[Sink] | SinkFactory,
                 detector: DetectorLike, halt: threading.Event, fail: FailFn, deliver: Callable[[Result], None],
                 on_idle: Callable[[], None], trail_length: int | None = None,
                 analytics: Analytics | None = None, annotate: Callable[[Result], None] | None = None) -> None:
        super().__init__("sinks", halt, fail)
        self.inp = inp
        self.sources = dict(sources)
        self.detector = detector
        self.deliver = deliver
        self.on_idle = on_idle
        self.files: list[Path] = []  # complete under their final names, after `finalize()`
        self._sinks = sinks
        self._opened: dict[str, list[Sink]] = {}
        self._trails = ({sid: TrailHistory(trail_length) for sid in self.sources}
                        if trail_length is not None else {})
        self._trail_length = trail_length
        self._lock = threading.Lock()
        self._open_n = len(self.sources)
        self._closed = False
        self.ended: set[str] = set()  # sources whose end of stream has passed the sinks
        self.analytics = analytics
        self.annotate = annotate
        # sinks attached to one source while running (a GUI recording): sink, its error callback, opened
        self._attached: dict[str, list[tuple[Sink, Callable[[BaseException], None]]]] = {}
        self._attached_open: set[int] = set()

    def attach(self, sid: str, sink: Sink, on_error: Callable[[BaseException], None]) -> None:
        """`sink` gets `sid`'s frames from the next one on, through the same path as the other sinks
        (opened with the stream's `StreamInfo`, written after analytics, finalized with them). A failing
        attached sink is detached and `on_error` told, instead of failing the pipeline. Any thread."""
        with self._lock:
            items = self._attached.setdefault(sid, [])
            if all(s is not sink for s, _ in items):
                items.append((sink, on_error))

    def detach(self, sid: str, sink: Sink) -> None:
        """`sink` gets no more frames (it is not closed: its owner finishes it). Any thread."""
        with self._lock:
            self._attached[sid] = [(s, f) for s, f in self._attached.get(sid, []) if s is not sink]
            self._attached_open.discard(id(sink))

    def add_source(self, sid: str, source: Source) -> bool:
        """A source joins while running (see `DetectStage.add_input`); a source id seen before starts a new
        trail history and keeps its opened sinks. False once the stage has ended."""
        with self._lock:
            if self._closed:
                return False
            self.sources[sid] = source
            if self._trail_length is not None:
                self._trails[sid] = TrailHistory(self._trail_length)
            self.ended.discard(sid)
            self._open_n += 1
            return True

    def run(self) -> None:
        try:
            self._run()
        finally:
            with self._lock:
                self._closed = True

    def _run(self) -> None:
        while not self.halt.is_set():
            with self._lock:
                if not self._open_n:
                    self._closed = True
                    return
            item = self.inp.get(self.halt, timeout=0.25)
            if item is None:
                self.on_idle()
                continue
            if isinstance(item, EndOfStream):
                with self._lock:
                    self._open_n -= 1
                    self.ended.add(item.source_id)
                log.info("source %s finished after %d frames", item.source_id,
                         self.sources[item.source_id].status.frames)
                continue
            t0 = time.perf_counter()
            self._write(item)
            self.deliver(item)
            self.meter.add(time.perf_counter() - t0)
            self.on_idle()

    def _write(self, r: Result) -> None:
        sid = r.frame.source_id
        sinks = self._opened.get(sid)
        if sinks is None:
            sinks = self._open(sid, r.frame)
        dets = r.detections
        assert dets is not None, "a frame reached the sinks without detections"
        if self.analytics is not None:
            try:
                self.analytics.apply(r)
            except Exception as e:
                raise StageFailure("analytics", e) from e
        if self.annotate is not None:
            try:
                self.annotate(r)
            except Exception as e:
                raise StageFailure("annotate", e) from e
        for sink in sinks:
            try:
                sink.write(r.frame, dets, r.events)
            except Exception as e:
                raise StageFailure(f"sink {_name(sink)}", e) from e
        if self._attached:
            self._write_attached(sid, r, dets)
        history = self._trails.get(sid)
        if history is not None:
            r.trails = history.update(dets)
        r.latency = time.monotonic() - r.t_capture

    def _write_attached(self, sid: str, r: Result, dets: Detections) -> None:
        with self._lock:
            attached = list(self._attached.get(sid, ()))
        for sink, on_error in attached:
            try:
                if id(sink) not in self._attached_open:
                    sink.open(self._stream_info(sid, r.frame))
                    self._attached_open.add(id(sink))
                sink.write(r.frame, dets, r.events)
            except Exception as e:  # noqa: BLE001 - an attached sink stops alone (a full disk ends a recording)
                log.warning("sink %s on source %s stopped: %s", _name(sink), sid, e)
                self.detach(sid, sink)
                on_error(e)

    def _open(self, sid: str, frame: Frame) -> list[Sink]:
        """Registers each sink as it opens, so a later one failing to open still gets it aborted."""
        info = self._stream_info(sid, frame)
        sinks = list(self._sinks(info)) if callable(self._sinks) else list(self._sinks)
        opened = self._opened[sid] = []
        for sink in sinks:
            sink.open(info)
            opened.append(sink)
        return opened

    def _stream_info(self, sid: str, frame: Frame) -> StreamInfo:
        info = self.sources[sid].info
        det = self.detector
        return StreamInfo(
            source_id=sid, uri=redact(info.uri), width=frame.width, height=frame.height,
            fps=frame.fps or info.fps, names=dict(det.names), task=det.task, kpt_shape=det.kpt_shape,
            keypoints=getattr(det, "keypoint_layout", None),
            total_frames=info.total_frames, time_base=info.time_base,
            analytics=self.analytics.source(sid) if self.analytics is not None else None,
        )

    def write_stats(self, stats: PipelineStats) -> None:
        """The periodic stats to every open sink that takes them (`write_stats`, e.g. JSONL)."""
        for sinks in self._opened.values():
            for sink in sinks:
                fn = getattr(sink, "write_stats", None)
                if fn is not None:
                    fn(stats)

    def write_status(self, rec: StatusRecord) -> None:
        """A source's `status` record to every sink that takes it (`write_status`): that source's
        opened sinks, and shared sinks (a plain list) even before their first frame, so a camera
        that never connected is still reported. Per-source sinks from a factory exist only from
        their first frame on."""
        sinks = list(self._opened.get(rec.source, []))
        if not callable(self._sinks):
            sinks += [s for s in self._sinks if all(s is not o for o in sinks)]
        for sink in sinks:
            fn = getattr(sink, "write_status", None)
            if fn is not None:
                try:
                    fn(rec)
                except Exception as e:
                    raise StageFailure(f"sink {_name(sink)}", e) from e

    def finalize(self, failed: bool) -> None:
        """Close every opened sink, or abort them all after a failure; call once the stages stopped.

        A sink failing here fails the pipeline, and the other sinks are still finalized.
        """
        with self._lock:
            attached = [s for items in self._attached.values() for s, _ in items if id(s) in self._attached_open]
        for sinks in [*self._opened.values(), attached]:
            for sink in sinks:
                try:
                    if failed:
                        sink.abort()
                    else:
                        self.files.extend(sink.close() or [])
                except Exception as e:  # noqa: BLE001 - report the first sink failure, still close the others
                    self.fail(f"sink {_name(sink)}", e)


def _name(sink: Any) -> str:
    return getattr(sink, "name", type(sink).__name__)
