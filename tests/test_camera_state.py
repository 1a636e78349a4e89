"""What the window shows of a camera (`ui.camera_state`), worked out and tested without Qt."""

from __future__ import annotations

import subprocess
import sys

from yolotrack.pipeline.stats import SourceKind, SourceState, SourceStatus
from yolotrack.ui.camera_state import camera_view


def status(state: SourceState, kind: SourceKind = SourceKind.STREAM, **kw) -> SourceStatus:
    return SourceStatus("cam", "rtsp://cam/x", kind, state=state, **kw)


def test_the_model_imports_without_qt():
    code = "import sys, yolotrack.ui.camera_state; print('PyQt6' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "False"


def test_a_live_stream_reads_its_rate_and_hides_credentials():
    v = camera_view("door", "rtsp://user:secret@cam/x", SourceKind.STREAM, True, status(SourceState.LIVE), fps=12.5)
    assert (v.state, v.kind, v.fps, v.message, v.flowing) == ("live", "stream, live", 12.5, "", True)
    assert "secret" not in v.where and v.source == v.where
    assert v.row == f"door | {v.where} (stream, live) | 12.5 fps"


def test_states_while_no_frames_flow_show_no_rate():
    down = camera_view("door", "rtsp://cam/x", SourceKind.STREAM, True,
                       status(SourceState.RECONNECTING, retry_in=2.6), fps=9.0)
    assert (down.state, down.fps, down.row.endswith("reconnecting in 3s")) == ("reconnecting in 3s", 0.0, True)
    waiting = camera_view("door", "rtsp://u:p@cam/x", SourceKind.STREAM, True, None, waiting=True)
    assert (waiting.state, waiting.message) == ("waiting for the model", "waiting for the model: rtsp://***@cam/x")
    gone = camera_view("cam0", "0", SourceKind.WEBCAM, True, None, failed="cannot open camera 0")
    assert (gone.state, gone.message, gone.flowing) == ("no camera", "cannot open camera 0", False)
    broken = camera_view("door", "rtsp://cam/x", SourceKind.STREAM, True,
                         status(SourceState.ERROR, message="gave up after 3 attempts"))
    assert (broken.state, broken.message) == ("error", "gave up after 3 attempts")


def test_a_file_at_its_end_says_ended_until_it_plays_again():
    v = camera_view("clip", "/videos/clip.mp4", SourceKind.FILE, False, None, ended=True, fps=30.0)
    assert (v.state, v.kind, v.source, v.fps) == ("ended", "file, lossless", "clip.mp4", 0.0)
    again = camera_view("clip", "/videos/clip.mp4", SourceKind.FILE, False,
                        status(SourceState.LIVE, SourceKind.FILE), ended=True, fps=30.0)
    assert (again.state, again.fps) == ("file", 30.0)
