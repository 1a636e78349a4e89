"""The side panel: source and model pickers, live thresholds, class filter, toggles and actions.

The panel only emits signals; `MainWindow` decides what they do. Nothing here blocks.
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

    def __init__(self, conf: float, iou: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)

        src = QGroupBox("Source")
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
        self.url.lineEdit().setPlaceholderText("rtsp://host:554/stream")
        self.url_btn = QPushButton("Connect")
        url_row = QHBoxLayout()
        url_row.addWidget(self.url, 1)
        url_row.addWidget(self.url_btn)
        sl.addRow("RTSP", url_row)
        self.file_btn = QPushButton("Open video file... (or drop it here)")
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
        self.step_btn = QPushButton("Step")
        self.snap_btn = QPushButton("Snapshot")
        self.record_btn = QPushButton("Record")
        self.record_btn.setCheckable(True)
        for b in (self.pause_btn, self.step_btn, self.snap_btn, self.record_btn):
            al.addWidget(b)
        lay.addWidget(act)
        lay.addStretch(1)

        self.file_btn.clicked.connect(self.open_file)
        self.url_btn.clicked.connect(self._url)
        self.url.lineEdit().returnPressed.connect(self._url)
        self.webcams.activated.connect(self._webcam)
        self.probe_btn.clicked.connect(self.probe_webcams)
        self.release.currentTextChanged.connect(self._offer_tasks)
        self.load_btn.clicked.connect(lambda: self.model_chosen.emit(self.release_name()))
        self.weights_btn.clicked.connect(self.browse_weights)

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
