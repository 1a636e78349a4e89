"""`model.weights: auto` and the release download, against a real local http.server serving a fixture
checkpoint as the release (`YOLOTRACK_RELEASE_URL`): what auto picks and says, the first download with
progress, the cache hit, a cut-short or cancelled download leaving nothing, and the offline message."""

from __future__ import annotations

import threading

import pytest
from pipeline_media import cli, free_port, make_video
from weights_server import WeightsServer, files_in

from yolotrack.core.assets import DEMO_VIDEO
from yolotrack.core.config import Config, ModelConfig, set_values
from yolotrack.core.errors import ConfigError, WeightsError
from yolotrack.detector import hub
from yolotrack.detector.auto_weights import apply_auto, choose_weights, is_demo_source

pytestmark = pytest.mark.timeout(300)
FIXTURE = "official_yolov12n.pt"  # stands in for the official yolov12n release (same file format)


@pytest.fixture
def server(tmp_path, fixtures_dir, monkeypatch):
    with WeightsServer(tmp_path / "www", {"yolov12n.pt": fixtures_dir / FIXTURE}) as srv:
        monkeypatch.setenv(hub.RELEASE_URL_ENV, srv.url)
        yield srv



def test_auto_picks_demo_for_the_demo_and_the_coco_release_for_anything_real(tmp_path):
    m = ModelConfig()
    assert m.weights == "auto"
    for uri in ("demo", str(DEMO_VIDEO), "synthetic", "synthetic:testsrc2=size=64x64"):
        assert is_demo_source(uri)
        c = choose_weights(m, [uri])
        assert c.weights == "demo" and c.auto and "bundled demo" in c.reason
    for uri, says in (("0", "camera 0"), ("rtsp://user:secret@cam/s", "stream rtsp://***@cam/s"),
                      (str(tmp_path / "street.mp4"), "street.mp4")):
        c = choose_weights(m, [uri])
        assert c.weights == "yolov12n" and says in c.reason and "COCO" in c.reason, c.reason
        assert "secret" not in c.describe()  # credentials never reach a log line
    mixed = choose_weights(m, ["demo", "0"])
    assert mixed.weights == "yolov12n" and "one detector serves all 2 sources" in mixed.reason
    assert choose_weights(ModelConfig(scale="s", task="segment"), ["0"]).weights == "yolov12s-seg"
    for task, name in (("segment", "demo-seg"), ("pose", "demo-pose")):  # the demo models follow the task
        c = choose_weights(ModelConfig(task=task), ["demo"])
        assert c.weights == name and task in c.reason and hub.resolve_weights(name).is_file()
    with pytest.raises(ConfigError, match="pose"):
        choose_weights(ModelConfig(task="pose"), ["0"])
    explicit = choose_weights(ModelConfig(weights="yolo12s"), ["demo"])
    assert explicit.weights == "yolo12s" and not explicit.auto

    cfg = set_values(Config(), {"source.uri": ["demo", "demo"]})
    out = apply_auto(cfg)
    assert out.model.weights == "demo" and cfg.model.weights == "auto"  # a copy: the caller's config stays auto
    with pytest.raises(WeightsError, match="auto"):
        hub.resolve_weights("auto")  # never a file name: it must be resolved with its source


def test_download_reports_progress_then_the_cache_serves_it(server, release_cache, fixtures_dir):
    url = hub.release_url("yolov12n")
    assert url == f"{server.url}/yolov12n.pt"
    assert hub.pending_download("yolov12n") == (url, release_cache / "yolov12n.pt")
    seen: list[tuple[int, int | None]] = []
    path = hub.download(url, hub.cached_release("yolov12n"), progress=lambda done, total: seen.append((done, total)))
    size = (fixtures_dir / FIXTURE).stat().st_size
    assert path.read_bytes() == (fixtures_dir / FIXTURE).read_bytes()
    assert seen[-1] == (size, size) and len(seen) > 10
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert hub.pending_download("yolov12n") is None
    assert hub.resolve_weights("yolov12n") == path
    assert len(server.requests) == 1  # the second use came from the cache
    assert files_in(release_cache) == ["yolov12n.pt"]


@pytest.mark.parametrize("prefix", ["short", "short-nolength"])
def test_a_cut_short_download_is_refused_and_leaves_nothing(server, release_cache, prefix):
    dest = hub.cached_release("yolov12n")
    with pytest.raises(WeightsError) as e:
        hub.download(f"{server.url}/{prefix}/yolov12n.pt", dest)
    msg = str(e.value)
    assert "cut short" in msg or "not a complete checkpoint" in msg
    assert str(dest) in msg and "--weights demo" in msg
    assert files_in(release_cache) == []  # no partial file, no temp file


def test_a_cancelled_download_leaves_nothing(server, release_cache):
    cancel = threading.Event()

    def progress(done: int, total: int | None) -> None:
        if done > 100_000:
            cancel.set()

    with pytest.raises(hub.DownloadCancelled):
        hub.download(hub.release_url("yolov12n"), hub.cached_release("yolov12n"), progress=progress, cancel=cancel)
    assert files_in(release_cache) == []


def run_cli(*args: str) -> tuple[int, str]:
    """`yolotrack ARGS` with this test's environment (monkeypatch.setenv reaches the child); (code, stderr)."""
    proc = cli(*args)
    _, err = proc.communicate(timeout=240)
    return proc.returncode, err


def test_run_on_a_file_downloads_once_with_a_progress_bar_and_says_why(server, release_cache, tmp_path):
    video = make_video(tmp_path / "street.mp4", n=6, size=(96, 64))
    args = ("run", "--source", str(video), "-o", str(tmp_path / "out.jsonl"), "--imgsz", "64",
            "model.runtime=torch", "pipeline.stats_interval=0")
    code, err = run_cli(*args)
    assert code == 0, err[-2000:]
    first = next(line for line in err.splitlines() if "yolotrack" in line)
    assert "model: yolov12n (auto: source" in first and "street.mp4 is real" in first  # the first log line says why
    assert f"downloaded once from {server.url}/yolov12n.pt" in first
    assert "yolov12n.pt:" in err  # the progress bar
    assert files_in(release_cache) == ["yolov12n.pt"] and len(server.requests) == 1
    assert (tmp_path / "out.jsonl").read_text().count('"type":"frame"') == 6

    code, err = run_cli(*args)
    assert code == 0, err[-2000:]
    assert f"cached at {release_cache / 'yolov12n.pt'}" in err and "yolov12n.pt:" not in err
    assert len(server.requests) == 1  # the second run never asked the server


def test_run_on_the_demo_loads_the_demo_model_offline(release_cache, tmp_path, monkeypatch):
    monkeypatch.setenv(hub.RELEASE_URL_ENV, f"http://127.0.0.1:{free_port()}")  # nothing listens there
    code, err = run_cli("run", "--source", "demo", "-o", str(tmp_path / "out.jsonl"), "--imgsz", "64",
                        "model.runtime=torch", "pipeline.stats_interval=0")
    assert code == 0, err[-2000:]
    assert "model: demo (auto: the source is the bundled demo" in err
    assert files_in(release_cache) == []


def test_offline_with_a_real_source_is_one_line_naming_url_cache_file_and_demo(release_cache, tmp_path, monkeypatch):
    url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv(hub.RELEASE_URL_ENV, url)
    video = make_video(tmp_path / "street.mp4", n=3, size=(96, 64))
    code, err = run_cli("run", "-q", "--source", str(video), "-o", str(tmp_path / "out.jsonl"))
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    line = lines[0]
    assert line.startswith("yolotrack: error: could not download")
    assert f"{url}/yolov12n.pt" in line and str(release_cache / "yolov12n.pt") in line and "--weights demo" in line
    assert files_in(release_cache) == []


def test_info_says_what_auto_picks_and_why(tmp_path):
    proc = cli("info", "--source", "rtsp://user:secret@cam/s")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    line = next(x for x in out.splitlines() if x.startswith("weights"))
    assert "yolov12n (auto: stream rtsp://***@cam/s is real" in line and "secret" not in out
    cams = tmp_path / "cams.yaml"
    cams.write_text("cameras:\n  - {name: a, source: demo}\n  - {name: b, source: demo}\n")
    proc = cli("info", "--cameras", str(cams))
    out, _ = proc.communicate(timeout=120)
    assert "demo (auto: the source is the bundled demo" in next(x for x in out.splitlines() if x.startswith("weights"))


def test_run_cameras_decides_auto_per_camera_so_demo_and_real_never_share_a_detector(tmp_path):
    from yolotrack.cluster.groups import plan_groups
    from yolotrack.core.cameras import Camera

    cams = [Camera("a", "demo"), Camera("b", str(tmp_path / "street.mp4")), Camera("c", "demo")]
    groups = plan_groups(cams, Config(), group_size=8)
    assert {tuple(g.names): g.config.model.weights for g in groups} == {("a", "c"): "demo", ("b",): "yolov12n"}
    assert all(cfg.model.weights != "auto" for g in groups for cfg in g.configs.values())
