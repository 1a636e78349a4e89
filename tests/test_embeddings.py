"""Appearance embeddings from the detector's own neck: the features, the pooling, every runtime."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from yolotrack.core.detections import Detections
from yolotrack.detector import Detector, load_model
from yolotrack.detector.postprocess_np import pool_box_features
from yolotrack.detector.runtimes.onnx_export import onnx_path_for
from yolotrack.detector.runtimes.source import ModelSource

FIXTURES = ["ultralytics_yolo12n", "ultralytics_yolo12n-seg", "ultralytics_yolo12n-pose", "official_yolov12n"]


@pytest.mark.parametrize("fixture", FIXTURES)
def test_the_neck_map_is_exactly_what_the_reference_head_reads(fixtures_dir, fixture) -> None:
    """The fixtures hold the Detect layer's inputs as the reference computed them (what Ultralytics'
    `model: auto` ReID hooks); with `return_features` our model returns the P3 one after its usual
    outputs, which stay unchanged."""
    ref = np.load(fixtures_dir / f"{fixture}_io.npz")
    model = load_model(fixtures_dir / f"{fixture}.pt", device="cpu")
    x = torch.from_numpy(ref["x_320x480"])
    with torch.inference_mode():
        plain = model(x)
        model.return_features = True
        out = model(x)
    n = 2 if model.task == "segment" else 1
    assert len(out) == n + 1
    for got, want in zip(out[:n], plain if n == 2 else (plain,), strict=True):
        assert torch.equal(got, want)
    want = ref["feat0_320x480"]
    got = out[n].numpy()
    assert got.shape == want.shape
    assert np.abs(got - want).max() <= 1e-4 * max(1.0, np.abs(want).max())


def test_pooling_is_the_mean_inside_each_box() -> None:
    rng = np.random.default_rng(0)
    feat = rng.normal(size=(8, 24, 32)).astype(np.float32)
    boxes = np.array([[0.0, 0.0, 256.0, 192.0], [13.0, 7.0, 61.0, 90.0], [200.0, 150.0, 203.0, 152.0],
                      [250.0, 190.0, 400.0, 300.0]])
    emb = pool_box_features(feat, boxes, 8)
    assert emb.shape == (4, 8)
    for i, (x1, y1, x2, y2) in enumerate(boxes.tolist()):
        c0, r0 = min(int(x1 // 8), 31), min(int(y1 // 8), 23)
        c1, r1 = max(min(int(np.ceil(x2 / 8)), 32), c0 + 1), max(min(int(np.ceil(y2 / 8)), 24), r0 + 1)
        v = feat[:, r0:r1, c0:c1].mean((1, 2))
        np.testing.assert_allclose(emb[i], v / np.linalg.norm(v), rtol=1e-4, atol=1e-5)
    assert pool_box_features(feat, np.zeros((0, 4)), 8).shape == (0, 8)


@pytest.fixture(scope="module")
def frame(fixtures_dir) -> np.ndarray:
    return np.load(fixtures_dir / "ultralytics_yolo12n_io.npz")["predict_img"]


def test_every_runtime_gives_the_same_boxes_and_embeddings(frame) -> None:
    """The bundled demo model finds real boxes; ONNX Runtime and OpenVINO export the neck map as an
    extra output and agree with torch."""
    plain = Detector("demo", conf=0.05, imgsz=320, runtime="torch")([frame])[0]
    assert plain.embeddings is None and len(plain) > 0
    results = {}
    for runtime in ("torch", "onnxruntime", "openvino"):  # OpenVINO converts the same ONNX export
        d = Detector("demo", conf=0.05, runtime=runtime, imgsz=320, embeddings=True)([frame])[0]
        np.testing.assert_allclose(d.xyxy, plain.xyxy, atol=1e-3)
        assert d.embeddings.shape == (len(d), 64) and d.embeddings.dtype == np.float32
        results[runtime] = d.embeddings
    for runtime in ("onnxruntime", "openvino"):
        cos = (results[runtime] * results["torch"]).sum(1)
        assert cos.min() > 0.9999, runtime


def test_the_export_cache_keeps_a_model_with_features_apart(fixtures_dir, tmp_path) -> None:
    weights = fixtures_dir / "ultralytics_yolo12n.pt"
    model = load_model(weights, device="cpu")
    plain = onnx_path_for(ModelSource.of(model, weights, tmp_path), (320, 480), 1, tmp_path)
    model.return_features = True
    with_features = onnx_path_for(ModelSource.of(model, weights, tmp_path), (320, 480), 1, tmp_path)
    assert plain != with_features and "-feats" in with_features.name


def test_embeddings_slice_with_their_rows_and_blank_rows_are_zero() -> None:
    emb = np.arange(12, dtype=np.float32).reshape(3, 4)
    d = Detections(np.array([[0, 0, 1, 1], [1, 1, 2, 2], [2, 2, 3, 3]]), np.array([0.9, 0.8, 0.7]), np.zeros(3),
                   embeddings=emb)
    np.testing.assert_array_equal(d[[2, 0]].embeddings, emb[[2, 0]])
    taken = d.take(np.array([1, -1]))
    np.testing.assert_array_equal(taken.embeddings, [emb[1], np.zeros(4)])
    assert taken.scores.tolist() == pytest.approx([0.8, 0.0])
    with pytest.raises(ValueError, match="embeddings has 2 rows but xyxy has 3"):
        Detections(d.xyxy, d.scores, d.class_ids, embeddings=emb[:2])
