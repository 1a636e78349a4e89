"""Runs inside the test's own network + PID namespace, next to a real Ray head and a second node.

`test_cluster_ray.py` starts `unshare -n -p -f --mount-proc`, the two Ray nodes and then this
script, which drives real `yolotrack run --cameras --ray` subprocesses through the scenarios
(SIGKILL of a group's actor, restarts used up, SIGTERM, `info --ray`) and writes what it saw
to `results.json`; the test asserts on that file and on the JSONL the runs wrote. Also used
by `benchmarks/cluster.py`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

ACTOR_LINE = re.compile(r"(group-\d+) \(cameras ([^)]*)\) running on node (.+), pid (\d+)")


def frames_in(path: Path) -> int:
    if not path.exists():
        return 0
    return path.read_text().count('"type":"frame"')


class Run:
    """One `yolotrack run --cameras` subprocess with its stderr in a file."""

    def __init__(self, out: Path, cams: Path, address: str, extra: list[str], log: Path) -> None:
        self.out, self.log = out, log
        env = dict(os.environ, OPENCV_LOG_LEVEL="ERROR", OMP_NUM_THREADS="1")
        self.err = open(log, "w")  # noqa: SIM115 - closed in wait()
        self.proc = subprocess.Popen([sys.executable, "-m", "yolotrack", "run", "--cameras", str(cams), "--out",
                                      str(out), "--ray", address, *extra], stdout=subprocess.DEVNULL,
                                     stderr=self.err, env=env)

    def actors(self) -> dict[str, tuple[list[str], int]]:
        """group -> (cameras, pid) from the driver's newest 'running on node' lines."""
        found = {}
        for m in ACTOR_LINE.finditer(self.log.read_text()):
            found[m.group(1)] = ([c.strip() for c in m.group(2).split(",")], int(m.group(4)))
        return found

    def wait_until(self, cond, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if cond():
                return True
            if self.proc.poll() is not None:
                return bool(cond())
            time.sleep(0.02)
        return bool(cond())

    def wait(self, timeout: float) -> dict:
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = "timeout"
        self.err.close()
        return {"rc": rc, "stderr": self.log.read_text()[-6000:]}


def kill_group(run: Run, camera: str, after_frames: int, timeout: float = 120) -> dict:
    """SIGKILL the actor serving `camera` once it has `after_frames` frames written; return when and
    how long until each of its cameras wrote a new frame again."""
    path = run.out / f"{camera}.jsonl"
    assert run.wait_until(lambda: frames_in(path) >= after_frames and any(
        camera in c for c, _ in run.actors().values()), timeout), f"{camera} never reached {after_frames} frames"
    group, (cams, pid) = next((g, v) for g, v in run.actors().items() if camera in v[0])
    counts = {c: frames_in(run.out / f"{c}.jsonl") for c in cams}
    t_kill = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    # "back": every camera of the group wrote a frame line it had not written before the kill
    # (frames already polled when the actor died may still land first: wait past those too).
    time.sleep(0.3)
    settled = {c: frames_in(run.out / f"{c}.jsonl") for c in cams}
    back = run.wait_until(lambda: all(frames_in(run.out / f"{c}.jsonl") > settled[c] for c in cams), timeout)
    return {"group": group, "cameras": cams, "pid": pid, "frames_at_kill": counts,
            "recovery_s": round(time.monotonic() - t_kill, 2) if back else None}


def scenario_files_kill(a: argparse.Namespace, root: Path) -> dict:
    out = root / "files_kill"
    run = Run(out, Path(a.files_cams), a.address, a.model_args + ["cluster.group_size=2"], root / "files_kill.log")
    kill = kill_group(run, "door", a.kill_after)
    return {**run.wait(240), **kill, "out": str(out)}


def scenario_live_kill_sigterm(a: argparse.Namespace, root: Path) -> dict:
    out = root / "live_kill"
    run = Run(out, Path(a.live_cams), a.address, a.model_args, root / "live_kill.log")
    kill = kill_group(run, "live", 20)
    live = out / "live.jsonl"
    n = frames_in(live)
    run.wait_until(lambda: frames_in(live) >= n + 15, 60)
    run.proc.send_signal(signal.SIGTERM)
    return {**run.wait(60), **kill, "out": str(out)}


def scenario_restarts_used_up(a: argparse.Namespace, root: Path) -> dict:
    """Two groups, no restarts, --quiet: the killed group's cameras stop, the other group runs to its end."""
    out = root / "no_restart"
    run = Run(out, Path(a.files_cams), a.address,
              a.model_args + ["--quiet", "cluster.max_restarts=0", "cluster.group_size=2", "cluster.spares=0"],
              root / "no_restart.log")
    path = out / "door.jsonl"
    run.wait_until(lambda: frames_in(path) >= 10, 120)
    busy = [(pid, cmd) for pid, cmd in ray_workers() if "CameraGroupActor" in cmd]
    # the actor serving door: the one whose pipeline has door's file open
    victim = next(pid for pid, _ in busy if any(str(Path(a.files_cams).parent / "door.mp4") in link
                                                 for link in open_files(pid)))
    os.kill(victim, signal.SIGKILL)
    return {**run.wait(120), "out": str(out)}


def ray_workers() -> list[tuple[int, str]]:
    """(pid, command line) of the Ray worker processes in this namespace (`ray::...`)."""
    found = []
    for p in Path("/proc").iterdir():
        try:
            cmd = (p / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if p.name.isdigit() and cmd.startswith("ray::"):
            found.append((int(p.name), cmd))
    return found


def open_files(pid: int) -> list[str]:
    try:
        return [os.readlink(f) for f in Path(f"/proc/{pid}/fd").iterdir()]
    except OSError:
        return []


def scenario_info(a: argparse.Namespace, root: Path) -> dict:
    p = subprocess.run([sys.executable, "-m", "yolotrack", "info", "--ray", a.address], capture_output=True,
                       text=True, timeout=120)
    return {"rc": p.returncode, "stdout": p.stdout, "stderr": p.stderr[-3000:]}


SCENARIOS = {"files_kill": scenario_files_kill, "live_kill": scenario_live_kill_sigterm,
             "no_restart": scenario_restarts_used_up, "info": scenario_info}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--address", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--files-cams", required=True)
    ap.add_argument("--live-cams", required=True)
    ap.add_argument("--kill-after", type=int, default=40)
    ap.add_argument("--only", nargs="*", default=list(SCENARIOS))
    ap.add_argument("model_args", nargs="*")
    a = ap.parse_args()
    root = Path(a.root)
    results = {}
    for name in a.only:
        t0 = time.monotonic()
        try:
            results[name] = SCENARIOS[name](a, root)
        except Exception as e:  # noqa: BLE001 - recorded for the test to report
            results[name] = {"failed": f"{type(e).__name__}: {e}"}
        results[name]["seconds"] = round(time.monotonic() - t0, 1)
        (root / "results.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
