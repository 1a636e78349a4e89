"""The desktop GUI with real Qt widgets (offscreen), the real pipeline and a fixture checkpoint."""

from __future__ import annotations

import shutil
import threading
import time
import urllib.error
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

pytest.importorskip("PyQt6")
pytest.importorskip("pytestqt")

from gui_helpers import (  # noqa: E402
    WAIT,
    box_edge_hits,
    coloured_pixels,
    grab_rgb,
    make_cfg,
    make_settings,
    overlay_pixels,
    settle,
    wait_frames,
    window_opener,
)
from pipeline_media import FIXTURE_WEIGHTS, free_port, make_video  # noqa: E402
from PyQt6.QtCore import QMimeData, QPointF, Qt, QTimer, QUrl  # noqa: E402
from PyQt6.QtGui import QDropEvent  # noqa: E402

from yolotrack.core.config import load_config  # noqa: E402
from yolotrack.core.detections import Detections  # noqa: E402
from yolotrack.render import Renderer, color_for  # noqa: E402
from yolotrack.ui import MainWindow, render_to_view  # noqa: E402
from yolotrack.ui.settings import preset_keys  # noqa: E402

pytestmark = pytest.mark.timeout(120)
VIDEO_SIZE = (320, 240)


@pytest.fixture
def open_window(qtbot, tmp_path: Path):
    with window_opener(qtbot, tmp_path) as open_:
        yield open_


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("gui") / "clip.mp4", n=40, size=VIDEO_SIZE)


def wait_shown_with(qtbot, win: MainWindow, part: str) -> None:
    """Until the frame on screen has detections that carry `part` (masks, keypoints)."""

    def ok() -> bool:
        d = win.shown.detections if win.shown is not None else None
        return d is not None and getattr(d, part) is not None and len(d) > 0

    qtbot.waitUntil(ok, timeout=WAIT)


def test_file_source_plays_and_overlay_is_drawn_where_tracks_are(qtbot, open_window, fixtures_dir, tmp_path,
                                                                  video):
    win = open_window(make_cfg(fixtures_dir, tmp_path, str(video), "source.loop=true"))
    wait_frames(qtbot, win, 3, tracked=True)
    r = win.shown
    rgb = grab_rgb(win.view)  # same UI-thread turn: the grab shows exactly `r`
    dets = r.detections
    assert set(r.trails) == set(dets.track_ids.tolist())  # the pipeline's trails, one per shown track
    assert win.view.frame_size == VIDEO_SIZE
    assert box_edge_hits(win.view, rgb) >= 1, f"no box edge in its track colour among {len(dets)} tracks"
    # the view is letterboxed inside the widget and fills one dimension
    rect = win.view.image_rect()
    assert rect.width() == win.view.width() or rect.height() == win.view.height()
    qtbot.waitUntil(lambda: "fps" in win.stats_label.text(), timeout=5000)
    name = win.grid.current
    assert win.source_label.text() == f"{name}: file"  # a file plays: its state says so, never "live"
    assert "  " not in win.stats_label.text() and "  " not in win.source_label.text()
    assert win.windowTitle() == f"yolotrack - {name}: clip.mp4 (file, lossless)"
    assert win.panel.source_info.text() == f"{name}: {video} (file, lossless)"
    tile = win.grid.tile(name)
    qtbot.waitUntil(lambda: " fps" in tile.header_text(), timeout=5000)  # its own meter, updated by the HUD timer
    assert tile.state == "file" and tile.header_text().startswith(f"{name} | file | ")

    png = win.snapshot()
    assert png is not None and png.suffix == ".png"
    assert [p.name for p in png.parent.iterdir()] == [png.name]  # written beside, renamed, nothing left over
    snap = cv2.imread(str(png))
    assert snap.shape[:2] == (VIDEO_SIZE[1], VIDEO_SIZE[0])
    assert coloured_pixels(snap[..., ::-1]) > 50  # the overlay is in the snapshot


def test_confidence_slider_changes_drawn_boxes(qtbot, open_window, fixtures_dir, tmp_path, video):
    win = open_window(make_cfg(fixtures_dir, tmp_path, str(video), "source.loop=true"))
    win.panel.tracker.setChecked(False)  # every detection is drawn: boxes follow conf directly
    qtbot.waitUntil(lambda: win.shown is not None and win.shown.detections.track_ids is None, timeout=WAIT)
    qtbot.waitUntil(lambda: win.shown is not None and len(win.shown.detections) > 3, timeout=WAIT)
    many = len(win.shown.detections)
    assert overlay_pixels(win) > 200

    win.panel.conf.slider.setValue(990)  # 0.99: random weights never score that high
    assert win.panel.conf.label.text() == "0.990"
    qtbot.waitUntil(lambda: win.shown is not None and len(win.shown.detections) == 0, timeout=WAIT)
    assert overlay_pixels(win) < 20

    win.panel.conf.slider.setValue(3)
    qtbot.waitUntil(lambda: win.shown is not None and len(win.shown.detections) > 0, timeout=WAIT)
    assert many > 0

    # class filter: search, untick what matches; the filter applies when drawing
    classes = win.panel.classes
    assert classes.list.count() == 80
    classes.search.setText("1")
    hidden = [classes.list.item(i).isHidden() for i in range(80)]
    assert any(hidden) and not all(hidden)
    with qtbot.waitSignal(classes.changed, timeout=5000) as sig:
        classes.none_btn.click()
    excluded = {i for i in range(80) if "1" in f"{i}: {i}"}
    assert sig.args[0] == sorted(set(range(80)) - excluded)

    assert win.controller.classes == sorted(set(range(80)) - excluded)

    # paused, a change of the class filter redraws the frame on screen at once, in both directions
    classes.search.setText("")
    classes.all_btn.click()
    qtbot.keyClick(win, Qt.Key.Key_Space)
    settle(qtbot, win)
    idx, shown = win.shown.frame.index, win.frames_shown
    assert len(win.shown.detections) > 0 and overlay_pixels(win) > 200
    classes.none_btn.click()
    assert overlay_pixels(win) < 20
    classes.all_btn.click()
    assert overlay_pixels(win) > 200
    assert win.shown.frame.index == idx and win.frames_shown == shown  # no new frame was needed


def test_pause_step_and_record_mp4(qtbot, open_window, fixtures_dir, tmp_path, video):
    win = open_window(make_cfg(fixtures_dir, tmp_path, str(video), "source.loop=true"))
    wait_frames(qtbot, win, 2)

    win.activateWindow()
    qtbot.keyClick(win, Qt.Key.Key_R)  # the shortcut
    name = win.grid.current
    assert win.controller.recording(name) and win.panel.record_btn.isChecked()
    qtbot.waitUntil(lambda: (win.controller.recording_frames(name) or 0) >= 4, timeout=WAIT)
    with qtbot.waitSignal(win.controller.recording_saved, timeout=WAIT) as saved:
        qtbot.keyClick(win, Qt.Key.Key_R)
    path = Path(saved.args[0])
    assert path.is_file() and path.suffix == ".mp4" and path.name.startswith(f"{name}-")
    with av.open(str(path)) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(frames) >= 4
    assert frames[0].shape == (VIDEO_SIZE[1], VIDEO_SIZE[0], 3)
    assert max(coloured_pixels(f) for f in frames) > 50  # annotated, not the raw clip

    qtbot.keyClick(win, Qt.Key.Key_Space)
    assert win.panel.pause_btn.isChecked()
    qtbot.waitUntil(lambda: win.controller.paused, timeout=5000)
    settle(qtbot, win)
    assert win.shown is win.controller.pipeline.latest()  # the view shows the newest result
    assert not win.controller.fresh_results()
    idx = win.shown.frame.index
    shown = win.frames_shown
    qtbot.wait(500)
    assert win.shown.frame.index == idx and win.frames_shown == shown  # paused means paused

    win.panel.step_btn.click()
    qtbot.waitUntil(lambda: win.shown.frame.index != idx, timeout=WAIT)
    assert win.shown.frame.index == idx + 1
    qtbot.wait(500)
    assert win.shown.frame.index == idx + 1  # one step is one frame

    qtbot.keyClick(win, Qt.Key.Key_Space)
    assert not win.panel.pause_btn.isChecked()
    qtbot.waitUntil(lambda: win.shown.frame.index > idx + 2, timeout=WAIT)

    qtbot.keyClick(win, Qt.Key.Key_F)
    qtbot.waitUntil(win.isFullScreen, timeout=5000)
    qtbot.keyClick(win, Qt.Key.Key_F)
    qtbot.waitUntil(lambda: not win.isFullScreen(), timeout=5000)


def test_bad_rtsp_url_shows_reconnecting_and_ui_stays_responsive(qtbot, open_window, fixtures_dir, tmp_path):
    cfg = make_cfg(fixtures_dir, tmp_path, "", "source.reconnect.initial_delay=1.0", "source.timeout=1.0")
    win = open_window(cfg)
    url = f"rtsp://127.0.0.1:{free_port()}/nothing-here"
    win.panel.url.setEditText(url)
    win.panel.url_btn.click()
    qtbot.waitUntil(lambda: "reconnecting" in win.source_label.text(), timeout=WAIT)
    assert win.grid.tile(win.grid.current).state.startswith("reconnecting")
    assert win.settings.get_list("recent_urls")[0] == url

    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    qtbot.wait(1500)
    timer.stop()
    gaps = np.diff(ticks)
    assert len(ticks) > 50, f"the event loop ticked only {len(ticks)} times in 1.5 s"
    assert gaps.max() < 0.25, f"the event loop stalled for {gaps.max() * 1000:.0f} ms"
    assert win.source_label.text().split(": ", 1)[1].startswith(("reconnecting", "connecting"))


def test_closing_mid_stream_stops_all_threads_within_2s(qtbot, open_window, fixtures_dir, tmp_path, video):
    before = {t.ident for t in threading.enumerate()}
    win = open_window(make_cfg(fixtures_dir, tmp_path, str(video), "source.loop=true"))
    wait_frames(qtbot, win, 2)
    assert win.controller.running
    t0 = time.monotonic()
    win.close()

    def ours() -> list[str]:
        return [t.name for t in threading.enumerate() if t.ident not in before and t.is_alive()]

    while ours() and time.monotonic() - t0 < 2.0:
        time.sleep(0.02)
    elapsed = time.monotonic() - t0
    assert not ours(), f"threads still alive {elapsed:.2f} s after close: {ours()}"
    assert elapsed <= 2.0
    assert not win.controller.running


def test_settings_persist_and_file_drop_opens_source(qtbot, open_window, fixtures_dir, tmp_path, video):
    settings = make_settings(tmp_path)
    win = open_window(make_cfg(fixtures_dir, tmp_path, ""), settings=settings, autostart=False)
    assert win.view.frame_size is None
    md = QMimeData()
    md.setUrls([QUrl.fromLocalFile(str(video))])
    drop = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, md, Qt.MouseButton.NoButton,
                      Qt.KeyboardModifier.NoModifier)
    win.dropEvent(drop)
    wait_frames(qtbot, win, 1)
    assert [c.source for c in win.controller.cameras] == [str(video)]

    win.panel.conf.set_value(0.42)
    win.panel.trails.setChecked(False)
    win.panel.release.setCurrentText("ultralytics")
    win.panel.scale.setCurrentText("s")
    win.resize(700, 520)
    win.close()

    again = open_window(make_cfg(fixtures_dir, tmp_path, ""), settings=make_settings(tmp_path), autostart=False,
                        resize=False)
    assert again.panel.conf.value() == pytest.approx(0.42)
    assert not again.panel.trails.isChecked() and not again.renderer.cfg.trails
    assert again.panel.scale.currentText() == "s" and again.panel.release.currentText() == "ultralytics"
    assert (again.width(), again.height()) == (700, 520)


def test_config_preset_and_overrides_win_over_remembered_settings(qtbot, open_window, fixtures_dir, tmp_path):
    settings = make_settings(tmp_path)
    for key, value in (("conf", 0.42), ("iou", 0.8), ("trails", False), ("tracker", False), ("scale", "x")):
        settings.set(key, value)
    settings.sync()
    preset = tmp_path / "preset.yaml"
    preset.write_text("model:\n  iou: 0.33\n  scale: s\ntracker:\n  enabled: true\n", encoding="utf-8")
    overrides = [f"model.weights={fixtures_dir / FIXTURE_WEIGHTS}", "model.imgsz=64", "ui.probe_webcams=0",
                 f"output.dir={tmp_path / 'out'}", "render.trails=true"]
    cfg = load_config(str(preset), overrides)
    explicit = preset_keys(str(preset)) | {"render.trails"}  # what `yolotrack gui` passes
    assert {"model.iou", "model.scale", "tracker.enabled"} <= explicit and "model.conf" not in explicit
    win = open_window(cfg, settings=settings, explicit=explicit, autostart=False)
    assert win.cfg.model.iou == pytest.approx(0.33) and win.panel.iou.value() == pytest.approx(0.33)
    assert win.cfg.tracker.enabled and win.panel.tracker.isChecked()
    assert win.cfg.render.trails and win.panel.trails.isChecked() and win.renderer.cfg.trails
    assert win.panel.scale.currentText() == "s"
    # what the user did not specify is still filled from the remembered values
    assert win.cfg.model.conf == pytest.approx(0.42) and win.panel.conf.value() == pytest.approx(0.42)
    # without explicit keys the remembered values apply as before
    plain = open_window(make_cfg(fixtures_dir, tmp_path, ""), settings=make_settings(tmp_path), autostart=False)
    assert plain.panel.iou.value() == pytest.approx(0.8) and not plain.panel.tracker.isChecked()


def test_preset_keys_name_the_dotted_keys_a_preset_sets() -> None:
    keys = preset_keys("webcam")
    assert {"source.uri", "model.imgsz"} <= keys and "source" not in keys
    assert preset_keys(None) == frozenset()


def test_errors_go_to_the_status_bar(qtbot, open_window, fixtures_dir, tmp_path):
    win = open_window(make_cfg(fixtures_dir, tmp_path, str(tmp_path / "missing.mp4")))
    qtbot.waitUntil(lambda: "not found" in win.last_error, timeout=WAIT)
    qtbot.waitUntil(lambda: win.view.state == "error", timeout=5000)  # the tile says so, not "connecting"
    assert "not found" in win.view.placeholder
    win.load_model(str(tmp_path / "nope.pt"))
    qtbot.waitUntil(lambda: "cannot load model" in win.last_error, timeout=WAIT)
    qtbot.waitUntil(lambda: not win.panel.busy.isVisible(), timeout=WAIT)
    assert win.isVisible()


def test_render_to_view_scales_boxes_masks_and_keypoints() -> None:
    img = np.full((720, 1280, 3), 30, np.uint8)
    masks = np.zeros((1, 720, 1280), bool)
    masks[0, 100:300, 200:400] = True
    kpts = np.zeros((1, 17, 3), np.float32)
    kpts[0, :, 0], kpts[0, :, 1], kpts[0, :, 2] = 300, 200, 1.0
    dets = Detections(np.array([[200, 100, 400, 300]], np.float32), np.array([0.9], np.float32),
                      np.array([0]), {0: "person"}, masks=masks, keypoints=kpts, track_ids=np.array([7]))
    out = render_to_view(img, dets, {7: np.array([[100, 100], [300, 200]], np.float32)}, Renderer(), (640, 480))
    assert out.shape == (360, 640, 3)
    assert (img == 30).all()  # the shared frame is never drawn on
    c = np.array(color_for(7))
    box_edge = out[100, 100 - 1: 100 + 2].astype(int)  # left edge at x=100 in the half-size view
    assert (np.abs(box_edge - c).sum(axis=1) < 60).any()
    inside = out[100, 150].astype(int)  # mask tint inside the box
    assert not (inside == 30).all()


def test_model_switch_reloads_in_background_with_busy_indicator(qtbot, open_window, fixtures_dir, tmp_path, video):
    win = open_window(make_cfg(fixtures_dir, tmp_path, str(video), "source.loop=true"))
    wait_frames(qtbot, win, 2)
    assert win.renderer.task == "detect"
    with qtbot.waitSignal(win.controller.model_loading, timeout=5000) as busy:
        win.load_model(str(fixtures_dir / "ultralytics_yolo12n-seg.pt"))
    assert busy.args == [True]
    assert win.panel.busy.isVisible() or not win.controller.loading
    qtbot.waitUntil(lambda: not win.panel.busy.isVisible() and win.renderer.task == "segment", timeout=WAIT)

    wait_shown_with(qtbot, win, "masks")
    assert win.shown.detections.masks.shape[1:] == (VIDEO_SIZE[1], VIDEO_SIZE[0])
    assert "segment" in win.panel.weights_label.text()


def test_webcam_probe_runs_in_the_background(qtbot, open_window, fixtures_dir, tmp_path):
    from yolotrack.ui.webcams import probe_webcams

    win = open_window(make_cfg(fixtures_dir, tmp_path, ""), autostart=False)
    with qtbot.waitSignal(win.prober.found, timeout=WAIT) as found:
        win.panel.probe_btn.click()
    cams = found.args[0]
    assert cams == probe_webcams(10)
    assert win.panel.webcams.count() == len(cams)
    if not cams:
        assert win.panel.webcams.placeholderText() == "no camera found"


def test_gui_command_without_a_display_is_one_clear_error(monkeypatch, capsys) -> None:
    from yolotrack import main
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert main.main(["gui", "--source", "demo"]) == 2
    err = capsys.readouterr().err
    assert "no display" in err and "Traceback" not in err


def offered_choices(panel) -> list[tuple[str, str, str]]:
    """Every (release, scale, task) the model picker lets the user choose, read from its widgets."""
    out = []
    for r in range(panel.release.count()):
        panel.release.setCurrentIndex(r)
        for s in range(panel.scale.count()):
            panel.scale.setCurrentIndex(s)
            for t in range(panel.task.count()):
                panel.task.setCurrentIndex(t)
                out.append((panel.release.currentText(), panel.scale.currentText(), panel.task.currentText()))
    return out


# the fixture checkpoint standing in for each release's download, where one exists (scale n only)
FIXTURE_RELEASES = {"yolov12n": "official_yolov12n.pt", "yolov12n-seg": "official_yolov12n-seg.pt",
                    "yolo12n": "ultralytics_yolo12n.pt"}


def test_every_model_choice_is_a_published_release_and_loads_or_names_its_url(
        qtbot, open_window, fixtures_dir, tmp_path, monkeypatch):
    from yolotrack.detector import hub

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    cache = tmp_path / "cache" / "yolotrack"
    cache.mkdir(parents=True)
    for name, fixture in FIXTURE_RELEASES.items():  # as if downloaded before; the rest must try the network
        shutil.copyfile(fixtures_dir / fixture, cache / f"{name}.pt")

    def offline(*a, **k):
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setattr(hub.urllib.request, "urlopen", offline)
    win = open_window(make_cfg(fixtures_dir, tmp_path, "", "model.runtime=torch"), autostart=False)
    qtbot.waitUntil(lambda: win.controller.detector is not None, timeout=WAIT)
    choices = offered_choices(win.panel)
    assert len(choices) == len(set(choices)) == 15 and not any(task == "pose" for *_, task in choices)

    names = set()
    for release, scale, task in choices:
        win.panel.set_release(release, scale, task)
        # the button is disabled while a load runs, until the GUI thread hears the last one finished
        qtbot.waitUntil(win.panel.load_btn.isEnabled, timeout=WAIT)
        with qtbot.waitSignal(win.panel.model_chosen, timeout=5000) as chosen:
            win.panel.load_btn.click()
        name = chosen.args[0]
        names.add(name)
        url = hub.release_url(name)
        assert url is not None and url.endswith(f"/{name}.pt"), (release, scale, task, name)
        if name in FIXTURE_RELEASES:
            qtbot.waitUntil(lambda n=name: win.cfg.model.weights == n and not win.controller.loading
                            and f"{n} (" in win.panel.weights_label.text(), timeout=WAIT)
            assert win.renderer.task == task
        else:
            qtbot.waitUntil(lambda u=url: u in win.last_error, timeout=WAIT)
            assert "cannot load model" in win.last_error
            qtbot.waitUntil(lambda: not win.controller.loading, timeout=WAIT)
    assert names == set(hub._URLS)  # the picker offers every release the hub knows, each once


def test_pose_weights_file_draws_skeletons(qtbot, open_window, fixtures_dir, tmp_path, video):
    win = open_window(make_cfg(fixtures_dir, tmp_path, str(video), "source.loop=true", "model.runtime=torch"))
    wait_frames(qtbot, win, 1)
    win.panel.tracker.setChecked(False)  # the random pose fixture scores below the tracker's thresholds
    win.panel.conf.set_value(0.001)
    win.load_model(str(fixtures_dir / "ultralytics_yolo12n-pose.pt"))
    qtbot.waitUntil(lambda: win.renderer.task == "pose", timeout=WAIT)

    wait_shown_with(qtbot, win, "keypoints")
    assert win.shown.detections.keypoints.shape[1:] == (17, 3)
    assert "pose" in win.panel.weights_label.text()


def test_demo_with_pose_draws_the_demo_skeletons_offline(qtbot, open_window, fixtures_dir, tmp_path):
    """`gui --source demo` with model.task=pose: auto picks the bundled pose demo, whose keypoint
    layout (centre + corners, spokes) reaches the renderer, and its limbs are drawn."""
    from yolotrack.train.shape_keypoints import KEYPOINT_NAMES, SKELETON

    cfg = make_cfg(fixtures_dir, tmp_path, "demo", "source.loop=true", "model.weights=auto", "model.task=pose",
                   "model.imgsz=640", "model.conf=0.3", "tracker.track_thresh=0.3", "tracker.new_track_thresh=0.4")
    win = open_window(cfg)
    qtbot.waitUntil(lambda: win.renderer.keypoints is not None, timeout=WAIT * 3)  # the model has loaded
    assert win.renderer.keypoints.names == KEYPOINT_NAMES and win.renderer.keypoints.limbs == SKELETON
    assert "demo-pose" in win.panel.weights_label.text()
    wait_shown_with(qtbot, win, "keypoints")
    r = win.shown
    dets = r.detections
    assert dets.keypoints.shape[1:] == (6, 3)
    out = win.renderer.draw(r.frame.image, dets)
    drawn = 0
    for i in range(len(dets)):
        kp = dets.keypoints[i]
        for a, b in SKELETON:
            if kp[a, 2] >= 0.5 and kp[b, 2] >= 0.5 and np.hypot(*(kp[a, :2] - kp[b, :2])) > 8:
                x, y = np.round((kp[a, :2] + kp[b, :2]) / 2).astype(int)  # the middle of a spoke
                near = out[max(0, y - 1): y + 2, max(0, x - 1): x + 2].reshape(-1, 3).astype(int)
                # anti-aliased one-pixel limbs: some pixel there is (close to) the track's colour
                drawn += bool((np.abs(near - win.renderer.color(dets, i)).sum(1) < 40).any())
    assert drawn >= 3


def filter_in_use(win: MainWindow) -> list[int] | None:
    """The detector's class filter as its next frame sees it (thresholds apply at the next call)."""
    det = win.controller.detector
    det([np.zeros((64, 64, 3), np.uint8)])
    return det.classes


def test_class_filter_from_the_config_and_a_model_without_those_classes(qtbot, open_window, fixtures_dir, tmp_path):
    from yolotrack.detector import build_model, save_checkpoint

    win = open_window(make_cfg(fixtures_dir, tmp_path, "", "model.classes=[3,5]", "model.runtime=torch"),
                      autostart=False)
    qtbot.waitUntil(lambda: win.panel.classes.list.count() == 80, timeout=WAIT)
    assert win.panel.classes.selected() == [3, 5] and win.controller.classes == [3, 5]
    assert filter_in_use(win) is None  # the detector sees every class: the filter applies after the tracker

    three = save_checkpoint(build_model("n", nc=3, family="v1", names={0: "a", 1: "b", 2: "c"}).eval(),
                            tmp_path / "three.safetensors")
    win.load_model(str(three))  # has no class 3 or 5: loads anyway, with every class shown
    qtbot.waitUntil(lambda: win.panel.classes.list.count() == 3, timeout=WAIT)
    assert "class filter ignored" in win.last_error
    assert win.panel.classes.selected() is None and win.controller.classes is None
