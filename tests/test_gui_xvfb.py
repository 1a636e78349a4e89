"""`yolotrack gui` in a real X server (Xvfb, xcb platform): shows the window and saves a screenshot;
Ctrl-C and SIGTERM close it cleanly.

The screenshot is kept as a test artifact in `$YOLOTRACK_TEST_ARTIFACTS` (CI uploads that folder),
else in the test's temp folder. CI installs Xvfb; there a missing binary is a failure, not a skip.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from pipeline_media import FIXTURE_WEIGHTS, LOW_THRESHOLDS, make_video, wait_for

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def xvfb_display():
    exe = shutil.which("Xvfb")
    if exe is None:
        if IN_CI:
            pytest.fail("Xvfb is not installed (apt-get install -y xvfb libxcb-icccm4 libxcb-keysyms1)")
        pytest.skip("Xvfb is not installed")
    r, w = os.pipe()
    proc = subprocess.Popen([exe, "-displayfd", str(w), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                            pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(w)
    try:
        with os.fdopen(r) as f:
            number = f.readline().strip()  # Xvfb writes the display number once it accepts clients
        assert number.isdigit(), "Xvfb did not start"
        yield f":{number}"
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.mark.timeout(180)
def test_gui_window_in_xvfb_saves_screenshot(xvfb_display, fixtures_dir, tmp_path):
    video = make_video(tmp_path / "clip.mp4", n=30, size=(320, 240))
    art_dir = Path(os.environ.get("YOLOTRACK_TEST_ARTIFACTS") or tmp_path)
    shot = art_dir / "gui_xvfb.png"
    shot.unlink(missing_ok=True)
    env = {**os.environ, "DISPLAY": xvfb_display, "QT_QPA_PLATFORM": "xcb", "OMP_NUM_THREADS": "1",
           "XDG_CONFIG_HOME": str(tmp_path / "config")}  # QSettings go to a fresh place
    cmd = [sys.executable, "-m", "yolotrack", "gui", "--source", str(video),
           "--weights", str(fixtures_dir / FIXTURE_WEIGHTS), "--imgsz", "64",
           *(f"{k}={v}" for k, v in LOW_THRESHOLDS.items()), "ui.probe_webcams=0",
           f"output.dir={tmp_path / 'out'}", "source.loop=true",
           "--screenshot", str(shot), "--frames", "5", "--timeout", "120"]
    proc = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=170)
    assert proc.returncode == 0, proc.stderr[-2000:]
    img = cv2.imread(str(shot))
    assert img is not None, f"no screenshot at {shot}"
    h, w = img.shape[:2]
    assert w >= 640 and h >= 400
    assert float(img.std()) > 10  # a real window, not a blank screen
    sat = img.max(axis=2).astype(int) - img.min(axis=2)
    assert int((sat > 80).sum()) > 100  # the overlay colours made it to the X server
    assert np.isfinite(img).all()


@pytest.mark.timeout(180)
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_ctrl_c_and_sigterm_close_the_window_cleanly(xvfb_display, fixtures_dir, tmp_path, sig):
    """Ctrl-C in the terminal used to abort (a KeyboardInterrupt escaping a Qt slot) and SIGTERM to kill."""
    video = make_video(tmp_path / "clip.mp4", n=30, size=(320, 240))
    config_home = tmp_path / "config"
    env = {**os.environ, "DISPLAY": xvfb_display, "QT_QPA_PLATFORM": "xcb", "OMP_NUM_THREADS": "1",
           "XDG_CONFIG_HOME": str(config_home)}
    cmd = [sys.executable, "-m", "yolotrack", "gui", "--source", str(video),
           "--weights", str(fixtures_dir / FIXTURE_WEIGHTS), "--imgsz", "64", "model.runtime=torch",
           *(f"{k}={v}" for k, v in LOW_THRESHOLDS.items()), "ui.probe_webcams=0",
           f"output.dir={tmp_path / 'out'}", "source.loop=true", "pipeline.stats_interval=0.5"]
    log = tmp_path / "stderr.txt"
    with open(log, "w") as err:
        proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=err)
    try:
        # frames flow through the pipeline into the window before the signal comes
        assert wait_for(lambda: re.search(r"stats: [1-9]\d* frames", log.read_text()) or proc.poll() is not None,
                        timeout=120), "no frames within 120 s"
        assert proc.poll() is None, log.read_text()[-2000:]
        proc.send_signal(sig)
        code = proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = log.read_text()
    assert code == 0, stderr[-2000:]
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    assert f"{sig.name}: closing the window" in stderr
    assert "pipeline finished" in stderr  # the pipeline was stopped and its sinks closed
    settings = config_home / "yolotrack" / "yolotrack-gui.conf"
    assert settings.is_file() and "geometry" in settings.read_text()  # settings saved on the way out
