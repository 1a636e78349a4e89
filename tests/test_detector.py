"""Detector API: thresholds, class filters, config, batches of mixed sizes, bad input."""

from __future__ import annotations

import dataclasses
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from yolotrack.core.config import ModelConfig
from yolotrack.core.detections import Detections
from yolotrack.core.errors import ConfigError, InvalidInputError
from yolotrack.detector import Detector, load_model, torch_thread


@pytest.fixture(scope="module")
def detector(fixtures_dir: Path) -> Detector:
    torch_thread.set_threads(1)
    return Detector(fixtures_dir / "ultralytics_yolo12n.pt", device="cpu", conf=0.25, runtime="torch")


@pytest.fixture(scope="module")
def frame(fixtures_dir: Path) -> np.ndarray:
    return np.load(fixtures_dir / "ultralytics_yolo12n_io.npz")["predict_img"]


def test_attributes(detector: Detector) -> None:
    assert detector.task == "detect" and detector.kpt_shape is None
    assert detector.device == torch.device("cpu") and detector.imgsz == 640
    assert len(detector.names) == 80 and detector.attention == "sdpa"


def test_set_thresholds_applies_next_call(detector: Detector, frame: np.ndarray) -> None:
    base = detector([frame])[0]
    assert len(base) == 30
    t = threading.Thread(target=detector.set_thresholds, kwargs={"conf": 0.4})
    t.start()
    t.join()
    assert detector.conf == 0.25  # pending until the next call
    high = detector([frame])[0]
    assert 0 < len(high) < len(base) and (high.scores > 0.4).all()
    top_cls = int(base.class_ids[np.argmax(base.scores)])
    detector.set_thresholds(conf=0.25, classes=[detector.names[top_cls]])
    only = detector([frame])[0]
    assert len(only) > 0 and set(only.class_ids.tolist()) == {top_cls}
    detector.set_thresholds(classes=None)
    assert len(detector([frame])[0]) == len(base)
    with pytest.raises(ConfigError):
        detector.set_thresholds(conf=1.5)
    with pytest.raises(ConfigError, match="unknown class"):
        detector.set_thresholds(classes=["unicorn"])


def test_batch_of_mixed_sizes(detector: Detector, frame: np.ndarray) -> None:
    small = np.ascontiguousarray(frame[100:400, 200:800])
    out = detector([frame, small, frame])
    assert len(out) == 3 and all(isinstance(d, Detections) for d in out)
    single = detector([small])[0]
    assert (out[1].xyxy[:, [0, 2]] <= 600).all() and (out[1].xyxy[:, [1, 3]] <= 300).all()
    # a square letterbox for a mixed batch gives nearly the same boxes as the per-frame rectangle
    if len(single) and len(out[1]):
        assert abs(len(single) - len(out[1])) <= 2
    agn = Detector(detector.model, device="cpu", agnostic_nms=True, max_det=5, runtime="torch")
    assert len(agn([frame])[0]) <= 5


def test_from_config_resolves_class_names(tmp_path: Path) -> None:
    from yolotrack.detector import build_model, save_checkpoint

    names = {0: "person", 1: "bicycle", 2: "car"}
    path = save_checkpoint(build_model("n", nc=3, family="v1", names=names).eval(), tmp_path / "m.safetensors")
    cfg = ModelConfig(weights=str(path), imgsz=320, conf=0.3,
                      classes=["Person", 2], device="cpu", attention="eager")
    det = Detector.from_config(cfg)
    assert det.classes == [0, 2] and det.imgsz == 320 and det.conf == 0.3 and det.attention == "eager"
    with pytest.raises(ConfigError, match="dragon"):
        Detector.from_config(dataclasses.replace(cfg, classes=["dragon"]))


def test_from_config_without_weights_loads_the_named_release(fixtures_dir: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # the release as if downloaded before: no network
    (tmp_path / "yolotrack").mkdir()
    shutil.copyfile(fixtures_dir / "official_yolov12n-seg.pt", tmp_path / "yolotrack" / "yolov12n-seg.pt")
    cfg = ModelConfig(weights="", scale="n", task="segment", imgsz=64, device="cpu", runtime="torch")
    det = Detector.from_config(cfg)
    assert det.task == "segment" and det.model.family == "turbo"
    with pytest.raises(ConfigError, match="no official YOLOv12 pose weights exist"):
        Detector.from_config(dataclasses.replace(cfg, task="pose"))


def test_bad_frames(detector: Detector) -> None:
    with pytest.raises(InvalidInputError):
        detector([np.zeros((10, 10), np.uint8)])
    with pytest.raises(InvalidInputError):
        detector([np.zeros((10, 10, 3), np.float32)])
    assert detector([]) == []
    empty = detector([np.full((64, 64, 3), 114, np.uint8)])[0]
    assert len(empty) == 0 and empty.xyxy.shape == (0, 4)


def test_pose_and_segment_outputs_on_tiny_frames(fixtures_dir: Path) -> None:
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (90, 160, 3), dtype=np.uint8)
    pose = Detector(load_model(fixtures_dir / "ultralytics_yolo12n-pose.pt"), imgsz=160, conf=0.01, device="cpu",
                    runtime="torch")
    r = pose([frame])[0]
    assert r.keypoints is not None and r.keypoints.shape == (len(r), 17, 3) and r.keypoints.dtype == np.float32
    seg = Detector(load_model(fixtures_dir / "official_yolov12n-seg.pt"), imgsz=160, conf=0.01, device="cpu",
                   runtime="torch")
    s = seg([frame, frame])
    assert s[0].masks is not None and s[0].masks.shape == (len(s[0]), 90, 160) and s[0].masks.dtype == bool
    assert seg.task == "segment"


def test_model_contract(fixtures_dir: Path) -> None:
    m = load_model(fixtures_dir / "ultralytics_yolo12n-seg.pt", device="cpu", attention="auto")
    assert m.fused and not m.training
    assert all(p.dtype == torch.float32 for p in m.parameters())
    with torch.inference_mode():
        y, protos = m(torch.rand(2, 3, 64, 96))
    assert y.shape == (2, 4 + 80 + 32, 8 * 12 + 4 * 6 + 2 * 3) and protos.shape == (2, 32, 16, 24)


# parameter totals from the upstream YAML headers (spec §6.3); v1 = Ultralytics build, i.e. minus the pe bias
PARAMS = {("turbo", "n"): 2_553_904, ("turbo", "s"): 9_127_424, ("turbo", "m"): 19_670_784,
          ("turbo", "l"): 26_506_496, ("turbo", "x"): 59_414_176, ("v1", "n"): 2_602_288, ("v1", "s"): 9_284_096,
          ("v1", "m"): 20_199_168, ("v1", "l"): 26_450_784, ("v1", "x"): 59_210_784}


@pytest.mark.parametrize("family,scale", sorted(PARAMS))
def test_every_scale_matches_upstream_and_is_inferred_back(family: str, scale: str) -> None:
    from yolotrack.detector import build_model
    from yolotrack.detector.spec import infer_spec

    model = build_model(scale, family=family)
    assert sum(p.numel() for p in model.parameters()) == PARAMS[(family, scale)]
    spec = infer_spec(model.state_dict(), {"scale": scale})
    assert spec == model.spec


def test_every_torch_call_runs_on_one_thread_whoever_calls(detector: Detector, frame: np.ndarray) -> None:
    """libgomp slows every thread team down once two exist (detector/torch_thread.py), so a Detector built
    in one thread and called from others must still run all its torch work on a single thread."""
    seen: list[int] = []
    hook = detector.model.register_forward_pre_hook(lambda m, a: seen.append(threading.get_ident()))
    try:
        detector([frame])
        callers = [threading.Thread(target=detector, args=([frame],)) for _ in range(2)]
        for t in callers:
            t.start()
        for t in callers:
            t.join()
        detector.preprocess([frame])
    finally:
        hook.remove()
    assert len(seen) == 3 and len(set(seen)) == 1
    assert seen[0] not in {threading.get_ident(), *(t.ident for t in callers)}


def test_torch_thread_runs_nested_calls_inline_and_raises_in_the_caller() -> None:
    ident = torch_thread.run(threading.get_ident)
    assert ident != threading.get_ident()
    assert torch_thread.run(lambda: torch_thread.run(threading.get_ident)) == ident  # no deadlock
    with pytest.raises(ZeroDivisionError):
        torch_thread.run(lambda: 1 / 0)
    assert torch_thread.run(lambda: 2 + 2) == 4  # still serving after a failure
