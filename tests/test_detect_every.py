"""`pipeline.detect_every`: the detector on every k-th frame, the tracker's Kalman prediction in between."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from pipeline_media import LOW_THRESHOLDS, fixture_detector, make_video

from yolotrack.core.config import Config, set_values
from yolotrack.core.errors import ConfigError
from yolotrack.detector import torch_thread
from yolotrack.pipeline import Pipeline
from yolotrack.tracker import ByteTracker
from yolotrack.tracker.kalman import xyah_to_xyxy


def moving_boxes(frame: int) -> np.ndarray:
    """Two objects at constant velocity."""
    return np.array([[10 + 4 * frame, 20, 60 + 4 * frame, 120], [300 - 3 * frame, 50 + 2 * frame,
                                                                 360 - 3 * frame, 90 + 2 * frame]], float)


def test_coast_returns_the_confirmed_tracks_at_their_kalman_prediction():
    tr = ByteTracker(frame_rate=30)
    for f in range(10):
        out = tr.update(moving_boxes(f), np.array([0.9, 0.8]), np.array([1, 2]), frame_index=f)
    tr.pop_events()
    t = tr._tracks
    expect = xyah_to_xyxy(tr.kf.predict(t.mean.copy(), t.cov.copy())[0])
    coasted = tr.coast(10, names={1: "a", 2: "b"})
    assert coasted.track_ids.tolist() == out[:, 4].astype(int).tolist() == [1, 2]
    np.testing.assert_allclose(coasted.xyxy, expect, rtol=0, atol=1e-3)
    np.testing.assert_allclose(coasted.xyxy, moving_boxes(10), atol=1.0)  # constant velocity was learnt
    np.testing.assert_allclose(coasted.scores, [0.9, 0.8], atol=1e-6)
    assert coasted.class_ids.tolist() == [1, 2] and coasted.class_names == ["a", "b"]
    assert tr.pop_events() == []  # nobody is lost on a skipped frame
    tr.coast(11)
    out = tr.update(moving_boxes(12), np.array([0.9, 0.8]), np.array([1, 2]), frame_index=12)
    assert out[:, 4].astype(int).tolist() == [1, 2] and tr.pop_events() == []
    assert out[:, 7].tolist() == [0, 1]  # matched back to their detections after two skipped frames


def _removed_frame(skip: bool) -> int:
    """Frame of the `removed` event after an object vanishes; with `skip`, every other frame is coasted."""
    tr = ByteTracker(frame_rate=30, track_buffer=6)
    for f in range(5):
        tr.update(moving_boxes(f)[:1], np.array([0.9]), frame_index=f)
    for f in range(5, 40):
        if skip and f % 2:
            tr.coast(f)
        else:
            tr.update(np.zeros((0, 4)), np.zeros(0), frame_index=f)
        removed = [e.frame_index for e in tr.pop_events() if e.kind == "removed"]
        if removed:
            return removed[0]
    raise AssertionError("the lost track was never removed")


def test_skipped_frames_count_toward_the_lost_buffer():
    """The lost buffer is time, not detector calls: with every other frame skipped a track expires at the
    first detector frame once its time is up (counting detector frames only would take twice as long)."""
    every_frame = _removed_frame(skip=False)
    assert every_frame <= _removed_frame(skip=True) <= every_frame + 2


@pytest.fixture(scope="module")
def detector(fixtures_dir):
    return fixture_detector(fixtures_dir)


class CountingDetector:
    """The real detector; remembers how many frames it was given."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.names, self.task, self.kpt_shape = inner.names, inner.task, inner.kpt_shape
        self.frames = 0

    def __call__(self, images):
        self.frames += len(images)
        return self.inner(images)


def low_threshold_cfg(uri, every: int) -> Config:
    cfg = set_values(Config(), {"source.uri": uri, "pipeline.stats_interval": 0.0, "pipeline.detect_every": every})
    return set_values(cfg, {k: v for k, v in LOW_THRESHOLDS.items() if k.startswith("tracker.")})


@pytest.mark.parametrize("track_thread", [False, True])
def test_pipeline_runs_the_detector_on_every_kth_frame_and_coasts_the_rest(tmp_path, detector, track_thread):
    video = make_video(tmp_path / "a.mp4", n=24)
    counting = CountingDetector(detector)
    results = []
    Pipeline(low_threshold_cfg(str(video), 3), detector=counting, on_result=results.append,
             track_thread=track_thread).run()
    assert [r.frame.index for r in results] == list(range(24))  # a file still loses no frame
    assert counting.frames == 8
    ids = [r.detections.track_ids.tolist() for r in results]
    assert sum(map(len, ids)) > 0
    moved = []
    for i in range(24):
        if i % 3:  # skipped: the tracks of the frame before, moved by the prediction, no events
            assert ids[i] == ids[i - 1] and results[i].events == []
            assert results[i].detections.names == detector.names
            if ids[i] and i > 3:  # tracks born at frame 0 have no velocity yet
                moved.append(not np.array_equal(results[i].detections.xyxy, results[i - 1].detections.xyxy))
    assert moved and any(moved)


def test_result_trails_follow_render_trail_length_over_skipped_frames_too(tmp_path, detector):
    """The GUI's trails come from the same `TrailHistory` as the annotated video: `render.trail_length`
    points of the boxes the frame shows, coasted frames included."""
    video = make_video(tmp_path / "a.mp4", n=12)
    cfg = low_threshold_cfg(str(video), 2)
    cfg = set_values(cfg, {"render.trail_length": 3})
    results = []
    Pipeline(cfg, detector=detector, on_result=results.append).run()
    assert len(results) == 12
    drawn = 0
    for r in results:
        d = r.detections
        assert set(r.trails) == set(d.track_ids.tolist())
        centres = np.stack([(d.xyxy[:, 0] + d.xyxy[:, 2]) / 2, (d.xyxy[:, 1] + d.xyxy[:, 3]) / 2], 1)
        for tid, centre in zip(d.track_ids.tolist(), centres, strict=True):
            pts = r.trails[tid]
            assert pts.dtype == np.float32 and pts.shape[1] == 2 and 1 <= len(pts) <= 3
            np.testing.assert_allclose(pts[-1], centre, atol=1e-3)  # the newest point is this frame's box
            drawn += len(pts) == 3
    assert drawn > 0
    plain = []
    Pipeline(cfg, detector=detector, on_result=plain.append, want_trails=False).run()
    assert len(plain) == 12 and all(r.trails is None for r in plain)


def test_each_source_counts_its_own_frames(tmp_path, detector):
    a = make_video(tmp_path / "a.mp4", n=12)
    b = make_video(tmp_path / "b.mp4", n=7, size=(128, 96))
    counting = CountingDetector(detector)
    seen: dict[str, list[int]] = {"0": [], "1": []}
    Pipeline(low_threshold_cfg([str(a), str(b)], 2), detector=counting,
             on_result=lambda r: seen[r.frame.source_id].append(r.frame.index)).run()
    assert seen == {"0": list(range(12)), "1": list(range(7))}
    assert counting.frames == 6 + 4


def test_detect_every_without_the_tracker_is_a_config_error(tmp_path, detector):
    cfg = low_threshold_cfg(str(make_video(tmp_path / "a.mp4", n=3)), 2)
    cfg = set_values(cfg, {"tracker.enabled": False})
    with pytest.raises(ConfigError, match="detect_every"):
        Pipeline(cfg, detector=detector).run()
    proc = subprocess.run([sys.executable, "-m", "yolotrack", "export", str(tmp_path / "a.mp4"),
                           "pipeline.detect_every=2", "--no-track", "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "detect_every" in lines[0] and "Traceback" not in proc.stderr


@pytest.mark.timeout(600)
def test_demo_scene_tracked_with_every_second_frame_detected():
    """The bundled model on the held-out demo clip: boxes carried over skipped frames still hit the objects."""
    from yolotrack.core.assets import DEMO_GT, DEMO_VIDEO
    from yolotrack.train.demo import idf1_score, read_mot_gt

    torch_thread.set_threads(2)
    cfg = set_values(Config(), {"source.uri": str(DEMO_VIDEO), "pipeline.stats_interval": 0.0})
    tracks: dict[int, dict[int, np.ndarray]] = {}
    for every in (1, 2):
        cfg = set_values(cfg, {"pipeline.detect_every": every})
        got = tracks[every] = {}
        Pipeline(cfg, on_result=lambda r, got=got: got.__setitem__(r.frame.index, np.concatenate(
            [r.detections.track_ids[:, None].astype(float), r.detections.xyxy], 1))).run()
    gt = read_mot_gt(DEMO_GT)
    full, half = (idf1_score(gt, tracks[k], min_visibility=0.4) for k in (1, 2))
    assert half["IDF1"] >= 0.8 and half["MOTA"] >= 0.7, (full, half)
    assert half["IDF1"] >= full["IDF1"] - 0.15, (full, half)
