"""Loading formats, our format round trip, refusal of unsafe/broken files, downloads, convert CLI."""

from __future__ import annotations

import dataclasses
import functools
import http.server
import json
import os
import pickle
import subprocess
import sys
import threading
import urllib.error
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from yolotrack.core.errors import ConfigError, WeightsError
from yolotrack.detector import build_model, hub, load_model, read_checkpoint, reset_head, save_checkpoint, torch_thread
from yolotrack.detector.checkpoint import read_pickled

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _threads():
    old = torch.get_num_threads()
    torch_thread.set_threads(1)
    yield
    torch_thread.set_threads(old)


def _forward(model, shape=(1, 3, 64, 96)) -> torch.Tensor:
    torch.manual_seed(0)
    with torch.inference_mode():
        out = model(torch.rand(*shape))
    return out[0] if isinstance(out, tuple) else out


def test_ultralytics_module_not_importable() -> None:
    with pytest.raises(ImportError):
        __import__("ultralytics")


def test_malicious_pickle_is_refused_and_nothing_runs(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    bad = tmp_path / "evil.pt"
    torch.save({"model": Evil(), "epoch": -1}, bad)
    with pytest.raises(WeightsError, match="unsafe") as e:
        load_model(bad)
    assert "os.system" in str(e.value) or "posix.system" in str(e.value)
    assert not marker.exists()

    class EvilEval:
        def __reduce__(self):
            return (eval, (f"open({str(marker)!r}, 'w')",))

    bad2 = tmp_path / "evil2.pt"
    torch.save(EvilEval(), bad2)
    with pytest.raises(WeightsError, match="eval"):
        read_pickled(bad2)
    assert not marker.exists()

    # a bare pickle (torch's legacy, non-zip path) is refused as well
    bad3 = tmp_path / "evil3.pt"
    bad3.write_bytes(pickle.dumps(Evil()))
    with pytest.raises(WeightsError, match="unsafe"):
        load_model(bad3)
    assert not marker.exists()

    # control: the same kind of payload really does run under an unrestricted unpickler
    control = tmp_path / "control"

    class Control:
        def __reduce__(self):
            return (os.system, (f"touch {control}",))

    pickle.loads(pickle.dumps(Control()))
    assert control.exists()


def test_truncated_file(fixtures_dir: Path, tmp_path: Path) -> None:
    data = (fixtures_dir / "ultralytics_yolo12n.pt").read_bytes()
    cut = tmp_path / "cut.pt"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(WeightsError, match="truncated|corrupt") as e:
        load_model(cut)
    assert "\n" not in str(e.value)


def test_non_checkpoint_and_missing_files(tmp_path: Path) -> None:
    junk = tmp_path / "notes.pt"
    junk.write_text("this is not a model\n")
    with pytest.raises(WeightsError, match="not a PyTorch checkpoint|corrupt"):
        load_model(junk)
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    with pytest.raises(WeightsError, match="empty"):
        load_model(empty)
    with pytest.raises(WeightsError, match="does not exist"):
        load_model(tmp_path / "nope.pt")
    lst = tmp_path / "list.pt"
    torch.save([1, 2, 3], lst)
    with pytest.raises(WeightsError, match="does not contain a model"):
        load_model(lst)


def test_wrong_architecture_state_dict(tmp_path: Path) -> None:
    other = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.BatchNorm2d(8))
    p = tmp_path / "other.pt"
    torch.save(other.state_dict(), p)
    with pytest.raises(WeightsError, match="not a YOLOv12"):
        load_model(p)
    # right key names, wrong widths: an n model's tensors with one layer from an s model
    sd = build_model("n", family="v1").state_dict()
    sd["model.5.conv.weight"] = torch.zeros(128, 64, 3, 3)
    p2 = tmp_path / "mixed.pt"
    torch.save(sd, p2)
    with pytest.raises(WeightsError, match="does not match the YOLOv12 architecture"):
        load_model(p2)


def test_plain_state_dict_and_safetensors(fixtures_dir: Path, tmp_path: Path) -> None:
    from safetensors.torch import save_file

    sd, meta = read_checkpoint(fixtures_dir / "official_yolov12n.pt")
    ref = load_model(fixtures_dir / "official_yolov12n.pt")
    plain = tmp_path / "sd.pt"
    torch.save({k: v for k, v in sd.items()}, plain)
    st = tmp_path / "plain.safetensors"
    save_file({k: v.contiguous() for k, v in sd.items()}, str(st))
    y = _forward(ref)
    for path in (plain, st):
        m = load_model(path)
        assert m.family == "turbo" and m.task == "detect"
        assert torch.allclose(_forward(m), y, atol=1e-4, rtol=0)


def test_our_format_roundtrip_keeps_metadata(fixtures_dir: Path, tmp_path: Path) -> None:
    src = fixtures_dir / "ultralytics_yolo12n-pose.pt"
    ref = load_model(src)
    unfused = load_model(src, fuse=False)
    assert not unfused.fused and any(p.requires_grad for p in unfused.parameters())
    out = save_checkpoint(unfused, tmp_path / "pose.safetensors", meta={"epochs": 3})
    assert out.is_file() and not list(tmp_path.glob("*.tmp"))
    with open(out, "rb") as f:
        assert b"pickle" not in f.read(64)
    back = load_model(out)
    assert back.task == "pose" and back.kpt_shape == (17, 3) and back.names == ref.names
    assert back.meta["epochs"] == 3
    assert torch.allclose(_forward(back), _forward(ref), atol=1e-4, rtol=0)
    half = save_checkpoint(unfused, tmp_path / "pose16.safetensors", half=True)
    assert half.stat().st_size < out.stat().st_size * 0.6
    assert torch.allclose(_forward(load_model(half)), _forward(ref), atol=1e-3, rtol=0)
    with pytest.raises(ValueError):
        save_checkpoint(ref, tmp_path / "fused.safetensors")


def test_area_is_kept_from_checkpoint(fixtures_dir: Path, tmp_path: Path) -> None:
    m = load_model(fixtures_dir / "ultralytics_yolo12n.pt", fuse=False)
    assert m.spec.area == {6: 4, 8: 1}
    m.spec = dataclasses.replace(m.spec, area={**m.spec.area, 6: 2})
    p = save_checkpoint(m, tmp_path / "a.safetensors")
    assert load_model(p).spec.area[6] == 2


@pytest.mark.parametrize("scale,family,task", [("n", "turbo", "detect"), ("s", "v1", "segment"),
                                               ("n", "v1", "pose"), ("m", "turbo", "detect")])
def test_build_model_train_layout_and_reload(tmp_path: Path, scale: str, family: str, task: str) -> None:
    model = build_model(scale, task=task, nc=3, family=family, kpt_shape=(5, 3) if task == "pose" else None)
    assert all(m.eps == 1e-3 for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d))
    model.train()
    out = model(torch.rand(2, 3, 64, 64))
    feats = out if task == "detect" else out[0]
    assert [tuple(f.shape) for f in feats] == [(2, 64 + 3, 8, 8), (2, 64 + 3, 4, 4), (2, 64 + 3, 2, 2)]
    sum(f.sum() for f in feats).backward()
    assert model.model[0].conv.weight.grad is not None
    model.eval()
    p = save_checkpoint(model, tmp_path / "m.safetensors", meta={"note": "fresh"})
    back = load_model(p)
    assert (back.family, back.task, back.nc, back.spec.scale) == (family, task, 3, scale)
    assert torch.allclose(_forward(back, (1, 3, 64, 64)), _forward(model, (1, 3, 64, 64)), atol=1e-4, rtol=0)


def test_reset_head_for_new_classes(fixtures_dir: Path) -> None:
    m = load_model(fixtures_dir / "official_yolov12n.pt", fuse=False)
    m2 = reset_head(m, 2, {0: "With Helmet", 1: "Without Helmet"})
    assert m2.nc == 2 and m2.names[1] == "Without Helmet"
    assert torch.equal(m2.model[5].conv.weight, m.model[5].conv.weight)
    m2.eval()
    assert _forward(m2).shape[1] == 6


def test_convert_cli(fixtures_dir: Path, tmp_path: Path) -> None:
    dst = tmp_path / "conv.safetensors"
    src = fixtures_dir / "official_yolov12n-seg.pt"
    r = subprocess.run([sys.executable, "-m", "yolotrack", "convert", str(src),
                        str(dst)], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "segment" in r.stdout
    a = load_model(dst)
    b = load_model(fixtures_dir / "official_yolov12n-seg.pt")
    assert a.task == "segment" and torch.allclose(_forward(a), _forward(b), atol=1e-4, rtol=0)
    bad = subprocess.run([sys.executable, "-m", "yolotrack", "convert", str(tmp_path / "missing.pt"),
                          str(tmp_path / "x.safetensors")], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert bad.returncode == 1
    assert "does not exist" in bad.stderr and "Traceback" not in bad.stderr


def test_names_resolve_to_release_urls() -> None:
    assert hub.release_url("yolov12n") == "https://github.com/sunsmarterjie/yolov12/releases/download/turbo/yolov12n.pt"
    assert hub.release_url("yolov12x-seg").endswith("/download/seg/yolov12x-seg.pt")
    assert hub.release_url("yolo12s") == "https://github.com/ultralytics/assets/releases/download/v8.3.0/yolo12s.pt"
    assert hub.release_url("yolo12q") is None
    assert hub.release_url("yolo12n-pose") is None  # Ultralytics publishes YOLO12 detect weights only
    assert hub.release_url("yolov12n.pt") == hub.release_url("yolov12n")


# What upstream publishes (spelled out, not derived from hub.RELEASES, so a wrong table fails here).
PUBLISHED = {
    ("official", "detect"): ("yolov12{}", "https://github.com/sunsmarterjie/yolov12/releases/download/turbo/"),
    ("official", "segment"): ("yolov12{}-seg", "https://github.com/sunsmarterjie/yolov12/releases/download/seg/"),
    ("ultralytics", "detect"): ("yolo12{}", "https://github.com/ultralytics/assets/releases/download/v8.3.0/"),
}


@pytest.mark.parametrize("release", ["official", "ultralytics"])
@pytest.mark.parametrize("task", ["detect", "segment", "pose"])
@pytest.mark.parametrize("scale", list("nsmlx"))
def test_weights_name_gives_a_published_download_or_says_none_exists(release: str, task: str, scale: str) -> None:
    published = PUBLISHED.get((release, task))
    if published is None:
        assert task not in hub.RELEASES[release]
        with pytest.raises(ConfigError, match=f"no {release} YOLOv12 {task} weights exist"):
            hub.weights_name(scale, task, release)
        return
    name = hub.weights_name(scale, task, release)
    assert name == published[0].format(scale)
    assert hub.release_url(name) == f"{published[1]}{name}.pt"
    with pytest.raises(ConfigError, match="unknown release"):
        hub.weights_name(scale, task, "v13")


def test_cache_dir_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fixtures_dir: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert hub.cache_dir() == tmp_path / "yolotrack"
    cached = tmp_path / "yolotrack" / "yolo12n.pt"
    cached.parent.mkdir(parents=True)
    cached.write_bytes((fixtures_dir / "ultralytics_yolo12n.pt").read_bytes())
    m = load_model("yolo12n")  # found in the cache, no network
    assert m.family == "v1"


def test_offline_download_names_url_and_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))

    def offline(*a, **k):
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setattr(hub.urllib.request, "urlopen", offline)
    with pytest.raises(WeightsError) as e:
        load_model("yolov12s")
    msg = str(e.value)
    assert hub.release_url("yolov12s") in msg
    assert str(tmp_path / "yolotrack" / "yolov12s.pt") in msg
    assert not list((tmp_path / "yolotrack").glob("*"))


def test_download_from_local_server(fixtures_dir: Path, tmp_path: Path) -> None:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(fixtures_dir))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/official_yolov12n.pt"
        dest = hub.download(url, tmp_path / "dl" / "yolov12n.pt")
        assert dest.read_bytes() == (fixtures_dir / "official_yolov12n.pt").read_bytes()
        assert [p.name for p in dest.parent.iterdir()] == ["yolov12n.pt"]
        assert load_model(dest).family == "turbo"
        with pytest.raises(WeightsError, match="404|Not Found"):
            hub.download(url.replace("official_yolov12n", "missing"), tmp_path / "dl" / "missing.pt")
        assert not (tmp_path / "dl" / "missing.pt").exists()
    finally:
        server.shutdown()
        server.server_close()


def test_demo_missing_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(hub, "DEMO_NAMES", {"demo": tmp_path / "yolov12n-demo.safetensors"})
    with pytest.raises(WeightsError, match="demo model"):
        load_model("demo")


HELMET_CACHE = Path(os.environ["YOLOTRACK_TEST_HOST_CACHE"]) / "yolotrack-test"  # set by conftest


def _helmet_checkpoint() -> Path:
    """helmet-detector 2.1.0's best.pt, fetched once with `pip download --no-deps` (never installed)."""
    out = HELMET_CACHE / "helmet_best.pt"
    if out.is_file():
        return out
    HELMET_CACHE.mkdir(parents=True, exist_ok=True)
    wheels = list(HELMET_CACHE.glob("helmet_detector-2.1.0-*.whl"))
    if not wheels:
        r = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "helmet-detector==2.1.0",
                            "-d", str(HELMET_CACHE)], capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, f"pip download failed: {r.stderr[-500:]}"
        wheels = list(HELMET_CACHE.glob("helmet_detector-2.1.0-*.whl"))
    with zipfile.ZipFile(wheels[0]) as z:
        data = z.read("helmet_detector_pkg/weights/best.pt")
    tmp = out.with_suffix(".part")
    tmp.write_bytes(data)
    os.replace(tmp, out)
    return out


def test_real_helmet_detector_checkpoint() -> None:
    from yolotrack.detector import Detector

    path = _helmet_checkpoint()
    model = load_model(path)
    assert model.family == "turbo" and model.task == "detect" and model.nc == 2
    assert set(model.names.values()) == {"With Helmet", "Without Helmet"}
    assert model.spec.c[20] == 512  # m scale
    det = Detector(model, imgsz=320, conf=0.01, runtime="torch")
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)
    res = det([frame])[0]
    assert np.isfinite(res.xyxy).all() and np.isfinite(res.scores).all()
    assert (res.xyxy[:, [0, 2]] <= 320).all() and (res.xyxy[:, [1, 3]] <= 240).all() and (res.xyxy >= 0).all()
    assert set(res.class_ids.tolist()) <= {0, 1}
    with torch.inference_mode():
        y = model(torch.rand(1, 3, 128, 160))
    assert y.shape == (1, 6, 16 * 20 + 8 * 10 + 4 * 5) and torch.isfinite(y).all()


@pytest.mark.parametrize("task", ["detect", "segment", "pose"])
def test_the_model_spec_is_a_frozen_value_that_round_trips_through_json(task: str) -> None:
    from yolotrack.detector.spec import spec_for_scale, spec_from_json, spec_to_json

    spec = spec_for_scale("s", task, nc=5, family="v1")
    assert spec_from_json(json.loads(json.dumps(spec_to_json(spec)))) == spec
    assert (spec.nm is not None) == (task == "segment") and (spec.kpt_shape == (17, 3)) == (task == "pose")
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.nc = 80  # type: ignore[misc]
