"""Threaded pipeline vs a plain sequential loop, same file, model and imgsz, in one run.

Prints per-stage ms, end-to-end fps, the pipeline's overhead over bare model time, and peak RSS.
`--live SECONDS` instead runs a paced live source for that long and samples RSS to show it stays flat.

    .venv/bin/python benchmarks/pipeline.py --imgsz 640 --threads 2 --repeat 2
    .venv/bin/python benchmarks/pipeline.py --weights ../shared/fixtures/ultralytics_yolo12n.pt --clip testsrc
    .venv/bin/python benchmarks/pipeline.py --weights ... --imgsz 320 --live 600
"""

from __future__ import annotations

import argparse
import logging
import platform
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

import av
import numpy as np
import torch
from common import bench_config, make_scenes

from yolotrack.core.config import Config, set_values
from yolotrack.detector import torch_thread
from yolotrack.pipeline import Pipeline, open_source
from yolotrack.tracker import build_tracker

log = logging.getLogger("bench")


def make_clip(path: Path, n: int, w: int, h: int, fps: int = 30) -> Path:
    """A 720p-class H.264 clip from FFmpeg's testsrc2 (moving content, realistic decode cost)."""
    src = av.open(f"testsrc2=size={w}x{h}:rate={fps}:duration={n / fps}", format="lavfi")
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        s.options = {"preset": "veryfast", "crf": "23"}
        for vf in src.decode(video=0):
            for p in s.encode(vf.reformat(format="yuv420p")):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    src.close()
    return path


def make_scene_clip(path: Path, n: int, w: int, h: int, seed: int = 1000) -> Path:
    """Synthetic scenes that the demo model detects: real detections."""
    video, _ = make_scenes(path.parent, 1, seed, w, h, n)[0]
    return video.replace(path)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(xs: list[float]) -> str:
    a = np.asarray(xs) * 1000
    return f"p50 {np.percentile(a, 50):6.1f} ms  p95 {np.percentile(a, 95):6.1f} ms  mean {a.mean():6.1f} ms"


def sequential(cfg: Config, detector) -> tuple[float, int, dict[str, list[float]]]:
    """The plain loop a user would write: decode -> detect -> track -> records, one thread."""
    times: dict[str, list[float]] = {"decode": [], "detect": [], "track": [], "output": []}
    src = open_source(cfg.source.uri, cfg.source)
    src.start()
    tracker = build_tracker(cfg.tracker, src.info.fps or 30.0)
    t_start = time.perf_counter()
    n = objects = 0
    it = iter(src)
    while True:
        t0 = time.perf_counter()
        frame = next(it, None)
        if frame is None:
            break
        t1 = time.perf_counter()
        dets = detector([frame.image])[0]
        t2 = time.perf_counter()
        objects += len(dets)
        dets = tracker.update_detections(dets, frame.index, image=frame.image)
        tracker.pop_events()
        t3 = time.perf_counter()
        dets.to_records()
        t4 = time.perf_counter()
        for k, a, b in (("decode", t0, t1), ("detect", t1, t2), ("track", t2, t3), ("output", t3, t4)):
            times[k].append(b - a)
        n += 1
    src.close()
    elapsed = time.perf_counter() - t_start
    print(f"  (sequential loop: {objects / max(n, 1):.1f} detections per frame)")
    return elapsed, n, times


def bare_model(cfg: Config, detector) -> tuple[float, int]:
    """Detector calls only, on frames decoded beforehand: the floor any pipeline can reach."""
    src = open_source(cfg.source.uri, cfg.source)
    with src:
        images = [f.image for f in src]
    t0 = time.perf_counter()
    for img in images:
        detector([img])
    return time.perf_counter() - t0, len(images)


class CountingSink:
    name = "count"

    def __init__(self) -> None:
        self.n = 0

    def open(self, info) -> None:
        pass

    def write(self, frame, dets, events) -> None:
        dets.to_records()
        self.n += 1

    def close(self):
        return []

    def abort(self) -> None:
        pass


def in_worker_thread(fn):
    """Run `fn` in a fresh thread, like the pipeline's stages. The model itself always runs on the
    detector's torch thread (detector/torch_thread.py), so every variant has the same thread layout."""
    box: list = []
    t = threading.Thread(target=lambda: box.append(fn()))
    t.start()
    t.join()
    return box[0]


def threaded(cfg: Config, detector, track_thread: bool) -> tuple[float, int, object]:
    sink = CountingSink()
    pipe = Pipeline(cfg, sinks=[sink], detector=detector, track_thread=track_thread)
    t0 = time.perf_counter()
    stats = pipe.run()
    return time.perf_counter() - t0, sink.n, stats


def print_stage_stats(stats) -> None:
    for st in stats.stages.values():
        print(f"    {st.name:10s} {st.frames:5d} items  p50 {st.p50_ms:6.1f} ms  p95 {st.p95_ms:6.1f} ms")
    print(f"    end-to-end latency p50 {stats.latency_p50_ms:.1f} ms  p95 {stats.latency_p95_ms:.1f} ms")


def live_run(cfg: Config, detector, seconds: float, uri: str) -> None:
    cfg = set_values(cfg, {"source.uri": uri, "source.policy": "auto"})  # a live source: latest frame wins
    sink = CountingSink()
    pipe = Pipeline(cfg, sinks=[sink], detector=detector)
    pipe.start()
    t0 = time.monotonic()
    samples = []
    try:
        while time.monotonic() - t0 < seconds:
            pipe.wait(min(30.0, seconds / 10))
            s = pipe.stats()
            samples.append((time.monotonic() - t0, rss_mb()))
            print(f"  t={samples[-1][0]:6.0f} s  rss {samples[-1][1]:7.1f} MB  frames {s.frames}  "
                  f"fps {s.fps:5.1f}  dropped {s.dropped}  latency p95 {s.latency_p95_ms:.0f} ms", flush=True)
    finally:
        pipe.stop()
        pipe.wait(30)
    first = samples[min(1, len(samples) - 1)][1]
    print(f"  RSS after warm-up {first:.1f} MB, at end {samples[-1][1]:.1f} MB, "
          f"growth {samples[-1][1] - first:+.1f} MB; peak {peak_rss_mb():.1f} MB")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", default="demo")
    ap.add_argument("--imgsz", type=int, default=640)
    ap.add_argument("--video", help="input file (default: a generated 720p H.264 clip, see --clip)")
    ap.add_argument("--clip", choices=("scenes", "testsrc"), default="scenes",
                    help="generated clip: synthetic scenes (real detections with the demo model) or "
                         "FFmpeg's testsrc2 (with random fixture weights: hundreds of overlapping boxes)")
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch default)")
    ap.add_argument("--repeat", type=int, default=1, help="run each variant this many times, keep the best")
    ap.add_argument("--live", type=float, default=0.0, help="seconds of a paced live run with RSS sampling")
    ap.add_argument("--live-uri", default="synthetic:testsrc2=size=1280x720:rate=30")
    ap.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="config overrides, e.g. model.conf=0.003")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.threads:
        torch_thread.set_threads(args.threads)

    from yolotrack.detector import Detector

    cfg = bench_config(args.weights, args.imgsz, args.overrides)
    detector = Detector.from_config(cfg.model)

    if args.live:
        print(f"live run {args.live:.0f} s on {args.live_uri}")
        live_run(cfg, detector, args.live, args.live_uri)
        return 0

    tmp = tempfile.TemporaryDirectory()
    if args.video:
        uri = args.video
    else:
        w, h = (int(v) for v in args.size.split("x"))
        make = make_scene_clip if args.clip == "scenes" else make_clip
        uri = str(make(Path(tmp.name) / "bench.mp4", args.frames, w, h))
    cfg = set_values(cfg, {"source.uri": uri, "source.policy": "lossless"})
    in_worker_thread(lambda: detector([np.zeros((720, 1280, 3), np.uint8)]))  # warm-up
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}  {platform.machine()} {torch.get_num_threads()} "
          f"torch threads; python {platform.python_version()} torch {torch.__version__} av {av.__version__} "
          f"numpy {np.__version__}; weights {args.weights} imgsz {args.imgsz} runtime "
          f"{getattr(detector.model, 'runtime_name', 'torch')} {' '.join(args.overrides)}")

    best: dict[str, tuple[float, int, object]] = {}
    rss_pipelines = 0.0
    for _ in range(args.repeat):
        runs = {  # pipelines first: the bare-model run holds every decoded frame in memory
            "pipeline, tracker inline": lambda: threaded(cfg, detector, track_thread=False),
            "pipeline, tracker thread": lambda: threaded(cfg, detector, track_thread=True),
            "sequential loop": lambda: in_worker_thread(lambda: sequential(cfg, detector)),
            "bare model (pre-decoded)": lambda: (*in_worker_thread(lambda: bare_model(cfg, detector)), None),
        }
        for name, fn in runs.items():
            res = fn()
            print(f"  ({name}: {res[1]} frames in {res[0]:.2f} s)", flush=True)
            if name not in best or res[0] < best[name][0]:
                best[name] = res
            if name == "sequential loop" and not rss_pipelines:
                rss_pipelines = peak_rss_mb()  # before the first bare-model run
    bare_t = best["bare model (pre-decoded)"][0]
    for name, (t, n, extra) in best.items():
        over = (t / bare_t - 1) * 100
        print(f"{name:28s} {n:4d} frames  {t:7.2f} s  {n / t:6.2f} fps  vs bare model {over:+5.1f} %")
        if isinstance(extra, dict):
            for k, v in extra.items():
                print(f"    {k:10s} {pct(v)}")
        elif extra is not None:
            print_stage_stats(extra)
    det_sum = sum(best["sequential loop"][2]["detect"])
    print(f"detector calls alone inside the sequential loop: {det_sum:.2f} s; pipeline inline vs that "
          f"{(best['pipeline, tracker inline'][0] / det_sum - 1) * 100:+.1f} %")
    print(f"peak RSS {rss_pipelines:.0f} MB through the pipeline and sequential runs; "
          f"{peak_rss_mb():.0f} MB after the bare-model run (all frames pre-decoded)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
