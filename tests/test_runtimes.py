"""Inference runtimes: agreement with torch float32 on the fixtures, the export cache, `auto`, dispatch.

Exports are static per shape, so every test uses 320x480 (the fixtures' small input) and a
module-scoped export cache to keep the whole file to seconds of CPU.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from yolotrack.core.errors import ConfigError, InvalidInputError
from yolotrack.detector import load_model, torch_thread
from yolotrack.detector.inference import InferenceSpec
from yolotrack.detector.runtimes import AUTO_ORDER, create_runtime, select
from yolotrack.detector.runtimes import onnx_export as onnx_export_mod
from yolotrack.detector.runtimes.cache import export_dir
from yolotrack.detector.runtimes.compare import max_relative_error, relative_errors
from yolotrack.detector.runtimes.ort_runtime import providers_for
from yolotrack.detector.runtimes.torch_runtime import plan_for, to_layout

HW = (320, 480)
TOL = 1e-3
FIXTURES = ["ultralytics_yolo12n", "ultralytics_yolo12n-seg", "ultralytics_yolo12n-pose", "official_yolov12n"]


@pytest.fixture(autouse=True)
def _one_thread():
    old = torch.get_num_threads()
    torch_thread.set_threads(1)
    yield
    torch_thread.set_threads(old)


@pytest.fixture(scope="module")
def export_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("exports")


def _input(fixtures_dir: Path, name: str) -> torch.Tensor:
    return torch.from_numpy(np.load(fixtures_dir / f"{name}_io.npz")["x_320x480"])


@pytest.mark.parametrize("fixture", FIXTURES)
def test_runtimes_agree_with_torch_float32(fixtures_dir, export_cache, fixture):
    weights = fixtures_dir / f"{fixture}.pt"
    model = load_model(weights, device="cpu")
    x = _input(fixtures_dir, fixture)
    with torch.inference_mode():
        ref = model(x)
    assert isinstance(ref, tuple) == (model.task == "segment")
    for name in ("torch", "onnxruntime", "openvino"):
        rt = create_runtime(model, name, HW, 1, "cpu", weights_path=weights, threads=1, cache_dir=export_cache)
        assert rt.name == name
        out = rt(x)
        errs = relative_errors(out, ref, model.nc, model.task)
        assert max(errs.values()) <= TOL, f"{fixture} {name}: {errs}"
        # the outputs must also be the reference implementation's numbers, not just torch's
        y_ref = np.load(fixtures_dir / f"{fixture}_io.npz")["y_320x480"]
        y = (out[0] if isinstance(out, tuple) else out).numpy()
        assert y.shape == y_ref.shape
        assert np.abs(y[:, 4:4 + model.nc] - y_ref[:, 4:4 + model.nc]).max() <= TOL


def test_batch_of_two_matches_single_frames(fixtures_dir, export_cache):
    """Multi-stream batching: item i of a batch-2 call equals a batch-1 call on frame i."""
    weights = fixtures_dir / "ultralytics_yolo12n.pt"
    model = load_model(weights, device="cpu")
    x1 = _input(fixtures_dir, "ultralytics_yolo12n")
    x = torch.cat([x1, x1.flip(-1)])
    rt = create_runtime(model, "onnxruntime", HW, 2, "cpu", weights_path=weights, threads=1, cache_dir=export_cache)
    out = rt(x)
    assert out.shape[0] == 2
    with torch.inference_mode():
        for i in range(2):
            assert max_relative_error(out[i:i + 1], model(x[i:i + 1]), model.nc) <= TOL


def test_export_is_cached_and_keyed(fixtures_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    weights = tmp_path / "w" / "yolo12n.pt"
    weights.parent.mkdir()
    shutil.copy(fixtures_dir / "ultralytics_yolo12n.pt", weights)
    model = load_model(weights, device="cpu")
    create_runtime(model, "onnxruntime", HW, 1, "cpu", weights_path=weights, threads=1)
    cache = tmp_path / "xdg" / "yolotrack" / "exports"
    onnx_files = sorted(cache.glob("*.onnx"))
    assert len(onnx_files) == 1, "the export goes into the XDG cache"
    assert sorted(p.name for p in weights.parent.iterdir()) == ["yolo12n.pt"], "nothing is written beside the weights"
    name = onnx_files[0].name
    assert "320x480" in name and "-b1-" in name and "-fp32-" in name
    assert f"torch{torch.__version__.split('+')[0]}" in name
    assert not [p for p in cache.iterdir() if p.name.startswith(".")], "no temp files left behind"

    def no_export(*_a, **_k):
        raise AssertionError("the cached export must be reused")

    monkeypatch.setattr(onnx_export_mod, "_export", no_export)
    mtime = onnx_files[0].stat().st_mtime_ns
    rt = create_runtime(model, "openvino", HW, 1, "cpu", weights_path=weights, threads=1)
    assert onnx_files[0].stat().st_mtime_ns == mtime
    assert rt.ir_path.parent == cache and rt.ir_path.with_suffix(".bin").is_file()
    create_runtime(model, "openvino", HW, 1, "cpu", weights_path=weights, threads=1)  # IR reused too
    # another shape or batch is another key; other weights are another hash
    with pytest.raises(Exception, match="cached export must be reused"):
        create_runtime(model, "onnxruntime", (320, 320), 1, "cpu", weights_path=weights)
    with pytest.raises(Exception, match="cached export must be reused"):
        create_runtime(model, "onnxruntime", HW, 2, "cpu", weights_path=weights)
    other = weights.with_name("copy.pt")
    other.write_bytes(weights.read_bytes() + b"\0")  # the same model name, different bytes
    with pytest.raises(Exception, match="cached export must be reused"):
        create_runtime(model, "onnxruntime", HW, 1, "cpu", weights_path=other)


def test_export_dir_is_the_xdg_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert export_dir() == tmp_path / "xdg" / "yolotrack" / "exports"
    assert export_dir(tmp_path / "mine") == tmp_path / "mine"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert export_dir() == tmp_path / "home" / ".cache" / "yolotrack" / "exports"


def test_auto_uses_the_measured_order_and_falls_back(fixtures_dir, export_cache, monkeypatch):
    weights = fixtures_dir / "ultralytics_yolo12n.pt"
    model = load_model(weights, device="cpu")
    first = AUTO_ORDER["cpu"][0]
    rt = create_runtime(model, "auto", HW, 1, "cpu", weights_path=weights, threads=1, cache_dir=export_cache)
    assert rt.name == first
    monkeypatch.setattr(select, "installed", lambda name: name != first)
    rt = create_runtime(model, "auto", HW, 1, "cpu", weights_path=weights, threads=1, cache_dir=export_cache)
    assert rt.name == AUTO_ORDER["cpu"][1]
    monkeypatch.setattr(select, "installed", lambda name: name == "torch")
    assert create_runtime(model, "auto", HW, 1, "cpu", weights_path=weights).name == "torch"
    assert select.auto_candidates("cuda")[-1] == "torch" and select.auto_candidates("xpu") == ["torch"]


def test_bad_requests_are_one_sentence_errors(fixtures_dir, export_cache):
    weights = fixtures_dir / "ultralytics_yolo12n.pt"
    model = load_model(weights, device="cpu")
    with pytest.raises(ConfigError, match="unknown runtime"):
        create_runtime(model, "tensorflow", HW)
    with pytest.raises(ConfigError, match="multiples of 32"):
        create_runtime(model, "torch", (300, 480))
    rt = create_runtime(model, "onnxruntime", HW, 1, "cpu", weights_path=weights, cache_dir=export_cache)
    with pytest.raises(InvalidInputError, match="built for input"):
        rt(torch.zeros(1, 3, 320, 320))
    with pytest.raises(ConfigError, match="openvino runs on the CPU"):
        create_runtime(model, "openvino", HW, 1, torch.device("cuda"), weights_path=weights)


def test_cuda_dispatch_and_layouts_on_cpu():
    """What the CUDA path would do, checked without a GPU: dtype, memory layout, providers."""
    cuda = plan_for(torch.device("cuda", 0))
    assert cuda.dtype == torch.float16 and cuda.channels_last and cuda.cuda_graph and not cuda.set_threads
    cpu = plan_for(torch.device("cpu"))
    assert cpu.dtype == torch.float32 and not cpu.cuda_graph and cpu.set_threads
    x = to_layout(torch.rand(2, 3, 64, 96), cuda, torch.device("cpu"))
    assert x.dtype == torch.float16 and x.is_contiguous(memory_format=torch.channels_last)
    assert x.shape == (2, 3, 64, 96) and x.stride()[1] == 1
    avail = ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"]
    p = providers_for(torch.device("cuda", 1), avail, tensorrt=True)
    assert [e[0] if isinstance(e, tuple) else e for e in p] == avail
    assert p[0][1]["trt_fp16_enable"] and p[1][1]["device_id"] == 1
    assert providers_for(torch.device("cuda"), avail)[0][0] == "CUDAExecutionProvider"
    assert providers_for(torch.device("cpu"), avail) == ["CPUExecutionProvider"]
    with pytest.raises(ConfigError, match="onnxruntime-gpu"):
        providers_for(torch.device("cuda"), ["CPUExecutionProvider"])


def test_detector_with_runtime_model_gives_the_same_detections(fixtures_dir, export_cache):
    """The wiring the Detector uses: RuntimeModel in place of the model, per-shape runtimes, same results."""
    from yolotrack.detector import Detector
    from yolotrack.detector.runtimes.dispatch import RuntimeModel

    weights = fixtures_dir / "ultralytics_yolo12n.pt"
    io = np.load(fixtures_dir / "ultralytics_yolo12n_io.npz")
    frame = io["predict_img"]
    det = Detector(weights, imgsz=640, device="cpu", runtime="torch")
    expected = det([frame])[0]
    torch_model = det.model
    det.model = RuntimeModel(torch_model, InferenceSpec(runtime="openvino", threads=1, device="cpu"), "cpu",
                             weights_path=weights, cache_dir=export_cache)
    assert det.model.runtime_name is None and det.model.nc == torch_model.nc and det.model.names == det.names
    got = det([frame])[0]
    assert det.model.runtime_name == "openvino"
    assert list(det.model._runtimes) == [(1, 3, 384, 640)]
    assert len(expected) > 0 and len(got) == len(expected)

    def ordered(d):  # near-tied scores may swap places; compare as sets of boxes
        i = np.lexsort((np.round(d.xyxy[:, 1]), np.round(d.xyxy[:, 0]), d.class_ids))
        return d.xyxy[i], d.scores[i], d.class_ids[i]

    (gb, gs, gc), (eb, es, ec) = ordered(got), ordered(expected)
    np.testing.assert_array_equal(gc, ec)
    np.testing.assert_allclose(gs, es, atol=1e-3)
    np.testing.assert_allclose(gb, eb, atol=1e-3 * 1280)


def test_config_runtime_is_wired_into_detector(fixtures_dir, tmp_path, monkeypatch):
    """`model.runtime` reaches the Detector: exports land in the cache and give the torch detections."""
    from yolotrack.core.config import load_config
    from yolotrack.detector import Detector

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    frame = np.load(fixtures_dir / "ultralytics_yolo12n_io.npz")["predict_img"]
    weights = fixtures_dir / "ultralytics_yolo12n.pt"
    results = {}
    for runtime in ("torch", "onnxruntime"):
        cfg = load_config(None, [f"model.weights={weights}", f"model.runtime={runtime}", "model.device=cpu"])
        det = Detector.from_config(cfg.model)
        results[runtime] = det([frame])[0]
    assert det.model.runtime_name == "onnxruntime"
    assert any(tmp_path.rglob("*.onnx")), "the export was not cached"
    a, b = results["torch"], results["onnxruntime"]
    assert len(a) > 0 and len(a) == len(b)
    np.testing.assert_allclose(np.sort(a.scores), np.sort(b.scores), atol=1e-3)


def test_empty_weights_name_the_official_release():
    from yolotrack.core.config import load_config
    from yolotrack.detector.hub import weights_name

    def name(*overrides: str) -> str:
        m = load_config(None, ["model.weights=", *overrides]).model
        return weights_name(m.scale, m.task)

    assert name("model.scale=s") == "yolov12s"
    assert name("model.task=segment", "model.scale=x") == "yolov12x-seg"
    with pytest.raises(ConfigError, match="no official YOLOv12 pose weights"):
        name("model.task=pose")


@pytest.mark.parametrize("name", ["openvino", "onnxruntime", "torch"])
def test_uint8_frames_door_agrees_with_torch_float32(fixtures_dir, export_cache, name):
    """`rt.infer(frames)`: letterboxed BGR uint8 in (OpenVINO converts it in its compiled pre-processing),
    numpy outputs by name out, within the same bound of the torch float32 forward."""
    from yolotrack.detector.runtimes.base import frames_to_float

    weights = fixtures_dir / "ultralytics_yolo12n-seg.pt"
    model = load_model(weights, device="cpu")
    frames = np.random.default_rng(0).integers(0, 256, (1, *HW, 3), dtype=np.uint8)
    with torch.inference_mode():
        ref = model(torch.from_numpy(frames_to_float(frames)))
    rt = create_runtime(model, name, HW, 1, "cpu", weights_path=weights, threads=1, cache_dir=export_cache)
    outs = rt.infer(frames)
    assert list(outs) == ["output0", "protos"] and all(isinstance(o, np.ndarray) for o in outs.values())
    got = tuple(torch.from_numpy(o) for o in outs.values())
    errs = relative_errors(got, ref, model.nc, model.task)
    assert max(errs.values()) <= TOL, f"{name}: {errs}"
    with pytest.raises(InvalidInputError, match="built for input"):
        rt.infer(frames[:, :32])


def test_openvino_sends_no_telemetry(tmp_path: Path) -> None:
    """Outside CI (no CI variable) and with a fresh home, OpenVINO's converter and NNCF would send usage events
    from a forked process; through `import_ov` they get their no-op stubs and make no consent folder."""
    import os
    import subprocess
    import sys

    code = ("from yolotrack.detector.runtimes.openvino_runtime import import_ov; import_ov()\n"
            "import nncf.telemetry.wrapper as w, openvino.tools.ovc.convert_impl as c\n"
            "print(c.tm.__name__, isinstance(w.telemetry, w.NNCFTelemetry))")
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "TF_BUILD", "JENKINS_URL")}
    env["HOME"] = str(tmp_path)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["openvino.tools.ovc.telemetry_stub", "False"]
    assert not (tmp_path / "intel").exists()
