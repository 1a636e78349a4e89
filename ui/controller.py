"""`PipelineController`: every camera of the window in ONE pipeline (one batched detector), plus model
loads, downloads and recordings, all off the UI thread.

The pipeline calls `on_result` in its sink thread. The controller keeps only each camera's newest
result and emits `frame_ready` once per batch of arrivals (never queueing a backlog of signals), so
the UI thread draws the newest frames and never blocks on capture, inference or a download.

Changes to the camera list only edit the wanted state (`CameraSlot`s) and queue a `_sync` job;
one worker runs the jobs in order and makes the running pipeline match: a new camera joins the
running pipeline (`Pipeline.add_source`), a removed one leaves it, the others never stop. A new
model restarts the pipeline with every camera. A camera that cannot be opened is marked failed
(its tile says why) and the others run.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QObject, pyqtSignal

from yolotrack.core.cameras import Camera, Link
from yolotrack.core.config import AnalyticsConfig, Config, build
from yolotrack.core.errors import ConfigError, YolotrackError
from yolotrack.core.urls import redact
from yolotrack.pipeline import (
    Pipeline,
    PipelineStats,
    Result,
    SourceKind,
    SourceState,
    is_live,
    open_source,
    source_kind,
)
from yolotrack.pipeline.stats import Meter
from yolotrack.tracker.global_ids import GlobalIds
from yolotrack.tracker.reid_model import resolve_reid
from yolotrack.tracker.switchable import SwitchableTracker, TrackerSwitch
from yolotrack.ui.recording import RecordingSink

log = logging.getLogger(__name__)

REMOVE_TIMEOUT = 5.0
PROGRESS_EVERY = 0.05  # seconds between download progress signals


@dataclasses.dataclass
class CameraSlot:
    """One camera as the window wants it, and what the pipeline made of it."""

    camera: Camera
    cfg: Config  # the base config with the camera's overrides (its source section opens the source)
    kind: SourceKind
    live: bool  # the queue policy: newest frame only (live) or every frame (lossless)
    failed: str | None = None  # why it could not be opened
    ended: bool = False  # a file that played to its end (it stays on its last frame)
    latest: Result | None = None
    fresh: bool = False  # a result arrived that the UI has not taken yet
    meter: Meter = dataclasses.field(default_factory=Meter)
    recorder: RecordingSink | None = None  # attached to this camera's source in every pipeline it runs in

    @property
    def name(self) -> str:
        return self.camera.name


class PipelineController(QObject):
    """Owns the pipeline and the detector; every slow call runs in a worker thread.

    Signals:
        frame_ready: some camera has a new newest result (`fresh_results()`).
        cameras_changed: a camera was added, removed, opened or failed to open.
        model_loading(bool): a model (re)load started / finished.
        model_loaded(object): the new `Detector`.
        model_unavailable(str): `auto` wanted the COCO model and could not get it (offline): the
            window shows the message and offers the demo model.
        download_started(str, str): the weights name and its URL (credentials hidden).
        download_progress(int, int): bytes done, total (0 when unknown).
        download_finished(bool): True when the file is complete in the cache.
        error(str): one sentence for the status bar.
        finished(): every source of the pipeline ended (files without loop).
        recording_saved(str): path of a finished MP4.
    """

    frame_ready = pyqtSignal()
    cameras_changed = pyqtSignal()
    model_loading = pyqtSignal(bool)
    model_loaded = pyqtSignal(object)
    model_unavailable = pyqtSignal(str)
    download_started = pyqtSignal(str, str)
    download_progress = pyqtSignal(int, int)
    download_finished = pyqtSignal(bool)
    error = pyqtSignal(str)
    finished = pyqtSignal()
    recording_saved = pyqtSignal(str)

    def __init__(self, cfg: Config, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cfg = cfg
        self.detector: Any = None
        self.weights_choice: Any = None  # the `WeightsChoice` of the loaded model
        self.classes: list[int] | None = None  # the class filter, applied after the tracker
        self.tracker_switch = TrackerSwitch(cfg.tracker.enabled)
        self._slots: dict[str, CameraSlot] = {}
        self._lock = threading.Lock()  # guards `_slots` (UI thread writes, workers and the sink thread read)
        self._pipe: Pipeline | None = None
        self._pipes: list[Pipeline] = []  # every pipeline started, until shutdown
        self._signal_pending = threading.Event()
        self._model_gen = 0  # bumps on every model load; a stale load gives up
        self._model_wanted = False  # load_model() was called: camera changes may now (re)load the auto model
        self._cancel: threading.Event | None = None
        self._jobs: collections.deque[tuple[Callable[..., None], tuple[Any, ...]]] = collections.deque()
        self._jobs_lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._threads: list[threading.Thread] = []
        self._closing = False
        self._gallery_for: tuple[list[str], Sequence[Link] | None] = ([], None)  # the gallery's cameras and links
        self._global_ids = _gallery(cfg, weights=self._weights())  # one for every pipeline: ids survive a restart

    # ------------------------------------------------------------ state for the UI thread

    @property
    def cameras(self) -> list[Camera]:
        with self._lock:
            return [s.camera for s in self._slots.values()]

    def slot(self, name: str) -> CameraSlot | None:
        with self._lock:
            return self._slots.get(name)

    def fresh_results(self) -> dict[str, Result]:
        """Each camera's newest result that arrived since the last call; re-arms `frame_ready`."""
        self._signal_pending.clear()
        out = {}
        with self._lock:
            slots = list(self._slots.values())
        for s in slots:
            if s.fresh and s.latest is not None:
                s.fresh = False
                out[s.name] = s.latest
        return out

    def stats(self) -> PipelineStats | None:
        pipe = self._pipe
        return pipe.stats() if pipe is not None else None

    @property
    def pipeline(self) -> Pipeline | None:
        return self._pipe

    @property
    def running(self) -> bool:
        pipe = self._pipe
        return pipe is not None and pipe.running

    @property
    def loading(self) -> bool:
        return any(t.name == "yolotrack-gui-model" and t.is_alive() for t in self._threads)

    def recording(self, name: str) -> bool:
        s = self.slot(name)
        return s is not None and s.recorder is not None

    def recording_frames(self, name: str) -> int | None:
        s = self.slot(name)
        rec = s.recorder if s is not None else None
        return rec.frames if rec is not None else None

    # ------------------------------------------------------------ cameras

    def _new_slot(self, cam: Camera) -> CameraSlot:
        cfg = cam.config(self.cfg)  # checks the overrides against the schema
        src = open_source(cam.source, cfg.source, cam.name)  # builds only: nothing opens here
        return CameraSlot(cam, cfg, source_kind(cam.source), is_live(src, cfg.source))

    def set_cameras(self, cameras: Sequence[Camera]) -> None:
        """Exactly these cameras, in this order; unchanged ones keep running. Raises `YolotrackError`
        (and changes nothing) for a bad camera."""
        new = {}
        with self._lock:
            old = dict(self._slots)
        for cam in cameras:
            s = old.get(cam.name)
            new[cam.name] = s if s is not None and s.camera == cam else self._new_slot(cam)
        with self._lock:
            gone = [s for n, s in self._slots.items() if new.get(n) is not s]
            self._slots = new
        for s in gone:
            self._stop_recorder(s)
        self._cameras_changed()

    def add_camera(self, cam: Camera) -> None:
        self.set_cameras([*self.cameras, cam])

    def remove_camera(self, name: str) -> None:
        self.set_cameras([c for c in self.cameras if c.name != name])

    def replace_camera(self, name: str, cam: Camera) -> None:
        """`cam` in `name`'s place (the source pickers act on the selected tile)."""
        cams = self.cameras
        idx = next((i for i, c in enumerate(cams) if c.name == name), None)
        if idx is None:
            self.add_camera(cam)
            return
        cams[idx] = cam
        if cam.name == name:
            self.restart_camera(name, cam)
        else:
            self.set_cameras(cams)

    def restart_camera(self, name: str, cam: Camera | None = None) -> None:
        """Open the camera again (after an error, at a file's end, or with a new source)."""
        with self._lock:
            old = self._slots.get(name)
            if old is None:
                return
            s = self._new_slot(cam or old.camera)
            s.recorder = old.recorder
            self._slots = {n: (s if n == name else v) for n, v in self._slots.items()}
        self._cameras_changed({name})

    def set_loop(self, on: bool) -> None:
        """Files start again at their end; a file that already ended starts again at once."""
        self.cfg = _with(self.cfg, "source", loop=on)
        ended = []
        pipe = self._pipe
        stats = self.stats()
        running = {s.info.source_id: s for s in pipe.sources} if pipe is not None else {}
        with self._lock:
            slots = list(self._slots.values())
        for s in slots:
            s.cfg = _with(s.cfg, "source", loop=on)  # for its next start
            src = running.get(s.name)
            if src is not None:
                src.loop = on  # the running source reads it at its end
            st = stats.sources.get(s.name) if stats is not None else None
            if on and s.kind is SourceKind.FILE and st is not None and st.state is SourceState.ENDED:
                ended.append(s.name)
        for name in ended:
            self.restart_camera(name)

    def _cameras_changed(self, restart: set[str] | None = None) -> None:
        self.cameras_changed.emit()
        if self._slots and not self.loading and self._auto_wants_another():
            self.load_model()  # the cameras (re)start once the model is ready
            return
        self._submit(self._sync, set(restart or ()))

    def _auto_wants_another(self) -> bool:
        """`auto` and the cameras now call for another model than the loaded one (a real camera joined
        the demo, or the last real one left)."""
        if self.cfg.model.weights != "auto" or not self._slots or not self._model_wanted:
            return False
        try:
            want = self._choose().weights
        except YolotrackError as e:
            self.error.emit(str(e))
            return False
        return self.weights_choice is None or want != self.weights_choice.weights

    # ------------------------------------------------------------ model

    def _choose(self, mcfg: Any = None) -> Any:
        from yolotrack.detector.auto_weights import choose_weights

        return choose_weights(mcfg or self.cfg.model, [c.source for c in self.cameras])

    def load_model(self, weights: str | None = None) -> None:
        """Load `weights` (default: the config's; `auto` decides by the cameras) in the background,
        downloading a release first when needed; the cameras restart with it."""
        if weights is not None:
            self.cfg = _with(self.cfg, "model", weights=weights)
        self._model_wanted = True
        if self.cfg.model.weights == "auto" and not self._slots:
            return  # nothing to decide by yet: the first camera loads the model
        self._model_gen += 1
        gen = self._model_gen
        # The class filter applies after the tracker (`keep_classes`): the detector sees every class.
        mcfg = dataclasses.replace(self.cfg.model, classes=None)
        self.model_loading.emit(True)
        self._spawn("yolotrack-gui-model", self._load_model, gen, mcfg)

    def cancel_download(self) -> None:
        cancel = self._cancel
        if cancel is not None:
            cancel.set()

    def _load_model(self, gen: int, mcfg: Any) -> None:
        from yolotrack.detector.hub import pending_download

        try:
            choice = self._choose(mcfg)
        except YolotrackError as e:
            self._report(gen, f"cannot choose a model: {e}")
            return
        try:
            pending = pending_download(choice.weights)
            if pending is not None and not self._download(choice, *pending):
                self._report(gen, None)  # cancelled: the model in use stays
                return
            det = self._build_detector(dataclasses.replace(mcfg, weights=choice.weights))
        except YolotrackError as e:
            if choice.auto and pending is not None:  # offline: no camera starts with a model that sees nothing
                self._report(gen, None)
                self.model_unavailable.emit(str(e))
            else:
                self._report(gen, f"cannot load model {choice.weights}: {e}")
            return
        except Exception as e:  # noqa: BLE001 - a broken file must not take the window down
            log.debug("model load failed", exc_info=True)
            self._report(gen, f"cannot load model {choice.weights}: {type(e).__name__}: {e}")
            return
        if gen != self._model_gen or self._closing:
            return
        log.info("model: %s", choice.describe())
        old = self._weights()
        self.weights_choice = choice
        if self._global_ids is not None and resolve_reid(self.cfg.global_ids.reid, old) != resolve_reid(
                self.cfg.global_ids.reid, self._weights()):  # `reid: auto` now means other features: a new gallery
            self._global_ids = _gallery(self.cfg, *self._gallery_for, weights=self._weights())
        self._apply_thresholds(det)
        self.detector = det
        self.model_loading.emit(False)
        self.model_loaded.emit(det)
        if self._auto_wants_another():  # the cameras changed while this one loaded
            self.load_model()
            return
        self._submit(self._sync, set())

    def _build_detector(self, mcfg: Any) -> Any:
        """In the model worker: the runtime is built here too (export, int8 calibration, compile), for
        the cameras' frame size when their files share one, so neither the first frame nor the running
        cameras wait for it (an exported runtime does not hold the torch thread)."""
        from yolotrack.detector import Detector
        from yolotrack.pipeline.sources import file_frame_size
        from yolotrack.tracker import wants_embeddings

        pooled = wants_embeddings(self.cfg.tracker) or self._pools_for_global_ids(mcfg.weights)
        det = Detector.from_config(mcfg, source=self._calibration_source(), embeddings=pooled)
        sizes = {file_frame_size(c.source) for c in self.cameras}
        det.warmup([s for s in sizes if s is not None] if len(sizes) == 1 else [], batch=max(1, len(self.cameras)))
        return det

    def _pools_for_global_ids(self, weights: str) -> bool:
        """Global ids on the detector's pooled features (no ReID network for a detector of `weights`)."""
        from yolotrack.tracker.reid_model import reid_for

        return self._global_ids is not None and reid_for(self.cfg.global_ids, [weights]) is None

    def _weights(self) -> list[str]:
        """The detector in use, for `global_ids.reid: auto`."""
        return [self.weights_choice.weights if self.weights_choice is not None else self.cfg.model.weights]

    def _calibration_source(self) -> list[str] | None:
        """What int8 calibrates on when `model.calibration` is empty: the cameras' files (a stream cannot
        be read twice, so int8 on cameras alone needs `model.calibration`)."""
        return [c.source for c in self.cameras] or None

    def _download(self, choice: Any, url: str, dest: Path) -> bool:
        """The release file with progress signals; False when cancelled (`DownloadCancelled` is not raised)."""
        from yolotrack.detector.hub import DownloadCancelled, download

        cancel = self._cancel = threading.Event()
        self.download_started.emit(choice.weights, redact(url))
        last = [0.0]

        def progress(done: int, total: int | None) -> None:
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY or (total is not None and done >= total):
                last[0] = now
                self.download_progress.emit(done, total or 0)

        try:
            download(url, dest, progress=progress, cancel=cancel)
        except DownloadCancelled as e:
            self.error.emit(str(e))
            self.download_finished.emit(False)
            return False
        except YolotrackError:
            self.download_finished.emit(False)
            raise
        finally:
            self._cancel = None
        self.download_finished.emit(True)
        return True

    def _report(self, gen: int, msg: str | None) -> None:
        if gen == self._model_gen:
            self.model_loading.emit(False)
        if msg:
            self.error.emit(msg)

    # ------------------------------------------------------------ live controls

    def set_thresholds(self, conf: float | None = None, iou: float | None = None) -> None:
        """conf / iou for the next frame; kept in the config for models loaded later."""
        changes = {k: v for k, v in (("conf", conf), ("iou", iou)) if v is not None}
        self.cfg = _with(self.cfg, "model", **changes)
        if self.detector is not None:
            try:
                self.detector.set_thresholds(conf=conf, iou=iou)
            except YolotrackError as e:
                self.error.emit(str(e))

    def set_classes(self, ids: Sequence[int] | None) -> None:
        """The class filter for drawing, snapshots and recordings (None = all); no frame has to pass."""
        self.classes = None if ids is None else [int(i) for i in ids]
        self.cfg = _with(self.cfg, "model", classes=None if self.classes is None else list(self.classes))

    def set_trails(self, on: bool) -> None:
        """Trails drawn or not (drawing only: the pipeline keeps them either way)."""
        self.cfg = _with(self.cfg, "render", trails=on)

    def set_analytics(self, cfg: Any) -> None:
        """Lines and zones (an `AnalyticsConfig` or an `analytics:` mapping) from the running pipeline's
        next frame on, and for every pipeline started later (a new model). Raises `ConfigError` and
        changes nothing when the section is wrong (the same checks as a config file, and class names
        against the model)."""
        from yolotrack.analytics import Analytics

        if not isinstance(cfg, AnalyticsConfig):  # an `analytics:` mapping
            cfg = build(AnalyticsConfig, dict(cfg), "analytics")
        pipe = self._pipe
        if pipe is not None and pipe.analytics is not None:
            pipe.set_analytics(cfg)
        else:
            Analytics(cfg, names=dict(getattr(self.detector, "names", {}) or {}))  # checks only
        self.cfg = dataclasses.replace(self.cfg, analytics=cfg)
        now = self._pipe
        if now is not None and now is not pipe and now.analytics is not None:  # a pipeline started meanwhile
            now.set_analytics(cfg)

    def _apply_thresholds(self, det: Any) -> None:
        det.set_thresholds(conf=self.cfg.model.conf, iou=self.cfg.model.iou, classes=None)

    def set_tracking(self, on: bool) -> None:
        self.cfg = _with(self.cfg, "tracker", enabled=on)
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

    # ------------------------------------------------------------ the pipeline (worker jobs, in order)

    def _submit(self, fn: Callable[..., None], *args: Any) -> None:
        with self._jobs_lock:
            if self._closing:
                return
            self._jobs.append((fn, args))
            if self._worker is None or not self._worker.is_alive():
                self._worker = self._spawn("yolotrack-gui-cameras", self._drain)

    def _drain(self) -> None:
        while True:
            with self._jobs_lock:
                if not self._jobs or self._closing:
                    self._worker = None
                    return
                fn, args = self._jobs.popleft()
            try:
                fn(*args)
            except Exception as e:  # noqa: BLE001 - a job failing must not stop the next ones
                log.debug("camera job failed", exc_info=True)
                self.error.emit(f"{type(e).__name__}: {e}")

    def _sync(self, restart: set[str]) -> None:
        """Make the pipeline run exactly the wanted cameras with the current detector."""
        det = self.detector
        if self._closing:
            return
        with self._lock:
            slots = dict(self._slots)
        pipe = self._pipe
        if pipe is not None:
            for sid, st in pipe.stats().sources.items():  # a file at its end stays there, also in a new pipeline
                if sid in slots and st.state is SourceState.ENDED:
                    slots[sid].ended = True
        if pipe is not None and (pipe.detector is not det or not slots):
            self._stop(pipe)
            pipe = None
            restart = set(restart) | {n for n, s in slots.items() if s.ended}  # a new model: play them again
        if det is None:
            return
        running = set(pipe.stats().sources) if pipe is not None and pipe.running else set()
        for sid in sorted(running):
            if sid not in slots or sid in restart:
                assert pipe is not None
                if not pipe.remove_source(sid, REMOVE_TIMEOUT):
                    log.warning("camera %s did not stop within %.0f s", sid, REMOVE_TIMEOUT)
                running.discard(sid)
        changed = False
        for name, slot in slots.items():
            if name in running or ((slot.failed is not None or slot.ended) and name not in restart) or self._closing:
                continue
            if pipe is not None and not pipe.running:
                pipe = None
            source = open_source(slot.camera.source, slot.cfg.source, name)
            try:
                if pipe is None:
                    pipe = self._new_pipeline(det, source)
                else:
                    try:
                        pipe.add_source(source)
                    except RuntimeError:  # every other source ended meanwhile: a new pipeline
                        pipe = self._new_pipeline(det, source)
                slot.failed, slot.ended = None, False
                self._attach_recorder(pipe, slot)
            except YolotrackError as e:
                slot.failed = str(e)
                self.error.emit(f"{name}: {e}")
            except Exception as e:  # noqa: BLE001 - e.g. an unreadable camera driver
                log.debug("cannot open %s", name, exc_info=True)
                slot.failed = f"cannot open {redact(slot.camera.source)}: {type(e).__name__}: {e}"
                self.error.emit(f"{name}: {slot.failed}")
            changed = True
        if changed:
            self.cameras_changed.emit()

    def _new_pipeline(self, det: Any, source: Any) -> Pipeline:
        """A pipeline with its first source; more join with `add_source`."""
        cfg = dataclasses.replace(self.cfg, tracker=dataclasses.replace(self.cfg.tracker, enabled=True))
        pipe = Pipeline(cfg, detector=det, sources=[source], on_result=self._on_result,
                        tracker_factory=self._tracker_factory(cfg), isolate_sources=True, annotate=self._annotate)
        pipe.start()  # SourceError: nothing started
        self._pipe = pipe
        self._pipes = [p for p in self._pipes if p.running] + [pipe]
        if self._closing:
            pipe.stop(drain=False)
        else:
            self._spawn("yolotrack-gui-watch", self._watch, pipe)
        return pipe

    def _stop(self, pipe: Pipeline) -> None:
        pipe.stop(drain=False)
        with contextlib.suppress(YolotrackError):
            pipe.wait(2.0)
        if self._pipe is pipe:
            self._pipe = None

    def _annotate(self, result: Result) -> None:
        """Sink thread: global ids across the grid's cameras, once there are two or more."""
        if self._global_ids is not None and len(self._slots) > 1:
            self._global_ids.annotate(result)

    def set_links(self, cameras: Sequence[Camera], links: Sequence[Link] | None) -> None:
        """The cameras file's `links` for the grid's global ids (None: every pair, cameras join at
        their first frame). With links, a camera the file does not name gets no global id, as in
        `run --cameras`. A new gallery: global ids start again from 1."""
        if self._global_ids is not None:
            self._gallery_for = ([c.name for c in cameras], links)
            self._global_ids = _gallery(self.cfg, *self._gallery_for, weights=self._weights())

    def _tracker_factory(self, cfg: Config) -> Any:
        from yolotrack.tracker import tracker_factory
        from yolotrack.tracker.reid_model import reid_for

        make = tracker_factory(cfg.tracker)
        switch = self.tracker_switch
        model = reid_for(cfg.global_ids, self._weights())  # global ids on a ReID network: it embeds the boxes
        if model is None:
            return lambda fps: SwitchableTracker(make, fps, switch)
        from yolotrack.tracker.reid_tracker import ReidTracker

        every = cfg.global_ids.reid_every

        def grid() -> bool:  # global ids (and so embeddings) only while the grid shows two cameras or more
            return len(self._slots) > 1

        return lambda fps: ReidTracker(SwitchableTracker(make, fps, switch), model, every, active=grid)

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
        """Sink thread: count, record, keep the newest per camera, signal the UI once per batch."""
        with self._lock:
            slot = self._slots.get(result.frame.source_id)
        if slot is None:
            return  # a camera removed a moment ago
        slot.meter.tick()
        slot.latest = result
        slot.fresh = True
        if not self._signal_pending.is_set():
            self._signal_pending.set()
            self.frame_ready.emit()

    # ------------------------------------------------------------ recording

    def start_recording(self, name: str, path: Path) -> None:
        """Record camera `name` from its next frame on: a sink attached to its source in the running
        pipeline (and in every pipeline started while it records), until `stop_recording`."""
        s = self.slot(name)
        if s is None:
            raise ConfigError(f"no camera named {name}")
        s.recorder = RecordingSink(self.cfg, Path(path), lambda: self.classes)
        pipe = self._pipe
        if pipe is not None and pipe.running:
            self._attach_recorder(pipe, s)

    def _attach_recorder(self, pipe: Pipeline, slot: CameraSlot) -> None:
        rec = slot.recorder
        if rec is None:
            return

        def failed(e: BaseException) -> None:  # the sink thread: a full disk stops the recording, not the view
            if slot.recorder is rec:
                slot.recorder = None
            self.error.emit(f"{slot.name}: recording stopped: {e}")

        pipe.attach_sink(slot.name, rec, failed)

    def stop_recording(self, name: str) -> None:
        s = self.slot(name)
        if s is not None:
            self._stop_recorder(s)

    def _stop_recorder(self, s: CameraSlot) -> None:
        rec, s.recorder = s.recorder, None
        if rec is not None:
            for pipe in list(self._pipes):
                pipe.detach_sink(s.name, rec)
            self._spawn("yolotrack-gui-record", self._finish_recording, rec)

    def _finish_recording(self, rec: RecordingSink) -> None:
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

    def shutdown(self, timeout: float = 2.0) -> bool:
        """Stop everything; True when every worker thread ended within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._jobs_lock:
            self._closing = True
            self._jobs.clear()
        self._model_gen += 1
        self.cancel_download()
        with self._lock:
            slots = list(self._slots.values())
        recording = [(s.name, s.recorder) for s in slots if s.recorder is not None]
        recs = [rec for _, rec in recording]
        for s in slots:
            s.recorder = None
        pipes = list(self._pipes)
        for pipe in pipes:
            for name, rec in recording:
                pipe.detach_sink(name, rec)
            pipe.stop(drain=False)
        for rec in recs:
            try:
                rec.finish()
            except Exception:  # noqa: BLE001
                log.warning("could not save the recording on close", exc_info=True)
        for pipe in pipes:
            with contextlib.suppress(YolotrackError):
                pipe.wait(max(0.0, deadline - time.monotonic()))
        for t in list(self._threads):
            t.join(max(0.0, deadline - time.monotonic()))
        # a pipeline a worker started while closing is stopped by that worker; catch it here as well
        for pipe in self._pipes:
            if pipe not in pipes:
                pipe.stop(drain=False)
                with contextlib.suppress(YolotrackError):
                    pipe.wait(max(0.0, deadline - time.monotonic()))
        self._pipe = None
        return all(not t.is_alive() for t in self._threads) and not any(p.running for p in self._pipes)

    def _spawn(self, name: str, fn: Any, *args: Any) -> threading.Thread:
        self._threads = [t for t in self._threads if t.is_alive()]
        t = threading.Thread(target=fn, args=args, name=name, daemon=True)
        self._threads.append(t)
        t.start()
        return t


def _with(cfg: Config, section: str, **changes: Any) -> Config:
    """`cfg` with fields of one section replaced (the config is frozen: every change is a new one)."""
    return dataclasses.replace(cfg, **{section: dataclasses.replace(getattr(cfg, section), **changes)})


def _gallery(cfg: Config, cameras: Sequence[str] = (), links: Sequence[Link] | None = None,
             weights: Sequence[str] = ()) -> GlobalIds | None:
    """The grid's global ids: the cameras file's links, else every camera linked to every other (a
    camera joins at its first frame); `weights`: the detector's, for `global_ids.reid: auto`."""
    if not cfg.global_ids.enabled:
        return None
    return GlobalIds.from_config(cameras if links is not None else [], links, cfg.global_ids, weights)
