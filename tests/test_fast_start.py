"""A warm export cache starts without torch: the model card, the cached runtime files, numpy pre/post-processing."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
from pipeline_media import demo_clip

from yolotrack.core.assets import DEMO_WEIGHTS
from yolotrack.detector import Detector
from yolotrack.detector.runtimes.source import ModelCard, card_path, read_card


def test_card_holds_what_the_pipeline_needs(fixtures_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    weights = fixtures_dir / "ultralytics_yolo12n-pose.pt"
    assert read_card(weights) is None
    det = Detector(weights, imgsz=320, device="cpu", runtime="openvino")
    card = read_card(weights)
    assert card is not None and card_path(weights).parent == tmp_path / "yolotrack" / "exports"
    assert card.names == det.names and card.task == "pose" and card.kpt_shape == (17, 3) and card.nc == 80
    assert card.stride == (8.0, 16.0, 32.0) and card.family == "v1"
    assert ModelCard.from_json(card.to_json()) == card
    # the next Detector reads the card, not the checkpoint, and agrees with the torch-built one
    frame = np.load(fixtures_dir / "ultralytics_yolo12n-pose_io.npz")["predict_img"]
    expected = det([frame])[0]
    warm = Detector(weights, imgsz=320, device="cpu", runtime="openvino", conf=0.25)
    assert warm.device == "cpu" and not warm.model.source.loaded
    got = warm([frame])[0]
    assert not warm.model.source.loaded, "the export was cached: no torch model needed"
    assert len(got) == len(expected) and warm.kpt_shape == (17, 3)
    np.testing.assert_allclose(np.sort(got.scores), np.sort(expected.scores), atol=1e-4)
    # a new input shape needs an export: the torch model is loaded then, on demand
    assert len(warm([frame[:, :640].copy()])) == 1 and warm.model.source.loaded


def test_warm_export_never_imports_torch(tmp_path):
    """`yolotrack export` with the export cache already holding the model: torch is never imported."""
    clip = demo_clip(tmp_path / "one.mp4", 1)
    Detector(DEMO_WEIGHTS, device="cpu", runtime="auto")([np.zeros((384, 640, 3), np.uint8)])  # warms the cache
    code = ("import sys, json; from yolotrack.main import main; "
            f"rc = main(['export', {str(clip)!r}, '--weights', 'demo', '--formats', 'jsonl', "
            f"'--out', {str(tmp_path / 'out')!r}, '-q']); "
            "print(json.dumps({'rc': rc, 'torch': 'torch' in sys.modules}))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result == {"rc": 0, "torch": False}, proc.stderr[-2000:]
    lines = (tmp_path / "out" / "one.jsonl").read_text().splitlines()
    frame = json.loads(lines[1])
    assert frame["type"] == "frame" and len(frame["tracks"]) > 0
