"""What the window shows of each camera, worked out without Qt: the tile's header and message, the
camera list's row, the status bar's source and the window title all read one `CameraView`.

The controller knows a camera as it was asked for (`CameraSlot`: kind, policy, failed, ended, its
frame rate) and the pipeline knows its source (`SourceStatus`); `camera_view` turns both into the
words a person watching a wall of cameras reads. Pure: tested without a window.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from yolotrack.core.urls import redact
from yolotrack.pipeline.stats import SourceKind, SourceState, SourceStatus
from yolotrack.ui.hud import camera_state, kind_text

FLOWING = ("live", "file", "images")  # the states in which frames arrive (and fps means something)


@dataclass(frozen=True, slots=True)
class CameraView:
    name: str
    state: str  # one word or two: live, file, reconnecting in 3s, ended, error, no camera, ...
    kind: str  # `file, lossless`, `camera, live`, ...
    fps: float  # frames shown per second, 0 unless frames flow
    message: str  # why it failed, or what it is waiting for; empty when all is well
    source: str  # the source for people: a file's name, else the URI without credentials
    where: str  # the full source without credentials

    @property
    def flowing(self) -> bool:
        return self.state in FLOWING

    @property
    def row(self) -> str:
        """The camera list's line."""
        return f"{self.name} | {self.source} ({self.kind}) | " + (f"{self.fps:.1f} fps" if self.fps else self.state)


def camera_view(name: str, source: str, kind: SourceKind, live: bool, status: SourceStatus | None, *,
                failed: str | None = None, ended: bool = False, waiting: bool = False, fps: float = 0.0) -> CameraView:
    """One camera now. `status` is its source's in the running pipeline (None: not running); `failed`
    why it could not be opened; `ended` a file that played to its end; `waiting` no model yet; `fps`
    the rate its results reach the window."""
    if ended and (status is None or status.state is not SourceState.LIVE):
        state = "ended"
    else:
        state = camera_state(kind, status, failed, waiting)
    message = failed or (status.message if status is not None and status.state is SourceState.ERROR else "")
    if not message and state in ("connecting", "waiting for the model"):
        message = f"{state}: {redact(source)}"
    where = redact(source)
    return CameraView(name, state, kind_text(kind, live), fps if state in FLOWING else 0.0, message,
                      Path(source).name if kind is SourceKind.FILE else where, where)
