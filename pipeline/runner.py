"""`Pipeline`: builds the stages from a `Config`, runs them, and surfaces the first failure.

Stops come in three kinds. A graceful stop (`stop()`, SIGINT/SIGTERM) stops capture and lets
what is in flight drain into the sinks, which are then closed. A hard stop (`stop(drain=False)`)
halts every stage at once and still closes the sinks. A failure in any stage halts everything,
aborts the sinks, and `wait()` raises one `PipelineError` naming the stage.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yolotrack.analytics.tally import CountSnapshot
from yolotrack.core.config import Config
from yolotrack.core.errors import ConfigError, PipelineError, YolotrackError
from yolotrack.core.status import StatusRecord
from yolotrack.pipeline.contracts import DetectorLike, Result, TrackerLike
from yolotrack.pipeline.health import Health, SourceWatch
from yolotrack.pipeline.queues import FrameQueue
from yolotrack.pipeline.sources import Source, is_live, open_source, redact, source_uris
from yolotrack.pipeline.stages import (
    CaptureStage,
    DetectStage,
    SinkFactory,
    SinkStage,
    StageFailure,
    Tracking,
    TrackStage,
)
from yolotrack.pipeline.stats import Meter, PipelineStats, SourceState, SourceStatus, StageStats
from yolotrack.sinks.base import Sink

if TYPE_CHECKING:
    from yolotrack.analytics.engine import Analytics

log = logging.getLogger(__name__)

STOP_GRACE = 1.0  # seconds a blocked source read may take after stop() before we end its stream


@dataclass
class _Stream:
    source: Source
    queue: FrameQueue


class Pipeline:
    """Sources -> detector -> tracker -> sinks in threads with bounded queues.

    Args:
        cfg: the whole config (model, source, tracker, pipeline sections are used).
        sinks: sinks that get every frame, or a factory called once per source with its
            `StreamInfo` that returns that source's sinks (use a factory for several sources
            with file sinks: a plain sink list receives `open()` once per source).
        detector: a ready detector (`detector.Detector`, or anything `DetectorLike`); built from
            `cfg.model` when None.
        on_result: called in the sink thread for every processed frame with a `Result`. Keep it
            quick (the GUI should only hand the result to its own thread).
        progress: called after each frame as `progress(frames_done, total_or_None)`.
        sources: `Source` objects (built, not yet started) instead of `cfg.source.uri`.
        tracker_factory: `f(frame_rate) -> TrackerLike`, called once per source; default
            `tracker.build_tracker(cfg.tracker, fps)`; ignored when `cfg.tracker.enabled` is false.
        tracker_for: `f(source_id, frame_rate) -> TrackerLike`, like `tracker_factory` but told
            which source it is for (the cluster gives each camera its own settings and hands a
            restarted camera its saved tracker); takes precedence over `tracker_factory`.
        track_thread: run the tracker in its own thread (True) or inline after the detector (False).
        want_trails: fill `Result.trails` (`render.TrailHistory`, `render.trail_length` points) for
            drawing; default: when `on_result` is set.
        isolate_sources: a source that fails while running ends alone (its status says why) and the
            others go on, instead of the failure stopping the pipeline (the GUI's camera grid).
        analytics: a ready `analytics.Analytics` (e.g. one that knows camera names); default: built from
            `cfg.analytics` at `start()` with the detector's class names. Always present once started, so
            lines and zones can be added to a running pipeline (`set_analytics`).
        annotate: called in the sink thread with each `Result` after analytics and before the sinks
            (global ids across the cameras of several pipelines: `tracker.global_ids.GlobalIds.annotate`).
    """

    def __init__(
        self,
        cfg: Config,
        sinks: Sequence[Sink] | SinkFactory = (),
        detector: DetectorLike | None = None,
        on_result: Callable[[Result], None] | None = None,
        progress: Callable[[int, int | None], None] | None = None,
        sources: Sequence[Source] | None = None,
        tracker_factory: Callable[[float], TrackerLike] | None = None,
        track_thread: bool = False,
        want_trails: bool | None = None,
        tracker_for: Callable[[str, float], TrackerLike] | None = None,
        isolate_sources: bool = False,
        analytics: Analytics | None = None,
        annotate: Callable[[Result], None] | None = None,
    ) -> None:
        self.cfg = cfg
        self._sinks = sinks
        self.detector = detector
        self.on_result = on_result
        self.progress = progress
        self._given_sources = list(sources) if sources is not None else None
        self._tracker_factory = tracker_factory
        self._tracker_for = tracker_for
        self._track_thread = track_thread
        self._want_trails = (on_result is not None) if want_trails is None else want_trails
        self._isolate = isolate_sources
        self.analytics = analytics  # analytics.Analytics once started
        self._annotate = annotate

        self._halt = threading.Event()
        self._stopping = threading.Event()
        self._done = threading.Event()
        self._error_lock = threading.Lock()
        self._error: PipelineError | None = None
        self._error_cause: BaseException | None = None
        self._streams: dict[str, _Stream] = {}
        self._stages: list[Any] = []
        self._captures: list[CaptureStage] = []
        self._detect: DetectStage | None = None
        self._tracking: Tracking | None = None
        self._sink_stage: SinkStage | None = None
        self._latency = Meter()
        self._out = Meter()
        self._latest: Result | None = None
        self._track_count = 0
        self._t_start = 0.0
        self._last_stats = 0.0
        self._stats_listeners: list[Callable[[PipelineStats], None]] = []
        self._status_listeners: list[Callable[[StatusRecord], None]] = []
        self._watch = SourceWatch(stale_after=max(2 * cfg.source.timeout, 5.0))
        self._finalized = False
        self._started = False
        self._cond = threading.Condition()  # the detector's wake-up, shared by every source queue
        self._track_stage: TrackStage | None = None
        self._change_lock = threading.Lock()  # one add_source / remove_source at a time

    # ------------------------------------------------------------ public control

    def start(self) -> Pipeline:
        """Open sources and the model, then start every thread.

        Raises `SourceError`/`WeightsError` at once for a missing file or camera, a malformed URL
        or a bad checkpoint. Network sources connect in their own thread (state `connecting`).
        """
        if self._started:
            raise RuntimeError("a Pipeline can only be started once")
        self._started = True
        if self.cfg.pipeline.detect_every > 1 and not self.cfg.tracker.enabled:
            raise ConfigError("pipeline.detect_every > 1 needs the tracker (tracker.enabled: true) to carry "
                              "the boxes over the frames the detector skips")
        sources = self._given_sources
        if sources is None:
            sources = [open_source(u, self.cfg.source, str(i)) for i, u in enumerate(source_uris(self.cfg.source))]
        if self.detector is None and self.cfg.model.weights == "auto":  # demo for the demo, else COCO
            from yolotrack.detector.auto_weights import apply_auto
            from yolotrack.detector.hub import pending_download

            self.cfg = apply_auto(self.cfg, [s.uri for s in sources])
            if pending_download(self.cfg.model.weights) is not None:
                _check_local(sources)  # a file that cannot be read says so before a model is downloaded for it
        if self.detector is None:  # first: a bad checkpoint is reported before a bad source
            from yolotrack.detector import Detector
            from yolotrack.tracker import wants_embeddings

            self.detector = Detector.from_config(self.cfg.model, source=self.cfg.source.uri,
                                                 embeddings=wants_embeddings(self.cfg.tracker))
        self._start_analytics(sources)
        started: list[Source] = []
        try:
            for s in sources:
                s.start()  # files, cameras: opened now; streams: URL checked now, connected in their thread
                started.append(s)
        except BaseException:
            for s in started:
                s.close()
            raise
        self._build(sources, {id(s) for s in started})
        self._t_start = self._last_stats = time.monotonic()
        for st in self._stages:
            st.start()
        log.info("pipeline started: %s", ", ".join(
            f"{s.info.source_id}={redact(s.uri)} ({s.kind}, {'live' if is_live(s, s.cfg) else 'lossless'})"
            for s in sources))
        threading.Thread(target=self._supervise, name="yolotrack-supervisor", daemon=True).start()
        return self

    def stop(self, drain: bool = True) -> None:
        """Stop capture; with `drain`, frames in flight still reach the sinks. Safe from any thread
        (and from a signal handler: it never blocks)."""
        self._stopping.set()
        for st in list(self._streams.values()):
            st.source.stop()
        if self._detect is not None:
            self._detect.resume()
        if not drain:
            self._halt.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the pipeline has finished (all sources ended or stopped, sinks closed).

        Returns False if `timeout` passed first. Raises `PipelineError` naming the failed stage.
        """
        if not self._done.wait(timeout):
            return False
        if self._error is not None:
            raise self._error
        return True

    def run(self) -> PipelineStats:
        """start() + wait(); returns the final stats."""
        self.start()
        try:
            while not self.wait(0.2):
                pass
        except BaseException:
            self.stop(drain=False)
            raise
        return self.stats()

    def __enter__(self) -> Pipeline:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop(drain=exc[0] is None)
        self._done.wait(30)

    @property
    def running(self) -> bool:
        return self._started and not self._done.is_set()

    @property
    def error(self) -> PipelineError | None:
        return self._error

    @property
    def sources(self) -> list[Source]:
        return [st.source for st in list(self._streams.values())]

    @property
    def files(self) -> list[Path]:
        """Files the sinks reported complete after they were closed."""
        return list(self._sink_stage.files) if self._sink_stage is not None else []

    # pause / resume / step (the detector takes no frames while paused)

    def pause(self) -> None:
        if self._detect is not None:
            self._detect.pause()

    def resume(self) -> None:
        if self._detect is not None:
            self._detect.resume()

    def step(self, n: int = 1) -> None:
        """While paused: let `n` more frames (one per source each) through."""
        if self._detect is not None:
            self._detect.step(n)

    @property
    def paused(self) -> bool:
        return self._detect is not None and self._detect.paused

    def set_thresholds(self, **kwargs: Any) -> None:
        """Live threshold change, e.g. `set_thresholds(conf=0.4, iou=0.6)`; applies to the next batch."""
        if self.detector is None:
            raise RuntimeError("set_thresholds() before the detector exists (pass one, or start() first)")
        self.detector.set_thresholds(**kwargs)

    def add_source(self, source: Source) -> None:
        """Start `source` (built, not started) in this running pipeline, batched with the others.

        The GUI adds a camera this way without restarting the rest. Raises `SourceError` when it
        cannot be opened (nothing changes then), `PipelineError` when its id is still running, and
        `RuntimeError` once the pipeline is stopping or every source has ended (start a new one).
        """
        with self._change_lock:
            if not self.running or self._stopping.is_set() or self._halt.is_set() or self._detect is None:
                raise RuntimeError("the pipeline has ended; start a new one")
            sid = source.info.source_id
            sink_stage = self._sink_stage
            assert sink_stage is not None
            if sid in self._streams and sid not in sink_stage.ended:
                raise PipelineError("pipeline", f"a source with the id '{sid}' is still running")
            source.start()
            live = is_live(source, source.cfg)
            q = FrameQueue(1 if live else self.cfg.pipeline.queue_size, drop_oldest=live, cond=self._cond)
            cap = CaptureStage(source, q, self._halt, self._fail, started=True, isolated=self._isolate)
            with self._cond:  # the detector cannot end between the two registrations
                ok = sink_stage.add_source(sid, source) and (
                    self._track_stage is None or self._track_stage.add_source())
                if ok:
                    if self._tracking is not None:
                        self._tracking.trackers.pop(sid, None)  # a new stream starts a new tracker
                    if self.analytics is not None:
                        self.analytics.restart(sid)  # and new counts
                    ok = self._detect.add_input(sid, q)
            if not ok:
                source.close()
                raise RuntimeError("the pipeline has ended; start a new one")
            self._streams[sid] = _Stream(source, q)
            self._captures = [c for c in self._captures if c.source.info.source_id != sid] + [cap]
            self._stages.append(cap)
            cap.start()
        log.info("source %s added: %s (%s, %s)", sid, redact(source.uri), source.kind, "live" if live else "lossless")

    def remove_source(self, source_id: str, timeout: float = 5.0) -> bool:
        """Stop one source and wait (up to `timeout` s) until its last frame has passed the sinks; the
        others go on. True when it is gone (or was never there). The last source leaving ends the pipeline."""
        with self._change_lock:
            st = self._streams.get(source_id)
            if st is None or self._sink_stage is None:
                return True
            st.source.stop()
            deadline = time.monotonic() + timeout
            grace = time.monotonic() + STOP_GRACE
            while source_id not in self._sink_stage.ended and self.running:
                st.queue.drop_frames()  # its waiting frames would only delay the end of stream
                now = time.monotonic()
                if now > deadline:
                    return False
                if now > grace:  # a read blocked on a silent camera ends later on its own
                    for cap in list(self._captures):
                        if cap.source is st.source:
                            cap.send_eos()
                time.sleep(0.02)
            self._streams.pop(source_id, None)
            self._captures = [c for c in self._captures if c.source is not st.source]
            return True
    def _start_analytics(self, sources: Sequence[Source]) -> None:
        """Lines and zones checked against the model (class names) and the sources, before anything runs."""
        from yolotrack.analytics import Analytics

        assert self.detector is not None
        if self.analytics is None:
            forget = max(10.0, 2.0 * self.cfg.tracker.track_buffer / 30.0)  # longer than the tracker keeps lost tracks
            self.analytics = Analytics(self.cfg.analytics, names=dict(self.detector.names), forget_after=forget)
        elif not self.analytics.names:
            self.analytics.set_names(dict(self.detector.names))
        if self.analytics.enabled and not self.cfg.tracker.enabled:
            raise ConfigError("analytics lines and zones count tracks: they need the tracker (tracker.enabled: true)")
        if self._given_sources is None:  # all of the config's sources are here (a camera group has some of them)
            self.analytics.check_sources(s.info.source_id for s in sources)

    def set_analytics(self, cfg: Any) -> None:
        """Replace lines and zones while running (an `AnalyticsConfig` or an `analytics:` mapping); applies
        from each source's next frame. Raises `ConfigError` and changes nothing when the section is wrong."""
        if self.analytics is None:
            raise RuntimeError("set_analytics() before start(); pass the section in the config instead")
        self.analytics.set_config(cfg)

    def counts(self) -> dict[str, CountSnapshot]:
        """{source id: counts} of every source with lines or zones (`run`'s count lines; see `Analytics.counts`)."""
        return self.analytics.counts() if self.analytics is not None else {}

    def attach_sink(self, source_id: str, sink: Sink, on_error: Callable[[BaseException], None]) -> None:
        """One more sink for one source while running (the GUI's recording of a camera); see
        `SinkStage.attach`. Its owner finishes it: the pipeline's end closes it like its other sinks,
        and `detach_sink` only stops its frames."""
        if self._sink_stage is None:
            raise RuntimeError("attach_sink() before start()")
        self._sink_stage.attach(source_id, sink, on_error)

    def detach_sink(self, source_id: str, sink: Sink) -> None:
        if self._sink_stage is not None:
            self._sink_stage.detach(source_id, sink)

    def add_stats_listener(self, fn: Callable[[PipelineStats], None]) -> None:
        """Called in the sink thread every `pipeline.stats_interval` seconds (also while no frames arrive)."""
        self._stats_listeners.append(fn)

    def add_status_listener(self, fn: Callable[[StatusRecord], None]) -> None:
        """Called in the sink thread with each `status` record (a camera down, or back); the
        sinks that define `write_status` get the same records."""
        self._status_listeners.append(fn)

    def health(self) -> Health:
        """Healthy while every source delivers frames (`/healthz`); callable from any thread."""
        h = self._watch.health({sid: st.source.status for sid, st in list(self._streams.items())})
        if self._error is not None:
            h.ok, h.reason = False, "; ".join(x for x in (f"pipeline failed: {self._error}", h.reason) if x)
        elif self._done.is_set():
            h.ok, h.reason = False, "pipeline finished"
        return h

    def latest(self) -> Result | None:
        """The newest result (for a UI that polls instead of using `on_result`)."""
        return self._latest

    def stats(self) -> PipelineStats:
        """A snapshot of every stage and source; cheap, call it as often as you like."""
        stages: dict[str, StageStats] = {}
        dropped = 0
        streams = dict(self._streams)  # a source may join or leave meanwhile (add_source, remove_source)
        for cap in list(self._captures):
            sid = cap.source.info.source_id
            st = streams.get(sid)
            if st is None:
                continue
            p50, p95 = cap.meter.percentiles_ms()
            stages[cap.name] = StageStats(cap.name, cap.meter.count, cap.meter.fps(), p50, p95,
                                          len(st.queue), st.queue.dropped)
            cap.source.status.dropped = st.queue.dropped
            dropped += st.queue.dropped
        inference = 0.0
        if self._detect is not None:
            m = self._detect.meter
            p50, p95 = m.percentiles_ms()
            inference = p50
            depth = sum(len(s.queue) for s in streams.values())
            stages["detector"] = StageStats("detector", m.count, m.fps(), p50, p95, depth)
        if self._tracking is not None and self._tracking.factory is not None:
            m = self._tracking.meter
            p50, p95 = m.percentiles_ms()
            depth = len(self._track_in) if self._track_thread else 0
            stages["tracker"] = StageStats("tracker", m.count, m.fps(), p50, p95, depth)
        if self._sink_stage is not None:
            m = self._sink_stage.meter
            p50, p95 = m.percentiles_ms()
            stages["sinks"] = StageStats("sinks", m.count, m.fps(), p50, p95, len(self._sink_stage.inp))
        lat50, lat95 = self._latency.percentiles_ms()
        return PipelineStats(
            elapsed=(time.monotonic() - self._t_start) if self._t_start else 0.0,
            frames=self._out.count, fps=self._out.fps(), inference_ms=inference,
            latency_p50_ms=lat50, latency_p95_ms=lat95, track_count=self._track_count, dropped=dropped,
            paused=self.paused, stages=stages,
            sources={sid: _copy_status(st.source) for sid, st in streams.items()},
        )

    # ------------------------------------------------------------ wiring

    def _build(self, sources: list[Source], started: set[int]) -> None:
        detector = self.detector
        assert detector is not None
        qsize = self.cfg.pipeline.queue_size
        cond = self._cond
        for s in sources:
            sid = s.info.source_id
            if sid in self._streams:
                raise PipelineError("pipeline", f"two sources share the id '{sid}'")
            live = is_live(s, s.cfg)
            q = FrameQueue(1 if live else qsize, drop_oldest=live, cond=cond)
            self._streams[sid] = _Stream(s, q)
            self._captures.append(CaptureStage(s, q, self._halt, self._fail, started=id(s) in started,
                                               isolated=self._isolate))
        factory = None
        if self.cfg.tracker.enabled:
            plain = self._tracker_factory or self._default_tracker_factory()
            factory = self._tracker_for or (lambda _sid, fps: plain(fps))
        self._tracking = Tracking(factory, dict(detector.names))
        every = self.cfg.pipeline.detect_every
        n = len(sources)
        sink_in = FrameQueue(qsize, drop_oldest=False)
        if self._track_thread and factory is not None:
            self._track_in = FrameQueue(qsize, drop_oldest=False)
            self._detect = DetectStage(detector, {sid: st.queue for sid, st in self._streams.items()},
                                       cond, self._track_in, self._halt, self._fail, tracking=None,
                                       detect_every=every)
            track = TrackStage(self._tracking, self._track_in, sink_in, n, self._halt, self._fail)
            self._track_stage = track
            middle: list[Any] = [self._detect, track]
        else:
            self._track_thread = False
            self._detect = DetectStage(detector, {sid: st.queue for sid, st in self._streams.items()},
                                       cond, sink_in, self._halt, self._fail, tracking=self._tracking,
                                       detect_every=every)
            middle = [self._detect]
        self._sink_stage = SinkStage(
            sink_in, {sid: st.source for sid, st in self._streams.items()}, self._sinks, detector, self._halt,
            self._fail, self._deliver, self._maybe_stats,
            trail_length=self.cfg.render.trail_length if self._want_trails else None, analytics=self.analytics,
            annotate=self._annotate)
        self._stages = [self._sink_stage, *middle, *self._captures]

    def _default_tracker_factory(self) -> Callable[[float], TrackerLike]:
        from yolotrack.tracker import tracker_factory

        return tracker_factory(self.cfg.tracker)

    # ------------------------------------------------------------ sink thread side

    def _deliver(self, result: Result) -> None:
        """After the sinks wrote `result`: meters, `latest()`, the result callback and progress."""
        now = time.monotonic()
        self._latency.add(result.latency, now)
        self._out.tick(now)
        if result.detections is not None and result.detections.track_ids is not None:
            self._track_count = len(result.detections)
        self._latest = result
        if self.on_result is not None:
            self.on_result(result)
        if self.progress is not None:
            self.progress(self._out.count, self._total_frames())

    def _total_frames(self) -> int | None:
        streams = list(self._streams.values())
        totals = [st.source.info.total_frames for st in streams]
        if any(t is None for t in totals) or any(is_live(st.source, st.source.cfg) for st in streams):
            return None
        return sum(t for t in totals if t is not None)

    def _watch_sources(self) -> None:
        for rec in self._watch.observe({sid: st.source.status for sid, st in list(self._streams.items())}):
            if self._sink_stage is not None:
                self._sink_stage.write_status(rec)
            for fn in self._status_listeners:
                fn(rec)

    def _maybe_stats(self) -> None:
        self._watch_sources()
        interval = self.cfg.pipeline.stats_interval
        now = time.monotonic()
        if interval <= 0 or now - self._last_stats < interval:
            return
        self._last_stats = now
        stats = self.stats()
        log.info("stats: %s", _stats_line(stats))
        if self._sink_stage is not None:
            self._sink_stage.write_stats(stats)
        for fn in self._stats_listeners:
            fn(stats)

    # ------------------------------------------------------------ failure and shutdown

    def _fail(self, stage: str, exc: BaseException) -> None:
        if isinstance(exc, StageFailure):
            stage, exc = exc.stage, exc.error
        with self._error_lock:
            if self._error is None:
                msg = str(exc) if isinstance(exc, YolotrackError) else f"{type(exc).__name__}: {exc}"
                self._error = PipelineError(stage, msg)
                self._error_cause = exc
                level = logging.DEBUG if isinstance(exc, YolotrackError) else logging.ERROR
                log.log(level, "stage %s failed", stage, exc_info=exc)
        self._halt.set()
        for st in list(self._streams.values()):
            st.source.stop()

    def _supervise(self) -> None:
        """Waits for the stages, ends streams whose read is stuck after a stop, finalizes sinks."""
        grace_from: float | None = None
        while True:
            if all(not s.alive for s in self._stages):
                break
            if (self._stopping.is_set() or self._halt.is_set()) and grace_from is None:
                grace_from = time.monotonic()
            if grace_from is not None and time.monotonic() - grace_from > STOP_GRACE:
                for cap in list(self._captures):
                    if cap.alive:
                        cap.send_eos()  # its blocked read ends later on its own (read timeout)
                if self._sink_stage is not None and not self._sink_stage.alive and not (
                        self._detect is not None and self._detect.alive):
                    break
            time.sleep(0.02)
        self._finalize()
        self._done.set()

    def _finalize(self) -> None:
        if self._finalized:
            return
        self._finalized = True
        if self._sink_stage is not None:
            self._sink_stage.finalize(failed=self._error is not None)
        s = self.stats()
        log.info("pipeline finished: %d frames, %.1f fps, %d dropped", s.frames,
                 s.frames / s.elapsed if s.elapsed else 0.0, s.dropped)


def _check_local(sources: Sequence[Source]) -> None:
    """Open and close every file and image source (cheap, local): `SourceError` for one that cannot be read."""
    for s in sources:
        if s.kind.replayable:
            try:
                s.start()
            finally:
                s.close()


def _copy_status(source: Source) -> SourceStatus:
    return replace(source.status)


def _stats_line(s: PipelineStats) -> str:
    parts = [f"{s.frames} frames", f"{s.fps:.1f} fps", f"latency p50 {s.latency_p50_ms:.0f} ms "
             f"p95 {s.latency_p95_ms:.0f} ms", f"dropped {s.dropped}", f"tracks {s.track_count}"]
    for st in s.stages.values():
        parts.append(f"{st.name} {st.p50_ms:.1f}/{st.p95_ms:.1f} ms q{st.queue_depth}")
    for src in s.sources.values():
        if src.state is not SourceState.LIVE:
            parts.append(f"source {src.source_id} {src.state.value}")
    return "; ".join(parts)
