"""Segment and pose training end to end: fine-tuning the official seg checkpoint and the demo detect
model on small synthetic sets, through the CLI, into checkpoints the Detector runs."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from yolotrack.detector import Detector, adapt_model, load_model
from yolotrack.main import main
from yolotrack.train.dataset import YoloDataset, load_data_yaml
from yolotrack.train.shape_keypoints import KEYPOINT_NAMES, SKELETON
from yolotrack.train.synth_export import SynthPlan, run_plan, scene_config


def _data(root: Path, task: str) -> Path:
    scene = scene_config(width=192, height=128, frames=6, min_objects=2, max_objects=3, min_size=14, max_size=22,
                         max_speed=3.0)
    run_plan(SynthPlan(out=root, sequences=2, seed=31, scene=scene, every=2, videos=False, val_fraction=0.5,
                       task=task))
    return root / "dataset" / "data.yaml"


def _rows(out: Path) -> list[dict[str, str]]:
    with open(out / "results.csv") as f:
        return list(csv.DictReader(f))


def _train(data: Path, out: Path, weights: str, *extra: str) -> int:
    return main(["train", str(data), "--weights", weights, "--out", str(out), "--imgsz", "128", "--val-imgsz", "192",
                 "--steps", "4", "--batch", "2", "--val-every", "2", "--save-every", "2", "--warmup-steps", "1",
                 "--workers", "0", "--threads", "1", *extra, "-q"])


def test_adapting_the_official_seg_checkpoint_keeps_body_and_mask_branches_and_resets_the_classes(
        fixtures_dir: Path):
    src = load_model(fixtures_dir / "official_yolov12n-seg.pt", fuse=False)
    model, fresh = adapt_model(src, "segment", 4, {0: "disc", 1: "square", 2: "triangle", 3: "star"})
    sd, old = model.state_dict(), src.state_dict()
    assert model.task == "segment" and model.nc == 4 and model.names[3] == "star"
    assert torch.equal(sd["model.5.conv.weight"], old["model.5.conv.weight"])
    assert torch.equal(sd["model.21.proto.cv1.conv.weight"], old["model.21.proto.cv1.conv.weight"])
    assert torch.equal(sd["model.21.cv4.0.2.weight"], old["model.21.cv4.0.2.weight"])  # mask coefficients
    assert sd["model.21.cv3.0.2.weight"].shape[0] == 4 and "model.21.cv3.0.2.weight" in fresh
    assert not any(k.startswith("model.21.proto") or k.startswith("model.21.cv2") for k in fresh)
    same, none = adapt_model(src, "segment", 80)
    assert none == [] and torch.equal(same.state_dict()["model.21.cv3.0.2.weight"], old["model.21.cv3.0.2.weight"])


def test_fine_tune_the_official_seg_checkpoint_end_to_end(fixtures_dir: Path, tmp_path: Path, capsys):
    data = _data(tmp_path / "data", "segment")
    out = tmp_path / "run"
    weights = fixtures_dir / "official_yolov12n-seg.pt"
    assert _train(data, out, str(weights), "model.task=segment", "--freeze", "21") == 0
    printed = capsys.readouterr().out
    assert "mask_mAP50-95" in printed and "best.safetensors" in printed
    rows = _rows(out)
    assert [int(r["step"]) for r in rows] == [2, 4]
    assert all(float(r["seg"]) > 0 for r in rows)
    assert all(0.0 <= float(r["mask_mAP50-95"]) <= float(r["mask_mAP50"]) <= 1.0 for r in rows)
    model = load_model(out / "last.safetensors", fuse=False)
    assert (model.task, model.nc, model.family) == ("segment", 4, "turbo")
    src, sd = load_model(weights, fuse=False).state_dict(), model.state_dict()
    # --freeze 21: body and neck, their BatchNorm statistics included, are the checkpoint's own
    for key in ("model.0.conv.weight", "model.20.cv2.bn.running_var", "model.14.cv2.bn.running_mean"):
        assert torch.equal(sd[key], src[key].float()), key
    assert not torch.equal(sd["model.21.proto.cv1.conv.weight"], src["model.21.proto.cv1.conv.weight"].float())
    det = Detector(str(out / "last.safetensors"), imgsz=192, conf=0.0, device="cpu", runtime="torch")
    val = YoloDataset(load_data_yaml(data).val, 4, 192, augment=False, task="segment")
    frame = np.ascontiguousarray(val.load(0)[0])
    dets = det([frame])[0]
    assert len(dets) and dets.masks is not None and dets.masks.shape[1:] == frame.shape[:2]


def test_pose_from_the_demo_detector_carries_the_keypoint_layout(tmp_path: Path, capsys):
    data = _data(tmp_path / "data", "pose")
    out = tmp_path / "run"
    assert _train(data, out, "demo") == 0  # the data YAML says pose
    rows = _rows(out)
    assert {"pose", "kobj", "pose_mAP50", "pose_mAP50-95"} <= set(rows[0])
    assert float(rows[-1]["mAP50"]) > 0.3  # the demo's box head came along
    model = load_model(out / "best.safetensors", fuse=False)
    assert model.task == "pose" and model.kpt_shape == (6, 3)
    layout = model.meta["keypoints"]
    assert layout["names"] == list(KEYPOINT_NAMES) and layout["skeleton"] == [list(e) for e in SKELETON]
    det = Detector(str(out / "best.safetensors"), imgsz=192, conf=0.0, device="cpu", runtime="torch")
    frame = np.ascontiguousarray(YoloDataset(load_data_yaml(data).val, 4, 192, augment=False, task="pose",
                                             kpt_shape=(6, 3)).load(0)[0])
    dets = det([frame])[0]
    assert dets.keypoints is not None and dets.keypoints.shape[1:] == (6, 3)
    # `yolotrack eval --data` scores a checkpoint the way validation does
    capsys.readouterr()
    assert main(["eval", "--data", str(data), "--weights", str(out / "best.safetensors"), "--imgsz", "192",
                 "--json", "-q"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["task"] == "pose" and got["images"] == 3
    assert got["pose_mAP50-95"] == pytest.approx(float(rows[-1]["pose_mAP50-95"]), abs=0.02)


@pytest.mark.parametrize(("argv", "message"), [
    (["model.task=segmant"], "model.task must be detect, segment or pose"),
    (["model.conf=0.3"], "only model.task"),
    (["--task", "pose", "model.task=segment"], "disagree"),
])
def test_train_task_arguments_are_checked(tmp_path: Path, capsys, argv: list[str], message: str):
    data = tmp_path / "d.yaml"
    data.write_text("train: .\nnames: [a]\n")
    assert main(["train", str(data), *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
