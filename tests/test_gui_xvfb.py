"""`yolotrack gui` in a real X server (Xvfb, xcb platform): a grid of four cameras from a cameras file,
screenshot and checked for pixels tile by tile; Ctrl-C and SIGTERM close it cleanly.

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
import pytest
from pipeline_media import FIXTURE_WEIGHTS, LOW_THRESHOLDS, make_video, wait_for

from yolotrack.core.cameras import Camera, save_cameras
from yolotrack.ui.tile import HEADER_PX

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


@pytest.mark.timeout(240)
def test_gui_grid_of_four_cameras_in_xvfb_saves_a_screenshot_with_each_tile_drawn(xvfb_display, fixtures_dir,
                                                                                 tmp_path):
    sizes = [(320, 240), (288, 216), (256, 192), (320, 180)]
    cams = [Camera(f"cam{i}", str(make_video(tmp_path / f"cam{i}.mp4", n=30, size=size)))
            for i, size in enumerate(sizes)]
    save_cameras(tmp_path / "cameras.yaml", cams)
    art_dir = Path(os.environ.get("YOLOTRACK_TEST_ARTIFACTS") or tmp_path)
    shot = art_dir / "gui_xvfb.png"
    shot.unlink(missing_ok=True)
    env = {**os.environ, "DISPLAY": xvfb_display, "QT_QPA_PLATFORM": "xcb", "OMP_NUM_THREADS": "1",
           "XDG_CONFIG_HOME": str(tmp_path / "config")}  # QSettings go to a fresh place
    cmd = [sys.executable, "-m", "yolotrack", "gui", "--cameras", str(tmp_path / "cameras.yaml"),
           "--weights", str(fixtures_dir / FIXTURE_WEIGHTS), "--imgsz", "64", "model.runtime=torch",
           *(f"{k}={v}" for k, v in LOW_THRESHOLDS.items()), "ui.probe_webcams=0",
           f"output.dir={tmp_path / 'out'}", "source.loop=true",
           "--screenshot", str(shot), "--frames", "5", "--timeout", "180"]
    # the layout comes from the remembered settings: a 2x2 grid
    settings = tmp_path / "config" / "yolotrack" / "yolotrack-gui.conf"
    settings.parent.mkdir(parents=True)
    settings.write_text("[General]\nlayout=2x2\n", encoding="utf-8")
    proc = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=230)
    assert proc.returncode == 0, proc.stderr[-2000:]
    img = cv2.imread(str(shot))
    assert img is not None, f"no screenshot at {shot}"
    h, w = img.shape[:2]
    assert w >= 640 and h >= 400
    tiles = {m[0]: tuple(map(int, m[1:])) for m in
             re.findall(r"tile (\w+) at (\d+),(\d+) size (\d+)x(\d+)", proc.stderr)}
    assert sorted(tiles) == ["cam0", "cam1", "cam2", "cam3"], proc.stderr[-2000:]
    assert len({(x, y) for x, y, _, _ in tiles.values()}) == 4  # four places: a grid, not one view
    for name, (x, y, tw, th) in tiles.items():
        tile = img[y + HEADER_PX: y + th, x: x + tw]  # below the tile's header
        assert tile.shape[0] > 100 and tile.shape[1] > 150, (name, tile.shape)
        assert float(tile.std()) > 10, f"{name}: a blank tile"  # the clip is there
        sat = tile.max(axis=2).astype(int) - tile.min(axis=2)
        assert int((sat > 80).sum()) > 30, f"{name}: no overlay colours"  # its own boxes made it to the X server
        header = img[y: y + HEADER_PX, x: x + tw]
        assert int((header > 200).sum()) > 20, f"{name}: no header text"


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
