"""Camera groups without Ray: grouping, per-camera filters and trackers, resume points, the outbox,
and `run --cameras --out` as a real subprocess."""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest
from pipeline_media import (
    FIXTURE_WEIGHTS,
    IN_CI,
    cli,
    fixture_detector,
    free_port,
    make_video,
    model_overrides,
    sigterm_when,
)

from yolotrack.cluster.camera_tracker import CameraTracker, checkpoint_period
from yolotrack.cluster.group_pipeline import build_group_pipeline
from yolotrack.cluster.groups import plan_groups
from yolotrack.cluster.records import FrameRecord, Resume
from yolotrack.cluster.unacked import UnackedRecords
from yolotrack.core.cameras import Camera, save_cameras
from yolotrack.core.config import Config, set_values
from yolotrack.core.detections import Detections
from yolotrack.core.errors import ConfigError
from yolotrack.pipeline.sources import open_source


def cams(*specs: tuple[str, dict]) -> list[Camera]:
    return [Camera(name, f"/data/{name}.mp4", overrides) for name, overrides in specs]


def test_groups_split_on_network_keys_and_group_size_but_not_on_thresholds() -> None:
    cameras = cams(("a", {}), ("b", {"model.conf": 0.5, "model.classes": [0]}), ("c", {"model.imgsz": 320}),
                   ("d", {"tracker.track_buffer": 90, "source.realtime": True}), ("e", {"model.classes": [2, 0]}))
    groups = plan_groups(cameras, Config(), group_size=3)
    assert [g.names for g in groups] == [["a", "b", "d"], ["e"], ["c"]]
    g = groups[0]
    assert g.config.model.conf == 0.25 and g.config.model.classes is None  # lowest conf, a keeps every class
    assert g.configs["b"].model.conf == 0.5 and g.configs["d"].tracker.track_buffer == 90
    assert plan_groups(cameras[1:2] + cameras[4:], Config())[0].config.model.classes == [0, 2]
    with pytest.raises(ConfigError, match="camera x: pipeline.detect_every > 1 needs tracker.enabled"):
        plan_groups(cams(("x", {"pipeline.detect_every": 2, "tracker.enabled": False})), Config())


def test_group_detector_pools_embeddings_when_a_camera_matches_on_appearance(fixtures_dir, tmp_path) -> None:
    clip = make_video(tmp_path / "a.mp4", n=2)
    base = set_values(Config(), {"model.weights": str(fixtures_dir / FIXTURE_WEIGHTS), "model.imgsz": 64,
                                 "model.runtime": "torch", "global_ids.enabled": False})
    plain = [Camera("a", str(clip))]
    seeing = plain + [Camera("b", str(clip), {"tracker.botsort.appearance": True})]

    def no_sinks(info):
        return []

    assert not build_group_pipeline(plan_groups(plain, base)[0], no_sinks).detector.embeddings
    assert build_group_pipeline(plan_groups(seeing, base)[0], no_sinks).detector.embeddings
    with_ids = set_values(base, {"global_ids.enabled": True, "global_ids.reid": "none"})  # on the same features
    assert build_group_pipeline(plan_groups(plain, with_ids)[0], no_sinks).detector.embeddings
    on_reid = set_values(base, {"global_ids.enabled": True, "global_ids.reid": "demo"})  # the ReID network gives them
    assert not build_group_pipeline(plan_groups(plain, on_reid)[0], no_sinks).detector.embeddings
    auto = set_values(base, {"global_ids.enabled": True})  # `reid: auto` with a model that is not a demo one: pooled
    assert build_group_pipeline(plan_groups(plain, auto)[0], no_sinks).detector.embeddings


def test_camera_tracker_with_reid_embeds_tracked_boxes_and_stays_resumable() -> None:
    from yolotrack.tracker.reid_tracker import ReidTracker

    cfg = set_values(Config(), {"model.weights": "demo"})  # `reid: auto` with the demo model: the demo ReID network
    dets = Detections(np.array([[0, 0, 30, 30], [50, 50, 90, 90]], np.float32), np.array([0.9, 0.8], np.float32),
                      np.array([0, 1]))
    image = np.full((120, 160, 3), 90, np.uint8)
    t = CameraTracker("a", cfg, None, 25)
    assert isinstance(t.tracker, ReidTracker) and t.resumable
    out = t.update_detections(dets, 0, image=image)
    assert out.track_ids.tolist() == [1, 2] and out.embeddings is not None and out.embeddings.shape == (2, 64)
    assert np.allclose(np.linalg.norm(out.embeddings, axis=1), 1.0, atol=1e-6)
    state = t.tracker.state()
    t2 = CameraTracker("a", cfg, None, 25, state=state, next_id=3, id_floor_from=1)
    assert t2.resumable and t2.tracker.state()["next_id"] == state["next_id"]
    plain = CameraTracker("a", set_values(cfg, {"global_ids.reid": "none"}), None, 25)
    assert not isinstance(plain.tracker, ReidTracker)
    real = CameraTracker("a", set_values(cfg, {"model.weights": "yolov12n"}), None, 25)  # auto, a COCO model
    assert not isinstance(real.tracker, ReidTracker)


def test_camera_tracker_filters_per_camera_and_never_gives_an_id_below_the_floor() -> None:
    cfg = set_values(Config(), {"model.conf": 0.5})
    dets = Detections(np.array([[0, 0, 10, 10], [20, 20, 40, 40], [50, 50, 70, 90]], np.float32),
                      np.array([0.9, 0.3, 0.8], np.float32), np.array([0, 0, 1]))
    untracked = set_values(Config(), {"model.conf": 0.5, "tracker.enabled": False})
    out = CameraTracker("a", untracked, [1], 25).update_detections(dets, 0)
    assert out.scores.tolist() == pytest.approx([0.8]) and out.track_ids is None
    t = CameraTracker("a", cfg, None, 25, next_id=40, id_floor_from=3)
    first = t.update_detections(dets, 0)  # before the floor: a replayed frame, ids as the original run gave
    assert first.track_ids.tolist() == [1, 2]
    t.pop_events()
    t.update_detections(dets, 1)
    moved = Detections(dets.xyxy + 200, dets.scores, dets.class_ids)  # new objects at frame 3
    for i in range(2, 6):
        t.update_detections(moved, i)
    new = [e.track_id for e in t.pop_events() if e.kind == "new"]
    assert new and min(new) >= 40
    assert checkpoint_period(25, 1) == 25 and checkpoint_period(25, 2) == 26 and checkpoint_period(1, 3) == 3


def test_resumed_file_camera_goes_on_exactly_as_an_uninterrupted_run(tmp_path, fixtures_dir) -> None:
    """The commit point is frame 33, the newest checkpoint frame 29: frames 30-33 are tracked again
    unseen and 34.. come out as they did without the interruption (same ids, same smoothed boxes,
    which a tracker started afresh would not give)."""
    video = make_video(tmp_path / "a.mp4", n=60)
    base = set_values(Config(), {"tracker.track_thresh": 0.0035, "tracker.low_thresh": 0.003,
                                 "tracker.new_track_thresh": 0.0036, "pipeline.stats_interval": 0, "model.conf": 0.003})
    (group,) = plan_groups([Camera("a", str(video))], base)
    detector = fixture_detector(fixtures_dir)

    def run(resume=None):
        got: dict[int, tuple] = {}
        checkpoints: dict[int, dict] = {}

        class Collect:
            name = "collect"

            def open(self, info): pass

            def write(self, frame, dets, events):
                got[frame.index] = (dets.track_ids.tolist(), dets.xyxy.round(3).tolist(),
                                    [(e.kind, e.track_id) for e in events])

            def close(self): return []

            def abort(self): pass

        pipe = build_group_pipeline(group, lambda info: [Collect()], detector=detector, resume=resume,
                                    checkpoint_every=10, on_checkpoint=lambda c, i, s: checkpoints.__setitem__(i, s))
        pipe.run()
        return got, checkpoints

    full, checkpoints = run()
    assert sorted(full) == list(range(60)) and sorted(checkpoints) == [9, 19, 29, 39, 49, 59]
    max_id = max(max(full[i][0], default=0) for i in range(34))
    resumed, _ = run({"a": Resume(after=33, checkpoint_index=29, state=checkpoints[29], next_id=max_id + 1)})
    assert sorted(resumed) == list(range(30, 60))
    assert full[0][2] and sum(len(full[i][0]) for i in range(34, 60)) > 30
    assert {i: resumed[i] for i in range(34, 60)} == {i: full[i] for i in range(34, 60)}


def test_sources_resume_after_a_commit_point(tmp_path) -> None:
    video = make_video(tmp_path / "a.mp4", n=20)
    src = open_source(str(video), source_id="a")
    src.resume_after(11, 99.0)
    with src:
        frames = list(src)
    assert [f.index for f in frames] == list(range(12, 20)) and frames[0].timestamp == pytest.approx(12 / 25)
    live = open_source("synthetic:testsrc2=size=64x48:rate=50", source_id="b")
    live.resume_after(41, 10.0)
    with live:
        it = iter(live)
        got = [next(it) for _ in range(3)]
    assert [f.index for f in got] == [42, 43, 44] and 10.0 <= got[0].timestamp < got[2].timestamp < 10.5


def record(cam: str, index: int) -> FrameRecord:
    return FrameRecord(cam, index, index / 25, 25.0, 4, 4, Detections.empty(), [])


def test_outbox_resends_until_acknowledged_skips_replays_and_holds_writers_back() -> None:
    box = UnackedRecords(capacity=3, skip={"a": 1})
    box.checkpoint("a", 2, {"next_id": 5})
    for i in range(3):
        box.put(record("a", i))  # 0 and 1 were written before the restart: not sent again
    box.put(record("b", 0))
    first = box.poll({}, timeout=0.1, finished=lambda: False)
    assert [(r.camera, r.index) for r in first] == [("a", 2), ("b", 0)] and first[0].checkpoint == {"next_id": 5}
    again = box.poll({}, timeout=0.1, finished=lambda: False)  # that reply was lost: the same records again
    assert [(r.camera, r.index) for r in again] == [("a", 2), ("b", 0)]
    box.put(record("a", 3))
    blocked = threading.Thread(target=box.put, args=(record("a", 4),), daemon=True)
    blocked.start()
    time.sleep(0.3)
    assert blocked.is_alive(), "a full outbox must hold the writer back"
    got = box.poll({"a": 2, "b": 0}, timeout=1.0, finished=lambda: False)
    blocked.join(2)
    assert not blocked.is_alive()
    got = box.poll({"a": 2, "b": 0}, timeout=0.1, finished=lambda: False)
    assert [(r.camera, r.index) for r in got] == [("a", 3), ("a", 4)]
    assert box.poll({"a": 4}, timeout=5.0, finished=lambda: True) == []  # finished: no waiting


def test_record_frames_carry_no_image_unless_asked(tmp_path) -> None:
    from yolotrack.core.frame import Frame

    frame = Frame(np.full((120, 160, 3), 7, np.uint8), 3, 0.12, "cam", 25.0)
    dets = Detections(np.zeros((1, 4)), np.ones(1), np.zeros(1), names={0: "person"},
                      masks=np.ones((1, 120, 160), bool))
    compact = FrameRecord.of(frame, dets, [], with_image=False)
    assert compact.image is None and compact.detections.masks is None and compact.detections.names == {}
    rebuilt = compact.frame()
    assert rebuilt.width == 160 and rebuilt.height == 120 and rebuilt.image.strides[:2] == (0, 0)
    assert FrameRecord.of(frame, dets, [], with_image=True).frame().image[0, 0, 0] == 7


def test_run_cameras_in_one_process_writes_one_jsonl_per_camera(tmp_path, fixtures_dir) -> None:
    for name, n in (("a", 12), ("b", 9), ("c", 10)):
        make_video(tmp_path / f"{name}.mp4", n=n)
    save_cameras(tmp_path / "cams.yaml", [Camera("door", str(tmp_path / "a.mp4")),
                                          Camera("yard", str(tmp_path / "b.mp4"), {"model.conf": 0.0036}),
                                          Camera("gate", str(tmp_path / "c.mp4"), {"model.imgsz": 192})])
    out = tmp_path / "out"
    proc = cli("run", "--cameras", str(tmp_path / "cams.yaml"), "--out", str(out), *model_overrides(fixtures_dir),
               "model.runtime=torch", "pipeline.stats_interval=0")
    _, stderr = proc.communicate(timeout=240)
    assert proc.returncode == 0, stderr
    assert "group-0: cameras door, yard, one detector" in stderr and "group-1: cameras gate" in stderr
    scores = {}
    for cam, n in (("door", 12), ("yard", 9), ("gate", 10)):
        recs = [json.loads(line) for line in (out / f"{cam}.jsonl").read_text().splitlines()]
        assert recs[0]["type"] == "stream" and recs[0]["source"] == cam
        frames = [r for r in recs if r["type"] == "frame"]
        assert [r["frame"] for r in frames] == list(range(n)) and all(r["source"] == cam for r in frames)
        assert any(r["type"] == "event" and r["event"] == "new" for r in recs)
        scores[cam] = [t["score"] for r in frames for t in r["tracks"]]
    assert min(scores["yard"]) >= 0.0036 and min(scores["door"]) < 0.0036  # yard's own threshold


@pytest.mark.parametrize(("args", "message"), [
    (["--cameras", "CAMS"], "--cameras needs --out DIR"),
    (["--out", "x", "--ray", "auto"], "--out and --ray go with --cameras FILE"),
    (["--cameras", "CAMS", "--out", "x", "--source", "demo"], "--source does not go with --cameras"),
    (["--cameras", "CAMS", "--out", "x", "-o", "t.jsonl"], "-o/--output does not go with --cameras"),
    (["--cameras", "BAD", "--out", "x"], "the name 'a' is used twice"),
    (["--cameras", "CAMS", "--out", "x", "cluster.group_size=0"], "cluster.group_size: 0 is out of range"),
    (["--cameras", "LINKS", "--out", "x"], "link 1 (a -> b): max_s 1 is below min_s 3"),
])
def test_run_cameras_usage_errors_are_one_line_and_exit_2(tmp_path, args, message) -> None:
    (tmp_path / "cams.yaml").write_text("cameras:\n  - {name: a, source: demo}\n")
    (tmp_path / "bad.yaml").write_text("cameras:\n  - {name: a, source: demo}\n  - {name: a, source: demo}\n")
    (tmp_path / "links.yaml").write_text("cameras:\n  - {name: a, source: demo}\n  - {name: b, source: demo}\n"
                                         "links:\n  - {from: a, to: b, min_s: 3, max_s: 1}\n")
    files = {"CAMS": "cams.yaml", "BAD": "bad.yaml", "LINKS": "links.yaml"}
    args = [str(tmp_path / files[a]) if a in files else a for a in args]
    proc = cli("run", *args)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 2, stderr
    assert stderr.strip().splitlines()[-1].startswith("yolotrack: error: ") and message in stderr, stderr
    assert "Traceback" not in stderr


def test_run_cameras_sigterm_drains_every_group_and_exits_0(tmp_path, fixtures_dir) -> None:
    live = "synthetic:testsrc2=size=160x120:rate=15"
    save_cameras(tmp_path / "cams.yaml", [Camera("live", live), Camera("big", live, {"model.imgsz": 192})])
    out = tmp_path / "out"
    proc = cli("run", "--cameras", str(tmp_path / "cams.yaml"), "--out", str(out), *model_overrides(fixtures_dir),
               "model.runtime=torch", "pipeline.stats_interval=0.5")

    def ready() -> bool:
        return all((out / f"{c}.jsonl").exists() and (out / f"{c}.jsonl").read_text().count('"type":"frame"') >= 5
                   for c in ("live", "big"))

    stderr = sigterm_when(proc, ready, 90)
    assert proc.returncode == 0, stderr
    assert "SIGTERM" in stderr
    for cam in ("live", "big"):
        recs = [json.loads(line) for line in (out / f"{cam}.jsonl").read_text().splitlines()]  # all complete
        idx = [r["frame"] for r in recs if r["type"] == "frame"]
        assert len(idx) >= 5 and idx == sorted(set(idx))


def test_an_unreachable_ray_head_is_one_line_and_exit_1(tmp_path) -> None:
    if not IN_CI:  # CI installs the cluster extra: there a missing ray fails the test
        pytest.importorskip("ray")
    save_cameras(tmp_path / "cams.yaml", [Camera("a", "demo")])
    port = free_port()  # nothing listens there
    proc = cli("run", "--cameras", str(tmp_path / "cams.yaml"), "--out", str(tmp_path / "out"),
               "--ray", f"127.0.0.1:{port}")
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1, stderr
    assert stderr.strip().splitlines()[-1] == (f"yolotrack: error: cannot reach the Ray cluster at '127.0.0.1:{port}': "
                                                "Connection refused (is `ray start --head` running there, and the port "
                                                "open?)")
