"""The GUI's camera grid with real Qt widgets (offscreen), real generated videos and the real pipeline:
four tiles through one batched detector each drawing their own boxes, layouts, pages and focus,
cameras added and removed while the others go on, the remembered camera list, a missing camera,
looping files, shortcuts, per-camera snapshots and recordings."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

pytest.importorskip("PyQt6")
pytest.importorskip("pytestqt")

from gui_helpers import (  # noqa: E402
    WAIT,
    box_edge_hits,
    make_cfg,
    make_settings,
    overlay_pixels,
    window_opener,
)
from pipeline_media import make_video  # noqa: E402
from PyQt6.QtCore import QPoint, Qt  # noqa: E402
from PyQt6.QtWidgets import QApplication  # noqa: E402

from yolotrack.core.cameras import Camera, load_cameras  # noqa: E402
from yolotrack.core.errors import ConfigError  # noqa: E402
from yolotrack.ui.add_camera import AddCameraDialog  # noqa: E402
from yolotrack.ui.shortcuts import SHORTCUTS, ShortcutsDialog  # noqa: E402

pytestmark = pytest.mark.timeout(180)
SIZES = [(160, 120), (192, 144), (224, 168), (256, 192)]  # one per camera: a tile's frame size says whose it is


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> list[Path]:
    d = tmp_path_factory.mktemp("grid")
    return [make_video(d / f"cam{i}.mp4", n=40, size=size) for i, size in enumerate(SIZES)]


@pytest.fixture
def open_window(qtbot, tmp_path: Path):
    with window_opener(qtbot, tmp_path) as open_:
        yield open_


def grid_cfg(fixtures_dir: Path, tmp_path: Path, source: str, *extra: str):
    """Torch: the exported runtimes would export once per batch size (1 to 4 cameras ready), which a
    test of the grid does not need to wait for."""
    return make_cfg(fixtures_dir, tmp_path, source, "model.runtime=torch", *extra)


def activate(qtbot, win) -> None:
    """Window shortcuts need the window active (a real user's window is)."""
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=5000)


def cams(videos: list[Path], n: int = 4) -> list[Camera]:
    return [Camera(f"cam{i}", str(v)) for i, v in enumerate(videos[:n])]


def test_four_tiles_one_batched_detector_each_tile_draws_its_own_boxes(qtbot, open_window, fixtures_dir, tmp_path,
                                                                       videos):
    win = open_window(grid_cfg(fixtures_dir, tmp_path, "", "source.loop=true"), cameras=cams(videos))
    win.set_layout("2x2")
    tiles = win.grid.visible()
    assert [t.name for t in tiles] == ["cam0", "cam1", "cam2", "cam3"]
    qtbot.waitUntil(lambda: all(t.frames_shown >= 3 and t.shown.detections.track_ids is not None
                                and len(t.shown.detections) > 0 for t in tiles), timeout=WAIT)
    pipe = win.controller.pipeline
    assert win.controller._pipes == [pipe] and set(pipe.stats().sources) == {t.name for t in tiles}  # ONE pipeline
    s = pipe.stats()
    assert s.stages["detector"].frames < s.frames  # batches of several cameras per detector call
    positions = {(t.x(), t.y()) for t in tiles}
    assert len(positions) == 4 and len({x for x, _ in positions}) == 2 and len({y for _, y in positions}) == 2

    qtbot.waitUntil(lambda: all(t.shown.detections.global_ids is not None for t in tiles), timeout=WAIT)
    gallery = win.controller._global_ids  # `reid: auto` with a model that is not a demo one: the detector's features
    assert gallery is not None and gallery.match_thresh == win.controller.cfg.global_ids.match_thresh
    for tile, size in zip(tiles, SIZES, strict=True):
        assert tile.shown.frame.source_id == tile.name
        assert (tile.shown.detections.global_ids >= 1).all(), "one gallery labels every camera of the grid"
        assert tile.frame_size == size  # its own video, not a neighbour's
        assert box_edge_hits(tile) >= 1, f"{tile.name}: no box edge in its track colour"
        assert overlay_pixels(tile) > 30
        qtbot.waitUntil(lambda t=tile: t.state == "file" and t.fps > 0, timeout=5000)  # the HUD's next turn
        assert f"{tile.fps:.1f} fps" in tile.header_text()
    rows = [win.panel.cameras.item(i).text() for i in range(win.panel.cameras.count())]
    assert rows[0].startswith("cam0 | cam0.mp4 (file, lossless) | ") and rows[0].endswith(" fps")
    assert "per batch of 4" in win.stats_label.text() and "  " not in win.stats_label.text()


def test_layouts_pages_and_double_click_focus(qtbot, open_window, fixtures_dir, tmp_path, videos):
    win = open_window(grid_cfg(fixtures_dir, tmp_path, ""), cameras=cams(videos, 3))
    grid = win.grid
    win.set_layout("1")
    assert [t.name for t in grid.visible()] == ["cam0"] and grid.pages() == 3
    activate(qtbot, win)
    qtbot.keyClick(win, Qt.Key.Key_PageDown)
    assert [t.name for t in grid.visible()] == ["cam1"] and win.grid.current == "cam1"
    qtbot.keyClick(win, Qt.Key.Key_2)  # layout 2x2
    assert grid.layout_name == "2x2" and len(grid.visible()) == 3 and win.panel.layout_box.currentText() == "2x2"
    qtbot.waitUntil(lambda: grid.tile("cam0").isVisible() and grid.tile("cam1").width() < 0.6 * grid.width(),
                    timeout=5000)
    small = grid.tile("cam1").width()

    qtbot.mouseDClick(grid.tile("cam1"), Qt.MouseButton.LeftButton)
    assert grid.focused == "cam1" and [t.name for t in grid.visible()] == ["cam1"]
    qtbot.waitUntil(lambda: grid.tile("cam1").width() > 1.5 * small and not grid.tile("cam0").isVisible(), timeout=5000)
    qtbot.mouseDClick(grid.tile("cam1"), Qt.MouseButton.LeftButton)
    assert grid.focused is None and len(grid.visible()) == 3
    qtbot.mouseDClick(grid.tile("cam2"), Qt.MouseButton.LeftButton)
    qtbot.keyClick(win, Qt.Key.Key_Escape)  # Esc leaves the focus as well
    assert grid.focused is None
    qtbot.keyClick(win, Qt.Key.Key_3)
    assert grid.layout_name == "3x3" and grid.pages() == 1

    # a tile maps mouse positions to frame pixels and back (what a line and zone editor needs)
    tile = grid.tile("cam0")
    qtbot.waitUntil(lambda: tile.frame_size is not None, timeout=WAIT)
    wx, wy = tile.frame_to_widget(40.0, 30.0)
    fx, fy = tile.widget_to_frame(wx, wy)
    assert abs(fx - 40.0) < 1.0 and abs(fy - 30.0) < 1.0
    assert tile.widget_to_frame(-5, -5) is None


def test_cameras_added_and_removed_in_the_window_leave_the_others_running(qtbot, open_window, fixtures_dir, tmp_path,
                                                                          videos):
    win = open_window(grid_cfg(fixtures_dir, tmp_path, "", "source.loop=true"), cameras=cams(videos, 1))
    a = win.grid.tile("cam0")
    qtbot.waitUntil(lambda: a.frames_shown >= 3, timeout=WAIT)
    pipe = win.controller.pipeline

    dlg = AddCameraDialog(win.controller.cameras, ["demo"])
    dlg.source.setEditText(str(videos[1]))
    dlg.name.setText("cam0")
    with pytest.raises(ConfigError, match="used twice"):
        dlg.check()
    dlg.name.setText("")
    cam = dlg.check()
    assert cam == Camera("cam1", str(videos[1]))  # named after the source when no name is given

    assert win.add_camera(cam)
    b = win.grid.tile("cam1")
    before = a.shown.frame.index
    qtbot.waitUntil(lambda: b.frames_shown >= 3, timeout=WAIT)
    assert win.controller.pipeline is pipe  # joined the running pipeline: nothing restarted
    assert a.shown.frame.index > before  # cam0 went on (indexes never restart while it runs)

    win.grid.select("cam0")
    win.remove_selected()
    assert list(win.grid.tiles) == ["cam1"] and win.grid.current == "cam1"
    qtbot.waitUntil(lambda: set(pipe.stats().sources) == {"cam1"}, timeout=WAIT)  # it left in the background
    shown = b.frames_shown
    qtbot.waitUntil(lambda: b.frames_shown >= shown + 3, timeout=WAIT)
    assert win.controller.pipeline is pipe

    win.restart_selected()  # opened again, it starts at its first frame (the only camera: in a new pipeline)
    qtbot.waitUntil(lambda: b.shown.frame.index < 3, timeout=WAIT)


def test_the_camera_list_and_layout_are_remembered(qtbot, open_window, fixtures_dir, tmp_path, videos):
    settings = make_settings(tmp_path)
    win = open_window(grid_cfg(fixtures_dir, tmp_path, ""), settings=settings, cameras=cams(videos, 3))
    win.set_layout("3x3")
    win.close()
    saved = win.cameras_file
    assert saved.parent == tmp_path and load_cameras(saved) == cams(videos, 3)  # the `run --cameras` format

    again = open_window(grid_cfg(fixtures_dir, tmp_path, "demo"), settings=make_settings(tmp_path))
    assert [c.name for c in again.controller.cameras] == ["cam0", "cam1", "cam2"]
    assert again.grid.layout_name == "3x3" and len(again.grid.visible()) == 3
    # a source the user names on the command line wins over the remembered list
    given = open_window(grid_cfg(fixtures_dir, tmp_path, str(videos[0])), settings=make_settings(tmp_path),
                        explicit=frozenset({"source.uri"}))
    assert [c.source for c in given.controller.cameras] == [str(videos[0])]


def test_a_missing_camera_says_no_camera_and_the_others_play(qtbot, open_window, fixtures_dir, tmp_path, videos):
    cameras = [Camera("door", "63"), Camera("yard", str(videos[0]))]  # no /dev/video63 anywhere
    win = open_window(grid_cfg(fixtures_dir, tmp_path, "", "source.loop=true"), cameras=cameras)
    win.set_layout("2x2")
    door, yard = win.grid.tile("door"), win.grid.tile("yard")
    qtbot.waitUntil(lambda: door.state == "no camera", timeout=WAIT)
    assert "camera 63 could not be opened" in door.placeholder and "could not be opened" in win.last_error
    assert win.grid.current == "door" and win.source_label.text() == "door: no camera"  # not "connecting"
    qtbot.waitUntil(lambda: yard.frames_shown >= 3, timeout=WAIT)
    assert "no camera" in win.panel.cameras.item(0).text()


def test_loop_is_on_for_the_demo_and_an_ended_file_plays_again_when_loop_is_turned_on(qtbot, open_window,
                                                                                     fixtures_dir, tmp_path, videos):
    demo = open_window(grid_cfg(fixtures_dir, tmp_path, "demo"), explicit=frozenset({"source.uri"}),
                       autostart=True)
    assert demo.panel.loop.isChecked() and demo.cfg.source.loop
    demo.close()

    win = open_window(grid_cfg(fixtures_dir, tmp_path, str(videos[0]), "source.loop=false"),
                      explicit=frozenset({"source.uri", "source.loop"}))
    assert not win.panel.loop.isChecked()
    tile = win.view
    qtbot.waitUntil(lambda: tile.state == "ended" and tile.shown.frame.index == 39, timeout=WAIT)
    assert "ended" in win.source_label.text()
    win.panel.loop.setChecked(True)
    qtbot.waitUntil(lambda: tile.state == "file" and tile.shown.frame.index < 39, timeout=WAIT)


def test_shortcuts_show_in_tooltips_menus_and_help_and_ctrl_q_quits(qtbot, open_window, fixtures_dir, tmp_path):
    win = open_window(grid_cfg(fixtures_dir, tmp_path, ""), autostart=False)
    p = win.panel
    for button, action in ((p.pause_btn, "pause"), (p.step_btn, "step"), (p.snap_btn, "snapshot"),
                           (p.record_btn, "record"), (p.file_btn, "open"), (p.add_btn, "add")):
        assert f"({SHORTCUTS[action][0]})" in button.toolTip(), action
    for action_id, (key, _) in SHORTCUTS.items():
        assert win.actions_by_id[action_id].shortcut().toString() == key.replace("Esc", "Esc"), action_id
    text = ShortcutsDialog(win).table.text()
    for key, what in SHORTCUTS.values():
        assert key in text and what in text
    assert "Double-click a tile" in text

    activate(qtbot, win)
    qtbot.keyClick(win, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not win.isVisible(), timeout=5000)
    assert win.settings.get_str("layout") == "1"  # closed like the close button: settings saved


def test_snapshot_and_recording_belong_to_the_selected_camera(qtbot, open_window, fixtures_dir, tmp_path, videos):
    win = open_window(grid_cfg(fixtures_dir, tmp_path, "", "source.loop=true"), cameras=cams(videos, 2))
    win.set_layout("2x2")
    qtbot.waitUntil(lambda: all(t.frames_shown >= 2 for t in win.grid.visible()), timeout=WAIT)
    qtbot.mouseClick(win.grid.tile("cam1"), Qt.MouseButton.LeftButton)
    assert win.grid.current == "cam1" and win.grid.tile("cam1").selected
    png = win.snapshot()
    assert png.name.startswith("cam1-") and cv2.imread(str(png)).shape[:2] == (SIZES[1][1], SIZES[1][0])

    activate(qtbot, win)
    qtbot.keyClick(win, Qt.Key.Key_R)
    assert win.controller.recording("cam1") and not win.controller.recording("cam0")
    qtbot.waitUntil(lambda: (win.controller.recording_frames("cam1") or 0) >= 3, timeout=WAIT)
    win.update_hud()
    assert win.rec_label.text().startswith("REC cam1 ") and win.grid.tile("cam1").recording
    win.grid.tile("cam1").customContextMenuRequested.emit(QPoint(5, 5))  # the tile's menu opens on it
    menu = next(w for w in QApplication.topLevelWidgets() if w.metaObject().className() == "QMenu" and w.isVisible())
    assert "Stop recording" in [a.text() for a in menu.actions()]
    menu.close()
    qtbot.mouseClick(win.grid.tile("cam0"), Qt.MouseButton.LeftButton)
    assert not win.panel.record_btn.isChecked()  # the button follows the selected camera
    win.grid.select("cam1")
    assert win.panel.record_btn.isChecked()
    with qtbot.waitSignal(win.controller.recording_saved, timeout=WAIT) as saved:
        qtbot.keyClick(win, Qt.Key.Key_R)
    assert Path(saved.args[0]).name.startswith("cam1-") and Path(saved.args[0]).stat().st_size > 0


def test_the_grid_honours_the_cameras_files_links(qtbot, open_window, fixtures_dir, tmp_path, videos):
    """`gui --cameras FILE` with links: the grid's gallery knows the file's cameras and links; a camera
    added later, which the file does not name, gets no global id (as in `run --cameras`)."""
    from yolotrack.core.cameras import Link

    links = [Link("cam0", "cam1", 0.0, 5.0), Link("cam1", "cam0", 0.0, 5.0)]
    cfg = grid_cfg(fixtures_dir, tmp_path, "", "source.loop=true", "global_ids.reid=demo")  # named: not auto's choice
    win = open_window(cfg, cameras=cams(videos, 2), links=links)
    win.set_layout("2x2")
    gallery = win.controller._global_ids
    assert gallery is not None and gallery.cameras == ["cam0", "cam1"] and not gallery._every_pair
    assert gallery._hi.tolist() == [[float("-inf"), 5.0], [5.0, float("-inf")]]
    win.controller.add_camera(Camera("cam2", str(videos[2])))
    qtbot.waitUntil(lambda: len(win.grid.visible()) == 3 and all(
        t.frames_shown >= 3 and t.shown.detections.track_ids is not None and len(t.shown.detections) > 0
        for t in win.grid.visible()), timeout=WAIT)
    qtbot.waitUntil(lambda: all(t.shown.detections.global_ids is not None for t in win.grid.visible()[:2]),
                    timeout=WAIT)
    shown = {t.name: t.shown.detections for t in win.grid.visible()}
    assert (shown["cam0"].global_ids >= 1).all() and (shown["cam1"].global_ids >= 1).all()
    assert shown["cam2"].global_ids is None, "a camera the file does not name gets no global id"
    assert shown["cam0"].embeddings is not None and shown["cam0"].embeddings.shape[1] == 64  # the demo ReID
    assert win.controller._global_ids is gallery and gallery.cameras == ["cam0", "cam1"]
