"""`CameraGrid`: the cameras' tiles in a layout of 1, 2x2 or 3x3, in pages when there are more.

Double-clicking a tile focuses it (alone, full size) and double-clicking it again returns to the
grid. Only visible tiles are drawn: the window asks `visible()` before rendering, so hidden
cameras cost no UI time (their frames still go through the pipeline and their recordings).
"""

from __future__ import annotations

from collections.abc import Sequence

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtGui import QColor, QPalette
from PyQt6.QtWidgets import QGridLayout, QStackedLayout, QWidget

from yolotrack.ui.tile import CameraTile
from yolotrack.ui.view import VideoView

LAYOUTS = {"1": 1, "2x2": 2, "3x3": 3}  # name -> tiles per side


class CameraGrid(QWidget):
    """Tiles by camera name, in the order the cameras were given.

    Signals:
        selected(str): the selected camera changed (a click, or a camera added).
        arranged(): layout, page or focus changed (the window redraws what became visible).
        tile_added(CameraTile): a new tile, for the window to wire (drawing context, context menu).
    """

    selected = pyqtSignal(str)
    arranged = pyqtSignal()
    tile_added = pyqtSignal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tiles: dict[str, CameraTile] = {}
        self.layout_name = "1"
        self.page = 0
        self.focused: str | None = None
        self.current: str | None = None  # the selected camera
        self.empty = VideoView()
        self.empty.placeholder = "No camera: add one (File > Add camera...), open a file, or drop videos here"
        self._cells = QWidget()
        self._cells.setAutoFillBackground(True)  # empty cells dark like the tiles, not the window grey
        pal = self._cells.palette()
        pal.setColor(QPalette.ColorRole.Window, QColor(20, 20, 20))
        self._cells.setPalette(pal)
        self._grid = QGridLayout(self._cells)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(2)
        self._stack = QStackedLayout(self)
        self._stack.addWidget(self.empty)
        self._stack.addWidget(self._cells)

    # ------------------------------------------------------------ cameras

    def set_cameras(self, names: Sequence[str]) -> None:
        """Tiles for exactly these cameras (existing tiles are kept, with their last frame)."""
        for name in [n for n in self.tiles if n not in names]:
            tile = self.tiles.pop(name)
            self._grid.removeWidget(tile)
            tile.setParent(None)
            tile.deleteLater()
        tiles = {}
        for name in names:
            tile = self.tiles.get(name)
            if tile is None:
                tile = CameraTile(name)
                tile.clicked.connect(self.select)
                tile.double_clicked.connect(self.toggle_focus)
                self.tile_added.emit(tile)
            tiles[name] = tile
        self.tiles = tiles
        if self.focused not in self.tiles:
            self.focused = None
        if self.current not in self.tiles:
            self.current = None
            if self.tiles:
                self.select(next(iter(self.tiles)))
        self.page = min(self.page, self.pages() - 1)
        self._arrange()

    def tile(self, name: str | None) -> CameraTile | None:
        return self.tiles.get(name) if name is not None else None

    def select(self, name: str) -> None:
        if name not in self.tiles:
            return
        changed = name != self.current
        self.current = name
        for n, t in self.tiles.items():
            t.set_selected(n == name and len(self.tiles) > 1)
        idx = list(self.tiles).index(name)
        if self.focused is None and idx // self.per_page() != self.page:
            self.page = idx // self.per_page()
            self._arrange()
        if changed:
            self.selected.emit(name)

    # ------------------------------------------------------------ layout, pages, focus

    def per_page(self) -> int:
        n = LAYOUTS[self.layout_name]
        return n * n

    def pages(self) -> int:
        return max(1, -(-len(self.tiles) // self.per_page()))

    def set_layout(self, name: str) -> None:
        if name not in LAYOUTS:
            raise ValueError(f"unknown layout {name!r} (layouts: {', '.join(LAYOUTS)})")
        self.layout_name = name
        self.focused = None
        names = list(self.tiles)
        self.page = names.index(self.current) // self.per_page() if self.current in names else 0
        self._arrange()

    def next_page(self, step: int = 1) -> None:
        """Page forward (or back); in layout 1 that is the next camera."""
        if self.focused is not None or self.pages() < 2:
            return
        self.page = (self.page + step) % self.pages()
        first = list(self.tiles)[self.page * self.per_page()]
        self._arrange()
        self.select(first)

    def toggle_focus(self, name: str) -> None:
        """The tile alone, full size; the same again returns to the grid."""
        if name not in self.tiles:
            return
        self.focused = None if self.focused == name else name
        self.select(name)
        self._arrange()

    def visible(self) -> list[CameraTile]:
        if self.focused is not None:
            return [self.tiles[self.focused]]
        names = list(self.tiles)[self.page * self.per_page(): (self.page + 1) * self.per_page()]
        return [self.tiles[n] for n in names]

    def _arrange(self) -> None:
        while self._grid.count():
            item = self._grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()
        shown = self.visible()
        side = 1 if self.focused is not None else LAYOUTS[self.layout_name]
        for i, tile in enumerate(shown):
            self._grid.addWidget(tile, i // side, i % side)
            tile.show()
        for i in range(3):  # fixed cells: a 2x2 with three cameras keeps its fourth cell empty
            self._grid.setRowStretch(i, 1 if i < side else 0)
            self._grid.setColumnStretch(i, 1 if i < side else 0)
        self._stack.setCurrentIndex(1 if self.tiles else 0)
        self.arranged.emit()
