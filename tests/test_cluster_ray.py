"""`run --cameras --ray` on a real two-node Ray cluster, in its own network and PID namespace.

One namespace for the whole module: a Ray head (2 CPUs) and a second node (1 CPU) on loopback,
then `cluster_scenarios.py` runs the real CLI through each scenario (SIGKILL of a group's actor
mid-run, restarts used up, a live camera killed then SIGTERM, `info --ray`). Leaving the
namespace ends every process it started. The tests below assert on what the runs wrote.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from pipeline_media import IN_CI, free_port, make_video, model_overrides

from yolotrack.core.cameras import Camera, save_cameras

HERE = Path(__file__).resolve().parent
FILE_FRAMES = {"door": 150, "yard": 120, "gate": 100}


def _can_unshare() -> str | None:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "needs unshare and ip (util-linux, iproute2)"
    p = subprocess.run(["unshare", "-n", "-p", "-f", "--mount-proc", "true"], capture_output=True, timeout=30)
    return None if p.returncode == 0 else f"cannot create namespaces here: {p.stderr.decode().strip()}"


@pytest.fixture(scope="module")
def ray_runs(fixtures_dir) -> tuple[dict, Path]:
    why = None
    try:
        import ray  # noqa: F401
    except ImportError:
        why = "ray is not installed (pip install -e '.[cluster]')"
    why = why or _can_unshare()
    if why:
        if IN_CI:
            pytest.fail(why)
        pytest.skip(why)
    root = Path(tempfile.mkdtemp(prefix="yt-ray-"))  # short: Ray's socket paths live below it
    try:
        for name, n in FILE_FRAMES.items():
            make_video(root / f"{name}.mp4", n=n)
        save_cameras(root / "files.yaml", [Camera("door", str(root / "door.mp4")),
                                           Camera("yard", str(root / "yard.mp4"), {"tracker.track_buffer": 60}),
                                           Camera("gate", str(root / "gate.mp4"))])
        save_cameras(root / "live.yaml", [Camera("live", "synthetic:testsrc2=size=160x120:rate=15")])
        port = free_port()
        bindir = Path(sys.executable).parent
        ray_bin = bindir / "ray"
        model = [*model_overrides(fixtures_dir), "model.runtime=torch", "pipeline.stats_interval=1"]
        script = " ".join([
            "ip link set lo up;",
            f"{ray_bin} start --head --port {port} --num-cpus 2 --include-dashboard false --disable-usage-stats",
            f"--temp-dir {root / 'ray'} >{root / 'head.log'} 2>&1;",
            f"{ray_bin} start --address 127.0.0.1:{port} --num-cpus 1 >{root / 'node.log'} 2>&1;",
            f"{sys.executable} {HERE / 'cluster_scenarios.py'} --address 127.0.0.1:{port} --root {root}",
            f"--files-cams {root / 'files.yaml'} --live-cams {root / 'live.yaml'} --",
            *model, f">{root / 'scenarios.log'} 2>&1;",
            f"{ray_bin} stop >/dev/null 2>&1",
        ])
        # RAY_AUTH_MODE: a local Ray started earlier on this machine (`--ray local`) may have left
        # ~/.ray/auth_token, which Ray then requires of every cluster; these test clusters use none
        env = dict(os.environ, PATH=f"{bindir}:{os.environ.get('PATH', '')}", RAY_USAGE_STATS_ENABLED="0",
                   RAY_AUTH_MODE="disabled")
        subprocess.run(["unshare", "-n", "-p", "-f", "--mount-proc", "bash", "-c", script], env=env, timeout=900,
                       check=False)
        results = root / "results.json"
        assert results.exists(), (root / "scenarios.log").read_text()[-3000:] if (root / "scenarios.log").exists() \
            else "the scenarios never ran"
        yield json.loads(results.read_text()), root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def check_ids(recs: list[dict], camera: str) -> None:
    """A track id is born once: `new` events never repeat an id, and they come in increasing order."""
    new = [r["id"] for r in recs if r["type"] == "event" and r["event"] == "new"]
    assert new, f"{camera}: no tracks at all"
    assert len(new) == len(set(new)), f"{camera}: ids born twice: {sorted(k for k, v in Counter(new).items() if v > 1)}"
    assert new == sorted(new), f"{camera}: ids not increasing: {new}"


def check_global_ids(recs: list[dict], camera: str) -> None:
    """Each track has one global id for its whole life, across the actor's restart (the driver's gallery)."""
    seen: dict[int, set[int]] = {}
    for r in recs:
        for t in r.get("tracks", ()) if r["type"] == "frame" else ():
            seen.setdefault(t["id"], set()).add(t["global_id"])
    assert seen, f"{camera}: no tracks"
    assert all(len(g) == 1 for g in seen.values()), f"{camera}: a track changed its global id: {seen}"


def scenario(runs: dict, name: str) -> dict:
    res = runs[name]
    assert "failed" not in res, res["failed"]
    return res


def test_killed_actor_restarts_and_every_file_frame_is_written_exactly_once(ray_runs) -> None:
    runs, _ = ray_runs
    res = scenario(runs, "files_kill")
    assert res["rc"] == 0, res["stderr"]
    assert set(res["cameras"]) == {"door", "yard"} and min(res["frames_at_kill"].values()) > 0
    assert "lost" in res["stderr"] and "back" in res["stderr"]
    assert res["recovery_s"] is not None and res["recovery_s"] < 20, res["recovery_s"]
    nodes = {line.split("running on node ")[1].split(",")[0] for line in res["stderr"].splitlines()
             if "running on node" in line}
    assert len(nodes) == 2, f"groups were not spread over both nodes: {nodes}"
    for cam, n in FILE_FRAMES.items():
        recs = records(Path(res["out"]) / f"{cam}.jsonl")
        frames = [r["frame"] for r in recs if r["type"] == "frame"]
        assert frames == list(range(n)), f"{cam}: {len(frames)} frame lines, duplicates or gaps"
        assert [r["type"] for r in recs].count("stream") == 1
        assert all(r["source"] == cam for r in recs if r["type"] in ("frame", "stream"))
        check_ids(recs, cam)
        check_global_ids(recs, cam)
    assert any(r["type"] == "stats" for r in records(Path(res["out"]) / "door.jsonl"))


def test_live_camera_resumes_live_then_sigterm_drains_and_exits_0(ray_runs) -> None:
    runs, _ = ray_runs
    res = scenario(runs, "live_kill")
    assert res["rc"] == 0, res["stderr"]
    assert "SIGTERM" in res["stderr"] and res["recovery_s"] is not None
    recs = records(Path(res["out"]) / "live.jsonl")
    frames = [r for r in recs if r["type"] == "frame"]
    idx = [r["frame"] for r in frames]
    ts = [r["ts"] for r in frames]
    assert len(idx) > res["frames_at_kill"]["live"] + 10
    assert all(b > a for a, b in zip(idx, idx[1:], strict=False)), "live frame indexes repeat or go back"
    assert all(b > a for a, b in zip(ts, ts[1:], strict=False)), "live timestamps repeat or go back"
    check_ids(recs, "live")


def test_a_group_out_of_restarts_is_one_error_line_and_the_other_group_goes_on(ray_runs) -> None:
    runs, _ = ray_runs
    res = scenario(runs, "no_restart")
    assert res["rc"] == 1, res["stderr"]
    errors = [line for line in res["stderr"].splitlines() if line.startswith("yolotrack: error")]
    assert len(errors) == 1, res["stderr"]  # under --quiet too
    last = res["stderr"].strip().splitlines()[-1]
    assert last == errors[0]
    assert last.startswith("yolotrack: error: group-0 (cameras door, yard) died and cannot be restarted"), last
    assert "cluster.max_restarts=0" in last and "group-1" not in last and "Traceback" not in res["stderr"]
    gate = [r["frame"] for r in records(Path(res["out"]) / "gate.jsonl") if r["type"] == "frame"]
    assert gate == list(range(FILE_FRAMES["gate"])), "the other group did not run to its end"
    door = [r["frame"] for r in records(Path(res["out"]) / "door.jsonl") if r["type"] == "frame"]
    assert 10 <= len(door) < FILE_FRAMES["door"] and door == list(range(len(door)))


def test_info_shows_the_cluster_nodes_and_resources(ray_runs) -> None:
    runs, _ = ray_runs
    res = scenario(runs, "info")
    assert res["rc"] == 0, res["stderr"]
    nodes = [line for line in res["stdout"].splitlines() if line.startswith("node ")]
    assert len(nodes) == 2 and all("alive" in n for n in nodes), res["stdout"]
    assert any("head" in n and "2 CPU" in n for n in nodes) and any("1 CPU" in n for n in nodes)
    assert "3 CPU" in next(line for line in res["stdout"].splitlines() if line.startswith("cluster resources"))
