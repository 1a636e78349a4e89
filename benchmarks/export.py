"""`yolotrack export` speed on a 720p clip: decode / infer / track / draw / encode ms per frame.

Draw + encode run in the sink thread, overlapping inference; the target is that together they
cost at most 15% of the detector time at n/640 on CPU. The fixture checkpoints have random
weights, so thresholds are lowered (`--conf`, tracker thresholds) to get a realistic number of
boxes, labels and trails to draw.

    .venv/bin/python benchmarks/export.py --weights ../shared/fixtures/ultralytics_yolo12n.pt --frames 60
"""

from __future__ import annotations

import argparse
import logging
import platform
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np
import torch

from yolotrack.commands.export import export_video
from yolotrack.core.config import Config, set_values
from yolotrack.detector import torch_thread
from yolotrack.sinks.video import VideoSink


def make_clip(path: Path, n: int, w: int, h: int, fps: int = 30) -> Path:
    """FFmpeg's testsrc2 (moving content, realistic decode cost) as H.264, with an AAC tone track."""
    src = av.open(f"testsrc2=size={w}x{h}:rate={fps}:duration={n / fps}", format="lavfi")
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        s.options = {"preset": "veryfast", "crf": "23"}
        a = out.add_stream("aac", rate=44100)
        for vf in src.decode(video=0):
            for p in s.encode(vf.reformat(format="yuv420p")):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
        samples = int(n / fps * 44100)
        tone = (0.2 * np.sin(2 * np.pi * 440 * np.arange(samples) / 44100)).astype(np.float32)
        for k in range(0, samples - 1024, 1024):
            af = av.AudioFrame.from_ndarray(tone[None, k: k + 1024], format="fltp", layout="mono")
            af.sample_rate, af.pts = 44100, k
            for p in a.encode(af):
                out.mux(p)
        for p in a.encode():
            out.mux(p)
    src.close()
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    fixture = Path(__file__).resolve().parents[2] / "shared/fixtures/ultralytics_yolo12n.pt"
    ap.add_argument("--weights", default=str(fixture))
    ap.add_argument("--imgsz", type=int, default=640)
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--conf", type=float, default=0.004, help="low: the fixture weights are random")
    ap.add_argument("--max-det", type=int, default=20)
    ap.add_argument("--formats", default="video,mot,cvat,coco,jsonl")
    ap.add_argument("--preset", default="veryfast")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch default)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.threads:
        torch_thread.set_threads(args.threads)
    w, h = (int(v) for v in args.size.split("x"))

    with tempfile.TemporaryDirectory() as tmp:
        clip = make_clip(Path(tmp) / "bench720.mp4", args.frames, w, h)
        cfg = set_values(Config(), {
            "model.weights": args.weights, "model.imgsz": args.imgsz, "model.conf": args.conf,
            "model.max_det": args.max_det, "model.device": "cpu", "tracker.track_thresh": args.conf,
            "tracker.new_track_thresh": args.conf, "tracker.low_thresh": args.conf / 4, "output.preset": args.preset,
            "pipeline.stats_interval": 0})
        formats = args.formats.split(",")
        t0 = time.perf_counter()
        res = export_video(cfg, clip, Path(tmp) / "out", formats, quiet=True)
        wall = time.perf_counter() - t0
        st = res.stats
        objects = 0
        for line in (Path(tmp) / "out" / "mot" / "bench720.txt").read_text().splitlines() if "mot" in formats else []:
            objects += bool(line)

    stage = {k: v for k, v in st.stages.items()}
    decode = next((v.p50_ms for k, v in stage.items() if k.startswith("source")), float("nan"))
    infer = stage["detector"].p50_ms if "detector" in stage else float("nan")
    track = stage["tracker"].p50_ms if "tracker" in stage else 0.0
    sinks = stage["sinks"].p50_ms if "sinks" in stage else float("nan")
    video = next((s for s in res.sinks if isinstance(s, VideoSink)), None)
    n = max(res.frames, 1)
    draw = 1000 * video.draw_seconds / n if video else 0.0
    encode = 1000 * video.encode_seconds / n if video else 0.0
    draw_cpu = 1000 * video.draw_cpu / n if video else 0.0
    encode_cpu = 1000 * video.encode_cpu / n if video else 0.0
    print(f"# export benchmark {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"machine: {platform.machine()} {platform.processor() or ''} cpus={torch.get_num_threads()} torch threads; "
          f"torch {torch.__version__}, av {av.__version__}, numpy {np.__version__}")
    print(f"clip {w}x{h}, {res.frames} frames, imgsz {args.imgsz}, weights {Path(args.weights).name}, "
          f"objects/frame {objects / n:.1f}, formats {args.formats}, x264 preset {args.preset}")
    print(f"decode   {decode:8.1f} ms/frame (capture thread, p50)")
    print(f"infer    {infer:8.1f} ms/frame (detector, p50)")
    print(f"track    {track:8.1f} ms/frame (p50)")
    print(f"draw     {draw:8.1f} ms/frame wall, {draw_cpu:6.1f} ms CPU (sink thread, mean)")
    print(f"encode   {encode:8.1f} ms/frame wall, {encode_cpu:6.1f} ms CPU (sink thread, mean, incl. audio copy)")
    print(f"sinks    {sinks:8.1f} ms/frame (all sinks, p50)")
    ok = infer == infer and infer > 0
    ratio = (draw_cpu + encode_cpu) / infer if ok else float("nan")
    ratio_wall = (draw + encode) / infer if ok else float("nan")
    print(f"draw+encode CPU / infer = {100 * ratio:.1f}% (target <= 15%); "
          f"wall / infer = {100 * ratio_wall:.1f}% (inflated: the sink thread waits for cores busy with inference)")
    print(f"end to end {res.frames / wall:.2f} fps ({wall:.1f} s wall incl. model load)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
