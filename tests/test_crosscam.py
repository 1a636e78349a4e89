"""Cross-camera identity end to end: `synth --cameras` scenes with global ground truth, the
cross-camera score of `eval`, and global ids on a small rendered two-camera scene."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from yolotrack.core.cameras import load_site
from yolotrack.core.detections import Detections
from yolotrack.tracker.evaluate import ALL_CAMERAS, evaluate_cameras
from yolotrack.tracker.mot_io import read_mot
from yolotrack.train.synth import ObjectState, SceneConfig, SceneFrame
from yolotrack.train.synth_cameras import MultiCameraScene, layout

EMBEDDED = 17  # boxes the ReID network embedded in the scene (first frames and every reid_every-th)
COSTS = [[0.19, 0.42], [0.432, 0.439]]


def yolotrack(*args: str, timeout: float = 500) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # see demo_detector
    return subprocess.run([sys.executable, "-m", "yolotrack", *args], capture_output=True, text=True,
                          timeout=timeout, check=False, env=env)


def note_owners(got: dict, camera: str, view: SceneFrame, out: Detections) -> None:
    """Add each tracked box's global id to the set of the ground-truth object nearest to it."""
    gt = {o.track_id: o.xyxy for o in view.objects}
    assert out.global_ids is not None
    for box, gid in zip(out.xyxy, out.global_ids, strict=True):
        owner = min(gt, key=lambda k: np.abs(np.subtract(gt[k], box)).sum())
        got.setdefault((camera, owner), set()).add(int(gid))


def test_layout_alternates_overlapping_and_disjoint_views() -> None:
    views = layout(4, 100)
    assert [v.offset for v in views] == [0.0, 70.0, 220.0, 290.0]  # 0|1 overlap 30 px, 1|2 a 50 px gap, 2|3 overlap


def test_one_world_many_cameras_objects_keep_their_id_in_every_view() -> None:
    scene = MultiCameraScene(3, 2, SceneConfig(width=160, height=96, frames=120, min_size=10, max_size=16))
    both_at_once, seen_in = 0, {}
    for views in scene.frames():
        ids = [{o.track_id for o in v.objects} for v in views]
        both_at_once += len(ids[0] & ids[1])
        for k, s in enumerate(ids):
            for i in s:
                seen_in.setdefault(i, set()).add(k)
        assert views[0].image.shape == (96, 160, 3) and not np.array_equal(views[0].image, views[1].image)
    assert both_at_once > 0, "the overlapping views show one object at once"
    assert any(len(c) == 2 for c in seen_in.values()), "objects walk from one camera into the other"


def test_synth_cameras_writes_videos_global_ground_truth_and_a_cameras_file(tmp_path: Path) -> None:
    out = tmp_path / "mc"
    proc = yolotrack("synth", "--cameras", "3", "--sequences", "1", "--frames", "30", "--width", "160",
                     "--height", "96", "--seed", "5", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    seq = out / "seq0005"
    site = load_site(seq / "cameras.yaml")
    assert [c.name for c in site.cameras] == ["cam0", "cam1", "cam2"]
    assert all(Path(c.source).is_file() for c in site.cameras)
    assert site.links is not None and {(ln.source, ln.target) for ln in site.links} == {
        ("cam0", "cam1"), ("cam1", "cam0"), ("cam1", "cam2"), ("cam2", "cam1")}
    gts = {c.name: read_mot(seq / "gt" / c.name / "gt" / "gt.txt") for c in site.cameras}
    assert all(len(g) and g[:, 0].max() <= 30 for g in gts.values())
    bad = yolotrack("synth", "--cameras", "1", "--out", str(tmp_path / "x"))
    assert bad.returncode == 2 and "--cameras must be between 2 and 16" in bad.stderr


def test_cross_camera_score_needs_one_id_per_object_in_every_camera(tmp_path: Path) -> None:
    # object 1 walks from a into b, object 2 stays in b
    gt_a = np.array([[f, 1, 10 + f, 10, 20, 20, 1] for f in range(1, 11)], float)
    gt_b = np.array([[f, 1, f, 10, 20, 20, 1] for f in range(11, 21)]
                    + [[f, 2, 60, 40, 20, 20, 1] for f in range(1, 21)], float)
    same = evaluate_cameras({"a": (gt_a, gt_a), "b": (gt_b, gt_b)})
    assert same[ALL_CAMERAS]["IDF1"] == 1.0
    fresh_b = gt_b.copy()
    fresh_b[:, 1] += 100  # each camera its own ids: perfect per camera, a handover lost across cameras
    fresh = evaluate_cameras({"a": (gt_a, gt_a), "b": (gt_b, fresh_b)})
    assert fresh["a"]["IDF1"] == fresh["b"]["IDF1"] == 1.0
    # IDTP 30 (object 2's 20, and 10 of object 1's 20) of 40 ground-truth and 40 predicted boxes
    assert fresh[ALL_CAMERAS]["IDF1"] == pytest.approx(2 * 30 / 80)
    for cam, gt, pred in (("a", gt_a, gt_a), ("b", gt_b, fresh_b)):
        (tmp_path / "gt" / cam / "gt").mkdir(parents=True)
        np.savetxt(tmp_path / "gt" / cam / "gt" / "gt.txt", gt, fmt="%g", delimiter=",")
        (tmp_path / "pred").mkdir(exist_ok=True)
        lines = [json.dumps({"type": "frame", "source": cam, "frame": int(r[0]) - 1, "tracks": [
            {"id": 7, "global_id": int(r[1]), "class_id": 0, "score": 0.9,
             "box": [r[2], r[3], r[2] + r[4], r[3] + r[5]]}]}) for r in pred]
        (tmp_path / "pred" / f"{cam}.jsonl").write_text("\n".join(lines) + "\n")
    proc = yolotrack("eval", "--cross-camera", "--json", str(tmp_path / "gt"), str(tmp_path / "pred"))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[ALL_CAMERAS]["IDF1"] == pytest.approx(0.75)
    table = yolotrack("eval", "--cross-camera", str(tmp_path / "gt"), str(tmp_path / "pred"))
    assert table.returncode == 0 and ALL_CAMERAS in table.stdout, table.stderr


# ---------------------------------------------------------------- a small rendered two-camera scene

def _walker(gid: int, cls: int, x: float, y: float, vx: float) -> ObjectState:
    from yolotrack.train.synth import _BASE_BGR

    return ObjectState(track_id=gid, cls=cls, x=x, y=y, vx=vx, vy=0.0, radius=20.0, growth=0.0, angle=0.3,
                       spin=0.01, z=0.5 + gid / 10, color=tuple(float(v) for v in _BASE_BGR[cls]),  # type: ignore[arg-type]
                       texture_scale=2.5, texture_phase=1.0)


def two_camera_scene() -> MultiCameraScene:
    """cam0 sees world x 0..288, cam1 201.6..489.6. Object 1 (disc) walks from cam0 through the overlap
    into cam1; object 2 (triangle) stays in cam0; object 3 (square) stays in cam1."""
    scene = MultiCameraScene(11, 2, SceneConfig(width=288, height=160, frames=45, min_objects=0, max_objects=0))
    scene.objects = [_walker(1, 0, 40, 50, 5.0), _walker(2, 2, 120, 115, -1.0), _walker(3, 1, 420, 105, -1.0)]
    return scene


@pytest.fixture(scope="module")
def demo_detector():
    """One torch thread: on a loaded shared machine a second OpenMP thread makes each forward several times slower."""
    import torch

    from yolotrack.core.config import Config, set_values
    from yolotrack.detector import Detector
    from yolotrack.detector.inference import InferenceSpec
    from yolotrack.detector.torch_thread import set_threads

    cfg = set_values(Config(), {"model.weights": "demo", "model.imgsz": 288, "model.runtime": "torch"})
    before = torch.get_num_threads()
    det = Detector(spec=dataclasses.replace(InferenceSpec.from_config(cfg.model, None, True), threads=1))
    set_threads(1)
    yield det
    set_threads(before)


def test_exact_global_ids_on_a_rendered_two_camera_scene(demo_detector) -> None:
    """Detector, each camera's own tracker, then one gallery, cameras labelled in order each frame:
    the object walking through the overlap keeps its id in the second camera; the others get theirs."""
    from yolotrack.core.config import Config
    from yolotrack.tracker import build_tracker
    from yolotrack.tracker.global_ids import GlobalIds

    scene = two_camera_scene()
    names = [v.name for v in scene.views]
    trackers = {n: build_tracker(Config().tracker, 30.0) for n in names}
    gallery = GlobalIds(names, match_thresh=Config().global_ids.match_thresh)
    got: dict[tuple[str, int], set[int]] = {}  # (camera, ground-truth id) -> global ids given to it
    for i, views in enumerate(scene.frames()):
        for n, view, dets in zip(names, views, demo_detector([v.image for v in views]), strict=True):
            out = trackers[n].update_detections(dets, i, image=view.image)
            raised = [dataclasses.replace(e, source_id=n) for e in trackers[n].pop_events()]  # as the pipeline does
            events = gallery.label(n, i / 30.0, out, raised)
            assert all(e.global_id is not None for e in events), events
            note_owners(got, n, view, out)
    assert got == {("cam0", 1): {1}, ("cam0", 2): {2}, ("cam1", 3): {3}, ("cam1", 1): {1}}
    assert gallery.issued == 3


def test_run_cameras_writes_one_global_id_per_object_to_every_camera(tmp_path: Path) -> None:
    """The real `run --cameras` over the scene's videos: global ids in frame and event lines; the
    walker has one global id in both cameras, the others their own."""
    import yaml

    from yolotrack.train.synth_export import VideoWriter

    scene = two_camera_scene()
    names = [v.name for v in scene.views]
    writers = {n: VideoWriter(tmp_path / f"{n}.mp4", 288, 160, 30.0, crf=18) for n in names}
    boxes: dict[str, list[dict[int, tuple[float, float, float, float]]]] = {n: [] for n in names}
    for views in scene.frames():
        for n, view in zip(names, views, strict=True):
            writers[n].write(view.image)
            boxes[n].append({o.track_id: o.xyxy for o in view.objects})
    for w in writers.values():
        w.close()
    (tmp_path / "cams.yaml").write_text(yaml.safe_dump({
        "cameras": [{"name": n, "source": str(tmp_path / f"{n}.mp4")} for n in names],
        "links": [{"from": "cam0", "to": "cam1", "max_s": 5}, {"from": "cam1", "to": "cam0", "max_s": 5}]}))
    proc = yolotrack("run", "--cameras", str(tmp_path / "cams.yaml"), "--out", str(tmp_path / "out"),
                     "model.weights=demo", "model.imgsz=288", "model.runtime=torch", "pipeline.stats_interval=0")
    assert proc.returncode == 0, proc.stderr
    got: dict[tuple[str, int], set[int]] = {}
    for n in names:
        lines = [json.loads(x) for x in (tmp_path / "out" / f"{n}.jsonl").read_text().splitlines()]
        events = [r for r in lines if r["type"] == "event"]
        assert events and all("global_id" in e for e in events if e["event"] in ("new", "lost", "removed"))
        for r in lines:
            if r["type"] != "frame":
                continue
            gt = boxes[n][r["frame"]]
            for t in r["tracks"]:
                owner = min(gt, key=lambda k: np.abs(np.subtract(gt[k], t["box"])).sum())
                got.setdefault((n, owner), set()).add(t["global_id"])
    assert set(got) == {("cam0", 1), ("cam0", 2), ("cam1", 3), ("cam1", 1)}
    assert all(len(ids) == 1 for ids in got.values()), got
    assert got["cam0", 1] == got["cam1", 1], "the walker keeps its id from cam0 in cam1"
    assert len(got["cam0", 1] | got["cam0", 2] | got["cam1", 3]) == 3


def test_exact_global_ids_with_the_demo_reid_model(demo_detector) -> None:
    """The same scene with global ids on the bundled ReID network (real ONNX Runtime inference on the
    tracked boxes, `ReidTracker` as `run --cameras` wraps each camera's tracker), the config's
    defaults: the same ids as on the detector's features."""
    from yolotrack.core.config import Config
    from yolotrack.tracker import build_tracker
    from yolotrack.tracker.global_ids import GlobalIds
    from yolotrack.tracker.reid_model import reid_for
    from yolotrack.tracker.reid_tracker import ReidTracker

    g = Config().global_ids
    assert g.reid == "auto" and reid_for(g, ["yolov12n"]) is None  # auto: the demo network only with a demo model
    model = reid_for(g, ["demo"])
    assert model is not None and model.size == (32, 32) and model.dim == 64
    scene = two_camera_scene()
    names = [v.name for v in scene.views]
    trackers = {n: ReidTracker(build_tracker(Config().tracker, 30.0), model, g.reid_every) for n in names}
    gallery = GlobalIds.from_config(names, None, g, ["demo"])
    assert gallery.match_thresh == g.reid_thresh
    assert GlobalIds.from_config(names, None, g, ["demo", "yolov12n"]).match_thresh == g.match_thresh
    got: dict[tuple[str, int], set[int]] = {}
    embedded = 0
    for i, views in enumerate(scene.frames()):
        for n, view, dets in zip(names, views, demo_detector([v.image for v in views]), strict=True):
            out = trackers[n].update_detections(dets, i, image=view.image)
            trackers[n].pop_events()
            assert out.embeddings is not None and out.embeddings.shape == (len(out), 64)
            embedded += int((np.abs(out.embeddings).sum(1) > 0).sum())
            gallery.label(n, i / 30.0, out)
            note_owners(got, n, view, out)
    assert got == {("cam0", 1): {1}, ("cam0", 2): {2}, ("cam1", 3): {3}, ("cam1", 1): {1}}
    assert gallery.issued == 3
    assert embedded == EMBEDDED


def test_reid_embeddings_tell_the_walker_apart_across_cameras() -> None:
    """ReidModel.embed on crops of the rendered scene: the walker in cam1 is nearest to itself in
    cam0, not to cam0's other object; the exact costs pin the bundled model and its preprocessing."""
    from yolotrack.tracker.reid_model import DEMO, load_reid

    model = load_reid(DEMO)
    assert model is not None
    frames = list(two_camera_scene().frames())
    a = {o.track_id: o.xyxy for o in frames[20][0].objects}  # cam0 at frame 20: the walker (1) and object 2
    b = {o.track_id: o.xyxy for o in frames[30][1].objects}  # cam1 at frame 30: the walker and object 3
    ea = model.embed(frames[20][0].image, np.asarray([a[1], a[2]]))
    eb = model.embed(frames[30][1].image, np.asarray([b[1], b[3]]))
    assert ea.dtype == np.float32 and np.allclose(np.linalg.norm(ea, axis=1), 1.0, atol=1e-6)
    cost = (1 - (eb @ ea.T).astype(np.float64)) / 2  # rows: cam1's walker, object 3; columns: cam0's walker, object 2
    assert np.round(cost, 3).tolist() == COSTS
    assert model.embed(frames[0][0].image, np.zeros((0, 4))).shape == (0, 64)


def test_a_missing_reid_model_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "cams.yaml").write_text("cameras:\n  - {name: a, source: demo}\n  - {name: b, source: demo}\n")
    proc = yolotrack("run", "--cameras", str(tmp_path / "cams.yaml"), "--out", str(tmp_path / "out"),
                     f"global_ids.reid={tmp_path / 'nope.onnx'}")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].endswith(f"ReID model {tmp_path / 'nope.onnx'} does not exist")
