"""File > Add camera...: a name and a source (camera index, RTSP URL, file or `demo`), checked by the
cameras file's own rules before the dialog closes."""

from __future__ import annotations

from collections.abc import Sequence

from PyQt6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from yolotrack.core.cameras import Camera, parse_cameras
from yolotrack.core.errors import ConfigError
from yolotrack.ui.camera_list import camera_name

VIDEO_FILTER = "Videos (*.mp4 *.mkv *.avi *.mov *.webm *.ts *.m4v);;All files (*)"


class AddCameraDialog(QDialog):
    """`camera()` after `exec()` returned Accepted; an invalid entry keeps the dialog open with the reason."""

    def __init__(self, existing: Sequence[Camera], suggestions: Sequence[str] = (), start_dir: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add camera")
        self.existing = list(existing)
        self.start_dir = start_dir
        self.source = QComboBox()
        self.source.setEditable(True)
        self.source.addItems(list(dict.fromkeys(["", *suggestions])))
        edit = self.source.lineEdit()
        assert edit is not None  # an editable combo box has one
        edit.setPlaceholderText("0, rtsp://host:554/stream, a video file, or demo")
        browse = QPushButton("File...")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.source, 1)
        row.addWidget(browse)
        self.name = QLineEdit()
        self.name.setPlaceholderText("from the source")
        self.problem = QLabel("")
        self.problem.setStyleSheet("color: #d33;")
        self.problem.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow("Source", row)
        form.addRow("Name", self.name)
        form.addRow(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.resize(520, self.sizeHint().height())
        self._camera: Camera | None = None

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Video file", self.start_dir, VIDEO_FILTER)
        if path:
            self.source.setEditText(path)

    def camera(self) -> Camera | None:
        return self._camera

    def check(self) -> Camera:
        """The entered camera, validated like a cameras file entry (unique name, safe characters)."""
        source = self.source.currentText().strip()
        if not source:
            raise ConfigError("give a source: a camera index, an RTSP URL, a video file or demo")
        name = self.name.text().strip() or camera_name(source, [c.name for c in self.existing])
        items = [c.to_dict() for c in self.existing] + [{"name": name, "source": source}]
        return parse_cameras({"cameras": items}, where="camera")[-1]

    def accept(self) -> None:
        try:
            self._camera = self.check()
        except ConfigError as e:
            self.problem.setText(str(e))
            return
        super().accept()
