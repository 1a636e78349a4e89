"""Helpers for the pipeline, source, RTSP and `run` tests: tiny real media and a real RTSP server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
SYSTEM_PYTHON = "/usr/bin/python3"
SERVER_SCRIPT = Path(__file__).resolve().parent / "rtsp_server.py"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
FIXTURE_WEIGHTS = "ultralytics_yolo12n.pt"
# The fixture has random weights: its scores sit around 0.004, so thresholds go that low to get tracks.
LOW_THRESHOLDS = {"model.conf": 0.003, "tracker.track_thresh": 0.0035, "tracker.low_thresh": 0.003,
                  "tracker.new_track_thresh": 0.0036}


def model_overrides(fixtures_dir: Path, imgsz: int = 160) -> list[str]:
    """CLI arguments: the fixture checkpoint at a small size, thresholds low enough for tracks."""
    return ["--weights", str(fixtures_dir / FIXTURE_WEIGHTS), "--imgsz", str(imgsz),
            *(f"{k}={v}" for k, v in LOW_THRESHOLDS.items())]


def fixture_detector(fixtures_dir: Path, imgsz: int = 160):
    """A torch `Detector` on the fixture checkpoint, one thread, thresholds low enough for tracks."""
    from yolotrack.core.config import ModelConfig
    from yolotrack.detector import Detector, torch_thread

    torch_thread.set_threads(1)
    return Detector.from_config(ModelConfig(weights=str(fixtures_dir / FIXTURE_WEIGHTS), imgsz=imgsz,
                                            conf=LOW_THRESHOLDS["model.conf"]))


def make_video(path: Path, n: int = 30, size: tuple[int, int] = (160, 120), fps: int = 25) -> Path:
    """An H.264 MP4 with a bright square moving over a dark background (something to detect/track)."""
    w, h = size
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        s.options = {"preset": "ultrafast"}
        for i in range(n):
            img = np.full((h, w, 3), 40, np.uint8)
            x = (i * 3) % max(1, w - 40)
            img[h // 4: h // 4 + 50, x: x + 30] = (200, 180, 160)
            for p in s.encode(av.VideoFrame.from_ndarray(img, format="bgr24")):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    return path


def demo_clip(path: Path, frames: int) -> Path:
    """The first `frames` frames of the bundled demo clip (moving shapes the demo model knows), 640x384."""
    from yolotrack.core.assets import DEMO_VIDEO

    with av.open(str(DEMO_VIDEO)) as src, av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 640, 384, "yuv420p"
        for i, frame in enumerate(src.decode(video=0)):
            if i == frames:
                break
            img = frame.to_ndarray(format="bgr24")
            for p in stream.encode(av.VideoFrame.from_ndarray(img, format="bgr24")):
                out.mux(p)
        for p in stream.encode():
            out.mux(p)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gst_available() -> bool:
    if not Path(SYSTEM_PYTHON).exists():
        return False
    probe = ("import gi; gi.require_version('Gst','1.0'); gi.require_version('GstRtspServer','1.0'); "
             "from gi.repository import Gst, GstRtspServer; Gst.init(None); "
             "assert Gst.ElementFactory.find('x264enc') and Gst.ElementFactory.find('rtph264pay')")
    return subprocess.run([SYSTEM_PYTHON, "-c", probe], capture_output=True, timeout=30).returncode == 0


def require_gst() -> None:
    """Skip outside CI when Debian's GStreamer RTSP server is missing; in CI it must be there."""
    if not gst_available():
        msg = ("GStreamer RTSP server missing: apt-get install gir1.2-gst-rtsp-server-1.0 python3-gi "
               "gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly")
        if IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)


class RtspServer:
    """The GStreamer test server in a subprocess, with kill / hang / restart for the tests."""

    def __init__(self, port: int | None = None, fps: int = 15, size: str = "160x120", mount: str = "/test") -> None:
        self.port = port or free_port()
        self.fps, self.size, self.mount = fps, size, mount
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"rtsp://127.0.0.1:{self.port}{self.mount}"

    def start(self, timeout: float = 20.0) -> RtspServer:
        self.proc = subprocess.Popen(
            [SYSTEM_PYTHON, str(SERVER_SCRIPT), "--port", str(self.port), "--mount", self.mount,
             "--fps", str(self.fps), "--size", self.size],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("READY") or time.monotonic() > deadline:
            err = self.proc.stderr.read() if self.proc.poll() is not None else ""
            self.kill()
            raise RuntimeError(f"RTSP server did not start: {line!r} {err}")
        return self

    def kill(self) -> None:
        """SIGKILL: the socket closes, clients see end of stream."""
        if self.proc is not None:
            if self.proc.poll() is None:
                os.kill(self.proc.pid, signal.SIGCONT)
                self.proc.kill()
            self.proc.wait(10)
            self.proc = None

    def hang(self) -> None:
        """SIGSTOP: the socket stays open but nothing arrives; only a read timeout notices."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGSTOP)

    def __enter__(self) -> RtspServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.kill()


def cli(*args: str, stderr_path: Path | None = None) -> subprocess.Popen:
    """Start `python -m yolotrack` (the installed package) in a subprocess; stderr to a file for long runs."""
    env = dict(os.environ, OPENCV_LOG_LEVEL="ERROR", OMP_NUM_THREADS="1")
    err = open(stderr_path, "w") if stderr_path is not None else subprocess.PIPE  # noqa: SIM115
    return subprocess.Popen([sys.executable, "-m", "yolotrack", *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=err, text=True)


def wait_for(cond, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(interval)
    return bool(cond())


def sigterm_when(proc: subprocess.Popen, ready, timeout: float) -> str:
    """Wait until `ready()`, send SIGTERM, wait for the exit; returns stderr (kills the process on failure)."""
    try:
        assert wait_for(ready, timeout), proc.stderr.read() if proc.poll() is not None else "never ready"
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    return stderr
