"""`PipelineController`: runs the real pipeline (and model loads, recordings) off the UI thread.

The pipeline calls `on_result` in its sink thread. The controller keeps only the newest result and
emits `frame_ready` once per batch of arrivals (never queueing a backlog of signals), so the UI
thread always draws the pipeline's latest frame and never blocks on capture or inference.
Signals emitted from worker threads reach the UI thread as queued calls.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
import time
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QObject, pyqtSignal

from yolotrack.core.config import Config
from yolotrack.core.errors import YolotrackError
from yolotrack.pipeline import Pipeline, PipelineStats, Result
from yolotrack.sinks.base import StreamInfo
from yolotrack.tracker.switchable import SwitchableTracker, TrackerSwitch

log = logging.getLogger(__name__)


class Recorder:
    """The annotated recording: a `sinks.video.VideoSink` fed from the pipeline's sink thread.

    Starting and stopping come from the UI thread; writing happens in the sink thread; closing
    (the encoder flush) runs in its own thread so the window never waits for it.
    """

    def __init__(self, cfg: Config, path: Path) -> None:
        self.cfg = cfg
        self.path = path
        self.frames = 0
        self._sink: Any = None
        self._lock = threading.Lock()
        self._closed = False

    def write(self, result: Result, names: dict[int, str], task: str, analytics: Any = None) -> None:
        """`analytics`: the source's `analytics.SourceAnalytics`, so the recording shows lines, zones and counters."""
        from yolotrack.sinks.video import VideoSink

        with self._lock:
            if self._closed:
                return
            f = result.frame
            if self._sink is None:
                sink = VideoSink.from_config(self.path, self.cfg)
                sink.copy_audio = False
                sink.open(StreamInfo(source_id=f.source_id, uri="", width=f.width, height=f.height,
                                     fps=f.fps or 30.0, names=names, task=task, analytics=analytics))
                self._sink = sink
            self._sink.write(f, result.detections, result.events)
            self.frames += 1

    def finish(self) -> list[Path]:
        """Close and return the finished file (empty when no frame was recorded)."""
        with self._lock:
            self._closed = True
            sink, self._sink = self._sink, None
        return sink.close() if sink is not None else []


class PipelineController(QObject):
    """Owns one `Pipeline` at a time plus the detector; every slow call runs in a worker thread.

    Signals:
        frame_ready: a new newest result is available (`latest()`).
        model_loading(bool): a model (re)load started / finished.
        model_loaded(object): the new `Detector`.
        error(str): one sentence for the status bar or a dialog.
        started(str): the pipeline for this source runs.
        finished(): the pipeline ended (file end, stop, failure).
        recording_saved(str): path of the finished MP4.
    """

    frame_ready = pyqtSignal()
    model_loading = pyqtSignal(bool)
    model_loaded = pyqtSignal(object)
    error = pyqtSignal(str)
    started = pyqtSignal(str)
    finished = pyqtSignal()
    recording_saved = pyqtSignal(str)

    def __init__(self, cfg: Config, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cfg = cfg
        self.detector: Any = None
        self.tracker_switch = TrackerSwitch(cfg.tracker.enabled)
        self._pipe: Pipeline | None = None
        self._pipes: list[Pipeline] = []  # every pipeline started, until it has finished
        self._pipe_lock = threading.Lock()
        self._latest: Result | None = None
        self._signal_pending = threading.Event()
        self._recorder: Recorder | None = None
        self._source: str | None = None
        self._thresholds: dict[str, Any] = {"conf": cfg.model.conf, "iou": cfg.model.iou,
                                            "classes": cfg.model.classes}
        self._model_gen = 0  # bumps on every model load; a stale load gives up
        self._start_gen = 0  # bumps on every source change or restart; a stale start gives up
        self._threads: list[threading.Thread] = []
        self._closing = False

    # ------------------------------------------------------------ state for the UI thread

    def latest(self) -> Result | None:
        """The newest result; clears the pending flag so the next arrival signals again."""
        self._signal_pending.clear()
        return self._latest

    def stats(self) -> PipelineStats | None:
        pipe = self._pipe
        return pipe.stats() if pipe is not None else None

    @property
    def pipeline(self) -> Pipeline | None:
        return self._pipe

    @property
    def source(self) -> str | None:
        return self._source

    @property
    def running(self) -> bool:
        pipe = self._pipe
        return pipe is not None and pipe.running

    @property
    def recording(self) -> bool:
        return self._recorder is not None

    @property
    def recording_frames(self) -> int | None:
        rec = self._recorder
        return rec.frames if rec is not None else None

    @property
    def loading(self) -> bool:
        return any(t.name == "yolotrack-gui-model" and t.is_alive() for t in self._threads)

    # ------------------------------------------------------------ model

    def load_model(self, weights: str | None = None) -> None:
        """Load `weights` (default: the config's) in the background; restart the source with it."""
        if weights is not None:
            self.cfg.model.weights = weights
        self._model_gen += 1
        gen = self._model_gen
        # The class filter comes afterwards (`_apply_thresholds`): ids kept from the previous model
        # must not make a model with other classes unloadable.
        mcfg = dataclasses.replace(self.cfg.model, classes=None)
        self.model_loading.emit(True)
        self._spawn("yolotrack-gui-model", self._load_model, gen, mcfg)

    def _load_model(self, gen: int, mcfg: Any) -> None:
        from yolotrack.detector import Detector
        from yolotrack.tracker import wants_embeddings

        try:
            det = Detector.from_config(mcfg, embeddings=wants_embeddings(self.cfg.tracker))
        except YolotrackError as e:
            self._report(gen, f"cannot load model {mcfg.weights}: {e}")
            return
        except Exception as e:  # noqa: BLE001 - a broken file must not take the window down
            log.debug("model load failed", exc_info=True)
            self._report(gen, f"cannot load model {mcfg.weights}: {type(e).__name__}: {e}")
            return
        if gen != self._model_gen or self._closing:
            return
        self._apply_thresholds(det)
        self.detector = det
        self.model_loading.emit(False)
        self.model_loaded.emit(det)
        if self._source is not None:
            self._start_gen += 1
            self._restart(self._start_gen)

    def _report(self, gen: int, msg: str) -> None:
        if gen == self._model_gen:
            self.model_loading.emit(False)
        self.error.emit(msg)

    # ------------------------------------------------------------ live controls

    def set_thresholds(self, **kwargs: Any) -> None:
        """conf / iou / classes for the next frame; kept for models loaded later."""
        self._thresholds.update(kwargs)
        if self.detector is not None:
            try:
                self.detector.set_thresholds(**kwargs)
            except YolotrackError as e:
                self.error.emit(str(e))

    def _apply_thresholds(self, det: Any) -> None:
        t = dict(self._thresholds)
        try:
            det.set_thresholds(conf=t["conf"], iou=t["iou"], classes=t["classes"])
        except YolotrackError as e:
            det.set_thresholds(conf=t["conf"], iou=t["iou"], classes=None)
            self.error.emit(f"class filter ignored: {e}")

    def set_tracking(self, on: bool) -> None:
        self.tracker_switch.enabled = on

    def pause(self) -> None:
        if self._pipe is not None:
            self._pipe.pause()

    def resume(self) -> None:
        if self._pipe is not None:
            self._pipe.resume()

    def step(self) -> None:
        if self._pipe is not None:
            if not self._pipe.paused:
                self._pipe.pause()
            self._pipe.step()

    @property
    def paused(self) -> bool:
        return self._pipe is not None and self._pipe.paused

    # ------------------------------------------------------------ source

    def open_source(self, uri: str) -> None:
        """Switch to `uri` (file, camera index, rtsp URL, demo); starts once a model is loaded."""
        self._source = str(uri)
        self._start_gen += 1
        if self.detector is not None:
            self._restart(self._start_gen)
        elif not self.loading:
            self.load_model()

    def _restart(self, gen: int) -> None:
        self._spawn("yolotrack-gui-start", self._start_pipeline, gen)

    def _start_pipeline(self, gen: int) -> None:
        with self._pipe_lock:
            if gen != self._start_gen or self._closing or self._source is None:
                return
            self._stop_current(timeout=2.0)
            self._latest = None  # never show the previous source's last frame after a switch
            cfg = dataclasses.replace(self.cfg, source=dataclasses.replace(self.cfg.source, uri=self._source),
                                      tracker=dataclasses.replace(self.cfg.tracker, enabled=True))
            # Restarts can race a close: nothing starts once the window is going away.
            pipe = Pipeline(cfg, detector=self.detector, on_result=self._on_result,
                            tracker_factory=self._tracker_factory(cfg))
            try:
                pipe.start()
            except YolotrackError as e:
                self.error.emit(str(e))
                return
            except Exception as e:  # noqa: BLE001 - e.g. an unreadable camera driver
                log.debug("pipeline start failed", exc_info=True)
                self.error.emit(f"cannot start {self._source}: {type(e).__name__}: {e}")
                return
            self._pipe = pipe
            self._pipes = [p for p in self._pipes if p.running] + [pipe]
            if self._closing:  # the window closed while this source was opening
                pipe.stop(drain=False)
                return
        self.started.emit(self._source)
        self._spawn("yolotrack-gui-watch", self._watch, pipe)

    def _tracker_factory(self, cfg: Config) -> Any:
        from yolotrack.tracker import tracker_factory

        make = tracker_factory(cfg.tracker)
        switch = self.tracker_switch
        return lambda fps: SwitchableTracker(make, fps, switch)

    def _watch(self, pipe: Pipeline) -> None:
        """Turns the end or failure of a pipeline into a signal (the UI never calls wait())."""
        try:
            while not pipe.wait(0.1):
                if self._closing:
                    return
        except YolotrackError as e:
            if pipe is self._pipe and not self._closing:
                self.error.emit(str(e))
        if pipe is self._pipe and not self._closing:
            self.finished.emit()

    def _on_result(self, result: Result) -> None:
        """Sink thread: record, keep the newest, signal the UI once per batch of arrivals."""
        rec = self._recorder
        if rec is not None:
            det = self.detector
            try:
                pipe = self._pipe
                analytics = pipe.analytics.source(result.frame.source_id) if pipe and pipe.analytics else None
                rec.write(result, dict(getattr(det, "names", {}) or {}), getattr(det, "task", "detect"), analytics)
            except Exception as e:  # noqa: BLE001 - a full disk must stop the recording, not the view
                log.debug("recording failed", exc_info=True)
                self._recorder = None
                self.error.emit(f"recording stopped: {e}")
        self._latest = result
        if not self._signal_pending.is_set():
            self._signal_pending.set()
            self.frame_ready.emit()

    # ------------------------------------------------------------ recording

    def start_recording(self, path: Path) -> None:
        self._recorder = Recorder(self.cfg, Path(path))

    def stop_recording(self) -> None:
        rec, self._recorder = self._recorder, None
        if rec is not None:
            self._spawn("yolotrack-gui-record", self._finish_recording, rec)

    def _finish_recording(self, rec: Recorder) -> None:
        try:
            files = rec.finish()
        except Exception as e:  # noqa: BLE001
            self.error.emit(f"cannot save the recording {rec.path}: {e}")
            return
        if files:
            self.recording_saved.emit(str(files[0]))
        else:
            self.error.emit("nothing was recorded (no frames arrived)")

    # ------------------------------------------------------------ shutdown

    def _stop_current(self, timeout: float) -> None:
        pipe, self._pipe = self._pipe, None
        if pipe is None:
            return
        pipe.stop(drain=False)
        with contextlib.suppress(YolotrackError):
            pipe.wait(timeout)

    def shutdown(self, timeout: float = 2.0) -> bool:
        """Stop everything; True when every worker thread ended within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        self._closing = True
        self._model_gen += 1
        self._start_gen += 1
        rec, self._recorder = self._recorder, None
        pipes = list(self._pipes)
        for pipe in pipes:
            pipe.stop(drain=False)
        if rec is not None:
            try:
                rec.finish()
            except Exception:  # noqa: BLE001
                log.warning("could not save the recording on close", exc_info=True)
        for pipe in pipes:
            with contextlib.suppress(YolotrackError):
                pipe.wait(max(0.0, deadline - time.monotonic()))
        self._pipe = None
        for t in list(self._threads):
            t.join(max(0.0, deadline - time.monotonic()))
        return all(not t.is_alive() for t in self._threads) and not any(p.running for p in pipes)

    def _spawn(self, name: str, fn: Any, *args: Any) -> None:
        self._threads = [t for t in self._threads if t.is_alive()]
        t = threading.Thread(target=fn, args=args, name=name, daemon=True)
        self._threads.append(t)
        t.start()
