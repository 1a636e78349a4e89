"""The PyQt6 desktop GUI (`yolotrack gui`). Qt is imported only inside this package.

    from yolotrack.ui import run_gui
    run_gui(cfg)                      # opens the window, returns the exit code

`MainWindow` wires the `CameraGrid` of `CameraTile`s, the `ControlPanel` and the `PipelineController`,
which runs every camera through one real pipeline (one batched detector) in worker threads and
hands only each camera's newest result to the UI thread. What the window shows of each camera is
worked out without Qt, in `camera_state.py`.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from yolotrack.ui.app import run_gui
    from yolotrack.ui.controller import PipelineController
    from yolotrack.ui.grid import CameraGrid
    from yolotrack.ui.tile import CameraTile
    from yolotrack.ui.view import VideoView, render_to_view
    from yolotrack.ui.window import MainWindow

# Imported on first use, so that the Qt-free modules here (camera_state.py) import without Qt.
_LAZY = {"run_gui": "app", "PipelineController": "controller", "CameraGrid": "grid", "CameraTile": "tile",
         "VideoView": "view", "render_to_view": "view", "MainWindow": "window"}

__all__ = ["CameraGrid", "CameraTile", "MainWindow", "PipelineController", "VideoView", "render_to_view", "run_gui"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f"yolotrack.ui.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'yolotrack.ui' has no attribute {name!r}")
