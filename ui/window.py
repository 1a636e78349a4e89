"""`MainWindow`: the video view, the control panel and the status bar, wired to the controller.

Everything slow (model loads, opening sources, inference, encoding) runs in the controller's
threads; the slots here only draw the newest result and flip flags, so the window stays live.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path

import cv2
import numpy as np
from PyQt6.QtCore import QByteArray, Qt, QTimer
from PyQt6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence, QResizeEvent, QShortcut
from PyQt6.QtWidgets import QFileDialog, QLabel, QMainWindow, QScrollArea, QSplitter

from yolotrack.core.config import Config
from yolotrack.core.errors import ConfigError
from yolotrack.core.files import atomic_write
from yolotrack.pipeline import Result
from yolotrack.render import Renderer
from yolotrack.ui.controller import PipelineController
from yolotrack.ui.controls import ControlPanel
from yolotrack.ui.hud import first_source, source_text, stats_text
from yolotrack.ui.settings import GuiSettings
from yolotrack.ui.view import VideoView, render_to_view
from yolotrack.ui.webcams import WebcamProber

log = logging.getLogger(__name__)

VIDEO_FILTER = "Videos (*.mp4 *.mkv *.avi *.mov *.webm *.ts *.m4v);;All files (*)"
WEIGHTS_FILTER = "Weights (*.pt *.safetensors *.pth);;All files (*)"
HUD_INTERVAL_MS = 250
CLOSE_TIMEOUT = 2.0


class MainWindow(QMainWindow):
    """The `yolotrack gui` window.

    Args:
        cfg: initial model, source, tracker and render settings (from `--config` and flags).
        settings: where to persist (default: the user's QSettings); tests pass a temp INI file.
        explicit: dotted config keys the user set (`--config` preset keys, flags, overrides); those
            win over remembered settings, which only fill the rest.
        autostart: open `cfg.source.uri` at once.
    """

    def __init__(self, cfg: Config, settings: GuiSettings | None = None, explicit: frozenset[str] = frozenset(),
                 autostart: bool = True) -> None:
        super().__init__()
        self.cfg = cfg
        self.settings = settings or GuiSettings()
        self._explicit = frozenset(explicit)
        self._restore_values(self._explicit)
        self.setWindowTitle("yolotrack")
        self.setAcceptDrops(True)

        self.controller = PipelineController(cfg, self)
        self.renderer = Renderer(dataclasses.replace(cfg.render), {}, cfg.model.task)
        self.view = VideoView()
        self.panel = ControlPanel(cfg.model.conf, cfg.model.iou)
        scroll = QScrollArea()
        scroll.setWidget(self.panel)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(300)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(scroll)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        self.setCentralWidget(self.splitter)

        self.source_label = QLabel("no source")
        self.stats_label = QLabel("")
        self.rec_label = QLabel("")
        sb = self.statusBar()
        assert sb is not None
        sb.addPermanentWidget(self.rec_label)
        sb.addPermanentWidget(self.stats_label)
        sb.addPermanentWidget(self.source_label)

        self.shown: Result | None = None  # the result on screen (tests read it)
        self.frames_shown = 0
        self.last_render_ms = 0.0
        self.last_error = ""
        out = Path(cfg.output.dir).expanduser()
        self.snapshot_dir = out / "snapshots"
        self.record_dir = out / "recordings"
        self.prober = WebcamProber(cfg.ui.probe_webcams, self)

        self._init_controls()
        self._connect()
        self._shortcuts()
        self._restore_geometry()
        self.hud_timer = QTimer(self)
        self.hud_timer.setInterval(HUD_INTERVAL_MS)
        self.hud_timer.timeout.connect(self.update_hud)
        self.hud_timer.start()
        if cfg.ui.probe_webcams:
            self.prober.probe()
        else:
            self.panel.set_webcams([])
        self.controller.load_model()
        uri = cfg.source.uri
        if autostart and uri not in (None, "", []):
            self.open_source(uri[0] if isinstance(uri, list) else str(uri))

    # ------------------------------------------------------------ setup

    def _restore_values(self, explicit: frozenset[str]) -> None:
        s, c = self.settings, self.cfg
        if "model.conf" not in explicit:
            c.model.conf = min(max(s.get_float("conf", c.model.conf), 0.0), 1.0)
        if "model.iou" not in explicit:
            c.model.iou = min(max(s.get_float("iou", c.model.iou), 0.0), 1.0)
        if "render.trails" not in explicit:
            c.render.trails = s.get_bool("trails", c.render.trails)
        if "tracker.enabled" not in explicit:
            c.tracker.enabled = s.get_bool("tracker", c.tracker.enabled)

    def _init_controls(self) -> None:
        p, s, c = self.panel, self.settings, self.cfg
        p.tracker.setChecked(c.tracker.enabled)
        p.trails.setChecked(c.render.trails)
        p.set_recent_urls(s.get_list("recent_urls")[: c.ui.recent_urls])
        # the model actually loaded is the config's: show it when the user chose it explicitly
        ex = self._explicit
        scale = c.model.scale if {"model.scale", "model.weights"} & ex else s.get_str("scale", c.model.scale)
        task = c.model.task if {"model.task", "model.weights"} & ex else s.get_str("task", c.model.task)
        p.set_release(s.get_str("release"), scale, task)
        p.weights_label.setText(str(c.model.weights))

    def _connect(self) -> None:
        p, ctl = self.panel, self.controller
        ctl.frame_ready.connect(self.on_frame)
        ctl.model_loading.connect(self._on_loading)
        ctl.model_loaded.connect(self._on_model)
        ctl.error.connect(self.show_error)
        ctl.started.connect(lambda src: self.show_message(f"playing {src}"))
        ctl.finished.connect(lambda: self.show_message("source ended"))
        ctl.recording_saved.connect(lambda path: self.show_message(f"recording saved: {path}"))
        self.prober.found.connect(p.set_webcams)
        p.probe_webcams.connect(self.prober.probe)
        p.open_file.connect(self.browse_video)
        p.open_url.connect(self.open_url)
        p.open_webcam.connect(lambda i: self.open_source(str(i)))
        p.model_chosen.connect(self.load_model)
        p.browse_weights.connect(self.browse_weights)
        p.conf.changed.connect(self.set_conf)
        p.iou.changed.connect(self.set_iou)
        p.classes.changed.connect(self.set_classes)
        p.tracker.toggled.connect(self.set_tracking)
        p.trails.toggled.connect(self.set_trails)
        p.pause_btn.toggled.connect(self.set_paused)
        p.step_btn.clicked.connect(self.step)
        p.snap_btn.clicked.connect(self.snapshot)
        p.record_btn.toggled.connect(self.set_recording)

    def _shortcuts(self) -> None:
        keys = {
            "Space": self.panel.pause_btn.toggle,
            "S": self.snapshot,
            "R": self.panel.record_btn.toggle,
            "F": self.toggle_fullscreen,
            "Right": self.step,
            "Ctrl+O": self.browse_video,
            "Escape": lambda: self.isFullScreen() and self.toggle_fullscreen(),
        }
        self.shortcut_map: dict[str, QShortcut] = {}
        for key, fn in keys.items():
            sc = QShortcut(QKeySequence(key), self)
            sc.setContext(Qt.ShortcutContext.WindowShortcut)
            sc.activated.connect(fn)
            self.shortcut_map[key] = sc

    def _restore_geometry(self) -> None:
        geo = self.settings.q.value("geometry")
        if isinstance(geo, QByteArray) and not geo.isEmpty():
            self.restoreGeometry(geo)
        else:
            self.resize(1280, 760)
        split = self.settings.q.value("splitter")
        if isinstance(split, QByteArray) and not split.isEmpty():
            self.splitter.restoreState(split)
        if self.cfg.ui.fullscreen:
            self.showFullScreen()

    # ------------------------------------------------------------ sources and models

    def open_source(self, uri: str) -> None:
        self.view.clear()
        self.shown = None
        self.panel.pause_btn.setChecked(False)
        self.source_label.setText("connecting")
        self.controller.open_source(uri)

    def open_url(self, url: str) -> None:
        urls = self.settings.remember_url(url, self.cfg.ui.recent_urls)
        self.panel.set_recent_urls(urls)
        self.open_source(url)

    def browse_video(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open video", self.settings.get_str("last_dir"), VIDEO_FILTER)
        if path:
            self.settings.set("last_dir", str(Path(path).parent))
            self.open_source(path)

    def browse_weights(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open weights", self.settings.get_str("last_dir"),
                                              WEIGHTS_FILTER)
        if path:
            self.load_model(path)

    def load_model(self, weights: str) -> None:
        self.show_message(f"loading {weights}...")
        self.controller.load_model(weights)

    def _on_loading(self, busy: bool) -> None:
        self.panel.set_busy(busy)

    def _on_model(self, det: object) -> None:
        from yolotrack.core.classes import resolve_classes

        names = dict(getattr(det, "names", {}) or {})
        task = str(getattr(det, "task", "detect"))
        self.renderer.names = names
        self.renderer.task = task
        try:
            ids = resolve_classes(self.cfg.model.classes, names)
        except ConfigError:
            ids = None  # the controller already said "class filter ignored"
        self.panel.classes.set_names(names, ids)
        self.controller.set_thresholds(classes=self.panel.classes.selected())  # what the list shows
        self.panel.weights_label.setText(f"{self.cfg.model.weights} ({task}, {len(names)} classes)")
        self.show_message(f"model ready: {self.cfg.model.weights}")

    # ------------------------------------------------------------ live controls

    def set_conf(self, v: float) -> None:
        self.cfg.model.conf = v
        self.controller.set_thresholds(conf=v)

    def set_iou(self, v: float) -> None:
        self.cfg.model.iou = v
        self.controller.set_thresholds(iou=v)

    def set_classes(self, ids: list[int] | None) -> None:
        """None = every class; kept in the config so a model switch keeps the same filter."""
        self.cfg.model.classes = ids  # type: ignore[assignment]
        self.controller.set_thresholds(classes=ids)

    def set_tracking(self, on: bool) -> None:
        self.cfg.tracker.enabled = on
        self.controller.set_tracking(on)

    def set_trails(self, on: bool) -> None:
        self.cfg.render.trails = on
        self.renderer.cfg.trails = on
        self._redraw()

    def set_paused(self, paused: bool) -> None:
        if paused:
            self.controller.pause()
        else:
            self.controller.resume()
        self.panel.pause_btn.setText("Resume" if paused else "Pause")

    def step(self) -> None:
        if not self.panel.pause_btn.isChecked():
            self.panel.pause_btn.setChecked(True)
        self.controller.step()

    def toggle_fullscreen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()

    # ------------------------------------------------------------ frames

    def on_frame(self) -> None:
        """Draw the newest result; results that arrived meanwhile were never queued."""
        result = self.controller.latest()
        if result is None:
            return
        self.shown = result
        self._draw(result)
        self.frames_shown += 1

    def _draw(self, result: Result) -> None:
        t0 = time.perf_counter()
        size = (max(1, self.view.width()), max(1, self.view.height()))
        trails = result.trails if self.renderer.cfg.trails else None
        canvas = render_to_view(result.frame.image, result.detections, trails, self.renderer, size,
                                analytics=result.analytics)
        self.view.show_image(canvas, (result.frame.width, result.frame.height))
        self.last_render_ms = (time.perf_counter() - t0) * 1000.0

    def _redraw(self) -> None:
        if self.shown is not None:
            self._draw(self.shown)

    def resizeEvent(self, event: QResizeEvent | None) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._redraw()

    def update_hud(self) -> None:
        s = self.controller.stats()
        if s is None:
            return
        self.stats_label.setText(stats_text(s))
        self.source_label.setText(source_text(first_source(s)))
        n = self.controller.recording_frames
        self.rec_label.setText(f"REC {n}" if n is not None else "")

    # ------------------------------------------------------------ snapshot and recording

    def snapshot(self) -> Path | None:
        """The shown frame with its overlay at full source resolution, as PNG (atomic write)."""
        r = self.shown
        if r is None:
            self.show_error("no frame to snapshot yet")
            return None
        img = r.frame.image
        trails = r.trails if self.renderer.cfg.trails else None
        out = self.renderer.draw(img, r.detections, trails, out=np.empty_like(img))
        ok, png = cv2.imencode(".png", out)
        if not ok:
            self.show_error("PNG encoding failed")
            return None
        path = self.snapshot_dir / f"yolotrack-{time.strftime('%Y%m%d-%H%M%S')}-{r.frame.index:06d}.png"
        try:
            atomic_write(path, lambda tmp: tmp.write_bytes(png.tobytes()))
        except OSError as e:
            self.show_error(f"cannot save snapshot {path}: {e.strerror or e}")
            return None
        self.show_message(f"snapshot saved: {path}")
        return path

    def set_recording(self, on: bool) -> None:
        if on:
            path = self.record_dir / f"yolotrack-{time.strftime('%Y%m%d-%H%M%S')}.mp4"
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                self.show_error(f"cannot record to {path.parent}: {e.strerror or e}")
                self.panel.record_btn.setChecked(False)
                return
            self.controller.start_recording(path)
            self.show_message(f"recording to {path}")
        else:
            self.controller.stop_recording()
        self.panel.record_btn.setText("Stop" if on else "Record")

    # ------------------------------------------------------------ messages

    def show_message(self, msg: str, ms: int = 5000) -> None:
        sb = self.statusBar()
        if sb is not None:
            sb.setStyleSheet("")
            sb.showMessage(msg, ms)

    def show_error(self, msg: str) -> None:
        log.warning("%s", msg)
        self.last_error = msg
        sb = self.statusBar()
        if sb is not None:
            sb.setStyleSheet("QStatusBar { color: #d33; }")
            sb.showMessage(msg, 15000)

    # ------------------------------------------------------------ drag and drop, close

    def dragEnterEvent(self, event: QDragEnterEvent | None) -> None:  # noqa: N802 - Qt API
        md = event.mimeData() if event is not None else None
        if md is not None and md.hasUrls() and any(u.isLocalFile() for u in md.urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent | None) -> None:  # noqa: N802 - Qt API
        md = event.mimeData() if event is not None else None
        if md is None:
            return
        files = [u.toLocalFile() for u in md.urls() if u.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.open_source(files[0])

    def save_settings(self) -> None:
        s = self.settings
        s.set("geometry", self.saveGeometry())
        s.set("splitter", self.splitter.saveState())
        s.set("conf", self.panel.conf.value())
        s.set("iou", self.panel.iou.value())
        s.set("trails", self.panel.trails.isChecked())
        s.set("tracker", self.panel.tracker.isChecked())
        s.set("release", self.panel.release.currentText())
        s.set("scale", self.panel.scale.currentText())
        s.set("task", self.panel.task.currentText())
        s.sync()

    def closeEvent(self, event: QCloseEvent | None) -> None:  # noqa: N802 - Qt API
        self.hud_timer.stop()
        self.save_settings()
        if not self.controller.shutdown(CLOSE_TIMEOUT):
            log.warning("some worker threads did not stop within %.1f s", CLOSE_TIMEOUT)
        self.prober.join(0.2)
        super().closeEvent(event)
