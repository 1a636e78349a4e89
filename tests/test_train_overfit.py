"""A real YOLOv12-n overfits a few synthetic images: loss falls, mAP rises, checkpoints load and resume."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from yolotrack.main import main
from yolotrack.train.dataset import YoloDataset, load_data_yaml
from yolotrack.train.synth_export import SynthPlan, run_plan, scene_config
from yolotrack.train.trainer import TrainConfig, Trainer, evaluate

STEPS = 45


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tiny")
    scene = scene_config(width=160, height=96, frames=4, min_objects=2, max_objects=3, min_size=14, max_size=20,
                         max_speed=3.0, blur_prob=0.0)
    run_plan(SynthPlan(out=root, sequences=1, seed=21, scene=scene, every=1, videos=False, val_fraction=0.0))
    data = root / "dataset" / "data.yaml"
    spec = yaml.safe_load(data.read_text())
    spec["val"] = spec["train"]  # overfitting: score on the training images
    data.write_text(yaml.safe_dump(spec))
    return data


def _rows(out: Path) -> list[dict[str, str]]:
    with open(out / "results.csv") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def overfit_run(tiny_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run")
    cfg = TrainConfig(data=str(tiny_data), out=str(out), imgsz=128, steps=STEPS, batch=4, lr0=0.004, threads=1,
                      warmup_steps=10, val_every=STEPS // 3, save_every=STEPS // 3, workers=0,
                      augment=False, seed=0)
    Trainer(cfg).run()
    return out


def test_loss_falls_and_map_rises(overfit_run: Path, tiny_data: Path):
    from yolotrack.detector import build_model

    spec = load_data_yaml(tiny_data)
    ds = YoloDataset(spec.val, spec.nc, 128, augment=False)
    torch.manual_seed(0)
    before = evaluate(build_model(scale="n", task="detect", nc=spec.nc), ds).map50
    rows = _rows(overfit_run)
    assert [int(r["step"]) for r in rows] == [STEPS // 3, 2 * STEPS // 3, STEPS]
    first_loss = sum(float(rows[0][k]) for k in ("box", "cls", "dfl"))
    last_loss = sum(float(rows[-1][k]) for k in ("box", "cls", "dfl"))
    assert last_loss < 0.7 * first_loss
    final = float(rows[-1]["mAP50"])
    assert final > before + 0.3
    assert final >= float(rows[0]["mAP50"])


def test_checkpoints_load_and_detect(overfit_run: Path, tiny_data: Path):
    from yolotrack.detector import Detector, load_model

    for name in ("best.safetensors", "last.safetensors"):
        model = load_model(str(overfit_run / name))
        assert model.names == {0: "disc", 1: "square", 2: "triangle", 3: "star"}
    det = Detector(str(overfit_run / "best.safetensors"), imgsz=128, conf=0.25, device="cpu", runtime="torch")
    spec = load_data_yaml(tiny_data)
    img = np.ascontiguousarray(YoloDataset(spec.val, spec.nc, 128, augment=False).load(0)[0])
    dets = det([img])[0]
    assert len(dets) >= 1 and set(dets.class_names) <= set(model.names.values())


def test_resume_continues_from_last_state(overfit_run: Path, tiny_data: Path, tmp_path: Path):
    import shutil

    run = tmp_path / "resumed"
    shutil.copytree(overfit_run, run)
    state = torch.load(run / "last.pt", map_location="cpu", weights_only=True)
    assert state["step"] == STEPS
    rc = main(["train", str(tiny_data), "--out", str(run), "--resume", "--steps", str(STEPS + 4), "--imgsz", "128",
               "--batch", "4", "--workers", "0", "--threads", "1", "--val-every", "1000", "-q"])
    assert rc == 0
    after = torch.load(run / "last.pt", map_location="cpu", weights_only=True)
    assert after["step"] == STEPS + 4
    assert any(not torch.equal(after["model"][k], state["model"][k]) for k in state["model"])
    assert int(_rows(run)[-1]["step"]) == STEPS + 4


def test_train_cli_errors_are_one_line(tmp_path: Path, capsys):
    assert main(["train", str(tmp_path / "missing.yaml")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"yolotrack: error: data file {tmp_path / 'missing.yaml'} does not exist"]
    assert main(["train", str(tmp_path / "missing.yaml"), "--steps", "0"]) == 2
    capsys.readouterr()
    assert main(["train", str(tmp_path / "missing.yaml"), "--min-keep", "0"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == ["yolotrack: error: --min-keep must be in (0, 1]"]
