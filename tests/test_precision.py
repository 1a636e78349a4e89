"""`model.precision`: int8 (NNCF) and bf16 on OpenVINO keep the demo model's accuracy; the int8 cache;
one-sentence errors for requests that cannot run. Small versions of benchmarks/precision.py: imgsz 320,
16 calibration frames (6 were too few: IDF1 -0.08), 60 evaluated frames of the held-out demo clip at conf 0.01."""

from __future__ import annotations

import numpy as np
import pytest

from yolotrack.core.assets import DEMO_GT, DEMO_VIDEO, DEMO_WEIGHTS
from yolotrack.core.errors import ConfigError
from yolotrack.detector import Detector
from yolotrack.detector.calibration import calibration_set, fallback_source
from yolotrack.detector.runtimes import openvino_runtime, quantize
from yolotrack.train.demo import decode_frames, evaluate_clip

IMGSZ = 320
EVAL_FRAMES = 60


@pytest.fixture(scope="module")
def calib_frames() -> list[np.ndarray]:
    """Frames 150-299 of the demo clip, never among the evaluated ones (0-59)."""
    return [f for i, f in enumerate(decode_frames(DEMO_VIDEO)) if i >= 150][::9][:16]


def _detector(precision: str, calibration=None, **kw) -> Detector:
    return Detector(DEMO_WEIGHTS, imgsz=IMGSZ, conf=0.01, device="cpu", runtime="openvino", threads=2,
                    precision=precision, calibration=calibration, **kw)


@pytest.fixture(scope="module")
def fp32_scores() -> dict:
    return evaluate_clip(DEMO_WEIGHTS, DEMO_VIDEO, DEMO_GT, max_frames=EVAL_FRAMES, detector=_detector("fp32"))


@pytest.mark.parametrize("precision", ["int8", "bf16"])
def test_low_precision_keeps_accuracy(precision, calib_frames, fp32_scores):
    if precision == "bf16" and not openvino_runtime.supports_bf16(openvino_runtime.import_ov().Core()):
        with pytest.raises(ConfigError, match="bfloat16"):
            _detector("bf16")
        return
    det = _detector(precision, calib_frames if precision == "int8" else None)
    got = evaluate_clip(DEMO_WEIGHTS, DEMO_VIDEO, DEMO_GT, max_frames=EVAL_FRAMES, detector=det)
    rt = det.model.runtime_for((1, 3, 192, 320))
    assert rt.name == "openvino" and rt.spec.precision == precision
    assert ("-int8c" in rt.ir_path.name) == (precision == "int8")
    assert fp32_scores["mAP50"] >= 0.8 and fp32_scores["IDF1"] >= 0.8, fp32_scores
    for key in ("mAP50", "IDF1"):
        assert got[key] >= fp32_scores[key] - 0.01, f"{precision} {key}: {got[key]:.4f} vs fp32 {fp32_scores[key]:.4f}"
    assert got["mAP50-95"] >= fp32_scores["mAP50-95"] - 0.03


def test_int8_model_is_cached_per_calibration_set(calib_frames, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    frame = calib_frames[0]
    _detector("int8", calib_frames)([frame])
    int8 = sorted(tmp_path.rglob("*-int8c*.xml"))
    assert len(int8) == 1 and int8[0].with_suffix(".bin").is_file()
    assert calibration_set(calib_frames, 64).key in int8[0].name

    def no_quantization(*_a, **_k):
        raise AssertionError("the cached int8 model must be reused")

    monkeypatch.setattr(quantize, "quantize", no_quantization)
    again = _detector("int8", calib_frames)
    assert len(again([frame])[0]) > 0
    with pytest.raises(AssertionError, match="must be reused"):  # other frames, other key
        _detector("int8", calib_frames[:15])([frame])


def test_calibration_sources(tmp_path):
    import cv2

    video = calibration_set(DEMO_VIDEO, 6)
    frames = video.frames()
    assert len(frames) == 6 and frames[0].shape == (384, 640, 3)
    assert video.key == calibration_set(str(DEMO_VIDEO), 6).key != calibration_set(DEMO_VIDEO, 7).key
    for i, f in enumerate(frames[:3]):
        cv2.imwrite(str(tmp_path / f"{i}.png"), f)
    (tmp_path / "notes.txt").write_text("not an image")
    folder = calibration_set(tmp_path, 64)
    assert len(folder.frames()) == 3 and "3 images" in folder.description
    with pytest.raises(ConfigError, match="does not exist"):
        calibration_set(tmp_path / "missing", 8)
    with pytest.raises(ConfigError, match="no images"):
        calibration_set(tmp_path / "empty" if (tmp_path / "empty").mkdir() is None else None, 8)
    assert fallback_source("demo") == "demo" and fallback_source(str(DEMO_VIDEO)) == str(DEMO_VIDEO)
    assert fallback_source("rtsp://cam/stream") is None and fallback_source("0") is None
    assert fallback_source([str(DEMO_VIDEO), "x"]) == str(DEMO_VIDEO)


def test_requests_that_cannot_run_are_one_sentence(monkeypatch):
    with pytest.raises(ConfigError, match="OpenVINO only"):
        Detector(DEMO_WEIGHTS, runtime="torch", precision="int8", device="cpu")
    with pytest.raises(ConfigError, match="OpenVINO only"):
        Detector(DEMO_WEIGHTS, runtime="onnxruntime", precision="bf16", device="cpu")
    with pytest.raises(ConfigError, match="unknown precision"):
        Detector(DEMO_WEIGHTS, runtime="openvino", precision="int4", device="cpu")
    det = _detector("int8")  # a camera: nothing to calibrate on
    with pytest.raises(ConfigError, match="model.calibration"):
        det([np.zeros((384, 640, 3), np.uint8)])
    monkeypatch.setattr(openvino_runtime, "cpu_capabilities", lambda core: ["FP32", "INT8"])
    with pytest.raises(ConfigError, match="bfloat16 instructions.*FP32, INT8"):
        _detector("bf16")


def test_config_calibrates_on_the_file_source(calib_frames, tmp_path, monkeypatch):
    """`model.calibration` empty + a file source: the pipeline's source is the calibration set."""
    from yolotrack.core.config import load_config

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cfg = load_config(None, ["model.precision=int8", f"model.imgsz={IMGSZ}", "model.device=cpu",
                             "model.calibration_frames=4", "model.runtime=openvino", "model.weights=demo"])
    det = Detector.from_config(cfg.model, source=str(DEMO_VIDEO))
    assert det.calibration is not None and det.calibration.key == calibration_set(DEMO_VIDEO, 4).key
    assert len(det([calib_frames[0]])[0]) > 0
    cfg = load_config(None, ["model.precision=int8", "model.calibration=demo", "model.calibration_frames=4",
                             "model.weights=demo"])
    assert Detector.from_config(cfg.model, source="rtsp://cam").calibration.key == det.calibration.key
