"""Start-up: from `yolotrack export` to the first tracked frame, with a warm export cache, and where the time goes.

The process exports a one-frame clip (the demo clip's first frame), so its whole wall time, spawn to
exit, bounds "start to first tracked frame" from above (it also writes the output and exits). Variants,
alternated over rounds, best kept:
- warm: the export cache holds the model card, the OpenVINO IR and OpenVINO's compiled blob (no torch);
- no card: the card removed, so the Detector loads the checkpoint with torch first (the path every start
  took before the card existed);
- torch: `model.runtime=torch`.
Then one `python -X importtime` run of the warm variant, summarised by top-level package.

    .venv/bin/python benchmarks/startup.py --rounds 5
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import av

from yolotrack.core.assets import DEMO_VIDEO


def one_frame_clip(path: Path) -> Path:
    with av.open(str(DEMO_VIDEO)) as src, av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30)
        frame = next(src.decode(video=0))
        stream.width, stream.height, stream.pix_fmt = frame.width, frame.height, "yuv420p"
        for packet in [*stream.encode(frame), *stream.encode()]:
            out.mux(packet)
    return path


def command(clip: Path, out: Path, extra: list[str], importtime: bool = False) -> list[str]:
    return [sys.executable, *(["-X", "importtime"] if importtime else []), "-m", "yolotrack", "export", str(clip),
            "--formats", "jsonl", "--out", str(out), "-q", *extra]


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    if proc.returncode:
        raise SystemExit(proc.stderr[-2000:])
    return time.perf_counter() - t0, proc.stderr


def import_summary(stderr: str, top: int) -> list[tuple[str, float]]:
    """Cumulative ms per top-level package (first import of each), from `-X importtime` lines."""
    totals: dict[str, float] = defaultdict(float)
    for line in stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m and len(m.group(3)) == 1:  # depth 0: a package imported directly by our code or the interpreter
            name = m.group(4)
            totals[name.split(".")[0] if not name.startswith("yolotrack") else name] += int(m.group(2)) / 1e3
    return sorted(totals.items(), key=lambda kv: -kv[1])[:top]


HEAVY = ("numpy", "cv2", "av", "openvino", "yaml", "lap", "tqdm", "importlib.metadata", "torch", "nncf")


def package_costs(stderr: str) -> dict[str, float]:
    """Cumulative ms of the third-party packages that matter, wherever they were first imported."""
    out: dict[str, float] = {}
    for line in stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| *(\S+)$", line)
        if m and m.group(3) in HEAVY:
            out[m.group(3)] = max(out.get(m.group(3), 0.0), int(m.group(2)) / 1e3)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--top", type=int, default=14)
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    root = Path(tmp.name)
    clip = one_frame_clip(root / "one.mp4")
    env = {**os.environ, "XDG_CACHE_HOME": str(root / "xdg")}
    timed(command(clip, root / "out", []), env)  # cold: exports the model, writes the card
    timed(command(clip, root / "out", ["model.runtime=torch"]), env)
    cards = list((root / "xdg").rglob("*-card-*.json"))
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {os.getloadavg()[0]:.1f}; "
          f"one-frame 640x384 clip, demo model, `yolotrack export --formats jsonl`", flush=True)
    best: dict[str, float] = {}
    for r in range(args.rounds):
        for name, extra in (("warm", []), ("no card", []), ("torch", ["model.runtime=torch"])):
            if name == "no card":
                saved = [(c, c.read_bytes()) for c in cards]
                for c in cards:
                    c.unlink()
            wall, _ = timed(command(clip, root / "out", extra), env)
            if name == "no card":
                for c, data in saved:
                    c.write_bytes(data)
            best[name] = min(best.get(name, float("inf")), wall)
            print(f"  round {r + 1} {name:8s} {wall:.2f} s", flush=True)
    print("best: " + ", ".join(f"{k} {v:.2f} s" for k, v in best.items()))
    _, stderr = timed(command(clip, root / "out", [], importtime=True), env)
    print("imports of the warm start (cumulative ms, top level):")
    for name, ms in import_summary(stderr, args.top):
        print(f"  {name:36s} {ms:7.1f}")
    print("third-party packages in it (cumulative ms): " + ", ".join(
        f"{k} {v:.0f}" for k, v in sorted(package_costs(stderr).items(), key=lambda kv: -kv[1])))
    print(f"  torch imported: {'yes' if re.search(r'[|] torch$', stderr, re.M) else 'no'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
