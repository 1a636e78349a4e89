"""The analytics overlay: lines with counters and occupancy-coloured zones drawn by the shared renderer,
scaled into the GUI view, and live in the real window (Qt offscreen), where the lines and zones of a
running pipeline are replaced through the API the lines/zones editor uses."""

from __future__ import annotations

import numpy as np
import pytest

from yolotrack.analytics import LineView, Overlay, ZoneView
from yolotrack.core.detections import Detections
from yolotrack.render import Renderer
from yolotrack.render.analytics import LINE_COLOR, occupancy_color

SQUARE = ((100.0, 100.0), (300.0, 100.0), (300.0, 200.0), (100.0, 200.0))


def overlay(occupancy: int) -> Overlay:
    return Overlay("0", 0, (LineView("door", (20.0, 300.0), (620.0, 300.0), 3, 1),),
                   (ZoneView("bay", SQUARE, occupancy, 7),))


def near(pixel: np.ndarray, color: tuple[int, int, int], tol: int = 40) -> bool:
    return int(np.abs(pixel.astype(int) - np.array(color)).sum()) < tol


def test_renderer_draws_lines_with_counters_and_zone_fill_by_occupancy():
    grey = np.full((400, 640, 3), 128, np.uint8)
    empty = Renderer().draw(grey, Detections.empty(), analytics=overlay(0))
    full = Renderer().draw(grey, Detections.empty(), analytics=overlay(5))
    assert near(empty[300, 200], LINE_COLOR) and near(empty[300, 450], LINE_COLOR)
    inside = (150, 250)  # clear of the tag at the top corner
    e, f = empty[inside].astype(int), full[inside].astype(int)
    green, red = np.array(occupancy_color(0)), np.array(occupancy_color(5))
    assert e[1] > e[2] and f[2] > f[1]  # green fill when empty, red when full (BGR)
    assert np.abs(e - 128).sum() > 20 and np.abs(f - 128).sum() > 30
    assert np.dot(f - 128, red - 128) > 0 and np.dot(e - 128, green - 128) > 0
    assert near(empty[50, 50], (128, 128, 128), 1)  # outside every shape: untouched
    # tags: the counters are text on a filled label near p1 (a quarter of the way) on the `out` side
    tag = empty[270:300, 120:260]
    assert (np.abs(tag.astype(int) - np.array(LINE_COLOR)).sum(axis=2) < 40).mean() > 0.3
    assert grey.mean() == 128  # a copy was drawn on


def test_render_to_view_scales_the_overlay():
    pytest.importorskip("PyQt6")
    from yolotrack.ui import render_to_view

    img = np.full((400, 640, 3), 128, np.uint8)
    canvas = render_to_view(img, Detections.empty(), None, Renderer(), (320, 200), analytics=overlay(2))
    assert canvas.shape == (200, 320, 3)
    assert near(canvas[150, 100], LINE_COLOR)  # (200, 300) in the frame is (100, 150) in the view


@pytest.mark.timeout(120)
def test_gui_shows_lines_and_zones_and_takes_live_edits(qtbot, fixtures_dir, tmp_path):
    pytest.importorskip("pytestqt")
    from pipeline_media import FIXTURE_WEIGHTS, LOW_THRESHOLDS, make_video
    from PyQt6.QtCore import QSettings
    from PyQt6.QtGui import QImage

    from yolotrack.core.config import load_config, set_values
    from yolotrack.detector import torch_thread
    from yolotrack.ui import MainWindow
    from yolotrack.ui.settings import GuiSettings

    torch_thread.set_threads(1)
    video = make_video(tmp_path / "clip.mp4", n=40, size=(320, 240))
    cfg = load_config(None, [f"model.weights={fixtures_dir / FIXTURE_WEIGHTS}", "model.imgsz=64",
                             "ui.probe_webcams=0", "pipeline.stats_interval=0", "source.loop=true",
                             *(f"{k}={v}" for k, v in LOW_THRESHOLDS.items()),
                             "analytics.lines=[{name: door, points: [[10, 225], [310, 225]]}]"])
    cfg = set_values(cfg, {"source.uri": str(video)})
    win = MainWindow(cfg, settings=GuiSettings(QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat)))
    qtbot.addWidget(win)
    win.resize(800, 600)
    win.show()

    def grab() -> np.ndarray:
        img = win.view.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
        ptr = img.constBits()
        ptr.setsize(img.sizeInBytes())
        rows = np.frombuffer(ptr, np.uint8).reshape(img.height(), img.bytesPerLine())
        return rows[:, : img.width() * 3].reshape(img.height(), img.width(), 3)[..., ::-1].copy()  # BGR

    def at(x: float, y: float) -> np.ndarray:
        wx, wy = win.view.frame_to_widget(x, y)
        return grab()[int(round(wy)), int(round(wx))]

    try:
        qtbot.waitUntil(lambda: win.shown is not None and win.shown.analytics is not None, timeout=60_000)
        assert [v.name for v in win.shown.analytics.lines] == ["door"]
        assert near(at(250, 225), LINE_COLOR, 60)
        pipe = win.controller.pipeline
        sid = win.shown.frame.source_id  # the camera's name
        assert pipe is not None and sid in pipe.counts()
        # the editor's live replacement: keep the line, add a zone below the clip's moving square
        win.controller.set_analytics({"lines": [{"name": "door", "points": [[10, 225], [310, 225]]}],
                                      "zones": [{"name": "bay",
                                                 "polygon": [[20, 130], [150, 130], [150, 210], [20, 210]]}]})
        qtbot.waitUntil(lambda: win.shown is not None and win.shown.analytics is not None
                        and len(win.shown.analytics.zones) == 1, timeout=60_000)
        z = win.shown.analytics.zones[0]
        px = at(85, 180).astype(int)  # inside the zone, below its tag
        tint = np.array(occupancy_color(z.occupancy))
        assert np.dot(px - px.mean(), tint - tint.mean()) > 0  # the fill leans to the occupancy colour
        assert {z.name for z in pipe.counts()[sid].zones} == {"bay"}
    finally:
        win.close()
