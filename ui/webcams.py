"""Finding cameras without freezing the window: indexes 0..N-1 are probed in a worker thread."""

from __future__ import annotations

import logging
import os
import sys
import threading

from PyQt6.QtCore import QObject, pyqtSignal

log = logging.getLogger(__name__)


def probe_webcams(count: int = 10) -> list[int]:
    """Indexes that open and deliver a frame. On Linux, missing /dev/videoN are skipped at once."""
    import cv2

    found = []
    for i in range(count):
        if sys.platform.startswith("linux") and not os.path.exists(f"/dev/video{i}"):
            continue
        cap = cv2.VideoCapture(i)
        try:
            if cap.isOpened() and cap.read()[0]:
                found.append(i)
        finally:
            cap.release()
    return found


class WebcamProber(QObject):
    """`probe()` returns at once; `found(list)` arrives when the scan is done."""

    found = pyqtSignal(list)

    def __init__(self, count: int = 10, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.count = count
        self.last: list[int] = []  # what the last probe found
        self._thread: threading.Thread | None = None

    def probe(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._thread = threading.Thread(target=self._run, name="yolotrack-gui-webcams", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            cams = probe_webcams(self.count)
        except Exception:  # noqa: BLE001 - a broken camera driver means "no cameras", not a crash
            log.warning("camera probe failed", exc_info=True)
            cams = []
        self.last = cams
        self.found.emit(cams)

    def join(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
