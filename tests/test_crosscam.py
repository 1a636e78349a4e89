"""Cross-camera identity end to end: `synth --cameras` scenes with global ground truth, the
cross-camera score of `eval`, and global ids on a small rendered two-camera scene."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from yolotrack.core.cameras import load_site
from yolotrack.tracker.evaluate import ALL_CAMERAS, evaluate_cameras
from yolotrack.tracker.mot_io import read_mot
from yolotrack.train.synth import SceneConfig
from yolotrack.train.synth_cameras import MultiCameraScene, layout


def yolotrack(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "yolotrack", *args], capture_output=True, text=True,
                          timeout=timeout, check=False)


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
