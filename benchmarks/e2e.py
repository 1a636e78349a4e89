"""End-to-end fps per inference runtime: 720p H.264 clip -> decode -> detect -> track -> records.

The same threaded pipeline, clip, weights and imgsz for every runtime; only the forward changes.
Ultralytics `model.track()` did 10.8-11.6 fps (yolo12n, imgsz 640, 300-frame 720p H.264) on this
machine class (issue 8); the ratio column is against the midpoint, 11.2 fps. It also checks that
each runtime's raw output on a real frame of the clip agrees with the torch float32 path.

    .venv/bin/python benchmarks/e2e.py --weights ../shared/fixtures/ultralytics_yolo12n.pt \
        --imgsz 640 320 --runtimes torch onnxruntime openvino --frames 300 --threads 2

With `--ultralytics-python /tmp/ulv/bin/python` (a separate venv with ultralytics, see
benchmarks/ultralytics_track.py) Ultralytics' `model.track()` runs on the same clip, weights and
imgsz before and after ours, and the ratio column uses those same-run numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np
import torch
from common import bench_config

from yolotrack.core.config import Config, set_values
from yolotrack.detector import Detector, torch_thread
from yolotrack.detector.runtimes.compare import max_relative_error
from yolotrack.pipeline import Pipeline, open_source

ULTRALYTICS_FPS = (10.8, 11.6)


def moving_frames(base: np.ndarray, frames: int, width: int, height: int):
    """`base` resized to the clip size, panned a few pixels per frame so every frame is new to the encoder."""
    import cv2

    img = cv2.resize(base, (width, height), interpolation=cv2.INTER_LINEAR)
    for i in range(frames):
        yield np.roll(img, shift=(i % 7 - 3, 4 * i), axis=(0, 1))


def make_clip(path: Path, frames: int, width: int, height: int, base: np.ndarray | None = None,
              fps: int = 30) -> Path:
    """H.264 (libx264, yuv420p) from a panned still (the fixtures' predict frame, ~30 boxes per frame
    with the fixture weights) or, without one, FFmpeg's moving test pattern."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "23"}
        if base is not None:
            source = (av.VideoFrame.from_ndarray(np.ascontiguousarray(f), format="bgr24")
                      for f in moving_frames(base, frames, width, height))
            pattern = None
        else:
            pattern = av.open(f"testsrc2=size={width}x{height}:rate={fps}:duration={frames / fps}", format="lavfi")
            source = pattern.decode(video=0)
        for frame in source:
            for packet in stream.encode(frame.reformat(format="yuv420p")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    if pattern is not None:
        pattern.close()
    return path


def fixture_frame(weights: str) -> np.ndarray | None:
    """`predict_img` (720p BGR) from the reference file beside fixture weights, if there is one."""
    io = Path(weights).with_name(f"{Path(weights).stem}_io.npz")
    if not io.is_file():
        return None
    data = np.load(io)
    return data["predict_img"] if "predict_img" in data else data.get("frame_bgr")


class CountingSink:
    """Turns every result into records (what a JSONL sink would do) and counts frames."""

    name = "count"

    def __init__(self) -> None:
        self.frames = 0
        self.boxes = 0

    def open(self, info) -> None:
        pass

    def write(self, frame, dets, events) -> None:
        dets.to_records()
        self.frames += 1
        self.boxes += len(dets)

    def close(self):
        return []

    def abort(self) -> None:
        pass


def first_frame(uri: str, cfg: Config) -> np.ndarray:
    src = open_source(uri, cfg.source)
    with src:
        for f in src:
            return f.image
    raise SystemExit(f"{uri} has no frames")


@torch.inference_mode()
def forward(model, x: torch.Tensor):
    """A raw forward; run on the torch thread like every torch call of a Detector (detector/torch_thread.py)."""
    return model(x)


def run_one(cfg: Config, weights: str, runtime: str, threads: int, frame: np.ndarray,
            cache_dir: Path | None, streams: int = 1) -> dict:
    """The Detector as the app builds it for `runtime` (on CPU the exported runtimes take the numpy path);
    its raw output on `frame` is checked against a torch float32 Detector's."""
    if cache_dir is not None:
        os.environ["XDG_CACHE_HOME"] = str(cache_dir)
    ref_det = Detector.from_config(dataclasses.replace(cfg.model, runtime="torch", precision="fp32"))
    t0 = time.perf_counter()
    det = ref_det if runtime == "torch" else Detector.from_config(dataclasses.replace(cfg.model, runtime=runtime))
    batch, _ = det.preprocess([frame])
    if runtime == "torch":
        out = torch_thread.run(forward, det.model, batch)
    else:
        outs = torch_thread.run(det.model.infer, batch)  # builds (exports, converts, compiles) the runtime
        arrays = [torch.from_numpy(o) for o in outs.values()]
        out = (arrays[0], arrays[1]) if det.task == "segment" else arrays[0]
    build_s = time.perf_counter() - t0
    x, _ = ref_det.preprocess([frame])
    ref = torch_thread.run(forward, ref_det.model, x)
    err = torch_thread.run(max_relative_error, out, ref, det.nc, det.task)
    for _ in range(2):
        det([frame] * streams)  # builds the batch-`streams` runtime outside the timed run
    sink = CountingSink()
    t0 = time.perf_counter()
    stats = Pipeline(cfg, sinks=[sink], detector=det).run()
    wall = time.perf_counter() - t0
    stages = {st.name: st.p50_ms for st in stats.stages.values()}
    name = getattr(det.model, "runtime_name", None) or "torch"
    return {"runtime": name, "fps": sink.frames / wall / streams, "frames": sink.frames,
            "wall": wall,
            "build_s": build_s, "err": err, "boxes": sink.boxes, "stages": stages, "shape": list(batch.shape),
            "infer_ms": stats.inference_ms}


def ultralytics_fps(python: str, weights: str, clip: str, imgsz: int, threads: int) -> dict:
    """Ultralytics' own tracking loop in its own interpreter (its venv), on the same clip."""
    script = Path(__file__).resolve().parent / "ultralytics_track.py"
    proc = subprocess.run([python, str(script), weights, clip, "--imgsz", str(imgsz), "--threads", str(threads)],
                          capture_output=True, text=True, timeout=3600)
    if proc.returncode:
        raise SystemExit(f"Ultralytics run failed: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def child(args: argparse.Namespace) -> int:
    """One measurement in this (fresh) process; prints it as JSON for the parent."""
    imgsz, runtime, streams = args.imgsz[0], args.runtimes[0], args.streams[0]
    cfg = bench_config(args.weights, imgsz, ["model.device=cpu", *args.overrides])
    cfg = set_values(cfg, {"source.uri": args.video if streams == 1 else [args.video] * streams})
    frame = first_frame(args.video, cfg)
    r = run_one(cfg, args.weights, runtime, args.threads, frame, Path(args.cache_dir), streams)
    print(json.dumps({**r, "shape": list(r["shape"])}))
    return 0


def measure(args: argparse.Namespace, uri: str, imgsz: int, runtime: str, streams: int, cache_dir: Path) -> dict:
    """Each runtime in its own process: OpenVINO's and ORT's worker threads, once started, keep taking
    CPU from whatever runs next in the same process (torch ran 1.5x slower after them)."""
    cmd = [sys.executable, __file__, "--child", "--video", uri, "--weights", args.weights, "--imgsz", str(imgsz),
           "--runtimes", runtime, "--streams", str(streams), "--threads", str(args.threads),
           "--cache-dir", str(cache_dir), *args.overrides]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    if proc.returncode:
        raise SystemExit(f"{runtime} at imgsz {imgsz} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    fixture = Path(__file__).resolve().parents[2] / "shared/fixtures/ultralytics_yolo12n.pt"
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", default=str(fixture))
    ap.add_argument("--imgsz", type=int, nargs="+", default=[640, 320])
    ap.add_argument("--runtimes", nargs="+", default=["torch", "onnxruntime", "openvino"])
    ap.add_argument("--video", help="input file (default: a generated H.264 clip of --frames at --size)")
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--pattern", choices=("fixture", "testsrc2"), default="fixture",
                    help="clip content: the weights' fixture frame panned (default, if present) or testsrc2")
    ap.add_argument("--threads", type=int, default=2, help="torch / ORT / OpenVINO inference threads")
    ap.add_argument("--streams", type=int, nargs="+", default=[1],
                    help="copies of the clip run as separate sources (batched detector calls); fps is per stream")
    ap.add_argument("--repeat", type=int, default=1, help="runs per runtime; the best is kept")
    ap.add_argument("--ultralytics-python", help="python of a separate venv with ultralytics: also time "
                    "Ultralytics model.track() on the same clip, before and after ours")
    ap.add_argument("--cache-dir", help="XDG cache for the exports (default: a temp dir, so build time includes "
                    "the export)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="config overrides, e.g. model.conf=0.1")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    torch_thread.set_threads(args.threads)
    if args.child:
        return child(args)
    tmp = tempfile.TemporaryDirectory()
    cache_dir = Path(args.cache_dir) if args.cache_dir else Path(tmp.name) / "xdg"
    if args.video:
        uri = args.video
    else:
        w, h = (int(v) for v in args.size.lower().split("x"))
        t0 = time.perf_counter()
        base = None if args.pattern == "testsrc2" else fixture_frame(args.weights)
        uri = str(make_clip(Path(tmp.name) / "clip.mp4", args.frames, w, h, base))
        logging.getLogger("e2e").info("made the clip in %.1f s", time.perf_counter() - t0)
    versions = [f"torch {torch.__version__}", f"av {av.__version__}"]
    for mod in ("onnxruntime", "openvino"):
        with contextlib.suppress(ImportError):
            versions.append(f"{mod} {__import__(mod).__version__}")
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.machine()}, python "
          f"{platform.python_version()}, {', '.join(versions)}; {args.threads} inference threads; "
          f"{Path(args.weights).name}; {uri if args.video else f'{args.frames}-frame {args.size} H.264'}", flush=True)
    mid = sum(ULTRALYTICS_FPS) / 2
    rows = []
    same_run: dict[int, list[float]] = {}
    for imgsz in args.imgsz:
        ul_runs = []
        if args.ultralytics_python:
            ul_runs.append(ultralytics_fps(args.ultralytics_python, args.weights, uri, imgsz, args.threads))
            print(f"  imgsz {imgsz} Ultralytics {ul_runs[-1]['ultralytics']} model.track: "
                  f"{ul_runs[-1]['frames']} frames, {ul_runs[-1]['fps']:.2f} fps", flush=True)
        for streams, runtime in ((n, r) for n in args.streams for r in args.runtimes):
            best = None
            for _ in range(args.repeat):
                r = measure(args, uri, imgsz, runtime, streams, cache_dir)
                print(f"  imgsz {imgsz} {runtime} x{streams} streams: {r['frames']} frames in {r['wall']:.1f} s = "
                      f"{r['fps']:.2f} fps/stream "
                      f"(input {r['shape']}, first-use build {r['build_s']:.1f} s, stage p50 ms "
                      + ", ".join(f"{k} {v:.1f}" for k, v in r["stages"].items()) + ")", flush=True)
                if best is None or r["fps"] > best["fps"]:
                    best = r
            rows.append((imgsz, streams, runtime, best))
        if args.ultralytics_python:
            ul_runs.append(ultralytics_fps(args.ultralytics_python, args.weights, uri, imgsz, args.threads))
            print(f"  imgsz {imgsz} Ultralytics model.track again: {ul_runs[-1]['fps']:.2f} fps", flush=True)
            same_run[imgsz] = [r["fps"] for r in ul_runs]
    print(f"{'imgsz':>5s} {'streams':>7s} {'runtime':12s} {'fps':>6s} {'infer ms':>8s} {'vs torch':>8s} "
          f"{'vs Ultralytics 11.2':>19s} {'same run':>17s} {'max rel err':>11s} {'boxes':>6s}")
    for imgsz, streams, runtime, r in rows:
        base = next((b for s, k, n, b in rows if s == imgsz and k == streams and n == "torch"), None)
        vs_torch = f"{r['fps'] / base['fps']:7.2f}x" if base else "       -"
        vs_ul = f"{r['fps'] / mid:5.2f}x ({r['fps'] / ULTRALYTICS_FPS[1]:.2f}-{r['fps'] / ULTRALYTICS_FPS[0]:.2f})"
        ul = same_run.get(imgsz)
        vs_same = f"{r['fps'] / max(ul):.2f}-{r['fps'] / min(ul):.2f}x" if ul and streams == 1 else "-"
        print(f"{imgsz:5d} {streams:7d} {runtime:12s} {r['fps']:6.2f} {r['infer_ms']:8.1f} {vs_torch:>8s} {vs_ul:>19s} "
              f"{vs_same:>17s} {r['err']:11.1e} {r['boxes']:6d}")
    for imgsz, fps in same_run.items():
        print(f"Ultralytics model.track same run, imgsz {imgsz}: " + " / ".join(f"{v:.2f}" for v in fps) + " fps")
    return 0


if __name__ == "__main__":
    sys.exit(main())
