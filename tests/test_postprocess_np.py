"""The numpy/OpenCV pre- and post-processing (the warm-start CPU path) against the torch path, on real outputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from yolotrack.detector import Detector, postprocess, postprocess_np, torch_thread
from yolotrack.detector.runtimes.base import frames_to_float

FIXTURES = ["ultralytics_yolo12n", "ultralytics_yolo12n-seg", "ultralytics_yolo12n-pose"]


def _ordered(d):
    i = np.lexsort((d.xyxy[:, 1], d.xyxy[:, 0], d.class_ids))
    return i


@pytest.mark.parametrize("fixture", FIXTURES)
def test_numpy_postprocess_matches_torch(fixtures_dir, fixture):
    """Same raw outputs through both paths: same boxes, scores, classes, masks and keypoints."""
    io = np.load(fixtures_dir / f"{fixture}_io.npz")
    det = Detector(fixtures_dir / f"{fixture}.pt", imgsz=640, conf=0.25, device="cpu", runtime="torch")
    frame = io["predict_img"]
    x, infos = det.preprocess([frame])
    out = torch_thread.run(lambda: det.model(x))
    outs = out if isinstance(out, tuple) else (out,)
    expected = det._postprocess(out, infos)[0]
    got = det._postprocess_np({f"o{i}": o.numpy() for i, o in enumerate(outs)}, infos)[0]
    assert len(expected) >= 3 and len(got) == len(expected)
    a, b = _ordered(expected), _ordered(got)
    np.testing.assert_array_equal(got.class_ids[b], expected.class_ids[a])
    np.testing.assert_allclose(got.xyxy[b], expected.xyxy[a], atol=1e-3)
    np.testing.assert_allclose(got.scores[b], expected.scores[a], atol=1e-6)
    assert got.xyxy.dtype == np.float32 and got.class_ids.dtype == expected.class_ids.dtype
    if expected.masks is not None:
        assert got.masks.shape == expected.masks.shape and got.masks.dtype == bool
        differ = (got.masks[b] != expected.masks[a]).mean()
        assert differ < 1e-4, f"{differ:.2e} of mask pixels differ"
        assert got.masks.any()
    if expected.keypoints is not None:
        np.testing.assert_allclose(got.keypoints[b], expected.keypoints[a], atol=1e-3)


def test_numpy_preprocessing_is_the_torch_input(fixtures_dir):
    """The letterboxed uint8 batch, as float, is bit for bit what the torch path feeds the model."""
    frame = np.load(fixtures_dir / "ultralytics_yolo12n_io.npz")["predict_img"]
    det = Detector(fixtures_dir / "ultralytics_yolo12n.pt", imgsz=640, device="cpu", runtime="torch")
    x, _ = det.preprocess([frame, frame[:, ::-1].copy()])
    batch, _ = det._letterbox_batch([frame, frame[:, ::-1].copy()])
    assert batch.dtype == np.uint8 and batch.shape == (2, 384, 640, 3)
    np.testing.assert_array_equal(frames_to_float(batch), x.contiguous().numpy())


@pytest.mark.parametrize("agnostic,classes,max_det", [(False, None, 300), (True, None, 300), (False, [1, 3], 5)])
def test_numpy_nms_matches_torch(agnostic, classes, max_det):
    rng = np.random.default_rng(3)
    nc, n = 5, 2000
    xy = rng.uniform(0, 600, (n, 2))
    wh = rng.uniform(5, 120, (n, 2))
    scores = rng.uniform(0, 1, (nc, n)) ** 4
    pred = np.concatenate([xy.T, wh.T, scores], 0)[None].astype(np.float32)
    kw = dict(nc=nc, conf=0.2, iou=0.5, classes=classes, agnostic=agnostic, max_det=max_det)
    t = postprocess.non_max_suppression(torch.from_numpy(pred), **kw)[0].numpy()
    g = postprocess_np.non_max_suppression(pred, **kw)[0]
    assert len(t) > 3 and t.shape == g.shape
    order = lambda r: np.lexsort((r[:, 1], r[:, 0]))  # noqa: E731
    np.testing.assert_allclose(g[order(g)], t[order(t)], atol=1e-5)
    assert len(postprocess_np.non_max_suppression(pred, nc, conf=1.0)[0]) == 0
