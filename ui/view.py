"""The video view: the newest frame, scaled to fit, with the shared overlay drawn at view resolution.

Drawing happens after scaling (boxes, labels and trails stay crisp at any window size, and a
small window costs less to draw). The frame is resized once into a fresh buffer which the
renderer then draws on in place and which Qt wraps without another copy.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
from PyQt6.QtCore import QPoint, QRect, QSize, Qt
from PyQt6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PyQt6.QtWidgets import QSizePolicy, QWidget

from yolotrack.core.detections import Detections
from yolotrack.render import Renderer

if TYPE_CHECKING:
    from yolotrack.analytics.overlay import Overlay


def fit_size(frame_wh: tuple[int, int], view_wh: tuple[int, int]) -> tuple[int, int]:
    """Largest size with the frame's aspect ratio inside the view (at least 1x1)."""
    fw, fh = frame_wh
    vw, vh = view_wh
    s = min(vw / fw, vh / fh)
    return max(1, int(round(fw * s))), max(1, int(round(fh * s)))


def scale_detections(dets: Detections, sx: float, sy: float, size: tuple[int, int]) -> Detections:
    """Detections in view pixels; masks are resized only when present."""
    if len(dets) == 0 or (sx == 1.0 and sy == 1.0):
        return dets
    xyxy = dets.xyxy * np.array([sx, sy, sx, sy], np.float32)
    kpts = None
    if dets.keypoints is not None:
        kpts = dets.keypoints.copy()
        kpts[..., 0] *= sx
        kpts[..., 1] *= sy
    masks = None
    if dets.masks is not None:
        w, h = size
        stack = np.ascontiguousarray(dets.masks.transpose(1, 2, 0)).view(np.uint8)
        chunks = [cv2.resize(stack[..., i:i + 256], (w, h), interpolation=cv2.INTER_NEAREST).reshape(h, w, -1)
                  for i in range(0, stack.shape[2], 256)]
        masks = np.concatenate(chunks, axis=2).transpose(2, 0, 1).astype(bool)
    return dataclasses.replace(dets, xyxy=xyxy, keypoints=kpts, masks=masks)


def scale_trails(trails: Mapping[int, Any] | None, sx: float, sy: float) -> dict[int, np.ndarray] | None:
    if not trails:
        return None
    if sx == 1.0 and sy == 1.0:  # the renderer takes any (K, 2) points: no per-track copies
        return dict(trails)
    f = np.array([sx, sy], np.float32)
    return {tid: np.asarray(p, np.float32)[:, :2] * f for tid, p in trails.items()}


def keep_classes(dets: Detections, trails: Mapping[int, Any] | None,
                 classes: Sequence[int] | None) -> tuple[Detections, Mapping[int, Any] | None]:
    """Only the detections (and the trails of their tracks) of `classes`; None keeps everything.

    The GUI filters classes here, after the tracker, rather than in the detector: the shown result
    still holds every class, so a change of the filter redraws a paused or ended frame in both
    directions, and a track keeps its id while its class is hidden and shown again.
    """
    if classes is None or len(dets) == 0:
        return dets, trails
    mask = np.isin(np.asarray(dets.class_ids), np.asarray(list(classes), np.int64))
    if mask.all():
        return dets, trails
    kept = dets[np.flatnonzero(mask)]
    if trails and kept.track_ids is not None:
        ids = set(np.asarray(kept.track_ids).tolist())
        trails = {tid: pts for tid, pts in trails.items() if tid in ids}
    return kept, trails


def render_to_view(image: np.ndarray, dets: Detections, trails: Mapping[int, Any] | None,
                   renderer: Renderer, view_wh: tuple[int, int], analytics: Overlay | None = None) -> np.ndarray:
    """The frame resized to fit `view_wh` with the overlay drawn on it; never touches `image`.

    `analytics` is the result's `analytics.Overlay` (lines and zones with live counters), in frame pixels.
    """
    fh, fw = image.shape[:2]
    w, h = fit_size((fw, fh), view_wh)
    if (w, h) == (fw, fh):
        canvas = image.copy()
    else:
        # INTER_AREA at non-integer ratios costs ~10x more than bilinear for no visible gain on video
        canvas = cv2.resize(image, (w, h), interpolation=cv2.INTER_LINEAR)
    sx, sy = w / fw, h / fh
    renderer.draw(canvas, scale_detections(dets, sx, sy, (w, h)), scale_trails(trails, sx, sy), out=canvas,
                  analytics=analytics.scaled(sx, sy) if analytics else None)
    return canvas


class VideoView(QWidget):
    """Shows one BGR image centred and letterboxed; `show_frame` is cheap to call per frame."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 120)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self._buf: np.ndarray | None = None  # keeps the pixels alive while the QImage wraps them
        self._qimage: QImage | None = None
        self.frame_size: tuple[int, int] | None = None  # (w, h) of the source frame last shown
        self.placeholder = "No source: open a file, a camera or an RTSP URL"

    def sizeHint(self) -> QSize:
        return QSize(960, 540)

    def show_image(self, canvas: np.ndarray, frame_wh: tuple[int, int]) -> None:
        """Display an already rendered BGR canvas and repaint soon.

        Qt paints 32-bit RGB straight into its backing store; 24-bit images would be converted
        on every paint. BGRX bytes are exactly Qt's RGB32 layout on little-endian machines.
        """
        h, w = canvas.shape[:2]
        if sys.byteorder == "little":
            # Reuse the previous buffer at the same size: painting happens on this (the UI) thread,
            # so nothing reads it while it is overwritten, and a fresh 3.7 MB buffer per frame is avoidable.
            old = self._buf
            if old is not None and old.shape == (h, w, 4) and old.dtype == np.uint8:
                buf = cv2.cvtColor(canvas, cv2.COLOR_BGR2BGRA, dst=old)
            else:
                buf = cv2.cvtColor(canvas, cv2.COLOR_BGR2BGRA)
            fmt = QImage.Format.Format_RGB32
        else:
            buf, fmt = np.ascontiguousarray(canvas), QImage.Format.Format_BGR888
        self._buf = buf
        self._qimage = QImage(buf.data, w, h, int(buf.strides[0]), fmt)  # pyright: ignore[reportCallIssue, reportArgumentType]
        self.frame_size = frame_wh
        self.update()

    def clear(self) -> None:
        self._buf = None
        self._qimage = None
        self.frame_size = None
        self.update()

    def image_rect(self) -> QRect:
        """Where the image sits in widget coordinates: centred, fitted (its own size when it was
        rendered for the current widget size)."""
        if self._qimage is None:
            return QRect()
        w, h = fit_size((self._qimage.width(), self._qimage.height()), (self.width(), self.height()))
        return QRect(QPoint((self.width() - w) // 2, (self.height() - h) // 2), QSize(w, h))

    def frame_to_widget(self, x: float, y: float) -> tuple[float, float]:
        """Map a source-frame pixel to widget coordinates (for tests and overlays)."""
        r = self.image_rect()
        if self.frame_size is None or r.isEmpty():
            return x, y
        fw, fh = self.frame_size
        return r.x() + x * r.width() / fw, r.y() + y * r.height() / fh

    def widget_to_frame(self, x: float, y: float) -> tuple[float, float] | None:
        """A widget position in source-frame pixels, None outside the image (mouse input on a tile)."""
        r = self.image_rect()
        if self.frame_size is None or r.isEmpty() or not r.contains(int(x), int(y)):
            return None
        fw, fh = self.frame_size
        return (x - r.x()) * fw / r.width(), (y - r.y()) * fh / r.height()

    def paintEvent(self, event: QPaintEvent | None) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        self.paint_frame(p)
        p.end()

    def paint_frame(self, p: QPainter) -> None:
        """The image (or the placeholder text) with letterbox bars; subclasses paint on top."""
        bg = QColor(20, 20, 20)
        if self._qimage is None:
            p.fillRect(self.rect(), bg)
            p.setPen(QColor(170, 170, 170))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.placeholder)
        else:
            r = self.image_rect()
            w, h = self.width(), self.height()
            for margin in (QRect(0, 0, w, r.top()), QRect(0, r.bottom() + 1, w, h - r.bottom() - 1),
                           QRect(0, r.top(), r.left(), r.height()),
                           QRect(r.right() + 1, r.top(), w - r.right() - 1, r.height())):
                if not margin.isEmpty():  # only the letterbox bars: the image covers the rest
                    p.fillRect(margin, bg)
            p.drawImage(r, self._qimage)
