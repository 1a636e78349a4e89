"""Shared pieces of the GUI tests: configs on the fixture checkpoint, a window fixture, waits and pixels.

Each GUI test module makes its `open_window` fixture from `window_opener`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from pipeline_media import FIXTURE_WEIGHTS, LOW_THRESHOLDS
from PyQt6.QtCore import QSettings
from PyQt6.QtGui import QImage
from PyQt6.QtWidgets import QWidget

from yolotrack.core.config import load_config, set_values
from yolotrack.detector import torch_thread
from yolotrack.ui import MainWindow
from yolotrack.ui.settings import GuiSettings
from yolotrack.ui.tile import HEADER_PX

WAIT = 60_000  # ms; generous: the CI machine is small and shared


def make_cfg(fixtures_dir: Path, tmp_path: Path, source: str, *extra: str):
    overrides = [f"model.weights={fixtures_dir / FIXTURE_WEIGHTS}", "model.imgsz=64", "ui.probe_webcams=0",
                 f"output.dir={tmp_path / 'out'}", "pipeline.stats_interval=0",
                 *(f"{k}={v}" for k, v in LOW_THRESHOLDS.items()), *extra]
    return set_values(load_config(None, overrides), {"source.uri": source})


def make_settings(tmp_path: Path) -> GuiSettings:
    return GuiSettings(QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat))


@contextmanager
def window_opener(qtbot, tmp_path: Path) -> Iterator[Callable[..., MainWindow]]:
    """`open_window(cfg, ...)`: a shown MainWindow on a temp settings file, closed after the test."""
    torch_thread.set_threads(1)  # the small CI machine: one torch thread, as the GUI tests always ran
    windows: list[MainWindow] = []

    def _open(cfg, settings: GuiSettings | None = None, resize: bool = True, **kw) -> MainWindow:
        win = MainWindow(cfg, settings=settings or make_settings(tmp_path), **kw)
        qtbot.addWidget(win)
        if resize:
            win.resize(960, 600)
        win.show()
        windows.append(win)
        return win

    try:
        yield _open
    finally:
        for w in windows:
            w.close()


def wait_frames(qtbot, win: MainWindow, n: int = 2, tracked: bool = False) -> None:
    start = win.frames_shown

    def ok() -> bool:
        r = win.shown
        if win.frames_shown - start < n or r is None:
            return False
        return not tracked or (r.detections.track_ids is not None and len(r.detections) > 0)

    qtbot.waitUntil(ok, timeout=WAIT)


def settle(qtbot, win: MainWindow) -> None:
    """Until no new frame arrives for 300 ms (frames past the detector still arrive after a pause)."""
    last = -1
    for _ in range(50):
        qtbot.wait(300)
        if win.frames_shown == last:
            return
        last = win.frames_shown


def grab_rgb(widget: QWidget) -> np.ndarray:
    img = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    w, h = img.width(), img.height()
    ptr = img.constBits()
    ptr.setsize(img.sizeInBytes())
    return np.frombuffer(ptr, np.uint8).reshape(h, img.bytesPerLine())[:, : w * 3].reshape(h, w, 3).copy()


def coloured_pixels(rgb: np.ndarray) -> int:
    """Overlay colours are saturated; the test clips are grey with one pale square."""
    return int(((rgb.max(axis=2).astype(int) - rgb.min(axis=2)) > 80).sum())


def overlay_pixels(win_or_tile) -> int:
    """Overlay colours on the selected tile (or this tile) below its header, whose state dot is coloured too."""
    tile = win_or_tile.view if isinstance(win_or_tile, MainWindow) else win_or_tile
    return coloured_pixels(grab_rgb(tile)[HEADER_PX:])


def box_edge_hits(tile, rgb: np.ndarray | None = None) -> int:
    """How many of the tile's shown tracks have their box's left or top edge drawn in their track colour
    (their global id's, in a grid of several cameras)."""
    from yolotrack.render import color_for

    rgb = grab_rgb(tile) if rgb is None else rgb
    dets = tile.shown.detections
    hits = 0
    for i in range(len(dets)):
        x1, y1, x2, y2 = dets.xyxy[i].tolist()
        key = int(dets.track_ids[i]) if dets.track_ids is not None else int(dets.class_ids[i])
        if dets.global_ids is not None and dets.global_ids[i] >= 0:  # across cameras: the object's colour
            key = int(dets.global_ids[i])
        b, g, r = color_for(key)
        want = np.array([r, g, b])
        for fx, fy in ((x1, (y1 + y2) / 2), ((x1 + x2) / 2, y1)):  # middle of the left, then the top edge
            cx, cy = tile.frame_to_widget(fx, fy)
            x, y = int(round(cx)), int(round(cy))
            if not (3 <= x < rgb.shape[1] - 3 and HEADER_PX + 3 <= y < rgb.shape[0] - 3):
                continue  # an edge on the frame's border is clipped by the tile
            patch = rgb[y - 3: y + 4, x - 3: x + 4].reshape(-1, 3).astype(int)
            if (np.abs(patch - want).sum(axis=1) < 90).any():
                hits += 1
                break
    return hits
