"""GUI render + display cost per 720p frame with 30 tracks (target: <= 5 ms).

Measures, per frame: resize to the view + shared overlay (`ui.render_to_view`), wrapping it in a
QImage (`VideoView.show_image`) and the widget's paint (`repaint()`, synchronous), with the Qt
offscreen platform unless QT_QPA_PLATFORM says otherwise. Wall time and the thread's CPU time are
both printed: on a shared machine the wall time includes waiting for a core.

    .venv/bin/python benchmarks/gui_render.py [--frames 300] [--view 1280x720] [--tracks 30]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import cv2
import numpy as np
from PyQt6 import QtCore
from PyQt6.QtWidgets import QApplication

from yolotrack.core.config import RenderConfig
from yolotrack.core.detections import Detections
from yolotrack.render import Renderer
from yolotrack.ui.view import VideoView, render_to_view


def scene(n: int, tracks: int, w: int = 1280, h: int = 720, seed: int = 0):
    """Frames with `tracks` moving boxes and their trails (centre history as the tracker gives it)."""
    rng = np.random.default_rng(seed)
    base = (rng.random((h // 8, w // 8, 3)) * 255).astype(np.uint8)
    base = cv2.resize(base, (w, h), interpolation=cv2.INTER_LINEAR)
    pos = rng.random((tracks, 2)) * [w - 120, h - 160] + [10, 10]
    vel = rng.normal(0, 4, (tracks, 2))
    size = rng.random((tracks, 2)) * [60, 100] + [40, 60]
    hist: list[np.ndarray] = []
    for _ in range(n):
        pos = np.clip(pos + vel, [0, 0], [w - 110, h - 170])
        xyxy = np.concatenate([pos, pos + size], axis=1).astype(np.float32)
        hist.append((xyxy[:, :2] + xyxy[:, 2:]) / 2)
        hist = hist[-30:]
        trails = {i + 1: np.stack([p[i] for p in hist]) for i in range(tracks)}
        dets = Detections(xyxy, rng.random(tracks).astype(np.float32) * 0.5 + 0.5,
                          rng.integers(0, 80, tracks), {i: f"class{i}" for i in range(80)},
                          track_ids=np.arange(1, tracks + 1))
        yield base, dets, trails


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--tracks", type=int, default=30)
    ap.add_argument("--view", default="1280x720", help="view size WxH (the frame is 1280x720)")
    args = ap.parse_args()
    vw, vh = (int(v) for v in args.view.lower().split("x"))

    app = QApplication.instance() or QApplication(sys.argv[:1])
    view = VideoView()
    view.setFixedSize(vw, vh)
    view.show()
    app.processEvents()
    renderer = Renderer(RenderConfig(), {}, "detect")
    draw_ms, show_ms, total_ms, cpu_ms = [], [], [], []
    for i, (img, dets, trails) in enumerate(scene(args.frames + 20, args.tracks)):
        c0, t0 = time.thread_time(), time.perf_counter()
        canvas = render_to_view(img, dets, trails, renderer, (vw, vh))
        t1 = time.perf_counter()
        view.show_image(canvas, (img.shape[1], img.shape[0]))
        view.repaint()
        t2, c2 = time.perf_counter(), time.thread_time()
        if i >= 20:  # warm-up
            draw_ms.append((t1 - t0) * 1e3)
            show_ms.append((t2 - t1) * 1e3)
            total_ms.append((t2 - t0) * 1e3)
            cpu_ms.append((c2 - c0) * 1e3)

    def line(name: str, xs: list[float]) -> str:
        return (f"{name:<22} mean {statistics.fmean(xs):6.2f} ms  p50 {np.percentile(xs, 50):6.2f}  "
                f"p95 {np.percentile(xs, 95):6.2f}")

    print(f"GUI render, 1280x720 frame -> {vw}x{vh} view, {args.tracks} tracks with 30-point trails, "
          f"{args.frames} frames, platform {app.platformName()}")
    print(f"python {platform.python_version()}, PyQt6 {QtCore.PYQT_VERSION_STR} (Qt {QtCore.QT_VERSION_STR}), "
          f"opencv {cv2.__version__}, numpy {np.__version__}, {platform.machine()}, {os.cpu_count()} cpus")
    print(line("resize + overlay", draw_ms))
    print(line("QImage + paint", show_ms))
    print(line("total", total_ms))
    print(line("total CPU (thread)", cpu_ms) + "   <- cost without the wait for a shared core")
    print(f"{'total fps':<22} {1000.0 / statistics.fmean(total_ms):.0f}   load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
