"""Our native YOLOv12 reproduces every reference fixture (raw head, NMS rows, end-to-end predict)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from yolotrack.detector import Detector, load_model, torch_thread
from yolotrack.detector.postprocess import non_max_suppression, process_masks

ALL = ["ultralytics_yolo12n", "ultralytics_yolo12n_pebias", "ultralytics_yolo12n-seg", "ultralytics_yolo12n-pose",
       "official_yolov12n", "official_yolov12n-seg"]
EXPECT = {  # name: (task, family)
    "ultralytics_yolo12n": ("detect", "v1"), "ultralytics_yolo12n_pebias": ("detect", "v1"),
    "ultralytics_yolo12n-seg": ("segment", "v1"), "ultralytics_yolo12n-pose": ("pose", "v1"),
    "official_yolov12n": ("detect", "turbo"), "official_yolov12n-seg": ("segment", "turbo"),
}


def rel_err(ours: np.ndarray, ref: np.ndarray) -> float:
    return float(np.abs(ours - ref).max() / (1.0 + np.abs(ref).max())) if ref.size else 0.0


@pytest.fixture(scope="module", autouse=True)
def _threads():
    old = torch.get_num_threads()
    torch_thread.set_threads(1)
    yield
    torch_thread.set_threads(old)


@pytest.fixture(scope="module")
def loaded(fixtures_dir: Path):
    cache: dict[str, tuple] = {}

    def get(name: str):
        if name not in cache:
            cache[name] = (load_model(fixtures_dir / f"{name}.pt", attention="eager"),
                           np.load(fixtures_dir / f"{name}_io.npz"))
        return cache[name]

    return get


def _check_raw(model, ref: np.lib.npyio.NpzFile, tag: str) -> None:
    x = torch.from_numpy(ref[f"x_{tag}"])
    with torch.inference_mode():
        out = model(x)
    if model.task == "segment":
        out, proto = out
        assert rel_err(proto.numpy(), ref[f"proto_{tag}"]) <= 1e-4 if f"proto_{tag}" in ref else True
    y, r = out.numpy(), ref[f"y_{tag}"]
    assert y.shape == r.shape
    assert rel_err(y[:, :4], r[:, :4]) <= 1e-4, "boxes differ"
    assert rel_err(y[:, 4:], r[:, 4:]) <= 1e-4, "scores/extras differ"
    rows = non_max_suppression(out, model.nc, 0.25, 0.7)[0].numpy()
    nref = ref[f"nms_{tag}"]
    assert rows.shape == nref.shape
    if len(rows):
        o, o2 = np.argsort(-rows[:, 4], kind="stable"), np.argsort(-nref[:, 4], kind="stable")
        assert np.abs(rows[o, :4] - nref[o2, :4]).max() <= 0.05
        assert np.abs(rows[o, 4] - nref[o2, 4]).max() <= 1e-4
        assert (rows[o, 5] == nref[o2, 5]).all()
        if rows.shape[1] > 6:
            assert rel_err(rows[o, 6:], nref[o2, 6:]) <= 1e-4


@pytest.mark.parametrize("name", ALL)
def test_raw_head_matches_reference(loaded, name: str) -> None:
    model, ref = loaded(name)
    assert (model.task, model.family) == EXPECT[name]
    assert model.stride.tolist() == [8.0, 16.0, 32.0]
    assert len(model.names) == model.nc == 80
    assert not model.training and all(not p.requires_grad for p in model.parameters())
    _check_raw(model, ref, "320x480")
    if "x_frame" in ref:
        _check_raw(model, ref, "frame")


def test_square_640_and_pose_metadata(loaded) -> None:
    model, ref = loaded("ultralytics_yolo12n")
    _check_raw(model, ref, "640")
    pose, _ = loaded("ultralytics_yolo12n-pose")
    assert pose.kpt_shape == (17, 3)
    assert len(pose.names) == pose.nc


def test_pe_bias_is_used(loaded) -> None:
    model, _ = loaded("ultralytics_yolo12n_pebias")
    assert model.spec.pe_bias is True
    plain, _ = loaded("ultralytics_yolo12n")
    assert plain.spec.pe_bias is False


def _match_predict(det: Detector, ref, frame_key: str) -> None:
    frame = ref[frame_key]
    x, infos = det.preprocess([frame])
    assert tuple(x.shape) == ref["predict_im_tensor"].shape
    assert np.abs(x.numpy() - ref["predict_im_tensor"]).max() == 0.0
    res = det([frame])[0]
    n = len(ref["predict_xyxy"])
    assert len(res) == n
    assert res.names == det.names
    if n == 0:
        return None
    o, o2 = np.argsort(-res.scores, kind="stable"), np.argsort(-ref["predict_conf"], kind="stable")
    assert np.abs(res.xyxy[o] - ref["predict_xyxy"][o2]).max() <= 0.05
    assert np.abs(res.scores[o] - ref["predict_conf"][o2]).max() <= 1e-4
    assert (res.class_ids[o] == ref["predict_cls"][o2]).all()
    h, w = frame.shape[:2]
    assert (res.xyxy >= 0).all() and (res.xyxy[:, [0, 2]] <= w).all() and (res.xyxy[:, [1, 3]] <= h).all()
    return res, o, o2, x


@pytest.mark.parametrize("name,frame_key", [("ultralytics_yolo12n", "predict_img"),
                                             ("official_yolov12n", "frame_bgr"),
                                             ("official_yolov12n-seg", "frame_bgr")])
def test_predict_end_to_end(fixtures_dir: Path, loaded, name: str, frame_key: str) -> None:
    model, ref = loaded(name)
    det = Detector(model, device="cpu", runtime="torch")
    _match_predict(det, ref, frame_key)
    assert set(det.last_timing) == {"preprocess", "inference", "postprocess"}
    assert det.last_timing["inference"] > 0


def test_predict_pose_keypoints(loaded) -> None:
    model, ref = loaded("ultralytics_yolo12n-pose")
    det = Detector(model, device="cpu", runtime="torch")
    res, o, o2, _ = _match_predict(det, ref, "predict_img")
    assert res.keypoints.shape == (len(res), 17, 3)
    assert np.abs(res.keypoints[o] - ref["predict_kpts"][o2]).max() <= 0.05


def test_predict_segment_masks(loaded) -> None:
    model, ref = loaded("ultralytics_yolo12n-seg")
    det = Detector(model, device="cpu", runtime="torch")
    frame = ref["predict_img"]
    res, o, o2, x = _match_predict(det, ref, "predict_img")
    # letterboxed masks equal the reference exactly
    with torch.inference_mode():
        y, p = model(x)
    rows = non_max_suppression(y, model.nc)[0]
    lb = process_masks(p[0], rows[:, 6:], rows[:, :4], tuple(x.shape[2:])).numpy()
    order = np.argsort(-rows[:, 4].numpy(), kind="stable")
    ref_masks = ref["predict_masks"].astype(bool)[o2]
    assert (lb[order] != ref_masks).sum() == 0
    # frame-size masks: the reference cut out of its padding and resized, up to resampling edges
    assert res.masks.shape == (len(res), *frame.shape[:2]) and res.masks.dtype == bool
    pad = 12  # 720x1280 -> 360x640 inside 384x640
    import cv2

    for i, j in zip(o, range(len(o2)), strict=True):
        ref_frame = cv2.resize(ref_masks[j, pad:384 - pad].astype(np.uint8), (1280, 720),
                               interpolation=cv2.INTER_NEAREST).astype(bool)
        inter = (res.masks[i] & ref_frame).sum()
        union = (res.masks[i] | ref_frame).sum()
        assert union > 0 and inter / union > 0.97
