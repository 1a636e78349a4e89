"""The bundled offline demo: a small fp16 YOLOv12-n and a held-out synthetic clip that it tracks well."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import av
import numpy as np
import pytest
import torch
from safetensors import safe_open
from test_export import export

from yolotrack.core.assets import DEMO_DIR, DEMO_GT, DEMO_TASK_WEIGHTS, DEMO_VIDEO, DEMO_WEIGHTS
from yolotrack.detector import torch_thread
from yolotrack.train.demo import HELD_OUT_SEEDS, evaluate_held_out
from yolotrack.train.shape_keypoints import KEYPOINT_NAMES, KEYPOINT_SIGMAS, SKELETON
from yolotrack.train.synth import CLASS_NAMES, SceneConfig, SceneGenerator

DEMO_SEED = 1000


def _meta(path: Path = DEMO_WEIGHTS) -> dict:
    with safe_open(str(path), "pt") as f:
        header = f.metadata()
        dtypes = {f.get_slice(k).get_dtype() for k in f.keys()}  # noqa: SIM118 (not a dict)
    key = next(k for k in header if k != "format")
    return {"header": json.loads(header[key]), "dtypes": dtypes}


def test_demo_files_are_small_fp16_and_named():
    assert DEMO_WEIGHTS.stat().st_size <= 6 * 1024 * 1024
    assert DEMO_VIDEO.stat().st_size <= 5 * 1024 * 1024
    assert (DEMO_DIR / "MODEL_CARD.md").is_file()
    meta = _meta()
    assert meta["dtypes"] <= {"F16", "I64"} and "F16" in meta["dtypes"]
    header = meta["header"]
    assert header["task"] == "detect" and header["scale"] == "n"
    assert header["names"] == {str(i): n for i, n in enumerate(CLASS_NAMES)}


def test_demo_model_loads_through_the_public_name():
    from yolotrack.detector import load_model

    model = load_model("demo")
    assert model.names == dict(enumerate(CLASS_NAMES))
    with torch.inference_mode():
        y = model(torch.zeros(1, 3, 384, 640))
    y = y[0] if isinstance(y, (tuple, list)) else y
    assert y.shape[:2] == (1, 4 + len(CLASS_NAMES))


def test_demo_clip_is_the_held_out_scene():
    """The clip is scene seed 1000, which the model's training data (recorded in its metadata) never used."""
    train_meta = _meta()["header"]["meta"]["data"]
    assert DEMO_SEED not in range(train_meta["first_seed"], train_meta["first_seed"] + train_meta["sequences"])
    with av.open(str(DEMO_VIDEO)) as c:
        stream = c.streams.video[0]
        assert (stream.width, stream.height) == (640, 384)
        first = next(c.decode(video=0)).to_ndarray(format="bgr24")
    cfg = SceneConfig(frames=1, min_objects=4, max_objects=8)
    rendered = next(iter(SceneGenerator(DEMO_SEED, cfg))).image
    assert np.abs(first.astype(int) - rendered.astype(int)).mean() < 6
    gt = np.loadtxt(DEMO_GT, delimiter=",", ndmin=2)
    assert gt.shape[1] == 9 and len(np.unique(gt[:, 1])) >= 8  # many objects come and go


@pytest.mark.timeout(900)
def test_demo_end_to_end_detection_and_tracking():
    """Detector + ByteTrack with the app's defaults on the decoded clip, scored against the generator's truth."""
    from yolotrack.train.demo import evaluate_clip

    torch_thread.set_threads(2)
    r = evaluate_clip(DEMO_WEIGHTS, DEMO_VIDEO, DEMO_GT)
    assert r["frames"] == int(np.loadtxt(DEMO_GT, delimiter=",", ndmin=2)[:, 0].max())
    assert r["mAP50"] >= 0.9, r
    assert r["IDF1"] >= 0.8, r


@pytest.mark.parametrize("task", ["segment", "pose"])
def test_seg_and_pose_demos_are_small_fp16_and_carry_their_layout(task: str):
    name, path = DEMO_TASK_WEIGHTS[task]
    assert path.stat().st_size <= 6 * 1024 * 1024
    meta = _meta(path)
    assert meta["dtypes"] <= {"F16", "I64"}
    header = meta["header"]
    assert header["task"] == task and header["scale"] == "n"
    assert header["names"] == {str(i): n for i, n in enumerate(CLASS_NAMES)}
    data = header["meta"]["data"]  # trained on seeds the held-out scenes and the demo clip never use
    assert not set(HELD_OUT_SEEDS) & set(range(data["first_seed"], data["first_seed"] + data["sequences"]))
    if task == "pose":
        assert header["kpt_shape"] == [len(KEYPOINT_NAMES), 3]
        layout = header["meta"]["keypoints"]
        assert layout["names"] == list(KEYPOINT_NAMES) and layout["skeleton"] == [list(e) for e in SKELETON]
        assert layout["sigmas"] == list(KEYPOINT_SIGMAS)


@pytest.mark.timeout(900)
@pytest.mark.parametrize("task", ["segment", "pose"])
def test_seg_and_pose_demos_on_held_out_scenes(task: str, tmp_path: Path):
    """Mask mAP50 and keypoint OKS mAP50 of the bundled models on scenes they never saw (the full
    measurement, with more frames, is benchmarks/segpose_demo.py)."""
    torch_thread.set_threads(2)
    r = evaluate_held_out(DEMO_TASK_WEIGHTS[task][1], task, tmp_path, seeds=HELD_OUT_SEEDS[:2], frames=48, every=6)
    extra = r.mask if task == "segment" else r.pose
    assert extra is not None and sum(extra.n_gt.values()) >= 20
    assert r.map50 >= 0.9 and extra.map50 >= 0.9, r.metrics()


@pytest.mark.timeout(900)
def test_export_demo_segment_and_pose_offline(tmp_path: Path) -> None:
    """`export demo model.task=...` picks the bundled seg/pose demo (no download) and writes masks as
    COCO RLE (or polygons) and CVAT polygons, keypoints as COCO keypoints and CVAT skeletons."""
    from pycocotools.coco import COCO

    runs = {"segment": ["output.coco_masks=polygon"], "pose": []}
    for task, extra in runs.items():
        out = tmp_path / task
        code, _, stderr = export("demo", f"model.task={task}", "--out", str(out), "--formats", "video,coco,cvat",
                                 *extra, timeout=600)
        assert code == 0, stderr
        assert ("demo-seg" if task == "segment" else "demo-pose") in stderr  # the log says which model auto chose
        doc = json.loads((out / "demo_coco.json").read_text())
        anns = [a for a in doc["annotations"] if a["score"] >= 0.5]
        assert len({a["image_id"] for a in anns}) >= 250  # shapes found on nearly every one of the 300 frames
        root = ET.parse(out / "demo_cvat.xml").getroot()
        if task == "segment":
            api = COCO(str(out / "demo_coco.json"))
            for a in anns[:20]:
                assert isinstance(a["segmentation"], list) and a["segmentation"]
                m = api.annToMask(a)
                x, y, w, h = a["bbox"]
                assert m.sum() > 0.3 * w * h  # the outline fills most of its box (discs, squares, stars)
            assert len(root.findall("track/polygon")) >= len(anns) // 2
        else:
            cat = doc["categories"][0]
            assert cat["keypoints"] == list(KEYPOINT_NAMES)
            assert cat["skeleton"] == [[a + 1, b + 1] for a, b in SKELETON]
            first = next(s for s in root.findall("track/skeleton"))
            assert [p.get("label") for p in first.findall("points")] == list(KEYPOINT_NAMES)
            labels = [lab.findtext("name") for lab in root.findall("meta/task/labels/label")]
            assert "square skeleton" in labels
