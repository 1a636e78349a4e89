"""YOLO dataset reading and augmentation keep boxes glued to the pixels they describe."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from yolotrack.core.errors import ConfigError, InvalidInputError, LabelError
from yolotrack.main import main
from yolotrack.train.augment import hflip, letterbox, random_affine
from yolotrack.train.dataset import YoloDataset, collate, label_path, load_data_yaml, read_label_file, read_labels


def _make_dataset(root: Path, n: int = 3) -> Path:
    (root / "images" / "train").mkdir(parents=True)
    (root / "labels" / "train").mkdir(parents=True)
    for i in range(n):
        img = np.full((120, 200, 3), 90, np.uint8)
        cv2.rectangle(img, (40 + i * 10, 30), (79 + i * 10, 69), (0, 0, 255), -1)  # 40x40 red square
        cv2.imwrite(str(root / "images" / "train" / f"im{i}.png"), img)
        cx, cy = (60 + i * 10) / 200, 50 / 120
        (root / "labels" / "train" / f"im{i}.txt").write_text(f"1 {cx} {cy} {40 / 200} {40 / 120}\n")
    (root / "data.yaml").write_text("path: .\ntrain: images/train\nval: images/train\nnames: [a, b]\n")
    return root / "data.yaml"


def _red_box(img_chw: np.ndarray) -> tuple[int, int, int, int]:
    img = img_chw.transpose(1, 2, 0)  # RGB
    ys, xs = np.nonzero(img[..., 0].astype(int) - img[..., 2].astype(int) > 50)
    return xs.min(), ys.min(), xs.max() + 1, ys.max() + 1


def test_data_yaml_and_labels(tmp_path: Path):
    spec = load_data_yaml(_make_dataset(tmp_path))
    assert spec.names == {0: "a", 1: "b"} and spec.nc == 2
    assert spec.train == [tmp_path / "images" / "train"]
    assert label_path(tmp_path / "images" / "train" / "im0.png") == tmp_path / "labels" / "train" / "im0.txt"
    assert read_labels(tmp_path / "missing.txt", 2).shape == (0, 5)


@pytest.mark.parametrize("text", ["5 0.5 0.5 0.1 0.1", "0 0.5 0.5", "x 0.5 0.5 0.1 0.1", "0 0.5 0.5 0 0.1"])
def test_bad_label_rows_name_the_file_and_line(tmp_path: Path, text: str):
    f = tmp_path / "l.txt"
    f.write_text("0 0.5 0.5 0.2 0.2\n" + text + "\n")
    with pytest.raises(InvalidInputError, match=r"l\.txt:2"):
        read_labels(f, 2)


def test_bad_data_yaml(tmp_path: Path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_data_yaml(tmp_path / "nope.yaml")
    (tmp_path / "d.yaml").write_text("train: images\nnames: [a]\n")
    with pytest.raises(ConfigError, match="do not exist"):
        load_data_yaml(tmp_path / "d.yaml")
    (tmp_path / "e.yaml").write_text("names: [a]\n")
    with pytest.raises(ConfigError, match="needs at least"):
        load_data_yaml(tmp_path / "e.yaml")


def test_letterbox_and_val_samples_keep_boxes_on_the_object(tmp_path: Path):
    spec = load_data_yaml(_make_dataset(tmp_path))
    ds = YoloDataset(spec.train, spec.nc, 128, augment=False)
    for i in range(len(ds)):
        img, t = ds[i]
        assert img.shape == (3, 128, 128)
        cls, cx, cy, w, h = t[0].tolist()
        x1, y1, x2, y2 = _red_box(img.numpy())
        assert cls == 1
        assert abs(cx - w / 2 - x1) <= 1.5 and abs(cx + w / 2 - x2) <= 1.5
        assert abs(cy - h / 2 - y1) <= 1.5 and abs(cy + h / 2 - y2) <= 1.5
    img, boxes, gain, pad = letterbox(np.zeros((100, 200, 3), np.uint8), 64, np.array([[0, 0, 200, 100]], np.float32))
    assert img.shape == (64, 64, 3) and gain == pytest.approx(0.32) and pad == (0.0, 16.0)
    assert boxes.tolist() == [[0, 16, 64, 48]]


def test_random_affine_hsv_flip_keep_boxes_on_the_object(tmp_path: Path):
    spec = load_data_yaml(_make_dataset(tmp_path))
    ds = YoloDataset(spec.train, spec.nc, 96, augment=True, seed=1, scale=(0.8, 1.2))
    seen = 0
    for epoch in range(4):
        ds.epoch = epoch
        for i in range(len(ds)):
            img, t = ds[i]
            assert img.shape == (3, 96, 96)
            if len(t) == 0:
                continue
            cx, cy, w, h = t[0, 1:].tolist()
            x1, y1, x2, y2 = _red_box(img.numpy())
            assert abs(cx - w / 2 - x1) <= 2 and abs(cx + w / 2 - x2) <= 2
            assert abs(cy - h / 2 - y1) <= 2 and abs(cy + h / 2 - y2) <= 2
            seen += 1
    assert seen >= 6
    flipped, boxes = hflip(np.zeros((10, 20, 3), np.uint8), np.array([[2, 1, 5, 4]], np.float32))
    assert boxes.tolist() == [[15, 1, 18, 4]]
    # a box pushed out of the canvas is dropped, not squashed to a sliver
    rng = np.random.default_rng(0)
    _, kept, keep = random_affine(np.zeros((100, 100, 3), np.uint8), np.array([[0, 0, 4, 4]], np.float32), 64, rng,
                                  scale=(1.0, 1.0), translate=0.0)
    assert keep.sum() == len(kept)


def test_min_keep_labels_what_the_crop_leaves_of_a_cut_box(tmp_path: Path):
    """The same crops with min_keep 0.1 label every box 0.35 labels, plus boxes cut further, each on its pixels."""
    spec = load_data_yaml(_make_dataset(tmp_path))
    strict = YoloDataset(spec.train, spec.nc, 32, augment=True, seed=3, scale=(0.8, 1.2), view_size=200)
    loose = YoloDataset(spec.train, spec.nc, 32, augment=True, seed=3, scale=(0.8, 1.2), view_size=200,
                        min_keep=0.1)
    labelled = {0.35: set(), 0.1: set()}
    for epoch in range(12):
        strict.epoch = loose.epoch = epoch
        for i in range(len(loose)):
            for ds, key in ((strict, 0.35), (loose, 0.1)):
                img, t = ds[i]
                if len(t):
                    labelled[key].add((epoch, i))
                    cx, cy, w, h = t[0, 1:].tolist()
                    x1, y1, x2, y2 = _red_box(img.numpy())
                    assert abs(cx - w / 2 - x1) <= 2 and abs(cx + w / 2 - x2) <= 2
                    assert abs(cy - h / 2 - y1) <= 2 and abs(cy + h / 2 - y2) <= 2
    assert labelled[0.35] < labelled[0.1]


def test_collate_flattens_labels_with_image_index(tmp_path: Path):
    spec = load_data_yaml(_make_dataset(tmp_path))
    ds = YoloDataset(spec.train, spec.nc, 64, augment=False)
    batch = collate([ds[0], ds[1]])
    assert batch["images"].shape == (2, 3, 64, 64)
    assert batch["batch_idx"].tolist() == [0, 1]
    assert batch["cls"].tolist() == [1, 1] and batch["bboxes"].shape == (2, 4)


@pytest.mark.parametrize(("task", "text", "why"), [
    ("segment", "0 0.1 0.1 0.5 0.1", "4 coordinates"),
    ("segment", "0 0.1 0.1 0.5 0.1 0.5 1.3", "outside the image"),
    ("segment", "0 0.1 0.1 0.5 0.1 0.9 0.1", "no area"),
    ("pose", "0 0.5 0.5 0.2 0.2 0.1 0.1 2", "8 values instead of 11"),
    ("pose", "0 0.5 0.5 0.2 0.2 0.1 0.1 2 0.2 0.2 7", "visibility"),
    ("pose", "1 0.5 0.5 0.2 0.2 0.1 nan 2 0.2 0.2 1", "not finite"),
])
def test_bad_segment_and_pose_rows_name_the_file_and_line(tmp_path: Path, task: str, text: str, why: str):
    f = tmp_path / "l.txt"
    good = "1 0.1 0.1 0.5 0.1 0.3 0.4" if task == "segment" else "1 0.5 0.5 0.2 0.2 0.1 0.1 2 0.2 0.2 0"
    f.write_text(good + "\n\n" + text + "\n")
    with pytest.raises(LabelError, match=rf"l\.txt:3: .*{why}"):
        read_label_file(f, 2, task, (2, 3))
    f.write_text(good + "\n")
    lab = read_label_file(f, 2, task, (2, 3))
    assert lab.cls.tolist() == [1]
    if task == "segment":
        assert np.allclose(lab.boxes, [[0.3, 0.25, 0.4, 0.3]]) and lab.segments[0].shape == (3, 2)
    else:
        assert np.allclose(lab.keypoints, [[[0.1, 0.1, 2], [0.2, 0.2, 0]]])


def test_train_with_a_bad_label_file_says_file_and_line_and_exits_2(tmp_path: Path, capsys):
    data = _make_dataset(tmp_path)
    (tmp_path / "labels" / "train" / "im1.txt").write_text("1 0.5 0.5 0.2 0.2\n1 0.5 0.5 0.2\n")
    assert main(["train", str(data), "--out", str(tmp_path / "run"), "--steps", "1", "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "im1.txt:2:" in err[0] and "expected 'class cx cy w h'" in err[0]


def test_pose_and_segment_crops_keep_their_shapes_even_when_empty(tmp_path: Path):
    from yolotrack.train.synth_export import SynthPlan, run_plan, scene_config

    for task in ("pose", "segment"):
        scene = scene_config(width=192, height=128, frames=3, min_objects=1, max_objects=2, min_size=10, max_size=14)
        run_plan(SynthPlan(out=tmp_path / task, sequences=1, seed=3, scene=scene, every=1, videos=False,
                           val_fraction=0.0, task=task))
        spec = load_data_yaml(tmp_path / task / "dataset" / "data.yaml")
        ds = YoloDataset(spec.train, spec.nc, 64, augment=True, view_size=512, scale=(1.0, 1.4), task=task,
                         kpt_shape=spec.kpt_shape)
        sizes = []
        for epoch in range(6):
            ds.epoch = epoch
            for i in range(len(ds)):
                sample = ds[i]
                sizes.append(len(sample[1]))
                assert sample[1].shape[1] == (5 + 18 if task == "pose" else 5)
                if task == "segment":
                    assert sample[2].shape == (len(sample[1]), 16, 16)
        assert 0 in sizes and max(sizes) > 0  # crops that miss every object, and crops that do not
        batch = collate([ds[i] for i in range(len(ds))])
        assert ("keypoints" in batch) == (task == "pose") and ("masks" in batch) == (task == "segment")
