"""The side panel: the cameras and their layout, source and model pickers, live thresholds, class
filter, toggles and actions.

The panel only emits signals; `MainWindow` decides what they do. Nothing here blocks. Buttons with
a keyboard shortcut name it in their tooltip (`ui.shortcuts`).
"""

from __future__ import annotations

from collections.abc import Mapping

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from yolotrack.detector.hub import RELEASES, SCALES, weights_name
from yolotrack.ui.grid import LAYOUTS
from yolotrack.ui.shortcuts import tip

SLIDER_STEPS = 1000  # thresholds in steps of 0.001 (random-weight test models score ~0.004)


class ThresholdSlider(QWidget):
    """A 0..1 slider with its value shown beside it."""

    changed = pyqtSignal(float)

    def __init__(self, value: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, SLIDER_STEPS)
        self.label = QLabel()
        self.label.setMinimumWidth(44)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.label)
        self.set_value(value)
        self.slider.valueChanged.connect(self._moved)

    def value(self) -> float:
        return self.slider.value() / SLIDER_STEPS

    def set_value(self, v: float) -> None:
        self.slider.setValue(int(round(min(max(v, 0.0), 1.0) * SLIDER_STEPS)))
        self.label.setText(f"{self.value():.3f}")

    def _moved(self, _: int) -> None:
        self.label.setText(f"{self.value():.3f}")
        self.changed.emit(self.value())


class ClassFilter(QWidget):
    """Searchable checkable class list; `changed` gives the checked ids, or None for all."""

    changed = pyqtSignal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setPlaceholderText("search classes")
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget()
        self.list.setMinimumHeight(120)
        self.all_btn = QPushButton("All")
        self.none_btn = QPushButton("None")
        row = QHBoxLayout()
        row.addWidget(self.search, 1)
        row.addWidget(self.all_btn)
        row.addWidget(self.none_btn)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(row)
        lay.addWidget(self.list)
        self._bulk = False
        self.search.textChanged.connect(self._filter)
        self.list.itemChanged.connect(self._emit)
        self.all_btn.clicked.connect(lambda: self._set_all(True))
        self.none_btn.clicked.connect(lambda: self._set_all(False))

    def set_names(self, names: Mapping[int, str], selected: list[int] | None = None) -> None:
        self._bulk = True
        self.list.clear()
        for cid, name in sorted(names.items()):
            item = QListWidgetItem(f"{cid}: {name}")
            item.setData(Qt.ItemDataRole.UserRole, int(cid))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            on = selected is None or int(cid) in selected
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            self.list.addItem(item)
        self._bulk = False
        self._filter(self.search.text())

    def selected(self) -> list[int] | None:
        ids = []
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item is not None and item.checkState() == Qt.CheckState.Checked:
                ids.append(int(item.data(Qt.ItemDataRole.UserRole)))
        return None if len(ids) == self.list.count() else ids

    def _filter(self, text: str) -> None:
        t = text.strip().lower()
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item is not None:
                item.setHidden(bool(t) and t not in item.text().lower())

    def _set_all(self, on: bool) -> None:
        """Applies to the visible (searched) rows only, so "search car, None" unchecks cars."""
        self._bulk = True
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item is not None and not item.isHidden():
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        self._bulk = False
        self._emit()

    def _emit(self, *_: object) -> None:
        if not self._bulk:
            self.changed.emit(self.selected())


class ControlPanel(QWidget):
    """Every control of the window; see the signals for what each one asks for."""

    open_file = pyqtSignal()
    open_url = pyqtSignal(str)
    open_webcam = pyqtSignal(int)
    probe_webcams = pyqtSignal()
    model_chosen = pyqtSignal(str)  # a release name or a weights path
    browse_weights = pyqtSignal()
    camera_selected = pyqtSignal(str)  # a camera name
    add_camera = pyqtSignal()
    remove_camera = pyqtSignal()
    restart_camera = pyqtSignal()
    layout_chosen = pyqtSignal(str)  # a `grid.LAYOUTS` key

    def __init__(self, conf: float, iou: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)

        cams = QGroupBox("Cameras")
        cl = QVBoxLayout(cams)
        self.cameras = QListWidget()
        self.cameras.setMinimumHeight(60)
        self.cameras.setMaximumHeight(150)
        self.cameras.setToolTip("Every camera runs through one batched detector; select one to act on it")
        cl.addWidget(self.cameras)
        row = QHBoxLayout()
        self.add_btn = QPushButton("Add...")
        self.add_btn.setToolTip(tip("Add a camera: an index, an RTSP URL, a video file or demo", "add"))
        self.remove_btn = QPushButton("Remove")
        self.remove_btn.setToolTip("Remove the selected camera (the others go on)")
        self.restart_btn = QPushButton("Restart")
        self.restart_btn.setToolTip("Open the selected camera again (after an error, or a file from its start)")
        for b in (self.add_btn, self.remove_btn, self.restart_btn):
            row.addWidget(b)
        cl.addLayout(row)
        row = QHBoxLayout()
        row.addWidget(QLabel("Layout"))
        self.layout_box = QComboBox()
        self.layout_box.addItems(list(LAYOUTS))
        self.layout_box.setToolTip("One camera, 2x2 or 3x3 (keys 1, 2, 3); more cameras go on further pages "
                                   "(PgDown, PgUp); double-click a tile to focus it")
        row.addWidget(self.layout_box, 1)
        self.loop = QCheckBox("Loop files")
        self.loop.setToolTip("Video files start again at their end (a file that ended starts again now)")
        row.addWidget(self.loop)
        cl.addLayout(row)
        self.source_info = QLabel("")
        self.source_info.setWordWrap(True)
        self.source_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        cl.addWidget(self.source_info)
        lay.addWidget(cams)

        src = QGroupBox("Source of the selected camera")
        sl = QFormLayout(src)
        self.webcams = QComboBox()
        self.webcams.setPlaceholderText("probing cameras...")
        self.probe_btn = QPushButton("Rescan")
        cam_row = QHBoxLayout()
        cam_row.addWidget(self.webcams, 1)
        cam_row.addWidget(self.probe_btn)
        sl.addRow("Camera", cam_row)
        self.url = QComboBox()
        self.url.setEditable(True)
        self.url.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        edit = self.url.lineEdit()
        assert edit is not None  # an editable combo box has one
        edit.setPlaceholderText("rtsp://host:554/stream")
        self.url_btn = QPushButton("Connect")
        self.url_btn.setToolTip("Show this stream in the selected tile")
        url_row = QHBoxLayout()
        url_row.addWidget(self.url, 1)
        url_row.addWidget(self.url_btn)
        sl.addRow("RTSP", url_row)
        self.file_btn = QPushButton("Open video file... (or drop it here)")
        self.file_btn.setToolTip(tip("Play a video file in the selected tile", "open"))
        sl.addRow(self.file_btn)
        lay.addWidget(src)

        mdl = QGroupBox("Model")
        ml = QFormLayout(mdl)
        self.release = QComboBox()
        self.release.addItems(RELEASES)
        self.scale = QComboBox()
        self.scale.addItems(SCALES)
        self.task = QComboBox()
        self._offer_tasks(self.release.currentText())
        self.load_btn = QPushButton("Load")
        self.load_btn.setToolTip("Load this release (downloaded once, with a progress dialog you can cancel)")
        pick = QHBoxLayout()
        pick.addWidget(self.release, 1)
        pick.addWidget(self.scale)
        pick.addWidget(self.task, 1)
        ml.addRow("Release", pick)
        self.weights_btn = QPushButton("Weights file...")
        buttons = QHBoxLayout()
        buttons.addWidget(self.load_btn)
        buttons.addWidget(self.weights_btn)
        ml.addRow(buttons)
        self.weights_label = QLabel("")
        self.weights_label.setWordWrap(True)
        ml.addRow("Loaded", self.weights_label)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # indeterminate: a busy indicator
        self.busy.setMaximumHeight(10)
        self.busy.setTextVisible(False)
        self.busy.setVisible(False)
        ml.addRow(self.busy)
        lay.addWidget(mdl)

        live = QGroupBox("Detection")
        ll = QFormLayout(live)
        self.conf = ThresholdSlider(conf)
        self.iou = ThresholdSlider(iou)
        ll.addRow("Confidence", self.conf)
        ll.addRow("IoU", self.iou)
        self.tracker = QCheckBox("Tracker")
        self.trails = QCheckBox("Trails")
        toggles = QHBoxLayout()
        toggles.addWidget(self.tracker)
        toggles.addWidget(self.trails)
        ll.addRow(toggles)
        self.classes = ClassFilter()
        ll.addRow(self.classes)
        lay.addWidget(live)

        act = QGroupBox("Actions")
        al = QHBoxLayout(act)
        self.pause_btn = QPushButton("Pause")
        self.pause_btn.setCheckable(True)
        self.pause_btn.setToolTip(tip("Pause or resume every camera", "pause"))
        self.step_btn = QPushButton("Step")
        self.step_btn.setToolTip(tip("One frame further", "step"))
        self.snap_btn = QPushButton("Snapshot")
        self.snap_btn.setToolTip(tip("Save the selected camera's frame with its overlay as PNG", "snapshot"))
        self.record_btn = QPushButton("Record")
        self.record_btn.setCheckable(True)
        self.record_btn.setToolTip(tip("Record the selected camera with its overlay as MP4", "record"))
        for b in (self.pause_btn, self.step_btn, self.snap_btn, self.record_btn):
            al.addWidget(b)
        lay.addWidget(act)

        shapes = QGroupBox("Lines and zones")
        sl = QHBoxLayout(shapes)
        self.line_btn = QPushButton("Line")
        self.line_btn.setToolTip(tip("Draw a counting line on a camera: two clicks or a drag", "draw_line"))
        self.zone_btn = QPushButton("Zone")
        self.zone_btn.setToolTip(tip("Draw a zone: click its corners, double-click or Enter closes it", "draw_zone"))
        self.delete_btn = QPushButton("Delete")
        self.delete_btn.setToolTip(tip("Delete the selected line or zone (click one to select it)", "delete_shape"))
        self.load_shapes_btn = QPushButton("Load...")
        self.load_shapes_btn.setToolTip(tip("Load lines and zones from a config file", "load_shapes"))
        self.save_shapes_btn = QPushButton("Save...")
        self.save_shapes_btn.setToolTip(tip("Save them as a config file for yolotrack run/export --config",
                                            "save_shapes"))
        for b in (self.line_btn, self.zone_btn, self.delete_btn, self.load_shapes_btn, self.save_shapes_btn):
            sl.addWidget(b)
        lay.addWidget(shapes)
        lay.addStretch(1)

        self.cameras.currentRowChanged.connect(self._camera_row)
        self.add_btn.clicked.connect(self.add_camera)
        self.remove_btn.clicked.connect(self.remove_camera)
        self.restart_btn.clicked.connect(self.restart_camera)
        self.layout_box.textActivated.connect(self.layout_chosen)
        self.file_btn.clicked.connect(self.open_file)
        self.url_btn.clicked.connect(self._url)
        edit = self.url.lineEdit()
        assert edit is not None
        edit.returnPressed.connect(self._url)
        self.webcams.activated.connect(self._webcam)
        self.probe_btn.clicked.connect(self.probe_webcams)
        self.release.currentTextChanged.connect(self._offer_tasks)
        self.load_btn.clicked.connect(lambda: self.model_chosen.emit(self.release_name()))
        self.weights_btn.clicked.connect(self.browse_weights)

    def set_cameras(self, rows: list[tuple[str, str]], current: str | None) -> None:
        """(name, text) per camera; keeps the list widget's items when only the texts changed."""
        items = [self.cameras.item(i) for i in range(self.cameras.count())]
        names = [it.data(Qt.ItemDataRole.UserRole) for it in items if it is not None]
        block = self.cameras.blockSignals(True)
        if names != [n for n, _ in rows]:
            self.cameras.clear()
            for name, text in rows:
                item = QListWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, name)
                self.cameras.addItem(item)
        else:
            for i, (_, text) in enumerate(rows):
                item = self.cameras.item(i)
                if item is not None and item.text() != text:
                    item.setText(text)
        row = next((i for i, (n, _) in enumerate(rows) if n == current), -1)
        if self.cameras.currentRow() != row:
            self.cameras.setCurrentRow(row)
        self.cameras.blockSignals(block)
        for b in (self.remove_btn, self.restart_btn):
            b.setEnabled(bool(rows))

    def _camera_row(self, row: int) -> None:
        item = self.cameras.item(row) if row >= 0 else None
        if item is not None:
            self.camera_selected.emit(str(item.data(Qt.ItemDataRole.UserRole)))

    def _offer_tasks(self, release: str) -> None:
        """Only the tasks this release published, so every pick is a name the hub can download."""
        keep = self.task.currentText()
        self.task.clear()
        self.task.addItems(RELEASES.get(release, {}))
        self.task.setCurrentIndex(max(0, self.task.findText(keep)))

    def set_release(self, release: str, scale: str, task: str) -> None:
        """Select a remembered or configured choice; values this panel does not offer keep the default."""
        for box, value in ((self.release, release), (self.scale, scale), (self.task, task)):
            box.setCurrentIndex(max(0, box.findText(value)))

    def release_name(self) -> str:
        return weights_name(self.scale.currentText(), self.task.currentText(), self.release.currentText())

    def set_recent_urls(self, urls: list[str]) -> None:
        text = self.url.currentText()
        self.url.clear()
        self.url.addItems(urls)
        self.url.setEditText(text)

    def set_webcams(self, indexes: list[int]) -> None:
        self.webcams.clear()
        for i in indexes:
            self.webcams.addItem(f"Camera {i}", i)
        self.webcams.setPlaceholderText("no camera found" if not indexes else "choose a camera")
        self.webcams.setCurrentIndex(-1)

    def set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        for w in (self.load_btn, self.weights_btn):
            w.setEnabled(not busy)

    def _url(self) -> None:
        url = self.url.currentText().strip()
        if url:
            self.open_url.emit(url)

    def _webcam(self, row: int) -> None:
        idx = self.webcams.itemData(row)
        if idx is not None:
            self.open_webcam.emit(int(idx))
