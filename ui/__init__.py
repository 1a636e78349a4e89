"""The PyQt6 desktop GUI (`yolotrack gui`). Qt is imported only inside this package.

    from yolotrack.ui import run_gui
    run_gui(cfg)                      # opens the window, returns the exit code

`MainWindow` wires the `CameraGrid` of `CameraTile`s, the `ControlPanel` and the `PipelineController`,
which runs every camera through one real pipeline (one batched detector) in worker threads and
hands only each camera's newest result to the UI thread.
"""

from yolotrack.ui.app import run_gui
from yolotrack.ui.controller import PipelineController
from yolotrack.ui.grid import CameraGrid
from yolotrack.ui.tile import CameraTile
from yolotrack.ui.view import VideoView, render_to_view
from yolotrack.ui.window import MainWindow

__all__ = ["CameraGrid", "CameraTile", "MainWindow", "PipelineController", "VideoView", "render_to_view", "run_gui"]
