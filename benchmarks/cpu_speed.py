"""Whole processes on one clip: `yolotrack export` per precision against Ultralytics with torch, its OpenVINO
fp32 export and its OpenVINO int8 export, in alternated rounds; then per-stage costs and the bare-model limit.

Each run is a fresh process timed from spawn to exit (imports, model load, every frame, outputs written,
exit), on a warm export cache: our exports and int8 calibration, and Ultralytics' exports, are made
once before the rounds (the first-use costs are printed separately). Ultralytics also reports its
own steady-state fps (its tracking loop alone, after a 3-frame warm-up in the same process).

    .venv/bin/python benchmarks/cpu_speed.py --ultralytics-python /work/venvs/anchors/bin/python --rounds 3

Both sides use the same clip (300 frames of 1280x720 H.264 by default, the fixture frame panned), the
same weights (`ultralytics_yolo12n.pt`), imgsz 640 and 2 threads; both int8 models calibrate on the
same 64 frames of the clip. Our side writes MOT output (`--formats mot`); Ultralytics' loop writes nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from e2e import fixture_frame, make_clip

OURS = {"ours-fp32": ("auto", "fp32"), "ours-bf16": ("auto", "bf16"), "ours-int8": ("auto", "int8"),
        "ours-torch": ("torch", "fp32")}
THEIRS = {"ul-torch": None, "ul-openvino": "openvino", "ul-openvino-int8": "openvino-int8"}


def write_calibration_images(clip: str, out: Path, n: int = 64, step: int = 4) -> Path:
    import cv2

    from yolotrack.train.demo import decode_frames

    out.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(decode_frames(clip)):
        if i % step == 0:
            cv2.imwrite(str(out / f"{i:05d}.jpg"), f)
        if i >= n * step - 1:
            break
    return out


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=3600)
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd[:4])} ... failed:\n{proc.stderr[-3000:]}")
    return wall, proc.stdout


def ours_cmd(args: argparse.Namespace, variant: str, clip: str, out: Path, calib: Path) -> list[str]:
    runtime, precision = OURS[variant]
    return [sys.executable, "-m", "yolotrack", "export", clip, "--weights", args.weights, "--imgsz", str(args.imgsz),
            "--formats", "mot", "--out", str(out), "-q", f"model.runtime={runtime}", f"model.precision={precision}",
            f"model.calibration={calib}", "model.device=cpu"]


def theirs_cmd(args: argparse.Namespace, weights: str, clip: str, warmup: bool) -> list[str]:
    script = Path(__file__).resolve().parent / "ultralytics_track.py"
    return [args.ultralytics_python, str(script), weights, clip, "--imgsz", str(args.imgsz),
            "--threads", str(args.threads), *([] if warmup else ["--no-warmup"])]


def stages(args: argparse.Namespace, clip: str, calib: Path, precisions: list[str]) -> None:
    """Per-frame costs in this process: decode, letterbox, forward, NMS, tracker; the bare-model limit."""
    from yolotrack.detector import Detector, torch_thread
    from yolotrack.tracker.byte_tracker import ByteTracker
    from yolotrack.train.demo import decode_frames

    torch_thread.set_threads(args.threads)
    t0 = time.perf_counter()
    frames = [f for i, f in zip(range(args.stage_frames), decode_frames(clip), strict=False)]
    decode_ms = (time.perf_counter() - t0) * 1e3 / len(frames)
    print(f"stages (median ms per 1280x720 frame, {len(frames)} frames): decode (PyAV, bgr24) {decode_ms:.1f}")
    for p in precisions:
        det = Detector(args.weights, imgsz=args.imgsz, device="cpu", runtime="auto", precision=p,
                       calibration=str(calib), threads=args.threads)
        tracker = ByteTracker(frame_rate=30)
        for f in frames[:3]:
            det([f])  # builds the batch-1 runtime, as the pipeline uses it
        t = {"preprocess": [], "inference": [], "postprocess": [], "track": []}
        for i, f in enumerate(frames):
            d = det([f])[0]
            for k in ("preprocess", "inference", "postprocess"):
                t[k].append(det.last_timing[k])
            t1 = time.perf_counter()
            tracker.update_detections(d, frame_index=i)
            t["track"].append((time.perf_counter() - t1) * 1e3)
        med = {k: float(np.median(v)) for k, v in t.items()}
        print(f"  {p}: letterbox {med['preprocess']:.2f}, forward {med['inference']:.1f}, NMS {med['postprocess']:.2f},"
              f" tracker {med['track']:.2f}; bare-model limit {1e3 / med['inference']:.1f} fps; detector stage "
              f"{1e3 / (med['preprocess'] + med['inference'] + med['postprocess']):.1f} fps", flush=True)


def main() -> int:
    fixture = Path(__file__).resolve().parents[2] / "shared/fixtures/ultralytics_yolo12n.pt"
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", default=str(fixture))
    ap.add_argument("--imgsz", type=int, default=640)
    ap.add_argument("--video", help="input clip (default: a generated 300-frame 720p H.264 clip)")
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--variants", nargs="+", default=[*OURS, *THEIRS])
    ap.add_argument("--ultralytics-python", help="python of the venv with ultralytics (its variants are skipped "
                    "without it)")
    ap.add_argument("--stage-frames", type=int, default=100)
    ap.add_argument("--no-stages", action="store_true")
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    root = Path(tmp.name)
    clip = args.video or str(make_clip(root / "clip.mp4", args.frames, 1280, 720, fixture_frame(args.weights)))
    calib = write_calibration_images(clip, root / "calib")
    env = {**os.environ, "XDG_CACHE_HOME": str(root / "xdg")}
    variants = [v for v in args.variants if v in OURS or (v in THEIRS and args.ultralytics_python)]
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.machine()}, python "
          f"{platform.python_version()}; {Path(args.weights).name}, imgsz {args.imgsz}, {args.threads} threads; "
          f"clip {Path(clip).name}; load average {os.getloadavg()[0]:.1f}", flush=True)
    weights_for: dict[str, str] = {}
    for v in variants:  # first use: exports, int8 calibration (not timed in the rounds)
        if v in OURS:
            wall, _ = run(ours_cmd(args, v, clip, root / "out", calib), env)
            print(f"  first use {v}: {wall:.1f} s (export{', calibration' if 'int8' in v else ''})", flush=True)
        elif THEIRS[v] is None:
            weights_for[v] = args.weights
        else:
            script = Path(__file__).resolve().parent / "ultralytics_track.py"
            wall, out = run([args.ultralytics_python, str(script), args.weights, clip, "--imgsz", str(args.imgsz),
                             "--export", THEIRS[v], "--export-dir", str(root / v), "--calib-images", str(calib)], env)
            weights_for[v] = json.loads(out.strip().splitlines()[-1])["exported"]
            print(f"  first use {v}: Ultralytics export {wall:.1f} s -> {Path(weights_for[v]).name}", flush=True)
    best: dict[str, float] = {}
    steady: dict[str, float] = {}
    per_round: list[dict[str, float]] = []
    for r in range(args.rounds):
        print(f"round {r + 1} (load average {os.getloadavg()[0]:.1f})", flush=True)
        per_round.append({})
        for v in variants if r % 2 == 0 else variants[::-1]:  # flip the order: a load trend falls on both sides
            if v in OURS:
                wall, _ = run(ours_cmd(args, v, clip, root / "out", calib), env)
                fps = args.frames / wall
                extra = ""
            else:
                wall, out = run(theirs_cmd(args, weights_for[v], clip, warmup=False), env)
                res = json.loads(out.strip().splitlines()[-1])
                fps = res["frames"] / wall
                steady[v] = max(steady.get(v, 0.0), res["fps"])
                extra = f" (its loop alone {res['fps']:.2f} fps)"
            best[v] = max(best.get(v, 0.0), fps)
            per_round[-1][v] = fps
            print(f"  {v:18s} {wall:6.2f} s whole process = {fps:6.2f} fps{extra} (load {os.getloadavg()[0]:.1f})",
                  flush=True)
    print("best of rounds, whole process fps (ratio to each Ultralytics variant):")
    for v in variants:
        ratios = ", ".join(f"{best[v] / best[u]:.2f}x {u}" for u in THEIRS if u in best and v in OURS)
        print(f"  {v:18s} {best[v]:6.2f} fps {ratios}")
    for u, fps in steady.items():
        print(f"  {u} loop alone (best): {fps:.2f} fps")
    for v in (v for v in variants if v in OURS):
        for u in (u for u in THEIRS if u in best):
            print(f"  {v} / {u} per round: " + ", ".join(f"{rd[v] / rd[u]:.2f}x" for rd in per_round))
    if not args.no_stages:
        os.environ["XDG_CACHE_HOME"] = env["XDG_CACHE_HOME"]  # the warm cache of the rounds
        stages(args, clip, calib, [OURS[v][1] for v in variants if v in OURS and OURS[v][0] == "auto"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
