"""`ZoneRulesDialog`: a zone's rules (classes, inertia, loitering, box area range, speed) as operators set them.

The dialog only turns text into the values of `ZoneConfig`'s fields (`parse_rules`, without Qt, so
it is tested on its own); whether they make sense together (min_area above max_area) is the
config's own check, which the pipeline applies when the editor hands it the changed section, and
its one sentence goes to the status bar as for any refused shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PyQt6.QtWidgets import QDialog, QFormLayout, QLineEdit, QVBoxLayout, QWidget

from yolotrack.core.config import ZoneConfig
from yolotrack.ui.analytics_editor import problem_and_buttons

# field -> (label, tooltip); the order of the form
FIELDS: dict[str, tuple[str, str]] = {
    "classes": ("Classes", "Only these classes enter the zone: ids or names, comma-separated; empty = all"),
    "inertia": ("Inertia (frames)", "Frames in a row on the new side before an enter or exit counts"),
    "loitering_s": ("Loitering after (s)", "A `loitering` event once a visit lasts this long; empty = never"),
    "min_area": ("Min box area (px²)", "Smaller boxes do not enter or leave the zone; empty = no limit"),
    "max_area": ("Max box area (px²)", "Larger boxes do not enter or leave the zone; empty = no limit"),
    "distances": ("Edge lengths (m)", "A speed zone (4 corners): the real lengths of edges 1-2, 2-3, 3-4, 4-1, "
                  "comma-separated; empty = no speed"),
    "speed_unit": ("Speed unit", "km/h, m/s or mph"),
    "speed_limit": ("Speed limit", "A `speeding` event above it, in the speed unit; empty = none"),
}


class RulesError(ValueError):
    """A field's text is not a value of its kind (the sentence names the field)."""


def rules_text(zone: ZoneConfig) -> dict[str, str]:
    """The zone's rules as the dialog shows them."""
    out: dict[str, str] = {}
    for name in FIELDS:
        v = getattr(zone, name)
        if v is None:
            out[name] = ""
        elif isinstance(v, list):
            out[name] = ", ".join(f"{c:g}" if isinstance(c, float) else str(c) for c in v)
        else:
            out[name] = f"{v:g}" if isinstance(v, float) else str(v)
    return out


def parse_rules(texts: Mapping[str, str]) -> dict[str, Any]:
    """The fields' values from the dialog's text; raises `RulesError` naming the field."""
    out: dict[str, Any] = {}
    for name, raw in texts.items():
        text = raw.strip()
        label = FIELDS[name][0]
        if name == "classes":
            items = [c.strip() for c in text.split(",") if c.strip()]
            out[name] = [int(c) if c.isdigit() else c for c in items] or None
        elif name == "distances":
            try:
                out[name] = [float(c) for c in text.split(",") if c.strip()] or None
            except ValueError:
                raise RulesError(f"{label}: '{text}' is not a list of numbers") from None
        elif name == "speed_unit":
            out[name] = text
        elif name == "inertia":
            if not text.isdigit():
                raise RulesError(f"{label}: '{text}' is not a whole number of frames")
            out[name] = int(text)
        elif not text:
            out[name] = None
        else:
            try:
                out[name] = float(text)
            except ValueError:
                raise RulesError(f"{label}: '{text}' is not a number") from None
    return out


class ZoneRulesDialog(QDialog):
    """Edits one zone's rules; `rules()` gives the changed fields after OK."""

    def __init__(self, zone: ZoneConfig, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Rules of zone '{zone.name}'")
        self.edits: dict[str, QLineEdit] = {}
        form = QFormLayout()
        for name, text in rules_text(zone).items():
            label, tip = FIELDS[name]
            edit = QLineEdit(text)
            edit.setToolTip(tip)
            self.edits[name] = edit
            form.addRow(label, edit)
        self.problem, self.buttons = problem_and_buttons(self)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.problem)
        lay.addWidget(self.buttons)
        self._rules: dict[str, Any] = {}

    def accept(self) -> None:
        try:
            self._rules = parse_rules({n: e.text() for n, e in self.edits.items()})
        except RulesError as e:
            self.problem.setText(str(e))  # stays open: the user fixes the field
            return
        super().accept()

    def rules(self) -> dict[str, Any]:
        return dict(self._rules)


def ask_zone_rules(parent: QWidget | None, zone: ZoneConfig) -> dict[str, Any] | None:
    """The dialog; the new field values, or None when cancelled."""
    dlg = ZoneRulesDialog(zone, parent)
    return dlg.rules() if dlg.exec() == QDialog.DialogCode.Accepted else None
