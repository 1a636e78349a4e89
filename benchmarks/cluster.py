"""The same cameras in one process and on a 2-node Ray cluster on this machine; recovery after a kill;
detector capacity per model scale and input size (the numbers docs/scale.md plans with).

Both modes share this machine's cores, so the throughput ratio measures Ray's overhead (actor
calls, result transport, the driver's sinks), not scaling. Rounds alternate (local, Ray, local,
Ray, ...) so load from neighbours hits both alike. The Ray cluster (a head with 2 CPUs and a node
with 1) runs in its own network + PID namespace, as in the tests; this script re-runs itself there.

    .venv/bin/python benchmarks/cluster.py --rounds 3 --frames 300
    .venv/bin/python benchmarks/cluster.py --capacity-only
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(HERE))


def frames_in(path: Path) -> int:
    return path.read_text().count('"type":"frame"') if path.exists() else 0


def rss_mb(pid: int | None = None, title: str | None = None) -> float:
    """Resident memory of one process, or the sum over Ray workers whose command line contains `title`
    (the group actors: `ray::<name>:CameraGroupActor...`; inside the namespace only ours are seen)."""
    total = 0
    for p in Path("/proc").iterdir():
        if not p.name.isdigit() or (pid is not None and int(p.name) != pid):
            continue
        try:
            cmd = (p / "cmdline").read_bytes()
            if title is not None and not (cmd.startswith(b"ray::") and title.encode() in cmd):
                continue
            total += next(int(line.split()[1]) for line in (p / "status").read_text().splitlines()
                          if line.startswith("VmRSS:"))
        except (OSError, StopIteration):
            continue
    return total / 1024


def timed_run(cams: Path, out: Path, names: list[str], extra: list[str]) -> dict:
    """`yolotrack run --cameras`; fps = frames / (last frame written - first frame written), so
    start-up (model load, actor placement) is left out of both modes alike."""
    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ, OPENCV_LOG_LEVEL="ERROR")
    log = out.with_suffix(".log")
    with open(log, "w") as err:
        t0 = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "yolotrack", "run", "--cameras", str(cams), "--out", str(out),
                                 *extra], stdout=subprocess.DEVNULL, stderr=err, env=env)
        first = last = None
        seen = 0
        peak = {"process_mb": 0.0, "actors_mb": 0.0}
        while proc.poll() is None:
            peak["process_mb"] = max(peak["process_mb"], rss_mb(pid=proc.pid))
            peak["actors_mb"] = max(peak["actors_mb"], rss_mb(title="CameraGroupActor"))
            n = sum(frames_in(out / f"{c}.jsonl") for c in names)
            now = time.monotonic()
            if n and first is None:
                first = now
            if n > seen:
                seen, last = n, now
            time.sleep(0.05)
    n = sum(frames_in(out / f"{c}.jsonl") for c in names)
    if n > seen:
        last = time.monotonic()
    if proc.returncode != 0 or first is None or last is None or last <= first:
        raise RuntimeError(f"run failed (rc {proc.returncode}): {log.read_text()[-2000:]}")
    return {"frames": n, "fps": n / (last - first), "startup_s": first - t0, "wall_s": time.monotonic() - t0, **peak}


def throughput(a: argparse.Namespace, root: Path, cams: Path, names: list[str]) -> list[dict]:
    model = ["--weights", a.weights, "--imgsz", str(a.imgsz), "source.policy=lossless", "pipeline.stats_interval=0"]
    modes = {
        "local (1 process, 1 detector)": [],
        "Ray, 1 actor of 3 cameras (2 CPU)": ["--ray", a.address, "cluster.group_size=3", "cluster.num_cpus=2"],
        "Ray, 3 actors of 1 camera over 2 nodes (1 CPU each)": ["--ray", a.address, "cluster.group_size=1",
                                                                 "cluster.num_cpus=1"],
    }
    timed_run(cams, root / "warm-up", names, model)  # runtime exports for every batch size, cached for all
    rows = []
    for r in range(a.rounds):
        for label, extra in modes.items():
            res = timed_run(cams, root / f"out{r}-{len(rows)}", names, model + extra)
            res.update(mode=label, round=r, load=os.getloadavg()[0])
            rows.append(res)
            print(f"round {r} {label:52s} {res['fps']:6.2f} fps  ({res['frames']} frames, start-up "
                  f"{res['startup_s']:.1f} s, load {res['load']:.1f}; peak RSS: yolotrack process "
                  f"{res['process_mb']:.0f} MB, actors {res['actors_mb']:.0f} MB)", flush=True)
    return rows


def recovery(a: argparse.Namespace, root: Path, cams: Path) -> list[dict]:
    from cluster_scenarios import Run, kill_group

    out = []
    for r in range(a.rounds):
        run = Run(root / f"kill{r}", cams, a.address, ["--weights", a.weights, "--imgsz", str(a.imgsz),
                                                       "cluster.group_size=2"], root / f"kill{r}.log")
        res = kill_group(run, "cam0", a.frames // 4)
        res.update(run.wait(600))
        ok = res["rc"] == 0 and all(frames_in(root / f"kill{r}" / f"cam{i}.jsonl") == a.frames for i in range(3))
        print(f"recovery round {r}: cameras {', '.join(res['cameras'])} back {res['recovery_s']} s after SIGKILL; "
              f"rc {res['rc']}, every frame once: {ok}", flush=True)
        res["exactly_once"] = ok
        res.pop("stderr", None)
        out.append(res)
    return out


def capacity(a: argparse.Namespace) -> list[dict]:
    """Detector ms per frame (batch of 1 and of 4 cameras) per scale and imgsz, in the default runtime."""
    import numpy as np
    import torch

    from yolotrack.core.config import ModelConfig
    from yolotrack.detector import Detector
    from yolotrack.detector.checkpoint import save_checkpoint
    from yolotrack.detector.model import build_model

    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="yt-cap-"))
    frames = [np.random.default_rng(i).integers(0, 255, (360, 640, 3), np.uint8) for i in range(4)]
    for scale in a.scales:
        weights = tmp / f"random-{scale}.safetensors"  # random weights: speed does not depend on the values
        save_checkpoint(build_model(scale).eval(), weights)
        for imgsz in a.sizes:
            det = Detector.from_config(ModelConfig(weights=str(weights), imgsz=imgsz, conf=0.25))
            for batch in (1, 4):
                for _ in range(5):
                    det(frames[:batch])
                times = []
                for _ in range(a.iters):
                    t0 = time.perf_counter()
                    det(frames[:batch])
                    times.append(time.perf_counter() - t0)
                ms = statistics.median(times) * 1000 / batch
                runtime = getattr(det.model, "runtime_name", None) or det.runtime
                rows.append({"scale": scale, "imgsz": imgsz, "batch": batch, "ms_per_frame": ms,
                             "runtime": runtime, "threads": torch.get_num_threads()})
                print(f"capacity yolov12{scale} imgsz {imgsz} batch {batch}: {ms:6.1f} ms/frame "
                      f"({1000 / ms:5.1f} frames/s on this machine, runtime {runtime})", flush=True)
    shutil.rmtree(tmp, ignore_errors=True)
    return rows


def driver_cost(n: int = 20000, tracks: int = 10) -> dict:
    """What one result costs the driver: its pickled size, and records/s written to a camera's JSONL."""
    import pickle

    import numpy as np

    from yolotrack.cluster.driver import _Camera
    from yolotrack.cluster.records import FrameRecord
    from yolotrack.core.detections import Detections
    from yolotrack.core.frame import Frame
    from yolotrack.sinks.base import StreamInfo
    from yolotrack.sinks.jsonl import JsonlSink

    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 600, (tracks, 2))
    dets = Detections(np.concatenate([xy, xy + 40], 1), rng.uniform(0.3, 1, tracks), np.zeros(tracks),
                      track_ids=np.arange(1, tracks + 1))
    frame = Frame(np.zeros((360, 640, 3), np.uint8), 0, 0.0, "cam", 25.0)
    size = len(pickle.dumps(FrameRecord.of(frame, dets, [], with_image=False)))
    tmp = Path(tempfile.mkdtemp(prefix="yt-drv-"))
    cam = _Camera("cam", False, [JsonlSink(tmp / "cam.jsonl")], False)
    recs = []
    for i in range(n):
        r = FrameRecord.of(Frame(frame.image, i, i / 25, "cam", 25.0), dets, [], with_image=False)
        recs.append(r)
    recs[0].info = StreamInfo("cam", "x", 640, 360, 25.0, {0: "person"})
    t0 = time.perf_counter()
    for r in recs:
        cam.write(r)
    rate = n / (time.perf_counter() - t0)
    cam.sinks[0].close()
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"driver: {size} bytes per pickled result with {tracks} tracks; {rate:,.0f} results/s written to JSONL "
          "(one driver core)", flush=True)
    return {"bytes_per_result": size, "tracks": tracks, "results_per_s": rate}


def inside(a: argparse.Namespace) -> None:
    from common import make_scenes

    root = Path(a.root)
    clips = make_scenes(root / "scenes", 3, 1000, 640, 360, a.frames)
    cams = root / "cams.yaml"
    cams.write_text("cameras:\n" + "".join(f"  - {{name: cam{i}, source: {v}}}\n" for i, (v, _) in enumerate(clips)))
    names = [f"cam{i}" for i in range(3)]
    results = {"throughput": throughput(a, root, cams, names), "recovery": recovery(a, root, cams)}
    (root / "results.json").write_text(json.dumps(results, indent=1))


def summary(results: dict) -> None:
    rows = results.get("throughput", [])
    if rows:
        by: dict[str, list[float]] = {}
        for r in rows:
            by.setdefault(r["mode"], []).append(r["fps"])
        local = statistics.median(by[next(iter(by))])
        print("\nmedian total fps over rounds (ratio to local):")
        for mode, fps in by.items():
            print(f"  {mode:52s} {statistics.median(fps):6.2f}  ({statistics.median(fps) / local:.3f}x)  "
                  f"rounds: {', '.join(f'{x:.2f}' for x in fps)}")
        pairs = [r["fps"] for r in rows if r["mode"] == list(by)[1]]
        ratios = [p / q for p, q in zip(pairs, by[next(iter(by))], strict=False)]
        print(f"  Ray 1-actor / local per round: {', '.join(f'{x:.3f}' for x in ratios)}")
    for r in results.get("recovery", []):
        print(f"recovery: {r['recovery_s']} s, exactly once: {r['exactly_once']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--frames", type=int, default=300, help="frames per camera (3 cameras, 640x360)")
    ap.add_argument("--weights", default="demo")
    ap.add_argument("--imgsz", type=int, default=320)
    ap.add_argument("--scales", nargs="*", default=["n", "s", "m"])
    ap.add_argument("--sizes", nargs="*", type=int, default=[320, 640])
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--capacity-only", action="store_true")
    ap.add_argument("--no-capacity", action="store_true")
    ap.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--address", help=argparse.SUPPRESS)
    ap.add_argument("--root", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.inside:
        inside(a)
        return
    import ray
    import torch

    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.node()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}, torch {torch.__version__}, ray {ray.__version__}, "
          f"load {os.getloadavg()[0]:.1f}", flush=True)
    results: dict = {}
    if not a.capacity_only:
        root = Path(tempfile.mkdtemp(prefix="yt-bench-"))
        port = 6400 + os.getpid() % 500
        bindir = Path(sys.executable).parent
        me = [sys.executable, str(Path(__file__).resolve()), "--inside", "--address", f"127.0.0.1:{port}",
              "--root", str(root), "--rounds", str(a.rounds), "--frames", str(a.frames), "--weights", a.weights,
              "--imgsz", str(a.imgsz)]
        script = (f"ip link set lo up; {bindir / 'ray'} start --head --port {port} --num-cpus 2 "
                  f"--include-dashboard false --disable-usage-stats --temp-dir {root / 'ray'} >/dev/null 2>&1; "
                  f"{bindir / 'ray'} start --address 127.0.0.1:{port} --num-cpus 1 >/dev/null 2>&1; "
                  f"{' '.join(me)}; {bindir / 'ray'} stop >/dev/null 2>&1")
        subprocess.run(["unshare", "-n", "-p", "-f", "--mount-proc", "bash", "-c", script], check=False,
                       env=dict(os.environ, PATH=f"{bindir}:{os.environ.get('PATH', '')}"))
        results = json.loads((root / "results.json").read_text())
        shutil.rmtree(root, ignore_errors=True)
    if not a.no_capacity:
        results["driver"] = driver_cost()
        results["capacity"] = capacity(a)
    summary(results)


if __name__ == "__main__":
    main()
