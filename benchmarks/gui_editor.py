"""What the GUI's line and zone editor adds per tile and frame, with 10 lines + 10 zones on a 720p camera.

- `overlay()` while nothing is edited (the shown result's overlay is used as it is),
- `overlay()` after an edit (until the pipeline's next frame: the views are built from the section),
- `paint()` of the selected zone's handles on the tile (QPainter, offscreen).

Best of `--rounds` rounds of `--n` calls each (the machine is shared: the best round is the cost).

    .venv/bin/python benchmarks/gui_editor.py [--n 5000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PyQt6.QtCore import QObject
from PyQt6.QtGui import QPainter
from PyQt6.QtWidgets import QApplication

from yolotrack.analytics import Analytics
from yolotrack.core.config import AnalyticsConfig, LineConfig, ZoneConfig
from yolotrack.ui.analytics_editor import ShapeEditor
from yolotrack.ui.tile import CameraTile


class Controller(QObject):
    """What the editor reads of `PipelineController`: the config and the cameras."""

    def __init__(self, section: AnalyticsConfig) -> None:
        super().__init__()
        self.cfg = type("Cfg", (), {"analytics": section})()
        self.cameras = ["cam"]


def best_us(fn, n: int, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - t0) / n)
    return best * 1e6


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    app = QApplication.instance() or QApplication([])
    section = AnalyticsConfig(
        lines=[LineConfig(name=f"line{i}", points=[[100 * i + 40, 20], [100 * i + 90, 700]]) for i in range(10)],
        zones=[ZoneConfig(name=f"zone{i}", polygon=[[120 * i, 300], [120 * i + 100, 300], [120 * i + 100, 420],
                                                    [120 * i, 420]]) for i in range(10)])
    editor = ShapeEditor(Controller(section), lambda *a: None)
    shown = Analytics(section).source("cam").overlay()
    assert editor.overlay("cam", shown) is shown
    unchanged = best_us(lambda: editor.overlay("cam", shown), args.n, args.rounds)
    edited = best_us(lambda: editor.overlay("cam", None), args.n, args.rounds)

    tile = CameraTile("cam")
    tile.resize(960, 562)
    tile.show_image(np.zeros((540, 960, 3), np.uint8), (1280, 720))
    editor.selected = ("zones", "zone3")
    img = tile.grab().toImage()
    painter = QPainter(img)
    paint = best_us(lambda: editor.paint(tile, painter), max(1, args.n // 5), args.rounds)
    painter.end()
    print(f"{platform.node()} {platform.processor() or platform.machine()}, load {os.getloadavg()[0]:.1f}")
    print(f"overlay(), nothing edited:   {unchanged:7.1f} us per tile and frame")
    print(f"overlay(), after an edit:    {edited:7.1f} us")
    print(f"paint(), a selected zone:    {paint:7.1f} us")
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
