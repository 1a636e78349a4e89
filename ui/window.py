"""`MainWindow`: the grid of camera tiles, the control panel, menus and the status bar, wired to the
controller.

Everything slow (model loads and downloads, opening sources, inference, encoding) runs in the
controller's threads; the slots here only draw the newest results of the visible tiles and flip
flags, so the window stays live with nine cameras as with one. Actions that concern one camera
(snapshot, record, the source pickers) act on the selected tile.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
from PyQt6.QtCore import QByteArray, QPoint, Qt, QTimer
from PyQt6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PyQt6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QProgressDialog,
    QPushButton,
    QScrollArea,
    QSplitter,
)

from yolotrack.core.cameras import Camera, Link, load_site, save_cameras
from yolotrack.core.config import Config
from yolotrack.core.errors import ConfigError, YolotrackError
from yolotrack.core.files import atomic_write
from yolotrack.pipeline import Result
from yolotrack.render import Renderer
from yolotrack.ui.add_camera import VIDEO_FILTER, AddCameraDialog
from yolotrack.ui.analytics_editor import ShapeEditor, ask_shape_name
from yolotrack.ui.camera_list import (
    MAX_CAMERAS,
    camera_name,
    cameras_from_config,
    load_remembered,
    remembered_path,
    save_remembered,
)
from yolotrack.ui.camera_state import CameraView, camera_view
from yolotrack.ui.controller import PipelineController
from yolotrack.ui.controls import ControlPanel
from yolotrack.ui.grid import LAYOUTS, CameraGrid
from yolotrack.ui.hud import stats_text
from yolotrack.ui.settings import GuiSettings
from yolotrack.ui.shortcuts import SHORTCUTS, ShortcutsDialog
from yolotrack.ui.tile import CameraTile
from yolotrack.ui.view import VideoView, keep_classes
from yolotrack.ui.webcams import WebcamProber
from yolotrack.ui.zone_rules import ask_zone_rules

log = logging.getLogger(__name__)

WEIGHTS_FILTER = "Weights (*.pt *.safetensors *.pth);;All files (*)"
CAMERAS_FILTER = "Cameras files (*.yaml *.yml);;All files (*)"
CONFIG_FILTER = "Config files (*.yaml *.yml);;All files (*)"
HUD_INTERVAL_MS = 250
CLOSE_TIMEOUT = 2.0


class MainWindow(QMainWindow):
    """The `yolotrack gui` window.

    Args:
        cfg: initial model, source, tracker and render settings (from `--config` and flags).
        settings: where to persist (default: the user's QSettings); tests pass a temp INI file.
        explicit: dotted config keys the user set (`--config` preset keys, flags, overrides); those
            win over remembered settings, which only fill the rest.
        autostart: open the cameras at once: `cameras`, else `source.uri` when the user gave it,
            else the cameras of the last session, else `source.uri` (the demo by default).
        cameras: from `--cameras FILE`; `links`: that file's links, for the grid's global ids.
    """

    def __init__(self, cfg: Config, settings: GuiSettings | None = None, explicit: frozenset[str] = frozenset(),
                 autostart: bool = True, cameras: Sequence[Camera] | None = None,
                 links: Sequence[Link] | None = None) -> None:
        super().__init__()
        self.settings = settings or GuiSettings()
        self._explicit = frozenset(explicit)
        cfg = self._restored(cfg, self._explicit)
        self.setAcceptDrops(True)

        self.controller = PipelineController(cfg, self)
        self.editor = ShapeEditor(self.controller, lambda *a: ask_shape_name(self, *a),
                                  lambda zone: ask_zone_rules(self, zone))
        self.renderer = Renderer(cfg.render, {}, cfg.model.task)
        self.grid = CameraGrid()
        self.grid.tile_added.connect(self._new_tile)
        self.panel = ControlPanel(cfg.model.conf, cfg.model.iou)
        scroll = QScrollArea()
        scroll.setWidget(self.panel)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(320)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.grid)
        self.splitter.addWidget(scroll)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        self.setCentralWidget(self.splitter)

        self.source_label = QLabel("no camera")
        self.stats_label = QLabel("")
        self.rec_label = QLabel("")
        self.demo_btn = QPushButton("Use the demo model")
        self.demo_btn.setToolTip("Run offline with the bundled demo model (it knows only the demo clip's shapes)")
        self.demo_btn.setVisible(False)
        sb = self.statusBar()
        assert sb is not None
        sb.addPermanentWidget(self.demo_btn)
        sb.addPermanentWidget(self.rec_label)
        sb.addPermanentWidget(self.stats_label)
        sb.addPermanentWidget(self.source_label)
        self.download_dialog: QProgressDialog | None = None

        self.frames_shown = 0
        self.last_error = ""
        out = Path(cfg.output.dir).expanduser()
        self.snapshot_dir = out / "snapshots"
        self.record_dir = out / "recordings"
        self.cameras_file = remembered_path(self.settings.q.fileName())
        self.prober = WebcamProber(cfg.ui.probe_webcams, self)

        self._menus()
        self._init_controls()
        self._connect()
        self._restore_geometry()
        self.hud_timer = QTimer(self)
        self.hud_timer.setInterval(HUD_INTERVAL_MS)
        self.hud_timer.timeout.connect(self.update_hud)
        self.hud_timer.start()
        if cfg.ui.probe_webcams:
            self.prober.probe()
        else:
            self.panel.set_webcams([])
        cams = self._first_cameras(cameras) if autostart else []
        if cameras is not None and links is not None:
            self.controller.set_links(cameras, links)
        self._init_loop(cams)
        self.set_cameras(cams)
        self.controller.load_model()
        self.update_hud()

    # ------------------------------------------------------------ setup

    @property
    def cfg(self) -> Config:
        """The config in force: the controller's, which every setter changes (one config, one path)."""
        return self.controller.cfg

    def _restored(self, c: Config, explicit: frozenset[str]) -> Config:
        """`c` with the remembered values for the keys the user did not set this time."""
        s = self.settings
        model, render, tracker = c.model, c.render, c.tracker
        if "model.conf" not in explicit:
            model = dataclasses.replace(model, conf=min(max(s.get_float("conf", model.conf), 0.0), 1.0))
        if "model.iou" not in explicit:
            model = dataclasses.replace(model, iou=min(max(s.get_float("iou", model.iou), 0.0), 1.0))
        if "render.trails" not in explicit:
            render = dataclasses.replace(render, trails=s.get_bool("trails", render.trails))
        if "tracker.enabled" not in explicit:
            tracker = dataclasses.replace(tracker, enabled=s.get_bool("tracker", tracker.enabled))
        return dataclasses.replace(c, model=model, render=render, tracker=tracker)

    def _first_cameras(self, cameras: Sequence[Camera] | None) -> list[Camera]:
        if cameras is not None:
            return list(cameras)
        if "source.uri" not in self._explicit:
            remembered = load_remembered(self.cameras_file)
            if remembered:
                return remembered
        return cameras_from_config(self.cfg)

    def _init_loop(self, cams: Sequence[Camera]) -> None:
        """Files loop when asked (`source.loop`, the checkbox last time), and by default for the demo."""
        if "source.loop" not in self._explicit:
            demo = any(cam.source == "demo" for cam in cams)
            self.controller.set_loop(True if demo else self.settings.get_bool("loop", self.cfg.source.loop))
        self.panel.loop.setChecked(self.cfg.source.loop)

    def _menus(self) -> None:
        """Menus carry the shortcuts (so they work and show), from the one table in `ui.shortcuts`."""
        bar = self.menuBar()
        assert bar is not None
        self.actions_by_id: dict[str, QAction] = {}

        def act(menu: QMenu, action_id: str, text: str, slot, checkable: bool = False) -> QAction:
            a = QAction(text, self)
            a.setShortcut(QKeySequence(SHORTCUTS[action_id][0]))
            a.setToolTip(SHORTCUTS[action_id][1])
            a.setCheckable(checkable)
            a.triggered.connect(slot)
            menu.addAction(a)
            self.actions_by_id[action_id] = a
            return a

        def menu(title: str) -> QMenu:
            m = bar.addMenu(title)
            assert m is not None  # Qt returns the new menu
            return m

        file = menu("&File")
        act(file, "open", "Open video file...", self.browse_video)
        act(file, "add", "Add camera...", self.add_camera_dialog)
        file.addAction("Open cameras file...", self.open_cameras_file)
        file.addAction("Save cameras as...", self.save_cameras_as)
        file.addSeparator()
        act(file, "quit", "Quit", self.close)
        view = menu("&View")
        for i, name in enumerate(LAYOUTS, 1):
            act(view, f"layout{i}", f"Layout {name}", lambda _=False, n=name: self.set_layout(n))
        act(view, "next", "Next page", lambda: self.grid.next_page(1))
        act(view, "previous", "Previous page", lambda: self.grid.next_page(-1))
        act(view, "fullscreen", "Full screen", self.toggle_fullscreen)
        act(view, "leave", "Leave full screen or focus", self.leave)
        cam = menu("&Camera")
        act(cam, "pause", "Pause", lambda: self.panel.pause_btn.toggle())
        act(cam, "step", "Step", self.step)
        act(cam, "snapshot", "Snapshot", self.snapshot)
        act(cam, "record", "Record", lambda: self.panel.record_btn.toggle())
        cam.addSeparator()
        cam.addAction("Restart camera", self.restart_selected)
        cam.addAction("Remove camera", self.remove_selected)
        shapes = menu("&Analytics")
        act(shapes, "draw_line", "Draw line", lambda: self.editor.start("line"))
        act(shapes, "draw_zone", "Draw zone", lambda: self.editor.start("zone"))
        shapes.addAction("Rename selected...", self.editor.rename_selected)
        act(shapes, "zone_rules", "Zone rules...", self.editor.edit_rules_selected)
        act(shapes, "undo_shape", "Undo", self.editor.undo)
        act(shapes, "delete_shape", "Delete selected", self.editor.delete_selected)
        shapes.addSeparator()
        act(shapes, "load_shapes", "Load...", self.load_shapes)
        act(shapes, "save_shapes", "Save as...", self.save_shapes_as)
        helpm = menu("&Help")
        act(helpm, "help", "Keyboard shortcuts", self.show_shortcuts)

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
        layout = s.get_str("layout", "1")
        self.set_layout(layout if layout in LAYOUTS else "1")

    def _connect(self) -> None:
        p, ctl = self.panel, self.controller
        ctl.frame_ready.connect(self.on_frame)
        ctl.cameras_changed.connect(self._cameras_updated)
        ctl.model_loading.connect(self._on_loading)
        ctl.model_loaded.connect(self._on_model)
        ctl.model_unavailable.connect(self._on_model_unavailable)
        ctl.download_started.connect(self._on_download_started)
        ctl.download_progress.connect(self._on_download_progress)
        ctl.download_finished.connect(self._on_download_finished)
        ctl.error.connect(self.show_error)
        self.editor.changed.connect(self.redraw)
        self.editor.mode_changed.connect(self._edit_mode)
        self.editor.message.connect(self.show_message)
        self.editor.error.connect(self.show_error)
        for action_id, btn in (("draw_line", p.line_btn), ("draw_zone", p.zone_btn), ("delete_shape", p.delete_btn),
                               ("load_shapes", p.load_shapes_btn), ("save_shapes", p.save_shapes_btn)):
            btn.clicked.connect(self.actions_by_id[action_id].trigger)
        ctl.finished.connect(lambda: self.show_message("every camera has ended"))
        ctl.recording_saved.connect(lambda path: self.show_message(f"recording saved: {path}"))
        self.grid.selected.connect(self._on_selected)
        self.grid.arranged.connect(self.redraw)
        self.prober.found.connect(p.set_webcams)
        p.probe_webcams.connect(self.prober.probe)
        p.open_file.connect(self.browse_video)
        p.open_url.connect(self.open_url)
        p.open_webcam.connect(lambda i: self.open_source(str(i)))
        p.model_chosen.connect(self.load_model)
        p.browse_weights.connect(self.browse_weights)
        p.camera_selected.connect(self.grid.select)
        p.add_camera.connect(self.add_camera_dialog)
        p.remove_camera.connect(self.remove_selected)
        p.restart_camera.connect(self.restart_selected)
        p.layout_chosen.connect(self.set_layout)
        p.loop.toggled.connect(self.set_loop)
        p.conf.changed.connect(self.set_conf)
        p.iou.changed.connect(self.set_iou)
        p.classes.changed.connect(self.set_classes)
        p.tracker.toggled.connect(self.set_tracking)
        p.trails.toggled.connect(self.set_trails)
        p.pause_btn.toggled.connect(self.set_paused)
        p.step_btn.clicked.connect(self.step)
        p.snap_btn.clicked.connect(self.snapshot)
        p.record_btn.toggled.connect(self.set_recording)
        self.demo_btn.clicked.connect(lambda: self.load_model("demo"))

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

    # ------------------------------------------------------------ what tests and the screenshot read

    @property
    def view(self) -> VideoView:
        """The selected tile (or the empty grid's placeholder)."""
        return self.grid.tile(self.grid.current) or self.grid.empty

    @property
    def shown(self) -> Result | None:
        """The result on the selected tile, every class (the filter applies when drawing)."""
        tile = self.grid.tile(self.grid.current)
        return tile.shown if tile is not None else None

    @property
    def last_render_ms(self) -> float:
        tile = self.grid.tile(self.grid.current)
        return tile.last_render_ms if tile is not None else 0.0

    # ------------------------------------------------------------ cameras

    def set_cameras(self, cams: Sequence[Camera]) -> bool:
        """Exactly these cameras (at most nine); False with the reason in the status bar when refused."""
        if len(cams) > MAX_CAMERAS:
            self.show_error(f"the window shows at most {MAX_CAMERAS} cameras (3x3); use 'yolotrack run --cameras' "
                            "for more")
            return False
        try:
            self.controller.set_cameras(cams)
        except YolotrackError as e:
            self.show_error(str(e))
            return False
        self._cameras_updated()
        return True

    def _cameras_updated(self) -> None:
        names = [c.name for c in self.controller.cameras]
        if list(self.grid.tiles) != names:
            self.grid.set_cameras(names)
        self.update_hud()

    def _new_tile(self, tile: CameraTile) -> None:
        tile.context = self._draw_context
        tile.editor = self.editor
        tile.customContextMenuRequested.connect(lambda pos: self._tile_menu(tile, pos))

    def _draw_context(self) -> tuple[Renderer, list[int] | None]:
        return self.renderer, self.controller.classes

    def _tile_menu(self, tile: CameraTile, pos: QPoint) -> None:
        self.grid.select(tile.name)
        menu = QMenu(self)
        menu.addAction("Snapshot", self.snapshot)
        menu.addAction("Stop recording" if self.controller.recording(tile.name) else "Record",
                       lambda: self.panel.record_btn.toggle())
        menu.addAction("Back to the grid" if self.grid.focused == tile.name else "Focus",
                       lambda: self.grid.toggle_focus(tile.name))
        menu.addSeparator()
        menu.addAction("Restart", self.restart_selected)
        menu.addAction("Remove", self.remove_selected)
        menu.popup(tile.mapToGlobal(pos))

    def open_source(self, uri: str) -> None:
        """Show `uri` in the selected tile (a new camera when there is none)."""
        cams = self.controller.cameras
        current = self.grid.current
        others = [c.name for c in cams if c.name != current]
        cam = Camera(camera_name(uri, others), str(uri))
        self.panel.pause_btn.setChecked(False)
        try:
            if current is None:
                self.controller.add_camera(cam)
            else:
                self.controller.replace_camera(current, cam)
        except YolotrackError as e:
            self.show_error(str(e))
            return
        self._cameras_updated()
        self.grid.select(cam.name)

    def add_camera(self, cam: Camera) -> bool:
        ok = self.set_cameras([*self.controller.cameras, cam])
        if ok:
            self.grid.select(cam.name)
        return ok

    def add_camera_dialog(self) -> None:
        if len(self.controller.cameras) >= MAX_CAMERAS:
            self.show_error(f"the window shows at most {MAX_CAMERAS} cameras (3x3)")
            return
        suggestions = ["demo", *(str(i) for i in self.prober.last), *self.settings.get_list("recent_urls")]
        dlg = AddCameraDialog(self.controller.cameras, suggestions, self.settings.get_str("last_dir"), self)
        cam = dlg.camera() if dlg.exec() else None
        if cam is not None:
            self.add_camera(cam)

    def remove_selected(self) -> None:
        name = self.grid.current
        if name is not None:
            self.set_cameras([c for c in self.controller.cameras if c.name != name])
            self.show_message(f"removed {name}")

    def restart_selected(self) -> None:
        name = self.grid.current
        if name is not None:
            try:
                self.controller.restart_camera(name)
            except YolotrackError as e:
                self.show_error(str(e))

    def open_url(self, url: str) -> None:
        urls = self.settings.remember_url(url, self.cfg.ui.recent_urls)
        self.panel.set_recent_urls(urls)
        self.open_source(url)

    def browse_video(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open video", self.settings.get_str("last_dir"), VIDEO_FILTER)
        if path:
            self.settings.set("last_dir", str(Path(path).parent))
            self.open_source(path)

    def open_cameras_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open cameras file", self.settings.get_str("last_dir"),
                                              CAMERAS_FILTER)
        if path:
            try:
                site = load_site(path)
            except ConfigError as e:
                self.show_error(str(e))
                return
            self.controller.set_links(site.cameras, site.links)
            self.set_cameras(site.cameras)

    def save_cameras_as(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save cameras", self.settings.get_str("last_dir"), CAMERAS_FILTER)
        if path:
            try:
                save_cameras(path, self.controller.cameras)
            except OSError as e:
                self.show_error(f"cannot save {path}: {e.strerror or e}")
                return
            self.show_message(f"cameras saved: {path} (yolotrack run --cameras {path} --out DIR reads it)")

    def set_layout(self, name: str) -> None:
        self.grid.set_layout(name)
        self.panel.layout_box.setCurrentText(name)

    def set_loop(self, on: bool) -> None:
        self.controller.set_loop(on)

    def _on_selected(self, name: str) -> None:
        block = self.panel.record_btn.blockSignals(True)
        on = self.controller.recording(name)
        self.panel.record_btn.setChecked(on)
        self.panel.record_btn.setText("Stop" if on else "Record")
        self.panel.record_btn.blockSignals(block)
        self.update_hud()

    # ------------------------------------------------------------ models and downloads

    def browse_weights(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open weights", self.settings.get_str("last_dir"),
                                              WEIGHTS_FILTER)
        if path:
            self.load_model(path)

    def load_model(self, weights: str) -> None:
        self.demo_btn.setVisible(False)
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
        self.renderer.keypoints = getattr(det, "keypoint_layout", None)
        try:
            ids = resolve_classes(self.cfg.model.classes, names)
        except ConfigError as e:
            self.show_error(f"class filter ignored: {e}")
            ids = None
        self.panel.classes.set_names(names, ids)
        self.controller.set_classes(self.panel.classes.selected())  # what the list shows
        choice = self.controller.weights_choice
        label = choice.weights if choice is not None else str(self.cfg.model.weights)
        self.panel.weights_label.setText(f"{label} ({task}, {len(names)} classes)")
        self.panel.weights_label.setToolTip(choice.describe() if choice is not None else "")
        self.demo_btn.setVisible(False)
        self.show_message(f"model ready: {choice.describe() if choice is not None else label}")

    def _on_model_unavailable(self, msg: str) -> None:
        """`auto` could not get the COCO model: say so, and offer the demo model instead of starting
        the cameras with a model that cannot see them."""
        self.show_error(msg)
        self.demo_btn.setVisible(True)

    def _on_download_started(self, name: str, url: str) -> None:
        dlg = QProgressDialog(f"Downloading {name} (once, to the cache)\nfrom {url}", "Cancel", 0, 0, self)
        dlg.setWindowTitle("Downloading weights")
        dlg.setWindowModality(Qt.WindowModality.WindowModal)
        dlg.setMinimumDuration(0)
        dlg.setAutoClose(False)
        dlg.setAutoReset(False)
        dlg.canceled.connect(self.controller.cancel_download)
        dlg.show()
        self.download_dialog = dlg

    def _on_download_progress(self, done: int, total: int) -> None:
        dlg = self.download_dialog
        if dlg is None:
            return
        if total > 0:
            dlg.setMaximum(max(1, total // 1024))
            dlg.setValue(min(done, total) // 1024)
        text = dlg.labelText().split("\n")[:2]
        size = f"{done / 1e6:.1f} of {total / 1e6:.1f} MB" if total else f"{done / 1e6:.1f} MB"
        dlg.setLabelText("\n".join([*text, size]))

    def _on_download_finished(self, ok: bool) -> None:
        dlg, self.download_dialog = self.download_dialog, None
        if dlg is not None:
            dlg.canceled.disconnect(self.controller.cancel_download)
            dlg.hide()
            dlg.deleteLater()

    # ------------------------------------------------------------ live controls

    def set_conf(self, v: float) -> None:
        self.controller.set_thresholds(conf=v)

    def set_iou(self, v: float) -> None:
        self.controller.set_thresholds(iou=v)

    def set_classes(self, ids: list[int] | None) -> None:
        """None = every class. Applied when drawing, so a paused or ended frame redraws at once."""
        self.controller.set_classes(ids)
        self.redraw()

    def set_tracking(self, on: bool) -> None:
        self.controller.set_tracking(on)

    def set_trails(self, on: bool) -> None:
        self.controller.set_trails(on)
        self.renderer.cfg = self.cfg.render
        self.redraw()

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

    def leave(self) -> None:
        if self.editor.cancel():
            return
        if self.isFullScreen():
            self.showNormal()
        elif self.grid.focused is not None:
            self.grid.toggle_focus(self.grid.focused)

    def _edit_mode(self, mode: str) -> None:
        cursor = Qt.CursorShape.CrossCursor if mode else Qt.CursorShape.ArrowCursor
        for tile in self.grid.tiles.values():
            tile.setCursor(cursor)

    def load_shapes(self) -> None:
        """Analytics > Load: the lines and zones of a config file replace the current ones."""
        path, _ = QFileDialog.getOpenFileName(self, "Load lines and zones", self.settings.get_str("last_dir"),
                                              CONFIG_FILTER)
        if path:
            self.settings.set("last_dir", str(Path(path).parent))
            self.editor.load(path)

    def save_shapes_as(self) -> None:
        """Analytics > Save as: a config file that `run --config` and `export --config` read unchanged."""
        path, _ = QFileDialog.getSaveFileName(self, "Save lines and zones", self.settings.get_str("last_dir"),
                                              CONFIG_FILTER)
        if path:
            self.settings.set("last_dir", str(Path(path).parent))
            self.editor.save(path if Path(path).suffix else path + ".yaml")

    def show_shortcuts(self) -> None:
        ShortcutsDialog(self).exec()

    # ------------------------------------------------------------ frames

    def on_frame(self) -> None:
        """Draw the newest result of every visible camera that has one; results that arrived meanwhile
        were never queued. Hidden cameras only keep theirs, for when they become visible."""
        fresh = self.controller.fresh_results()
        if not fresh:
            return
        visible = {t.name for t in self.grid.visible()}
        classes = self.controller.classes
        for name, result in fresh.items():
            tile = self.grid.tile(name)
            if tile is None:
                continue
            if name in visible:
                tile.show_result(result, self.renderer, classes)
                self.frames_shown += 1
            else:
                tile.shown = result

    def redraw(self) -> None:
        """The visible tiles again from their shown results (filter, trails, layout changes)."""
        for tile in self.grid.visible():
            tile.draw(self.renderer, self.controller.classes)

    def update_hud(self) -> None:
        ctl = self.controller
        s = ctl.stats()
        waiting = ctl.detector is None
        views: dict[str, CameraView] = {}
        for cam in ctl.cameras:
            slot = ctl.slot(cam.name)
            tile = self.grid.tile(cam.name)
            if slot is None or tile is None:
                continue
            v = views[cam.name] = camera_view(
                cam.name, cam.source, slot.kind, slot.live, s.sources.get(cam.name) if s is not None else None,
                failed=slot.failed, ended=slot.ended, waiting=waiting, fps=slot.meter.fps())
            tile.recording = ctl.recording(cam.name)
            tile.set_status(v.state, v.kind, v.fps, v.message)
        self.panel.set_cameras([(name, v.row) for name, v in views.items()], self.grid.current)
        n = len(views)
        active = sum(1 for v in views.values() if v.flowing)
        self.stats_label.setText(stats_text(s, active) if s is not None and s.frames else "")
        sel = self.grid.current
        v = views.get(sel) if sel is not None else None
        if v is None:
            self.source_label.setText("no camera")
            self.panel.source_info.setText("")
            self.setWindowTitle("yolotrack")
        else:
            self.source_label.setText(f"{sel}: {v.state}")
            self.panel.source_info.setText(f"{sel}: {v.where} ({v.kind})")
            more = f" - {n} cameras" if n > 1 else ""
            self.setWindowTitle(f"yolotrack - {sel}: {v.source} ({v.kind}){more}")
        recs = [f"{c.name} {ctl.recording_frames(c.name)}" for c in ctl.cameras if ctl.recording(c.name)]
        self.rec_label.setText(("REC " + ", ".join(recs)) if recs else "")

    # ------------------------------------------------------------ snapshot and recording

    def snapshot(self) -> Path | None:
        """The selected camera's frame with its overlay at full source resolution, as PNG (atomic write)."""
        name = self.grid.current
        tile = self.grid.tile(name)
        r = tile.shown if tile is not None else None
        if r is None or r.detections is None:
            self.show_error("no frame to snapshot yet")
            return None
        img = r.frame.image
        dets, trails = keep_classes(r.detections, r.trails if self.renderer.cfg.trails else None,
                                    self.controller.classes)
        out = self.renderer.draw(img, dets, trails, out=np.empty_like(img),
                                 analytics=self.editor.overlay(name, r.analytics) if name else None)
        ok, png = cv2.imencode(".png", out)
        if not ok:
            self.show_error("PNG encoding failed")
            return None
        path = self.snapshot_dir / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}-{r.frame.index:06d}.png"
        try:
            atomic_write(path, lambda tmp: tmp.write_bytes(png.tobytes()))
        except OSError as e:
            self.show_error(f"cannot save snapshot {path}: {e.strerror or e}")
            return None
        self.show_message(f"snapshot saved: {path}")
        return path

    def set_recording(self, on: bool) -> None:
        name = self.grid.current
        if name is None:
            if on:
                self.show_error("no camera to record")
                block = self.panel.record_btn.blockSignals(True)
                self.panel.record_btn.setChecked(False)
                self.panel.record_btn.blockSignals(block)
            return
        if on:
            path = self.record_dir / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.mp4"
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                self.show_error(f"cannot record to {path.parent}: {e.strerror or e}")
                self.panel.record_btn.setChecked(False)
                return
            self.controller.start_recording(name, path)
            self.show_message(f"recording {name} to {path}")
        else:
            self.controller.stop_recording(name)
        self.panel.record_btn.setText("Stop" if on else "Record")
        self.update_hud()

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
        if event is not None and md is not None and md.hasUrls() and any(u.isLocalFile() for u in md.urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent | None) -> None:  # noqa: N802 - Qt API
        """One file plays in the selected tile; several become cameras of their own."""
        md = event.mimeData() if event is not None else None
        if event is None or md is None:
            return
        files = [u.toLocalFile() for u in md.urls() if u.isLocalFile()]
        if not files:
            return
        event.acceptProposedAction()
        if len(files) == 1:
            self.open_source(files[0])
            return
        cams = list(self.controller.cameras)
        for f in files:
            cams.append(Camera(camera_name(f, [c.name for c in cams]), f))
        self.set_cameras(cams)

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
        s.set("layout", self.grid.layout_name)
        s.set("loop", self.panel.loop.isChecked())
        s.sync()
        try:
            save_remembered(self.cameras_file, self.controller.cameras)
        except OSError as e:
            log.warning("cannot remember the cameras in %s: %s", self.cameras_file, e.strerror or e)

    def closeEvent(self, event: QCloseEvent | None) -> None:  # noqa: N802 - Qt API
        self.hud_timer.stop()
        self.save_settings()
        if not self.controller.shutdown(CLOSE_TIMEOUT):
            log.warning("some worker threads did not stop within %.1f s", CLOSE_TIMEOUT)
        self.prober.join(0.2)
        super().closeEvent(event)
