"""The keyboard shortcuts, in one table: the menus, the buttons' tooltips and Help > Keyboard shortcuts
all read it, so a key can never do one thing and be documented as another."""

from __future__ import annotations

from PyQt6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

# action id -> (key sequence, what it does)
SHORTCUTS: dict[str, tuple[str, str]] = {
    "pause": ("Space", "Pause or resume every camera"),
    "step": ("Right", "One frame further (pauses first)"),
    "snapshot": ("S", "Snapshot of the selected camera (PNG, full resolution)"),
    "record": ("R", "Record the selected camera (MP4) / stop"),
    "fullscreen": ("F", "Full screen / back"),
    "leave": ("Esc", "Cancel drawing; leave full screen, or the focused tile"),
    "open": ("Ctrl+O", "Open a video file in the selected tile"),
    "add": ("Ctrl+N", "Add a camera"),
    "layout1": ("1", "Layout: one camera"),
    "layout2": ("2", "Layout: 2x2"),
    "layout3": ("3", "Layout: 3x3"),
    "next": ("PgDown", "Next page of cameras (next camera in layout 1)"),
    "previous": ("PgUp", "Previous page of cameras"),
    "draw_line": ("L", "Draw a counting line: click its two ends on a camera (or drag)"),
    "draw_zone": ("Z", "Draw a zone: click its corners; double-click or Enter closes it"),
    "delete_shape": ("Del", "Delete the selected line or zone"),
    "undo_shape": ("Ctrl+Z", "Undo the last change to the lines and zones"),
    "zone_rules": ("Ctrl+R", "Rules of the selected zone: classes, inertia, loitering, box area"),
    "load_shapes": ("Ctrl+L", "Load lines and zones from a config file"),
    "save_shapes": ("Ctrl+S", "Save the lines and zones as a config file (run and export --config read it)"),
    "help": ("F1", "This list"),
    "quit": ("Ctrl+Q", "Quit"),
}
MOUSE = (("Click a tile", "Select its camera (snapshot, record and the source pickers act on it)"),
         ("Double-click a tile", "Focus it alone; double-click again to return to the grid"),
         ("Drop video files", "Open one in the selected tile, or add several as cameras"),
         ("Drag a line or zone", "Move it; drag one of its corners to reshape it (click it to select it)"),
         ("Double-click a line or zone", "Rename it"))


def key(action: str) -> str:
    return SHORTCUTS[action][0]


def tip(text: str, action: str) -> str:
    """A tooltip that names the shortcut: `Pause every camera (Space)`."""
    return f"{text} ({key(action)})"


class ShortcutsDialog(QDialog):
    """Help > Keyboard shortcuts: the table above as a two-column list."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = "".join(f"<tr><td><b>{k}</b>&nbsp;&nbsp;</td><td>{what}</td></tr>" for k, what in SHORTCUTS.values())
        rows += "".join(f"<tr><td><b>{k}</b>&nbsp;&nbsp;</td><td>{what}</td></tr>" for k, what in MOUSE)
        self.table = QLabel(f"<table cellspacing='4'>{rows}</table>")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table)
        lay.addWidget(buttons)
