"""Issue #24's recipe, scripted: SIGKILL a busy `ray::` worker of a `--ray` run and check exactly-once.

A Ray head (2 CPUs) and a second node (1 CPU) run on loopback in their own network + PID namespace
(`unshare -n -p -f --mount-proc`; this script re-runs itself there), a new one for every round. Each round runs
`yolotrack run --cameras cams.yaml --ray 127.0.0.1:PORT --out DIR --quiet` with three file cameras
(`street`: a real pedestrian frame panned over `--street-frames` frames; `synthetic`: a synthetic
scene; `demo`: the bundled demo clip), waits `--kill-at` seconds, then SIGKILLs the first busy Ray
worker process, found by its command line (`ray::...`, never `ray::IDLE`), `--kills` times,
`--interval` seconds apart; with `--stop S` it is SIGSTOPped instead (a node that stops answering but
does not die: only `cluster.hang_timeout` notices) and SIGCONTed S seconds later. A round passes
when the run exits 0 and every camera's JSONL holds every frame of its file exactly once.
Recovery: `back_s`, the driver's own "back N s after it was lost" lines (loss noticed -> the
group's next frame written), and per kill `recovery_s`, kill -> every unfinished camera wrote a
frame line it had not 0.3 s after the kill (frames in transit land first).

    .venv/bin/python benchmarks/ray_kill.py --rounds 3               # the issue's recipe, 3 in a row
    .venv/bin/python benchmarks/ray_kill.py --rounds 1 --street-frames 200 --clip-frames 120 --kill-at 8

Prints one JSON object per round and writes them all to `--json` when given.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
FIXTURES = REPO.parent / "shared" / "fixtures"


# ---------------------------------------------------------------------------------------------- clips

def _write_clip(path: Path, frames, fps: int = 25) -> int:
    import av

    n = 0
    with av.open(str(path), "w") as out:
        stream = None
        for img in frames:
            if stream is None:
                stream = out.add_stream("libx264", rate=fps)
                stream.height, stream.width = img.shape[:2]
                stream.pix_fmt, stream.options = "yuv420p", {"preset": "ultrafast"}
            for p in stream.encode(av.VideoFrame.from_ndarray(img, format="bgr24")):
                out.mux(p)
            n += 1
        assert stream is not None
        for p in stream.encode():
            out.mux(p)
    return n


def street_clip(path: Path, n: int) -> int:
    """A real street frame with pedestrians (the detector fixtures' `frame_bgr`), panned and zoomed
    slowly so every frame differs: 640x480."""
    import numpy as np

    img = np.load(FIXTURES / "official_yolov12n_io.npz")["frame_bgr"]
    h, w = img.shape[:2]

    def frames():
        for i in range(n):
            t = i / max(1, n - 1)
            x, y = int(t * (w - 640)), int(abs(np.sin(3 * t)) * (h - 480))
            yield np.ascontiguousarray(img[y:y + 480, x:x + 640])

    return _write_clip(path, frames())


def demo_clip(path: Path, n: int) -> int:
    import av

    from yolotrack.core.assets import DEMO_VIDEO

    def frames():
        with av.open(str(DEMO_VIDEO)) as src:
            for i, f in enumerate(src.decode(video=0)):
                if i == n:
                    return
                yield f.to_ndarray(format="bgr24")

    return _write_clip(path, frames())


def synthetic_clip(root: Path, n: int) -> tuple[Path, int]:
    from yolotrack.train.synth_export import SynthPlan, run_plan, scene_config

    run_plan(SynthPlan(out=root / "synth", sequences=1, seed=1000, dataset=False, crf=23,
                       scene=scene_config(width=640, height=384, frames=n)))
    return root / "synth" / "videos" / "seq1000.mp4", n


def make_cameras(root: Path, street_frames: int, clip_frames: int) -> dict[str, int]:
    """Writes the clips and `root/cams.yaml`; returns camera -> frames in its file."""
    from yolotrack.core.cameras import Camera, save_cameras

    frames = {"street": street_clip(root / "street.mp4", street_frames)}
    synth, frames["synthetic"] = synthetic_clip(root, clip_frames)
    frames["demo"] = demo_clip(root / "demo.mp4", clip_frames)
    save_cameras(root / "cams.yaml", [Camera("street", str(root / "street.mp4")), Camera("synthetic", str(synth)),
                                      Camera("demo", str(root / "demo.mp4"))])
    return frames


# ---------------------------------------------------------------------------------------------- inside

def processes() -> list[tuple[int, str]]:
    """(pid, command line) of every process, oldest pid first. Inside the namespace only this run's
    cluster (and the run) is seen."""
    found = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            cmd = (p / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        found.append((int(p.name), cmd))
    return sorted(found)


def busy_ray_workers() -> list[tuple[int, str]]:
    """Every Ray worker process doing something (`ray::NAME...`, not `ray::IDLE`)."""
    return [(p, cmd) for p, cmd in processes() if cmd.startswith("ray::") and not cmd.startswith("ray::IDLE")]


def cluster_processes() -> list[tuple[int, str]]:
    """Every process of the Ray cluster (its GCS, raylets, agents and workers), for `--victim cluster`."""
    parts = ("/ray/core/", "/ray/_private/", "/ray/dashboard/", "/ray/autoscaler/")
    return [(p, cmd) for p, cmd in processes() if cmd.startswith("ray::") or any(d in cmd for d in parts)]


def frame_lines(path: Path) -> list[int]:
    if not path.exists():
        return []
    return [json.loads(line)["frame"] for line in path.read_text().splitlines() if '"type":"frame"' in line]


def one_round(a: argparse.Namespace, frames: dict[str, int], out: Path) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ, OPENCV_LOG_LEVEL="ERROR")
    log = out.parent / f"{out.name}.log"
    cmd = [sys.executable, "-m", "yolotrack", "run", "--cameras", str(Path(a.root) / "cams.yaml"), "--ray",
           a.address, "--out", str(out), "--weights", a.weights, "--imgsz", str(a.imgsz), "--quiet", *a.overrides]
    t0 = time.monotonic()
    with open(log, "w") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env)
        kills: list[dict] = []
        next_kill = t0 + a.kill_at
        while proc.poll() is None and len(kills) < a.kills:
            if time.monotonic() < next_kill:
                time.sleep(0.05)
                continue
            if not kills and min(len(frame_lines(out / f"{c}.jsonl")) for c in frames) < a.after_frames:
                time.sleep(0.2)
                continue
            victim = a.victim[len(kills) % len(a.victim)] if a.victim else "first"
            busy = [(p, t) for p, t in busy_ray_workers() if victim in ("first", "cluster") or victim in t]
            if not busy:
                time.sleep(0.05)
                continue
            pid, title = busy[0]
            counts = {c: len(frame_lines(out / f"{c}.jsonl")) for c in frames}
            t_kill = time.monotonic()
            if victim == "cluster":  # the whole cluster, for good: the run must end with one line
                whole = cluster_processes()
                for p, _ in whole:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(p, signal.SIGKILL)
                kills.append({"at_s": round(t_kill - t0, 1), "pid": pid, "process": f"{len(whole)} processes",
                              "frames_at_kill": counts, "recovery_s": None})
                continue
            try:
                os.kill(pid, signal.SIGSTOP if a.stop else signal.SIGKILL)
            except ProcessLookupError:
                continue
            time.sleep(0.3)  # results already on their way when the worker died may still land
            settled = {c: len(frame_lines(out / f"{c}.jsonl")) for c in frames}
            waiting = [c for c in frames if settled[c] < frames[c]]
            back = None
            while proc.poll() is None and time.monotonic() - t_kill < a.timeout:
                now = {c: len(frame_lines(out / f"{c}.jsonl")) for c in waiting}
                if all(now[c] > settled[c] or now[c] >= frames[c] for c in waiting):
                    back = round(time.monotonic() - t_kill, 2)
                    break
                time.sleep(0.05)
            kill = {"at_s": round(t_kill - t0, 1), "pid": pid, "process": title[:80], "frames_at_kill": counts,
                    "recovery_s": back}
            if a.stop:  # the node answers again: the stale actor wakes up after its group went on elsewhere
                time.sleep(max(0.0, t_kill + a.stop - time.monotonic()))
                try:
                    os.kill(pid, signal.SIGCONT)
                    kill["continued"] = "yes"
                except ProcessLookupError:  # Ray ended it while it was stopped
                    kill["continued"] = "it was gone"
                kill["frames_at_continue"] = {c: len(frame_lines(out / f"{c}.jsonl")) for c in frames}
            kills.append(kill)
            next_kill = time.monotonic() + a.interval
        try:
            rc = proc.wait(a.timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = "timeout"
    written = {c: frame_lines(out / f"{c}.jsonl") for c in frames}
    exact = {c: written[c] == list(range(frames[c])) for c in frames}
    stderr = log.read_text()
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    # the driver's own measure: lost (or its link gone) -> that group's next frame written
    back = [float(m.group(1)) for m in re.finditer(r" back ([0-9.]+) s after it was lost", stderr)]
    return {"rc": rc, "seconds": round(time.monotonic() - t0, 1), "kills": kills, "back_s": back,
            "frames": {c: len(written[c]) for c in frames}, "expected": frames,
            "duplicates": {c: len(written[c]) - len(set(written[c])) for c in frames},
            "exactly_once": exact, "frames_in_order": {c: written[c] == list(range(len(written[c]))) for c in frames},
            "passed": rc == 0 and all(exact.values()) and len(kills) == a.kills,
            "last_line": lines[-1] if lines else "", "stderr": stderr[-4000:]}


def inside(a: argparse.Namespace) -> None:
    frames = json.loads((Path(a.root) / "frames.json").read_text())
    results = []
    for i in range(a.round, a.round + a.rounds):
        res = one_round(a, frames, Path(a.root) / f"round{i}")
        results.append(res)
        print(json.dumps({k: v for k, v in res.items() if k != "stderr"}), flush=True)
        (Path(a.root) / "results.json").write_text(json.dumps(results, indent=1))


# ---------------------------------------------------------------------------------------------- outside

def outside(a: argparse.Namespace) -> int:
    """Each round on a clean cluster: a new namespace with a new head and node (a kill of a node's
    agent takes that node's raylet along, so the next round must not inherit a cluster missing one)."""
    root = Path(tempfile.mkdtemp(prefix="yt-kill-"))  # short: Ray's socket paths live below it
    try:
        frames = make_cameras(root, a.street_frames, a.clip_frames)
        (root / "frames.json").write_text(json.dumps(frames))
        results = []
        for i in range(a.rounds):
            res = _round_in_namespace(a, root, i)
            if res is None:
                print(f"round {i} did not run; head log tail:\n"
                      f"{(root / 'head.log').read_text()[-2000:] if (root / 'head.log').exists() else ''}",
                      file=sys.stderr)
                return 1
            results.append(res)
            if a.json:
                Path(a.json).write_text(json.dumps(results, indent=1))
        for r in results:
            if not r["passed"]:
                print(f"FAILED round: rc {r['rc']}, frames {r['frames']} of {r['expected']}, "
                      f"last line: {r['last_line']}", file=sys.stderr)
        return 0 if all(r["passed"] for r in results) else 1
    finally:
        if a.keep:
            print(f"kept {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)


def _round_in_namespace(a: argparse.Namespace, root: Path, i: int) -> dict | None:
    port = 20000 + (os.getpid() + i) % 20000
    bindir = Path(sys.executable).parent
    ray = bindir / "ray"
    results = root / "results.json"
    results.unlink(missing_ok=True)
    me = [sys.executable, str(Path(__file__).resolve()), "--inside", "--root", str(root), "--round", str(i),
          "--address", f"127.0.0.1:{port}", "--rounds", "1", "--kill-at", str(a.kill_at),
          "--kills", str(a.kills), "--interval", str(a.interval), "--stop", str(a.stop),
          "--after-frames", str(a.after_frames),
          *[f"--victim={v}" for v in a.victim or []], "--weights", a.weights, "--imgsz", str(a.imgsz),
          "--timeout", str(a.timeout), "--", *a.overrides]
    script = " ".join([
        "ip link set lo up;",
        f"{ray} start --head --port {port} --num-cpus 2 --include-dashboard false --disable-usage-stats",
        f"--temp-dir {root / f'ray{i}'} >{root / 'head.log'} 2>&1;",
        f"{ray} start --address 127.0.0.1:{port} --num-cpus 1 >{root / 'node.log'} 2>&1;",
        " ".join(f"'{x}'" for x in me), ";",
        f"{ray} stop >/dev/null 2>&1",
    ])
    env = dict(os.environ, PATH=f"{bindir}:{os.environ.get('PATH', '')}", RAY_USAGE_STATS_ENABLED="0",
               RAY_AUTH_MODE="disabled")
    subprocess.run(["unshare", "-n", "-p", "-f", "--mount-proc", "bash", "-c", script], env=env, check=False,
                   timeout=a.timeout + 240)
    return json.loads(results.read_text())[0] if results.exists() else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--street-frames", type=int, default=795)
    ap.add_argument("--clip-frames", type=int, default=300)
    ap.add_argument("--kill-at", type=float, default=25.0, help="seconds after the run starts")
    ap.add_argument("--kills", type=int, default=1, help="kills per round")
    ap.add_argument("--interval", type=float, default=10.0, help="seconds between kills after recovery")
    ap.add_argument("--victim", action="append", help="kill the first busy ray:: process whose command line "
                    "contains this (e.g. CameraGroupActor), in turn per kill; default: the first busy one; "
                    "`cluster`: SIGKILL every process of the Ray cluster (GCS, raylets, workers) then")
    ap.add_argument("--stop", type=float, default=0.0, help="SIGSTOP the victim instead of killing it (a node "
                    "that stops answering without dying) and SIGCONT it this many seconds later")
    ap.add_argument("--after-frames", type=int, default=0, help="the first kill also waits until every camera "
                    "wrote this many frame lines (mid-run, not during the start)")
    ap.add_argument("--weights", default=str(FIXTURES / "ultralytics_yolo12n.pt"))
    ap.add_argument("--imgsz", type=int, default=320)
    ap.add_argument("--timeout", type=float, default=400.0, help="seconds a round may take")
    ap.add_argument("--json", help="write the rounds here")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, outputs)")
    ap.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--root", help=argparse.SUPPRESS)
    ap.add_argument("--round", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--address", help=argparse.SUPPRESS)
    ap.add_argument("overrides", nargs="*", help="KEY=VALUE config overrides for the run")
    a = ap.parse_args()
    if a.inside:
        inside(a)
        return 0
    return outside(a)


if __name__ == "__main__":
    sys.exit(main())
