"""The GUI against the same pipeline without it: N cameras, frames per second and the GUI thread's CPU.

Each round runs, in fresh child processes and alternating order, (a) the headless `Pipeline` over
the cameras (no outputs), (b) `yolotrack gui`'s window over the same cameras (tiles in the grid,
offscreen or in an X server), and (c) `yolotrack run --cameras` on them (JSONL per camera; its fps
read from its stats lines), or `yolotrack export` for one clip. Files loop and are read losslessly, so both run
at the batched detector's rate. Measured over a steady window after a warm-up: output fps (every
camera together), the detector's time per batch (p50) and its batch size, peak RSS, and for the GUI
the main (UI) thread's CPU time per second and per drawn tile frame (and how much of it is drawing
frames and the status update), plus the X server's CPU with --xvfb.

    .venv/bin/python benchmarks/gui_grid.py --cameras 4 --size 1280x720             # 4 synthetic 720p scenes
    .venv/bin/python benchmarks/gui_grid.py --cameras 1 --demo --modes export,gui   # the demo clip
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


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- children


def child_config(args: argparse.Namespace):
    from yolotrack.core.config import load_config

    cfg = load_config(None, [f"model.weights={args.weights}", f"model.imgsz={args.imgsz}", "source.loop=true",
                             "source.policy=lossless", "pipeline.stats_interval=0", "ui.probe_webcams=0",
                             *args.overrides])
    return cfg


def cameras(args: argparse.Namespace):
    from yolotrack.core.cameras import Camera

    return [Camera(f"cam{i}", u) for i, u in enumerate(args.uris)]


def detector_numbers(pipe) -> dict:
    s = pipe.stats()
    det = s.stages["detector"]
    return {"frames": s.frames, "batches": det.frames, "detector_p50_ms": det.p50_ms}


def run_pipeline(args: argparse.Namespace) -> dict:
    from yolotrack.pipeline import Pipeline, open_source

    cfg = child_config(args)
    sources = [open_source(c.source, cfg.source, c.name) for c in cameras(args)]
    pipe = Pipeline(cfg, sources=sources, on_result=lambda r: None)  # trails too, as the GUI gets them
    pipe.start()
    time.sleep(args.warmup)
    a, t0 = detector_numbers(pipe), time.monotonic()
    time.sleep(args.seconds)
    b, t1 = detector_numbers(pipe), time.monotonic()
    pipe.stop(drain=False)
    pipe.wait(30)
    return window(a, b, t1 - t0)


def run_export(args: argparse.Namespace) -> dict:
    """`yolotrack export` of the clip (one camera): encodes and writes every output, like the command."""
    from yolotrack.commands.export import export_video
    from yolotrack.core.config import set_values

    cfg = set_values(child_config(args), {"source.loop": False})
    out = Path(tempfile.mkdtemp(prefix="gui-grid-export-"))
    t0 = time.monotonic()
    res = export_video(cfg, Path(args.uris[0]), out, ["video", "mot", "cvat", "coco", "jsonl"])
    wall = time.monotonic() - t0
    shutil.rmtree(out, ignore_errors=True)
    st = res.stats.stages["detector"]
    return {"fps": res.frames / wall, "detector_p50_ms": st.p50_ms, "batch": 1.0, "frames": res.frames}


def run_cameras_cli(args: argparse.Namespace) -> dict:
    """`yolotrack run --cameras FILE --out DIR` as a user runs it; fps from two of its stats lines."""
    import re
    import signal

    from yolotrack.core.cameras import save_cameras

    tmp = Path(tempfile.mkdtemp(prefix="gui-grid-run-"))
    save_cameras(tmp / "cams.yaml", cameras(args))
    cmd = [sys.executable, "-m", "yolotrack", "run", "--cameras", str(tmp / "cams.yaml"), "--out", str(tmp / "out"),
           "--weights", args.weights, "--imgsz", str(args.imgsz), "source.loop=true", "source.policy=lossless",
           "pipeline.stats_interval=2", *args.overrides]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    seen: list[tuple[float, int, float]] = []  # (time, frames, detector p50)
    t_first = None
    assert proc.stderr is not None
    for line in proc.stderr:
        m = re.search(r"stats: (\d+) frames;.*detector ([\d.]+)/", line)
        if not m:
            continue
        now = time.monotonic()
        if t_first is None and int(m.group(1)) > 0:  # the warm-up counts from the first frames out, as the GUI's
            t_first = now
        if t_first is not None and now - t_first >= args.warmup:
            seen.append((now, int(m.group(1)), float(m.group(2))))
        if seen and now - seen[0][0] >= args.seconds:
            break
    proc.send_signal(signal.SIGTERM)
    proc.wait(60)
    shutil.rmtree(tmp, ignore_errors=True)
    (t0, f0, _), (t1, f1, p50) = seen[0], seen[-1]
    return {"fps": (f1 - f0) / (t1 - t0), "detector_p50_ms": p50, "frames": f1 - f0}


def run_gui(args: argparse.Namespace) -> dict:
    from PyQt6.QtCore import QSettings, QTimer
    from PyQt6.QtWidgets import QApplication

    from yolotrack.ui import MainWindow
    from yolotrack.ui.settings import GuiSettings

    spent = {"draw": 0.0, "hud": 0.0}  # UI-thread CPU seconds in drawing frames and in the 4 Hz status update

    def timed(fn, key):
        def wrapper(self, *a):
            c0 = time.thread_time()
            try:
                return fn(self, *a)
            finally:
                spent[key] += time.thread_time() - c0
        return wrapper

    MainWindow.on_frame = timed(MainWindow.on_frame, "draw")  # before the window connects them
    MainWindow.update_hud = timed(MainWindow.update_hud, "hud")
    app = QApplication(sys.argv[:1])
    cfg = child_config(args)
    tmp = Path(tempfile.mkdtemp(prefix="gui-grid-"))
    settings = GuiSettings(QSettings(str(tmp / "gui.ini"), QSettings.Format.IniFormat))
    win = MainWindow(cfg, settings=settings, cameras=cameras(args), explicit=frozenset({"source.uri"}))
    win.set_layout("1" if len(args.uris) == 1 else "2x2" if len(args.uris) <= 4 else "3x3")
    win.resize(*args.window)
    win.show()
    marks: dict[str, tuple] = {}
    t_open = time.monotonic()

    def sample() -> tuple:
        pipe = win.controller.pipeline
        return (time.monotonic(), time.thread_time(), detector_numbers(pipe), win.frames_shown, dict(spent))

    def tick() -> None:
        pipe = win.controller.pipeline
        if pipe is None or pipe.stats().frames == 0:
            marks["started"] = (time.monotonic(),)
            return
        now = time.monotonic()
        start = marks.setdefault("start_at", (now + args.warmup,))[0]
        if "a" not in marks and now >= start:
            marks["a"] = sample()
        elif "a" in marks and now >= marks["a"][0] + args.seconds:
            marks["b"] = sample()
            timer.stop()
            win.close()
            app.quit()
        elif now - t_open > args.warmup + args.seconds + 300:
            timer.stop()
            win.close()
            app.quit()

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(100)
    app.exec()
    shutil.rmtree(tmp, ignore_errors=True)
    if "b" not in marks:
        return {"error": "no frames"}
    (w0, c0, a, f0, s0), (w1, c1, b, f1, s1) = marks["a"], marks["b"]
    out = window(a, b, w1 - w0)
    drawn, wall = f1 - f0, w1 - w0
    out.update(gui_cpu_pct=100.0 * (c1 - c0) / wall, gui_ms_per_tile_frame=1000.0 * (c1 - c0) / max(1, drawn),
               draw_ms_per_tile_frame=1000.0 * (s1["draw"] - s0["draw"]) / max(1, drawn),
               hud_cpu_pct=100.0 * (s1["hud"] - s0["hud"]) / wall, drawn_fps=drawn / wall,
               platform=app.platformName())
    return out


def window(a: dict, b: dict, seconds: float) -> dict:
    frames, batches = b["frames"] - a["frames"], b["batches"] - a["batches"]
    return {"fps": frames / seconds, "detector_p50_ms": b["detector_p50_ms"], "batch": frames / max(1, batches),
            "frames": frames}


# ---------------------------------------------------------------- parent


def start_xvfb() -> tuple[subprocess.Popen, str]:
    exe = shutil.which("Xvfb")
    if exe is None:
        raise SystemExit("--xvfb: Xvfb is not installed")
    r, w = os.pipe()
    proc = subprocess.Popen([exe, "-displayfd", str(w), "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
                            pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(w)
    with os.fdopen(r) as f:
        return proc, f":{f.readline().strip()}"


def make_clips(args: argparse.Namespace, root: Path) -> list[str]:
    if args.demo:
        from yolotrack.core.assets import DEMO_VIDEO

        return [str(DEMO_VIDEO)] * args.cameras
    sys.path.insert(0, str(HERE))
    from common import make_scenes

    w, h = (int(v) for v in args.size.lower().split("x"))
    return [str(v) for v, _ in make_scenes(root, args.cameras, 1000, w, h, args.frames)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cameras", type=int, default=4)
    ap.add_argument("--size", default="1280x720", help="synthetic scene size WxH")
    ap.add_argument("--frames", type=int, default=150, help="frames per synthetic clip (they loop)")
    ap.add_argument("--demo", action="store_true", help="the bundled demo clip instead of synthetic scenes")
    ap.add_argument("--weights", default="demo")
    ap.add_argument("--imgsz", type=int, default=640)
    ap.add_argument("--modes", default="pipeline,gui,run", help="comma list of pipeline, gui, run, export")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--warmup", type=float, default=8.0)
    ap.add_argument("--window", default="1600x900", help="GUI window size WxH")
    ap.add_argument("--xvfb", action="store_true", help="the GUI in an Xvfb X server (xcb), not offscreen")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--uris", nargs="*", help=argparse.SUPPRESS)
    ap.add_argument("overrides", nargs="*", metavar="KEY=VALUE")
    args = ap.parse_args()
    args.window = tuple(int(v) for v in str(args.window).lower().split("x"))

    if args.child:
        import resource

        fn = {"pipeline": run_pipeline, "gui": run_gui, "export": run_export, "run": run_cameras_cli}[args.child]
        res = fn(args)
        who = resource.RUSAGE_CHILDREN if args.child == "run" else resource.RUSAGE_SELF  # run: the CLI's process
        res["peak_rss_mb"] = resource.getrusage(who).ru_maxrss / 1024.0
        print("RESULT " + json.dumps(res), flush=True)
        return 0

    tmp = Path(tempfile.mkdtemp(prefix="gui-grid-clips-"))
    uris = make_clips(args, tmp)
    xvfb, display = start_xvfb() if args.xvfb else (None, "")
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    base = [sys.executable, __file__, "--weights", args.weights, "--imgsz", str(args.imgsz), "--seconds",
            str(args.seconds), "--warmup", str(args.warmup), "--window", "x".join(map(str, args.window)),
            *args.overrides, "--uris", *uris]
    env = dict(os.environ)
    if xvfb is not None:
        env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb")
    else:
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
    results: dict[str, list[dict]] = {m: [] for m in modes}
    try:
        subprocess.run([*base[:2], "--child", modes[0], *base[2:]], env=env, capture_output=True, timeout=900)  # warm
        for r in range(args.rounds):
            order = modes if r % 2 == 0 else modes[::-1]
            for mode in order:
                x0 = cpu_seconds(xvfb.pid) if xvfb is not None and mode == "gui" else None
                t0 = time.monotonic()
                p = subprocess.run([*base[:2], "--child", mode, *base[2:]], env=env, capture_output=True, text=True,
                                   timeout=900)
                line = next((x for x in p.stdout.splitlines() if x.startswith("RESULT ")), None)
                if line is None:
                    print(f"{mode} failed: {p.stderr[-1500:]}", file=sys.stderr)
                    continue
                res = json.loads(line[7:])
                if x0 is not None:
                    res["xserver_cpu_pct"] = 100.0 * (cpu_seconds(xvfb.pid) - x0) / (time.monotonic() - t0)
                res["load"] = os.getloadavg()[0]
                results[mode].append(res)
                print(f"round {r + 1} {mode:<8} " + " ".join(f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}"
                                                         for k, v in res.items()), flush=True)
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(5)
        shutil.rmtree(tmp, ignore_errors=True)

    import cv2
    import torch

    print(f"\n{args.cameras} camera(s), {'demo clip' if args.demo else args.size + ' synthetic scenes'}, weights "
          f"{args.weights}, imgsz {args.imgsz}, {args.rounds} alternating rounds of {args.seconds:.0f} s; "
          f"python {platform.python_version()}, torch {torch.__version__}, opencv {cv2.__version__}, "
          f"{os.cpu_count()} cpus, {'Xvfb' if xvfb is not None else env.get('QT_QPA_PLATFORM')}")
    for mode, rs in results.items():
        if not rs:
            continue
        med = {k: statistics.median(r[k] for r in rs) for k in rs[0] if isinstance(rs[0][k], (int, float))}
        print(f"{mode:<8} median: " + ", ".join(f"{k} {v:.1f}" for k, v in med.items()))
    for ref in ("pipeline", "run", "export"):
        if results.get(ref) and results.get("gui"):
            ratios = [g["fps"] / p["fps"] for p, g in zip(results[ref], results["gui"], strict=False) if p["fps"] > 0]
            print(f"gui fps / {ref} fps per round: {', '.join(f'{x:.2f}' for x in ratios)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
