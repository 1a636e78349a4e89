"""The bundled offline demo: a small fp16 YOLOv12-n and a held-out synthetic clip that it tracks well."""

from __future__ import annotations

import json

import av
import numpy as np
import pytest
import torch
from safetensors import safe_open

from yolotrack.core.assets import DEMO_DIR, DEMO_GT, DEMO_VIDEO, DEMO_WEIGHTS
from yolotrack.detector import torch_thread
from yolotrack.train.synth import CLASS_NAMES, SceneConfig, SceneGenerator

DEMO_SEED = 1000


def _meta() -> dict:
    with safe_open(str(DEMO_WEIGHTS), "pt") as f:
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
