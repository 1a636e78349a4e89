"""`ShapeEditor`: drawing, naming, moving and deleting analytics lines and zones on the camera tiles.

The editor holds only what editing needs: the `analytics` section in force, the drawing mode
(`line` / `zone` / none) with the points clicked so far, the selected shape and a drag. Points are
taken in source-frame pixels (`tile.widget_to_frame`), so what is drawn on a 400-pixel tile counts
on the 1920-pixel camera. Every change goes to the running pipeline through
`PipelineController.set_analytics` (counted from the next frame); a section the pipeline refuses
(`ConfigError`: a polygon that crosses itself, a duplicate name) changes nothing and its sentence
goes to the status bar.

Every change goes through `apply`, which keeps the section it replaced, so Ctrl+Z (`undo`) takes
back drawing, moving, reshaping, renaming, deleting, rule changes and loading alike.

Tiles draw the shapes as the editor has them, with the counters of the shown result
(`overlay()`): a paused frame shows a moved line at once, and there is one drawing of each shape
(the shared renderer's), plus the handles of the selected one and the shape being drawn.
A shape belongs to the camera it was drawn on (`source` = the camera's name) when there is more
than one camera; with one camera it applies to every source, so the saved file also counts on
`yolotrack run --source ANY`.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PyQt6.QtCore import QObject, QPointF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QPainter, QPen, QPolygonF
from PyQt6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from yolotrack.analytics.config_file import load_analytics, save_analytics
from yolotrack.analytics.overlay import LineView, Overlay, ZoneView
from yolotrack.analytics.shapes import applies_to
from yolotrack.core.config import AnalyticsConfig, LineConfig, ZoneConfig
from yolotrack.core.errors import ConfigError
from yolotrack.core.geometry import line_problem, polygon_problem
from yolotrack.render.analytics import LINE_COLOR

KINDS = {"line": "lines", "zone": "zones"}  # mode -> AnalyticsConfig field
HANDLE_PX = 8  # a corner within this many widget pixels is grabbed
HIT_PX = 6  # a line within this many widget pixels is hit
DRAG_PX = 5  # a press and release this far apart draw a line in one drag
UNDO_DEPTH = 100  # changes Ctrl+Z can take back
HANDLE = QColor(255, 255, 255)
DRAWING = QColor(*LINE_COLOR[::-1])  # the renderer's line colour (BGR there)

Point = tuple[float, float]


@dataclass
class Drag:
    tile: str
    kind: str  # "lines" or "zones"
    index: int  # in the section's list
    corner: int  # the point dragged, -1 for the whole shape
    start: Point  # frame pixels where the drag began
    points: list[list[float]]  # the shape's points when it began
    preview: list[list[float]] | None = None  # where it is now (drawn; the pipeline gets it at the release)


def ask_shape_name(parent: QWidget | None, kind: str, default: str, taken: Collection[str],
                   title: str = "") -> str | None:
    """The name dialog; None when cancelled."""
    dlg = NameDialog(kind, default, taken, parent, title)
    return dlg.name() if dlg.exec() == QDialog.DialogCode.Accepted else None


class NameDialog(QDialog):
    """Asks a line's or zone's name; OK stays disabled (and says why) for an empty or taken name."""

    def __init__(self, kind: str, default: str, taken: Collection[str], parent: QWidget | None = None,
                 title: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle(title or f"Name the new {kind}")
        self.taken = set(taken)
        self.edit = QLineEdit(default)
        self.edit.selectAll()
        self.problem, self.buttons = problem_and_buttons(self)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(f"Name of the {kind} (events and counts carry it):"))
        lay.addWidget(self.edit)
        lay.addWidget(self.problem)
        lay.addWidget(self.buttons)
        self.edit.textChanged.connect(self._check)
        self._check(default)

    def name(self) -> str:
        return self.edit.text().strip()

    def _check(self, _: str = "") -> None:
        why = name_problem(self.name(), self.taken)
        self.problem.setText(why or "")
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        if ok is not None:
            ok.setEnabled(why is None)

    def accept(self) -> None:
        if name_problem(self.name(), self.taken) is None:  # Enter in the field must not get past the check
            super().accept()


def problem_and_buttons(dlg: QDialog) -> tuple[QLabel, QDialogButtonBox]:
    """A dialog's line that says what is wrong (red, empty until then) and its OK / Cancel buttons."""
    problem = QLabel("")
    problem.setStyleSheet("color: #d33;")
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dlg.accept)
    buttons.rejected.connect(dlg.reject)
    return problem, buttons


def name_problem(name: str, taken: Collection[str]) -> str | None:
    if not name:
        return "a name is needed"
    if any(ord(ch) < 32 for ch in name):
        return "a name cannot hold control characters"
    if name in taken:
        return f"'{name}' is already the name of a line or zone; names must be unique"
    return None


class ShapeEditor(QObject):
    """The window's lines and zones; see the module docstring.

    Args:
        controller: the `PipelineController` (its `set_analytics`, its config and its cameras).
        ask_name(kind, default, taken, title): a name for a shape, None to cancel (the dialog).
        ask_rules(zone): a zone's changed rule fields, None to cancel (`zone_rules.ZoneRulesDialog`).

    Signals:
        changed(): the shapes changed (the window redraws the tiles).
        mode_changed(str): "line", "zone" or "" (the window sets the cursor and says what to do).
        message(str), error(str): for the status bar.
    """

    changed = pyqtSignal()
    mode_changed = pyqtSignal(str)
    message = pyqtSignal(str)
    error = pyqtSignal(str)

    def __init__(self, controller: Any, ask_name: Callable[..., str | None],
                 ask_rules: Callable[[ZoneConfig], dict[str, Any] | None] | None = None) -> None:
        super().__init__(controller)
        self.controller = controller
        self.ask_name = ask_name
        self.ask_rules = ask_rules
        self.mode = ""
        self.points: list[Point] = []  # frame pixels of the shape being drawn
        self.tile: str | None = None  # the tile it is drawn on
        self.hover: Point | None = None  # where the next point would go (the rubber band)
        self.selected: tuple[str, str] | None = None  # (kind, name)
        self.drag: Drag | None = None
        self._press_at: QPointF | None = None
        self._cache_cfg: AnalyticsConfig | None = None
        self._cache: dict[str, tuple[tuple[Any, ...], tuple[Any, ...]]] = {}  # camera -> its shapes' geometry
        self._undo: list[AnalyticsConfig] = []  # sections before each change, the latest last

    @property
    def cfg(self) -> AnalyticsConfig:
        """The section in force (the controller's config: a new pipeline starts with it)."""
        return self.controller.cfg.analytics

    def names(self) -> list[str]:
        return [item.name for item in (*self.cfg.lines, *self.cfg.zones)]

    def unique_name(self, mode: str) -> str:
        taken = set(self.names())
        i = 1
        while f"{mode}{i}" in taken:
            i += 1
        return f"{mode}{i}"

    # ------------------------------------------------------------ commands (menus, keys)

    def start(self, mode: str) -> None:
        """Draw a `line` or a `zone` with the next clicks on a tile."""
        if mode not in KINDS:
            raise ValueError(f"unknown shape {mode!r}")
        self._reset()
        self.mode = mode
        self.mode_changed.emit(mode)
        how = ("click its two ends, or drag from one to the other" if mode == "line"
               else "click its corners; double-click or Enter closes it")
        self.message.emit(f"Draw a {mode} on the video: {how} (Esc cancels)")

    def cancel(self) -> bool:
        """Esc: stop drawing or dragging; False when there was nothing to cancel."""
        if not self.mode and self.drag is None:
            return False
        self._reset()  # a dragged shape goes back where it was: the section never had the preview
        self.mode_changed.emit("")
        self.changed.emit()
        self.message.emit("cancelled")
        return True

    def delete_selected(self) -> bool:
        sel = self._selected_item()
        if sel is None:
            return self._nothing_selected()
        kind, index = sel
        items = list(getattr(self.cfg, kind))
        item = items.pop(index)
        if self.apply(dataclasses.replace(self.cfg, **{kind: items})):
            self.selected = None
            self.message.emit(f"deleted {kind[:-1]} '{item.name}'")
            return True
        return False

    def rename_selected(self) -> bool:
        sel = self._selected_item()
        if sel is None:
            return self._nothing_selected()
        kind, index = sel
        old = getattr(self.cfg, kind)[index].name
        name = self.ask_name(kind[:-1], old, [n for n in self.names() if n != old], f"Rename {kind[:-1]} '{old}'")
        if name is None or name == old:
            return False
        if self.apply(_replace_item(self.cfg, kind, index, name=name)):
            self.selected = (kind, name)
            return True
        return False

    def edit_rules_selected(self) -> bool:
        """Analytics > Zone rules: the selected zone's classes, inertia, loitering and area range."""
        sel = self._selected_item()
        if sel is None or sel[0] != "zones":
            self.error.emit("no zone selected: click a zone first")
            return False
        if self.ask_rules is None:
            return False
        _, index = sel
        zone = self.cfg.zones[index]
        rules = self.ask_rules(zone)
        if rules is None or all(getattr(zone, k) == v for k, v in rules.items()):
            return False
        if self.apply(_replace_item(self.cfg, "zones", index, **rules)):
            self.message.emit(f"rules of zone '{zone.name}' changed")
            return True
        return False

    def _nothing_selected(self) -> bool:
        self.error.emit("no line or zone selected: click one first")
        return False

    def set_config(self, cfg: AnalyticsConfig) -> bool:
        """Replace every line and zone (Analytics > Load)."""
        self._reset()
        self.selected = None
        return self.apply(cfg)

    def load(self, path: str | Path) -> bool:
        """The lines and zones of a config file replace the current ones."""
        try:
            section = load_analytics(path)
        except ConfigError as e:
            self.error.emit(str(e))
            return False
        if not self.set_config(section):
            return False
        self.message.emit(f"{len(section.lines)} lines and {len(section.zones)} zones loaded from {path}")
        return True

    def save(self, path: str | Path) -> Path | None:
        """Write the lines and zones as a config file that `run --config` and `export --config` read unchanged
        (into an existing config file, only its `analytics` section is replaced); atomic."""
        cfg = self.cfg
        if not cfg.lines and not cfg.zones:
            self.error.emit("no lines or zones to save yet: draw one first (Analytics > Draw line)")
            return None
        try:
            out = save_analytics(path, cfg)
        except ConfigError as e:
            self.error.emit(str(e))
            return None
        except OSError as e:
            self.error.emit(f"cannot save {path}: {e.strerror or e}")
            return None
        self.message.emit(f"lines and zones saved: {out} (yolotrack run --config {out} ... counts with them)")
        return out

    def apply(self, new: AnalyticsConfig, undoable: bool = True) -> bool:
        """`new` in force from the pipeline's next frame; False (nothing changed) with the reason shown
        when the pipeline refuses it. The section it replaces goes on the undo stack."""
        old = self.cfg
        try:
            self.controller.set_analytics(new)
        except ConfigError as e:
            self.error.emit(str(e))
            return False
        if undoable:
            self._undo.append(old)
            del self._undo[:-UNDO_DEPTH]
        self.changed.emit()
        return True

    def undo(self) -> bool:
        """Ctrl+Z: the lines and zones as they were before the last change (drawn, moved, reshaped, renamed,
        deleted, rules, loaded); False when there is nothing to undo. A shape being drawn or dragged is
        cancelled first, as Esc does."""
        if self.mode or self.drag is not None:
            return self.cancel()
        if not self._undo:
            self.error.emit("nothing to undo")
            return False
        before = self._undo.pop()
        if not self.apply(before, undoable=False):
            self._undo.append(before)
            return False
        if self.selected is not None and self._selected_item() is None:
            self.selected = None
        self.message.emit(f"undone: {len(before.lines)} lines and {len(before.zones)} zones")
        return True

    # ------------------------------------------------------------ what tiles draw

    def shapes_for(self, camera: str) -> tuple[list[tuple[int, LineConfig]], list[tuple[int, ZoneConfig]]]:
        """The lines and zones that count on `camera` (with their index in the section)."""
        cfg = self.cfg
        return ([(i, ln) for i, ln in enumerate(cfg.lines) if applies_to(ln.source, camera, None)],
                [(i, z) for i, z in enumerate(cfg.zones) if applies_to(z.source, camera, None)])

    def overlay(self, camera: str, shown: Overlay | None) -> Overlay | None:
        """What a tile draws: the editor's shapes with the counters of the shown result (a shape whose
        geometry changed since that frame shows 0, as its counter will from the next frame). Usually
        the shown result's own overlay: while nothing is being edited, the two agree."""
        lines, zones = self._geometry(camera)
        if not lines and not zones:
            return None
        if shown is not None and _same(shown, lines, zones):
            return shown
        old_lines = {v.name: v for v in shown.lines} if shown else {}
        old_zones = {v.name: v for v in shown.zones} if shown else {}
        lv = []
        for name, p1, p2 in lines:
            v = old_lines.get(name)
            kept = v if v is not None and v.p1 == p1 and v.p2 == p2 else None
            lv.append(LineView(name, p1, p2, kept.in_count if kept else 0, kept.out_count if kept else 0))
        zv = []
        for name, poly in zones:
            v = old_zones.get(name)
            kept = v if v is not None and v.polygon == poly else None
            zv.append(ZoneView(name, poly, kept.occupancy if kept else 0, kept.entries if kept else 0))
        return Overlay(camera, shown.frame if shown else -1, tuple(lv), tuple(zv))

    def _geometry(self, camera: str) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        """((name, p1, p2), ...), ((name, polygon), ...) of `camera`'s shapes as floats, as the pipeline's
        overlay has them; kept per section (the editor replaces the section, never edits it in place)."""
        cfg, dragging = self.cfg, self.drag is not None and self.drag.preview is not None
        if self._cache_cfg is not cfg:
            self._cache_cfg, self._cache = cfg, {}  # holding `cfg` keeps `is` meaningful
        hit = None if dragging else self._cache.get(camera)
        if hit is None:
            lines, zones = self.shapes_for(camera)
            hit = (tuple((ln.name, *(_pt(p) for p in self._points("lines", i, ln.points))) for i, ln in lines),
                   tuple((z.name, tuple(_pt(p) for p in self._points("zones", i, z.polygon))) for i, z in zones))
            if not dragging:
                self._cache[camera] = hit
        return hit

    def paint(self, tile: Any, p: QPainter) -> None:
        """On top of the tile's picture: the shape being drawn, and the selected shape's corners."""
        if tile.frame_size is None:
            return
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if self.mode and self.tile == tile.name and self.points:
            pts = [QPointF(*tile.frame_to_widget(*pt)) for pt in self.points]
            if self.hover is not None:
                pts.append(QPointF(*tile.frame_to_widget(*self.hover)))
            p.setPen(QPen(DRAWING, 2, Qt.PenStyle.DashLine))
            p.setBrush(Qt.BrushStyle.NoBrush)
            if self.mode == "zone" and len(pts) >= 3:
                p.drawPolygon(QPolygonF(pts))
            else:
                p.drawPolyline(QPolygonF(pts))
            self._handles(p, pts[: len(self.points)])
        sel = self._selected_item()
        if sel is not None:  # on every tile the selected shape counts on
            kind, index = sel
            item = getattr(self.cfg, kind)[index]
            if applies_to(item.source, tile.name, None):
                geometry = self._points(kind, index, getattr(item, _field(kind)))
                pts = [QPointF(*tile.frame_to_widget(x, y)) for x, y in geometry]
                p.setPen(QPen(HANDLE, 1, Qt.PenStyle.DashLine))
                p.setBrush(Qt.BrushStyle.NoBrush)
                if kind == "zones":
                    p.drawPolygon(QPolygonF(pts))
                else:
                    p.drawPolyline(QPolygonF(pts))
                self._handles(p, pts)

    @staticmethod
    def _handles(p: QPainter, pts: list[QPointF]) -> None:
        p.setPen(QPen(QColor(0, 0, 0), 1))
        p.setBrush(HANDLE)
        r = HANDLE_PX / 2
        for q in pts:
            p.drawRect(int(q.x() - r), int(q.y() - r), HANDLE_PX, HANDLE_PX)

    # ------------------------------------------------------------ mouse and keys (from the tiles)

    def press(self, tile: Any, pos: QPointF) -> bool:
        """A left press on `tile`; True when the editor used it (the tile then does nothing else)."""
        if self.mode:
            pt = _frame_point(tile, pos, clamp=False)
            if pt is None:
                self.error.emit("click on the video picture, not beside it")
                return True
            if self.tile != tile.name:  # drawing moved to another tile: start there
                self.points, self.tile = [], tile.name
            if self.points and _near(tile, self.points[-1], pos, 3):
                return True  # the second press of a double-click
            self.points.append(pt)
            self._press_at = pos
            if self.mode == "line" and len(self.points) == 2:
                self._finish()
            tile.update()
            return True
        hit = self._hit(tile, pos)
        if hit is None:
            if self.selected is not None:
                self.selected = None
                self.changed.emit()
            return False
        kind, index, corner = hit
        item = getattr(self.cfg, kind)[index]
        self.selected = (kind, item.name)
        start = _frame_point(tile, pos, clamp=True)
        assert start is not None
        self.drag = Drag(tile.name, kind, index, corner, start, copy.deepcopy(getattr(item, _field(kind))))
        tile.update()
        self.changed.emit()
        return True

    def move(self, tile: Any, pos: QPointF) -> bool:
        if self.mode and self.tile == tile.name and self.points:
            self.hover = _frame_point(tile, pos, clamp=True)
            tile.update()
            return True
        d = self.drag
        if d is None or d.tile != tile.name:
            return False
        pt = _frame_point(tile, pos, clamp=True)
        if pt is None:
            return True
        fw, fh = tile.frame_size
        if d.corner >= 0:
            pts = copy.deepcopy(d.points)
            pts[d.corner] = [_round(pt[0]), _round(pt[1])]
        else:
            arr = np.asarray(d.points, np.float64)
            dx = min(max(pt[0] - d.start[0], -arr[:, 0].min()), fw - arr[:, 0].max())  # the whole shape stays inside
            dy = min(max(pt[1] - d.start[1], -arr[:, 1].min()), fh - arr[:, 1].max())
            pts = [[_round(x + dx), _round(y + dy)] for x, y in d.points]
        d.preview = pts
        if tile.context is not None:
            tile.draw(*tile.context())
        tile.update()
        return True

    def release(self, tile: Any, pos: QPointF) -> bool:
        if self.mode == "line" and self.tile == tile.name and len(self.points) == 1 and self._press_at is not None:
            if math.dist((pos.x(), pos.y()), (self._press_at.x(), self._press_at.y())) >= DRAG_PX:
                pt = _frame_point(tile, pos, clamp=True)
                if pt is not None:
                    self.points.append(pt)
                    self._finish()
            return True
        d = self.drag
        if d is None:
            return bool(self.mode)
        self.drag = None
        if d.preview is None:
            return True
        item = getattr(self.cfg, d.kind)[d.index]
        if self.apply(_replace_item(self.cfg, d.kind, d.index, **{_field(d.kind): d.preview})):
            self.message.emit(f"moved {d.kind[:-1]} '{item.name}' to {_describe(d.preview)}")
        else:
            self.changed.emit()  # drawn where it was again
        return True

    def double_click(self, tile: Any, pos: QPointF) -> bool:
        if self.mode == "zone" and self.tile == tile.name:
            pt = _frame_point(tile, pos, clamp=False)
            if pt is not None and not (self.points and _near(tile, self.points[-1], pos, 3)):
                self.points.append(pt)  # its press was not delivered as one (it is in a real double-click)
            self._finish()
            return True
        if self.mode:
            return True
        hit = self._hit(tile, pos, inside=False)
        if hit is not None:  # on a line or a zone's edge: rename it
            kind, index, _ = hit
            self.selected = (kind, getattr(self.cfg, kind)[index].name)
            self.rename_selected()
            return True
        return False  # inside a zone too: a double-click still focuses the tile

    def key(self, key: int) -> bool:
        if self.mode == "zone" and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._finish()
            return True
        return False

    # ------------------------------------------------------------ internals

    def _finish(self) -> None:
        mode, pts, camera = self.mode, [[_round(x), _round(y)] for x, y in self.points], self.tile
        self._reset()
        self.mode_changed.emit("")
        problem = line_problem(pts) if mode == "line" else polygon_problem(pts)
        if problem:
            self.error.emit(f"{mode} not added: {problem}")
            self.changed.emit()
            return
        name = self.ask_name(mode, self.unique_name(mode), self.names(), "")
        if name is None:
            self.message.emit(f"{mode} not added")
            self.changed.emit()
            return
        source = camera if len(self.controller.cameras) > 1 else None
        cfg = self.cfg
        if mode == "line":
            new = dataclasses.replace(cfg, lines=[*cfg.lines, LineConfig(name=name, points=pts, source=source)])
        else:
            new = dataclasses.replace(cfg, zones=[*cfg.zones, ZoneConfig(name=name, polygon=pts, source=source)])
        if self.apply(new):
            self.selected = (KINDS[mode], name)
            where = f" on {camera}" if source else ""
            self.message.emit(f"{mode} '{name}' added{where}: {_describe(pts)} (Analytics > Save as... keeps it)")

    def _reset(self) -> None:
        self.mode, self.points, self.tile, self.hover, self._press_at, self.drag = "", [], None, None, None, None

    def _points(self, kind: str, index: int, points: Any) -> Any:
        """A shape's points, or where it is being dragged to."""
        d = self.drag
        if d is not None and d.preview is not None and d.kind == kind and d.index == index:
            return d.preview
        return points

    def _selected_item(self) -> tuple[str, int] | None:
        if self.selected is None:
            return None
        kind, name = self.selected
        for i, item in enumerate(getattr(self.cfg, kind)):
            if item.name == name:
                return kind, i
        return None

    def _hit(self, tile: Any, pos: QPointF, inside: bool = True) -> tuple[str, int, int] | None:
        """(kind, index, corner or -1) of the shape under `pos`: the selected shape's corners first,
        then lines, then zones (the topmost drawn first); a zone's inside counts with `inside`."""
        if tile.frame_size is None:
            return None
        lines, zones = self.shapes_for(tile.name)
        sel = self._selected_item()
        candidates = [("lines", i, ln.points) for i, ln in lines] + [("zones", i, z.polygon) for i, z in zones]
        if sel is not None:
            for kind, i, pts in candidates:
                if (kind, i) == sel:
                    for c, pt in enumerate(pts):
                        if _near(tile, pt, pos, HANDLE_PX):
                            return kind, i, c
        for kind, i, pts in candidates:
            for c, pt in enumerate(pts):
                if _near(tile, pt, pos, HANDLE_PX):
                    return kind, i, c
        x, y = pos.x(), pos.y()
        for kind, i, pts in candidates:
            w = [tile.frame_to_widget(px, py) for px, py in pts]
            if kind == "lines" and _segment_distance((x, y), w[0], w[1]) <= HIT_PX:
                return kind, i, -1
        for kind, i, pts in candidates:
            if kind == "zones":
                w = np.asarray([tile.frame_to_widget(px, py) for px, py in pts], np.float32)
                dist = cv2.pointPolygonTest(w, (float(x), float(y)), True)  # > 0 inside
                if dist >= -HIT_PX and (inside or dist <= HIT_PX):
                    return kind, i, -1
        return None


def _replace_item(cfg: AnalyticsConfig, kind: str, index: int, **changes: Any) -> AnalyticsConfig:
    """`cfg` with one line or zone changed (the config is frozen: a change is a new section)."""
    items = list(getattr(cfg, kind))
    items[index] = dataclasses.replace(items[index], **changes)
    return dataclasses.replace(cfg, **{kind: items})


def _field(kind: str) -> str:
    return "points" if kind == "lines" else "polygon"


def _pt(p: Any) -> Point:
    return float(p[0]), float(p[1])


def _same(shown: Overlay, lines: tuple[Any, ...], zones: tuple[Any, ...]) -> bool:
    """Whether the shown overlay has exactly these shapes."""
    return (len(shown.lines) == len(lines) and len(shown.zones) == len(zones)
            and all((v.name, v.p1, v.p2) == ln for v, ln in zip(shown.lines, lines, strict=True))
            and all((v.name, v.polygon) == z for v, z in zip(shown.zones, zones, strict=True)))


def _round(v: float) -> float:
    return round(float(v), 1)


def _describe(pts: list[list[float]]) -> str:
    return " ".join(f"({x:g}, {y:g})" for x, y in pts)


def _frame_point(tile: Any, pos: QPointF, clamp: bool) -> Point | None:
    """`pos` in frame pixels; with `clamp`, a position beside the picture counts at its edge."""
    x, y = pos.x(), pos.y()
    if clamp:
        r = tile.image_rect()
        if r.isEmpty():
            return None
        x = min(max(x, r.left()), r.left() + r.width() - 1)
        y = min(max(y, r.top()), r.top() + r.height() - 1)
    return tile.widget_to_frame(x, y)


def _near(tile: Any, pt: Any, pos: QPointF, px: float) -> bool:
    wx, wy = tile.frame_to_widget(float(pt[0]), float(pt[1]))
    return math.dist((wx, wy), (pos.x(), pos.y())) <= px


def _segment_distance(p: Point, a: Point, b: Point) -> float:
    ax, ay = a
    dx, dy = b[0] - ax, b[1] - ay
    n = dx * dx + dy * dy
    t = 0.0 if n == 0 else min(1.0, max(0.0, ((p[0] - ax) * dx + (p[1] - ay) * dy) / n))
    return math.dist(p, (ax + t * dx, ay + t * dy))
