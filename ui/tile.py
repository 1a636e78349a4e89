"""`CameraTile`: one camera of the grid: its newest frame with the overlay, and a header with its name,
what it is, its state and its own fps.

A tile is named after its camera, which is also the pipeline's source id: whatever belongs to one
camera (its result, its recording, and the analytics lines and zones drawn on it) is found by
that name. `widget_to_frame` turns a mouse position on the tile into source-frame pixels; the
window's `ShapeEditor` (`editor`) gets the tile's mouse and keys first, draws its lines and zones
on it (`editor.overlay`) and paints handles on top; what it leaves selects and focuses the tile.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from PyQt6.QtCore import QRect, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QFont, QKeyEvent, QMouseEvent, QPainter, QPen, QResizeEvent
from PyQt6.QtWidgets import QWidget

from yolotrack.pipeline import Result
from yolotrack.render import Renderer
from yolotrack.ui.view import VideoView, keep_classes, render_to_view

HEADER_PX = 22
STATE_COLOURS = {"live": QColor(60, 200, 90), "file": QColor(90, 160, 255), "images": QColor(90, 160, 255),
                 "no camera": QColor(235, 70, 70), "error": QColor(235, 70, 70), "ended": QColor(170, 170, 170)}
RECONNECTING = QColor(255, 170, 40)
SELECTED = QColor(255, 200, 0)


class CameraTile(VideoView):
    """Shows one camera; `clicked(name)` selects it, `double_clicked(name)` focuses it (and back)."""

    clicked = pyqtSignal(str)
    double_clicked = pyqtSignal(str)

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(120, 90)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.name = name
        self.shown: Result | None = None  # the result on screen, every class (the filter applies when drawing)
        self.frames_shown = 0
        self.state = "connecting"
        self.kind = ""  # "file, lossless", "camera, live", ... (the tooltip; the header shows the state)
        self.fps = 0.0
        self.selected = False
        self.recording = False
        self.last_render_ms = 0.0
        self.placeholder = "connecting..."
        self.context: Callable[[], tuple[Renderer, Sequence[int] | None]] | None = None  # for redraws on resize
        self.editor: Any = None  # the window's `analytics_editor.ShapeEditor`
        self.setMouseTracking(True)  # the rubber band of a line or zone being drawn
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # Enter closes a zone being drawn
        self._font = QFont(self.font())
        self._font.setPointSizeF(max(7.0, self._font.pointSizeF() * 0.9))

    # ------------------------------------------------------------ content

    def show_result(self, result: Result, renderer: Renderer, classes: Sequence[int] | None) -> None:
        self.shown = result
        self.draw(renderer, classes)
        self.frames_shown += 1

    def draw(self, renderer: Renderer, classes: Sequence[int] | None) -> None:
        """(Re)draw the shown result at the tile's size with the current filter and render settings."""
        r = self.shown
        if r is None or r.detections is None:
            return
        t0 = time.perf_counter()
        dets, trails = keep_classes(r.detections, r.trails if renderer.cfg.trails else None, classes)
        size = (max(1, self.width()), max(1, self.height()))
        overlay = self.editor.overlay(self.name, r.analytics) if self.editor is not None else r.analytics
        canvas = render_to_view(r.frame.image, dets, trails, renderer, size, analytics=overlay)
        self.show_image(canvas, (r.frame.width, r.frame.height))
        self.last_render_ms = (time.perf_counter() - t0) * 1000.0

    def set_status(self, state: str, kind: str, fps: float, message: str = "") -> None:
        """Header texts; repaints only when something visible changed."""
        fps = round(fps, 1)
        if (state, kind, fps) == (self.state, self.kind, self.fps) and (not message or message == self.placeholder):
            return
        if kind != self.kind:
            self.setToolTip(f"{self.name}: {kind}")
        self.state, self.kind, self.fps = state, kind, fps
        if message:
            self.placeholder = message
        self.update(0, 0, self.width(), HEADER_PX)
        if self.frame_size is None:
            self.update()

    def set_selected(self, on: bool) -> None:
        if on != self.selected:
            self.selected = on
            self.update()

    def header_text(self) -> str:
        parts = [self.name, self.state]
        if self.state in ("live", "file", "images") and self.fps > 0:
            parts.append(f"{self.fps:.1f} fps")
        if self.recording:
            parts.append("REC")
        return " | ".join(parts)

    # ------------------------------------------------------------ painting and mouse

    def paint_frame(self, p: QPainter) -> None:
        super().paint_frame(p)
        w = self.width()
        bar = QRect(0, 0, w, HEADER_PX)
        p.fillRect(bar, QColor(0, 0, 0, 150))
        colour = STATE_COLOURS.get(self.state, RECONNECTING if self.state.startswith("reconnecting")
                                   else QColor(200, 200, 200))
        p.setBrush(colour)
        p.setPen(Qt.PenStyle.NoPen)
        p.drawEllipse(6, HEADER_PX // 2 - 4, 8, 8)
        p.setFont(self._font)
        p.setPen(QColor(240, 240, 240))
        p.drawText(bar.adjusted(20, 0, -6, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                   self.header_text())
        if self.editor is not None:
            self.editor.paint(self, p)
        if self.selected:
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(QPen(SELECTED, 2))
            p.drawRect(self.rect().adjusted(1, 1, -1, -1))

    def resizeEvent(self, event: QResizeEvent | None) -> None:  # noqa: N802 - Qt API
        """Draw the shown result again at the new size: the overlay stays crisp (drawn after scaling)."""
        super().resizeEvent(event)
        if self.context is not None and self.shown is not None and self.isVisible():
            self.draw(*self.context())

    def mousePressEvent(self, event: QMouseEvent | None) -> None:  # noqa: N802 - Qt API
        if event is not None and event.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            self.clicked.emit(self.name)
        if not self._edit("press", event):
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent | None) -> None:  # noqa: N802 - Qt API
        if self.editor is None or event is None or not self.editor.move(self, event.position()):
            super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent | None) -> None:  # noqa: N802 - Qt API
        if not self._edit("release", event):
            super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent | None) -> None:  # noqa: N802 - Qt API
        if self._edit("double_click", event):
            return
        if event is not None and event.button() == Qt.MouseButton.LeftButton:
            self.double_clicked.emit(self.name)
        super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event: QKeyEvent | None) -> None:  # noqa: N802 - Qt API
        if self.editor is None or event is None or not self.editor.key(event.key()):
            super().keyPressEvent(event)

    def _edit(self, what: str, event: QMouseEvent | None) -> bool:
        """The editor's turn with a left-button event; True when it used it."""
        if self.editor is None or event is None or event.button() != Qt.MouseButton.LeftButton:
            return False
        return bool(getattr(self.editor, what)(self, event.position()))
