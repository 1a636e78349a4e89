"""The GUI's line and zone editor with real Qt widgets (offscreen), the real pipeline and the demo model on
the demo clip: shapes drawn with the mouse land in the pipeline in frame pixels, move, refuse what cannot
count, delete, and count real crossings; the saved file runs unchanged in `yolotrack run --config`; a zone's
rules from its dialog reach the running counters, and rules the config refuses change nothing."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

pytest.importorskip("PyQt6")
pytest.importorskip("pytestqt")

from gui_helpers import WAIT, grab_rgb, make_settings, settle, window_opener  # noqa: E402
from pipeline_media import demo_clip  # noqa: E402
from PyQt6.QtCore import QPoint, Qt, QTimer  # noqa: E402
from PyQt6.QtWidgets import QApplication, QDialogButtonBox, QFileDialog  # noqa: E402

from yolotrack.analytics import load_analytics  # noqa: E402
from yolotrack.core.cameras import Camera  # noqa: E402
from yolotrack.core.config import AnalyticsConfig, ZoneConfig, load_config, set_values  # noqa: E402
from yolotrack.main import main  # noqa: E402
from yolotrack.render.analytics import LINE_COLOR  # noqa: E402
from yolotrack.ui.analytics_editor import NameDialog  # noqa: E402
from yolotrack.ui.shortcuts import SHORTCUTS, ShortcutsDialog  # noqa: E402
from yolotrack.ui.zone_rules import RulesError, ZoneRulesDialog, parse_rules, rules_text  # noqa: E402

pytestmark = pytest.mark.timeout(180)
FW, FH = 640, 384  # the demo clip


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_clip(tmp_path_factory.mktemp("gui_analytics") / "clip.mp4", 45)


@pytest.fixture
def open_window(qtbot, tmp_path: Path):
    with window_opener(qtbot, tmp_path) as open_:
        yield open_


def demo_cfg(tmp_path: Path, source: str, *extra: str):
    cfg = load_config(None, ["model.weights=demo", "model.runtime=torch", "ui.probe_webcams=0", "source.loop=true",
                             f"output.dir={tmp_path / 'out'}", "pipeline.stats_interval=0", *extra])
    return set_values(cfg, {"source.uri": source})


def started(qtbot, win):
    """The selected tile once it shows frames of the running pipeline."""
    win.set_layout("1")
    tile = win.view
    qtbot.waitUntil(lambda: tile.frame_size is not None and win.controller.pipeline is not None
                    and win.controller.pipeline.analytics is not None, timeout=WAIT)
    return tile


def key(qtbot, win, k, mod=Qt.KeyboardModifier.NoModifier) -> None:
    """A window shortcut; the window active first, as a user's is again once a dialog closed."""
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=5000)
    qtbot.keyClick(win, k, mod)


def at(tile, x: float, y: float) -> QPoint:
    """The widget pixel showing frame pixel (x, y)."""
    wx, wy = tile.frame_to_widget(x, y)
    return QPoint(int(round(wx)), int(round(wy)))


def letterbox_to_frame(tile, p: QPoint) -> tuple[float, float]:
    """Where a widget pixel lies in the frame, from the tile's size alone (the frame fitted and centred)."""
    s = min(tile.width() / FW, tile.height() / FH)
    ox, oy = (tile.width() - FW * s) / 2, (tile.height() - FH * s) / 2
    return (p.x() - ox) / s, (p.y() - oy) / s


def when_open(cls, answer) -> None:
    """`answer(dialog)` once a modal dialog of class `cls` is open (polled from the event loop)."""

    def poll(tries: list[int] = [0]) -> None:  # noqa: B006 - a counter across the retries
        dlg = QApplication.activeModalWidget()
        if not isinstance(dlg, cls):
            tries[0] += 1
            if tries[0] < 500:
                QTimer.singleShot(10, poll)
            return
        answer(dlg)

    QTimer.singleShot(0, poll)


def answer_name(text: str | None = None, check=None) -> dict:
    """When the name dialog opens: `check(dialog)`, type `text` (None keeps the default) and press OK."""
    seen: dict = {}

    def fill(dlg) -> None:
        seen["default"] = dlg.name()
        if check is not None:
            check(dlg)
        if text is not None:
            dlg.edit.setText(text)
        dlg.buttons.button(QDialogButtonBox.StandardButton.Ok).click()

    when_open(NameDialog, fill)
    return seen


def section(win):
    return win.controller.pipeline.analytics.config


def close_to(got, want, tol: float = 1.0) -> bool:
    return all(abs(float(g) - float(w)) <= tol for gp, wp in zip(got, want, strict=True) for g, w in zip(gp, wp,
                                                                                                      strict=True))


def test_draw_move_refuse_delete_and_count_on_the_demo_clip(qtbot, open_window, tmp_path, clip, monkeypatch, capfd):
    win = open_window(demo_cfg(tmp_path, str(clip)))
    tile = started(qtbot, win)
    assert win.actions_by_id["draw_line"].shortcut().toString() == SHORTCUTS["draw_line"][0]
    assert "(L)" in win.panel.line_btn.toolTip() and "Draw zone" in [a.text() for a in win.actions_by_id.values()]

    assert win.editor.save(tmp_path / "empty.yaml") is None and "no lines or zones" in win.last_error
    assert not (tmp_path / "empty.yaml").exists()
    key(qtbot, win, Qt.Key.Key_Delete)
    assert "no line or zone selected" in win.last_error

    # a line with two clicks: frame pixels through the letterbox, the default name, no source (one camera)
    key(qtbot, win, Qt.Key.Key_L)
    assert win.editor.mode == "line"
    a, b = at(tile, 320, 10), at(tile, 320, 374)
    qtbot.mouseClick(tile, Qt.MouseButton.LeftButton, pos=a)
    qtbot.mouseMove(tile, QPoint(a.x() + 3, (a.y() + b.y()) // 2))
    assert win.editor.hover is not None  # the rubber band follows the mouse
    seen = answer_name()
    qtbot.mouseClick(tile, Qt.MouseButton.LeftButton, pos=b)
    assert seen["default"] == "line1" and win.editor.mode == ""
    (line,) = section(win).lines
    assert line.name == "line1" and line.source is None
    assert close_to(line.points, [letterbox_to_frame(tile, a), letterbox_to_frame(tile, b)])
    assert close_to(line.points, [(320, 10), (320, 374)])

    # it counts the demo's shapes crossing it, and the tile draws it with its counters
    def crossed() -> bool:
        snap = win.controller.pipeline.counts().get("clip")
        c = snap.line("line1") if snap is not None else None
        return c is not None and c.in_count + c.out_count > 0

    qtbot.waitUntil(crossed, timeout=WAIT)
    qtbot.waitUntil(lambda: any(v.name == "line1" and v.in_count + v.out_count > 0
                                for v in (tile.shown.analytics.lines if tile.shown.analytics else ())), timeout=WAIT)
    rgb = grab_rgb(tile)
    x = at(tile, 320, 200).x()
    want = LINE_COLOR[::-1]
    assert any(abs(int(rgb[y, xx, 0]) - want[0]) + abs(int(rgb[y, xx, 1]) - want[1])
               + abs(int(rgb[y, xx, 2]) - want[2]) < 60 for y in range(at(tile, 0, 120).y(), at(tile, 0, 160).y())
               for xx in range(x - 1, x + 2))

    # a zone: corners by clicks, closed by a double-click (which adds its last corner once)
    pipe = win.controller.pipeline
    key(qtbot, win, Qt.Key.Key_Z)
    corners = [(40, 60), (200, 60), (200, 300), (40, 300)]
    for x, y in corners[:3]:
        qtbot.mouseClick(tile, Qt.MouseButton.LeftButton, pos=at(tile, x, y))
    answer_name("bay")
    qtbot.mouseDClick(tile, Qt.MouseButton.LeftButton, pos=at(tile, *corners[3]))
    assert len(section(win).zones) == 1, win.last_error
    (zone,) = section(win).zones
    assert zone.name == "bay" and close_to(zone.polygon, corners)
    assert win.controller.cfg.analytics.zones[0].name == "bay"  # kept for a pipeline started later (a new model)

    # move the line by dragging its middle 40 frame pixels to the right
    mid = at(tile, 320, 200)
    qtbot.mousePress(tile, Qt.MouseButton.LeftButton, pos=mid)
    assert win.editor.selected == ("lines", "line1")
    qtbot.mouseMove(tile, at(tile, 340, 200))
    qtbot.mouseMove(tile, at(tile, 360, 200))
    assert section(win).lines[0].points == line.points  # the pipeline gets it on release
    qtbot.mouseRelease(tile, Qt.MouseButton.LeftButton, pos=at(tile, 360, 200))
    assert close_to(section(win).lines[0].points, [(360, 10), (360, 374)])

    # drag a corner of the zone: moved; a drag that makes it cross itself is refused, and says why
    qtbot.mousePress(tile, Qt.MouseButton.LeftButton, pos=at(tile, 200, 60))
    qtbot.mouseMove(tile, at(tile, 220, 50))
    qtbot.mouseRelease(tile, Qt.MouseButton.LeftButton, pos=at(tile, 220, 50))
    assert close_to(section(win).zones[0].polygon, [(40, 60), (220, 50), (200, 300), (40, 300)])
    before = section(win).zones[0].polygon
    qtbot.mousePress(tile, Qt.MouseButton.LeftButton, pos=at(tile, 40, 300))
    qtbot.mouseMove(tile, at(tile, 300, 150))
    qtbot.mouseRelease(tile, Qt.MouseButton.LeftButton, pos=at(tile, 300, 150))
    assert section(win).zones[0].polygon == before
    assert "crosses itself" in win.last_error and "crosses itself" in win.statusBar().currentMessage()

    # a duplicate name is refused by the dialog; Esc cancels a drawing
    def refuses_duplicate(dlg: NameDialog) -> None:
        dlg.edit.setText("bay")
        assert not dlg.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
        assert "already" in dlg.problem.text() and "bay" in dlg.problem.text()
        dlg.accept()
        assert dlg.isVisible()  # Enter in the field does not get past the check either

    key(qtbot, win, Qt.Key.Key_L)
    qtbot.mousePress(tile, Qt.MouseButton.LeftButton, pos=at(tile, 100, 350))
    answer_name("door", refuses_duplicate)
    qtbot.mouseMove(tile, at(tile, 500, 350))
    qtbot.mouseRelease(tile, Qt.MouseButton.LeftButton, pos=at(tile, 500, 350))  # one drag draws a line too
    assert [ln.name for ln in section(win).lines] == ["line1", "door"]
    assert close_to(section(win).lines[1].points, [(100, 350), (500, 350)])
    key(qtbot, win, Qt.Key.Key_L)
    qtbot.mouseClick(tile, Qt.MouseButton.LeftButton, pos=at(tile, 10, 10))
    key(qtbot, win, Qt.Key.Key_Escape)
    assert win.editor.mode == "" and len(section(win).lines) == 2

    # save: a file that load_analytics reads and that `yolotrack run --config` counts with, unchanged
    saved = tmp_path / "site.yaml"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(saved), ""))
    key(qtbot, win, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert saved.is_file() and str(saved) in win.statusBar().currentMessage()
    loaded = load_analytics(saved)
    assert [ln.name for ln in loaded.lines] == ["line1", "door"] and loaded.zones[0].name == "bay"
    assert loaded.lines == section(win).lines and loaded.zones == section(win).zones

    # delete the selected line (Delete key), then load the file back
    qtbot.mouseClick(tile, Qt.MouseButton.LeftButton, pos=at(tile, 300, 350))
    assert win.editor.selected == ("lines", "door")
    key(qtbot, win, Qt.Key.Key_Delete)
    assert [ln.name for ln in section(win).lines] == ["line1"]
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(saved), ""))
    key(qtbot, win, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert [ln.name for ln in section(win).lines] == ["line1", "door"]
    assert win.controller.pipeline is pipe  # every edit went to the running pipeline

    out = tmp_path / "tracks.jsonl"  # in this process: the saved file, the CLI's own parsing and checks
    assert main(["run", "--source", str(clip), "--weights", "demo", "--config", str(saved), "-o", str(out),
                 "model.runtime=torch"]) == 0
    counts = [r for r in map(json.loads, out.read_text().splitlines()) if r["type"] == "counts"]
    assert counts and set(counts[-1]["lines"]) == {"line1", "door"} and set(counts[-1]["zones"]) == {"bay"}
    assert "line1 in" in capfd.readouterr().err


def test_shapes_belong_to_the_camera_they_are_drawn_on(qtbot, open_window, tmp_path, clip):
    """With two cameras a shape names its camera; a config file's shapes show at start."""
    start = tmp_path / "start.yaml"
    start.write_text(yaml.safe_dump({"model": {"conf": 0.2}, "analytics": {"zones": [
        {"name": "left", "polygon": [[0, 0], [300, 0], [300, 384], [0, 384]]}]}}))
    cfg = load_config(start, ["model.weights=demo", "model.runtime=torch", "ui.probe_webcams=0", "source.loop=true",
                              f"output.dir={tmp_path / 'out'}", "pipeline.stats_interval=0"])
    win = open_window(cfg, settings=make_settings(tmp_path), cameras=[Camera("a", str(clip)), Camera("b", str(clip))])
    win.set_layout("2x2")
    ta, tb = win.grid.tile("a"), win.grid.tile("b")
    qtbot.waitUntil(lambda: all(t.shown is not None and t.shown.analytics is not None for t in (ta, tb)), timeout=WAIT)
    assert [z.name for z in ta.shown.analytics.zones] == ["left"]  # `gui --config FILE` shows its shapes

    win.grid.select("b")
    key(qtbot, win, Qt.Key.Key_L)
    answer_name("door")
    qtbot.mouseClick(tb, Qt.MouseButton.LeftButton, pos=at(tb, 400, 20))
    qtbot.mouseClick(tb, Qt.MouseButton.LeftButton, pos=at(tb, 400, 360))
    (line,) = win.controller.pipeline.analytics.config.lines
    assert line.source == "b" and close_to(line.points, [(400, 20), (400, 360)], 2.0)
    an = win.controller.pipeline.analytics
    qtbot.waitUntil(lambda: [ln.name for ln in an.source("b").lines] == ["door"], timeout=WAIT)
    assert an.source("a").lines == []
    assert [v.name for v in win.editor.overlay("a", None).lines] == []
    qtbot.waitUntil(lambda: [v.name for v in tb.shown.analytics.lines] == ["door"], timeout=WAIT)

    key(qtbot, win, Qt.Key.Key_Z)  # a zone on camera a, closed with Enter
    for x, y in ((350, 40), (600, 40), (600, 200)):
        qtbot.mouseClick(ta, Qt.MouseButton.LeftButton, pos=at(ta, x, y))
    answer_name()
    qtbot.keyClick(ta, Qt.Key.Key_Return)
    zone = win.controller.pipeline.analytics.config.zones[1]
    assert zone.name == "zone1" and zone.source == "a" and close_to(zone.polygon, [(350, 40), (600, 40), (600, 200)], 2)

    win.panel.pause_btn.setChecked(True)  # one frame stays shown: the snapshot is that frame drawn over
    settle(qtbot, win)
    shot = cv2.imread(str(win.snapshot()))  # the selected camera (a) at full resolution, with its shapes
    raw = ta.shown.frame.image
    assert shot.shape == raw.shape == (FH, FW, 3)
    edge = np.abs(shot[50:190, 599:602].astype(int) - raw[50:190, 599:602]).sum(axis=2).max(axis=1)
    assert (edge > 30).mean() > 0.9  # the zone's right edge is drawn along its whole length
    win.panel.pause_btn.setChecked(False)

    answer_name("gate")  # a double-click on a line renames it
    qtbot.mouseDClick(tb, Qt.MouseButton.LeftButton, pos=at(tb, 400, 200))
    assert [ln.name for ln in win.controller.pipeline.analytics.config.lines] == ["gate"]
    assert win.grid.focused is None
    qtbot.mouseDClick(ta, Qt.MouseButton.LeftButton, pos=at(ta, 150, 200))  # inside a zone: focus, as ever
    assert win.grid.focused == "a"

    # saving into the config file it started with replaces only that file's analytics section
    assert win.editor.save(start) == start
    again = load_config(start, [])
    assert again.model.conf == 0.2 and [ln.name for ln in again.analytics.lines] == ["gate"]
    assert [(z.name, z.source) for z in again.analytics.zones] == [("left", None), ("zone1", "a")]
    assert again.analytics.lines[0].source == "b"

    dlg = ShortcutsDialog(win)
    assert "Draw a counting line" in dlg.table.text() and "Drag a line or zone" in dlg.table.text()


# ---------------------------------------------------------------- zone rules

BAY = ZoneConfig(name="bay", polygon=[[40.0, 40.0], [300.0, 40.0], [300.0, 340.0], [40.0, 340.0]])


def answer_rules(fields: dict[str, str], seen: dict | None = None) -> dict:
    """When the rules dialog opens: type `fields`, press OK (and once more if it stayed open); what it showed
    goes to `seen`."""
    seen = {} if seen is None else seen

    def fill(dlg) -> None:
        seen["shown"] = {n: e.text() for n, e in dlg.edits.items()}
        for name, text in fields.items():
            dlg.edits[name].setText(text)
        ok = dlg.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.click()
        if dlg.isVisible():  # a field it refused: say why, then cancel
            seen["problem"] = dlg.problem.text()
            dlg.buttons.button(QDialogButtonBox.StandardButton.Cancel).click()

    when_open(ZoneRulesDialog, fill)
    return seen


def test_parse_rules_reads_each_field_and_names_a_bad_one():
    assert parse_rules({"classes": "disc, 2", "inertia": "3", "loitering_s": "1.5", "min_area": "",
                        "max_area": "4e4"}) == {"classes": ["disc", 2], "inertia": 3, "loitering_s": 1.5,
                                                "min_area": None, "max_area": 40000.0}
    assert parse_rules({"classes": " "}) == {"classes": None}
    with pytest.raises(RulesError, match=r"Inertia \(frames\): 'two' is not a whole number"):
        parse_rules({"inertia": "two"})
    with pytest.raises(RulesError, match=r"Loitering after \(s\): 'soon' is not a number"):
        parse_rules({"loitering_s": "soon"})
    assert rules_text(BAY) == {"classes": "", "inertia": "1", "loitering_s": "", "min_area": "", "max_area": "",
                               "distances": "", "speed_unit": "km/h", "speed_limit": ""}
    assert parse_rules({"distances": "8, 40.5, 8, 40", "speed_unit": "m/s", "speed_limit": "12"}) == {
        "distances": [8.0, 40.5, 8.0, 40.0], "speed_unit": "m/s", "speed_limit": 12.0}
    with pytest.raises(RulesError, match=r"Edge lengths \(m\): '8, x' is not a list of numbers"):
        parse_rules({"distances": "8, x"})


def test_zone_rules_from_the_dialog_reach_the_pipeline(qtbot, open_window, tmp_path, clip):
    win = open_window(demo_cfg(tmp_path, str(clip)))
    tile = started(qtbot, win)
    assert win.editor.set_config(AnalyticsConfig(zones=[BAY]))
    key(qtbot, win, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert "no zone selected" in win.last_error

    qtbot.mouseClick(tile, Qt.MouseButton.LeftButton, pos=at(tile, 150, 200))  # inside the zone: selects it
    assert win.editor.selected == ("zones", "bay")
    seen = answer_rules({"classes": "disc", "inertia": "3", "loitering_s": "2.5", "max_area": "20000"})
    key(qtbot, win, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: section(win).zones[0].inertia == 3, timeout=WAIT)
    assert seen["shown"]["inertia"] == "1"
    (zone,) = section(win).zones
    assert (zone.classes, zone.inertia, zone.loitering_s, zone.min_area, zone.max_area) == (
        ["disc"], 3, 2.5, None, 20000.0)
    an = win.controller.pipeline.analytics
    qtbot.waitUntil(lambda: an.source("0").zones[0].inertia == 3, timeout=WAIT)  # the live counters have it
    assert an.source("0").zones[0].classes == frozenset({k for k, v in an.names.items() if v == "disc"})

    seen = answer_rules({"inertia": "x"})  # not a number: the dialog says so and stays open
    win.editor.edit_rules_selected()
    assert "Inertia (frames): 'x' is not a whole number" in seen["problem"]
    answer_rules({"min_area": "30000"})  # above max_area: the config refuses it, nothing changes
    assert not win.editor.edit_rules_selected()
    assert "min_area 30000 is larger than max_area 20000" in win.last_error
    assert section(win).zones[0].min_area is None

    answer_rules({"distances": "8, 40, 8, 40", "speed_limit": "50"})  # a speed zone
    assert win.editor.edit_rules_selected()
    assert (section(win).zones[0].distances, section(win).zones[0].speed_limit) == ([8.0, 40.0, 8.0, 40.0], 50.0)
    qtbot.waitUntil(lambda: an.source("0").has_speed_zones, timeout=WAIT)


# ---------------------------------------------------------------- undo


def test_ctrl_z_takes_back_each_change_to_lines_and_zones(qtbot, open_window, tmp_path, clip):
    """Draw a line and a zone with the mouse, drag the line, rename the zone, change its rules, delete the line:
    each Ctrl+Z restores the running pipeline's section as it was before that change, down to nothing."""
    win = open_window(demo_cfg(tmp_path, str(clip)))
    tile = started(qtbot, win)
    assert win.actions_by_id["undo_shape"].shortcut().toString() == "Ctrl+Z"
    undo = lambda: key(qtbot, win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # noqa: E731
    undo()
    assert "nothing to undo" in win.last_error

    history = [section(win)]
    key(qtbot, win, Qt.Key.Key_L)
    answer_name("door")
    qtbot.mouseClick(tile, Qt.MouseButton.LeftButton, pos=at(tile, 320, 10))
    qtbot.mouseClick(tile, Qt.MouseButton.LeftButton, pos=at(tile, 320, 374))
    history.append(section(win))
    key(qtbot, win, Qt.Key.Key_Z)
    for x, y in ((40, 60), (200, 60), (200, 300)):
        qtbot.mouseClick(tile, Qt.MouseButton.LeftButton, pos=at(tile, x, y))
    answer_name("bay")
    qtbot.mouseDClick(tile, Qt.MouseButton.LeftButton, pos=at(tile, 40, 300))
    history.append(section(win))
    qtbot.mousePress(tile, Qt.MouseButton.LeftButton, pos=at(tile, 320, 200))  # drag the line 40 px right
    qtbot.mouseMove(tile, at(tile, 340, 200))
    qtbot.mouseMove(tile, at(tile, 360, 200))
    qtbot.mouseRelease(tile, Qt.MouseButton.LeftButton, pos=at(tile, 360, 200))
    history.append(section(win))
    qtbot.mouseClick(tile, Qt.MouseButton.LeftButton, pos=at(tile, 100, 200))  # select the zone, rename it
    answer_name("dock")
    win.editor.rename_selected()
    history.append(section(win))
    answer_rules({"inertia": "4", "loitering_s": "3"})
    key(qtbot, win, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    history.append(section(win))
    qtbot.mouseClick(tile, Qt.MouseButton.LeftButton, pos=at(tile, 360, 250))
    assert win.editor.selected == ("lines", "door")
    key(qtbot, win, Qt.Key.Key_Delete)
    history.append(section(win))
    assert [len(h.lines) + len(h.zones) for h in history] == [0, 1, 2, 2, 2, 2, 1]
    assert close_to(history[3].lines[0].points, [(360, 10), (360, 374)])
    assert history[4].zones[0].name == "dock" and history[5].zones[0].inertia == 4

    key(qtbot, win, Qt.Key.Key_L)  # a shape being drawn: Ctrl+Z cancels it first, as Esc does
    qtbot.mouseClick(tile, Qt.MouseButton.LeftButton, pos=at(tile, 10, 10))
    undo()
    assert win.editor.mode == "" and section(win) == history[-1]
    an = win.controller.pipeline.analytics
    for want in reversed(history[:-1]):
        undo()
        assert section(win) == want
        assert win.controller.cfg.analytics == want  # kept for a pipeline started later too
    qtbot.waitUntil(lambda: not an.source("clip").has_shapes, timeout=WAIT)  # the counters follow
    undo()
    assert "nothing to undo" in win.last_error
