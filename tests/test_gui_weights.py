"""The GUI and `model.weights: auto` with real Qt widgets (offscreen) and a real local http.server as the
release server: a real camera offline gets the message and the offer of the demo model (and no camera
starts before), the model picker downloads with a progress dialog, and a cancelled or failed
download leaves no file."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("PyQt6")
pytest.importorskip("pytestqt")

from gui_helpers import WAIT, make_cfg, window_opener  # noqa: E402
from pipeline_media import free_port, make_video  # noqa: E402
from PyQt6.QtWidgets import QPushButton  # noqa: E402
from weights_server import WeightsServer, files_in  # noqa: E402

from yolotrack.core.cameras import Camera  # noqa: E402
from yolotrack.detector import hub  # noqa: E402

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def open_window(qtbot, tmp_path: Path):
    with window_opener(qtbot, tmp_path) as open_:
        yield open_



def test_offline_a_real_camera_gets_the_message_and_the_demo_model_on_request(qtbot, open_window, fixtures_dir,
                                                                             tmp_path, release_cache, monkeypatch):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens: as offline as it gets
    monkeypatch.setenv(hub.RELEASE_URL_ENV, url)
    video = make_video(tmp_path / "street.mp4", n=30, size=(160, 120))
    cfg = make_cfg(fixtures_dir, tmp_path, "", "model.weights=auto", "model.runtime=torch", "source.loop=true")
    win = open_window(cfg, cameras=[Camera("street", str(video))])
    qtbot.waitUntil(win.demo_btn.isVisible, timeout=WAIT)
    msg = win.last_error  # the same sentence `yolotrack run` ends with
    assert msg.startswith("could not download") and f"{url}/yolov12n.pt" in msg
    assert str(release_cache / "yolov12n.pt") in msg and "--weights demo" in msg
    assert win.controller.pipeline is None and win.controller.detector is None  # no camera runs blind
    tile = win.grid.tile("street")
    assert tile.state == "waiting for the model" and tile.frames_shown == 0
    assert files_in(release_cache) == []

    win.demo_btn.click()
    qtbot.waitUntil(lambda: tile.frames_shown >= 2, timeout=WAIT)
    assert win.controller.weights_choice.weights == "demo" and not win.demo_btn.isVisible()
    assert "demo" in win.panel.weights_label.text()


def test_the_model_picker_downloads_with_a_progress_dialog_and_cancel_or_failure_keeps_nothing(
        qtbot, open_window, fixtures_dir, tmp_path, release_cache, monkeypatch):
    with WeightsServer(tmp_path / "www", {"yolov12n.pt": fixtures_dir / "official_yolov12n.pt"}) as srv:
        cfg = make_cfg(fixtures_dir, tmp_path, "", "model.runtime=torch", "source.loop=true")
        win = open_window(cfg, cameras=[Camera("clip", str(make_video(tmp_path / "c.mp4", n=30, size=(160, 120))))])
        tile = win.grid.tile("clip")
        qtbot.waitUntil(lambda: tile.frames_shown >= 2, timeout=WAIT)
        first = win.controller.detector
        win.panel.set_release("official", "n", "detect")

        # cancelled: the dialog's Cancel stops it, nothing is kept, the model in use stays
        monkeypatch.setenv(hub.RELEASE_URL_ENV, f"{srv.url}/slow/{{name}}.pt")
        qtbot.waitUntil(win.panel.load_btn.isEnabled, timeout=WAIT)  # disabled until the GUI hears a load ended
        with qtbot.waitSignal(win.controller.download_started, timeout=WAIT) as started:
            win.panel.load_btn.click()
        assert started.args == ["yolov12n", f"{srv.url}/slow/yolov12n.pt"]
        dlg = win.download_dialog
        assert dlg is not None and dlg.isVisible() and "yolov12n" in dlg.labelText()
        qtbot.waitUntil(lambda: dlg.value() > 0, timeout=WAIT)  # progress in KB of the whole file
        assert dlg.maximum() == (fixtures_dir / "official_yolov12n.pt").stat().st_size // 1024
        cancel = next(b for b in dlg.findChildren(QPushButton) if b.text() == "Cancel")
        with qtbot.waitSignal(win.controller.download_finished, timeout=WAIT) as done:
            cancel.click()
        assert done.args == [False]
        qtbot.waitUntil(lambda: "cancelled" in win.last_error, timeout=5000)
        qtbot.waitUntil(lambda: not win.controller.loading, timeout=WAIT)
        assert files_in(release_cache) == [] and win.download_dialog is None
        assert win.controller.detector is first
        shown = tile.frames_shown
        qtbot.waitUntil(lambda: tile.frames_shown > shown, timeout=WAIT)  # the cameras never stopped

        # cut short by the server: refused, nothing kept
        monkeypatch.setenv(hub.RELEASE_URL_ENV, f"{srv.url}/short/{{name}}.pt")
        qtbot.waitUntil(win.panel.load_btn.isEnabled, timeout=WAIT)
        win.panel.load_btn.click()
        qtbot.waitUntil(lambda: "cut short" in win.last_error, timeout=WAIT)
        qtbot.waitUntil(lambda: not win.controller.loading, timeout=WAIT)
        assert files_in(release_cache) == [] and win.controller.detector is first

        # complete: downloaded once into the release_cache, loaded, and the camera runs on it
        monkeypatch.setenv(hub.RELEASE_URL_ENV, srv.url)
        qtbot.waitUntil(win.panel.load_btn.isEnabled, timeout=WAIT)
        with qtbot.waitSignal(win.controller.download_finished, timeout=WAIT) as done:
            win.panel.load_btn.click()
        assert done.args == [True]
        qtbot.waitUntil(lambda: win.controller.detector is not first and not win.controller.loading, timeout=WAIT)
        assert files_in(release_cache) == ["yolov12n.pt"]
        assert win.controller.weights_choice.weights == "yolov12n"
        # the panel learns of the new model through a queued signal, after the worker has set it
        qtbot.waitUntil(lambda: "yolov12n (detect" in win.panel.weights_label.text(), timeout=WAIT)
        shown = tile.frames_shown
        qtbot.waitUntil(lambda: tile.frames_shown > shown + 1, timeout=WAIT)
