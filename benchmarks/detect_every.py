"""Detector on every k-th frame, Kalman prediction in between: speed gained, tracking accuracy lost.

Runs the real threaded pipeline (`pipeline.detect_every=k`) with the bundled demo model on
synthetic-scene clips that have exact ground truth, and prints fps, detector calls and
IDF1 / MOTA / HOTA for each k, in one run.

    .venv/bin/python benchmarks/detect_every.py --ks 1,2,3,4 --sequences 3 --threads 2
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from common import bench_config, make_scenes

from yolotrack.core.config import Config, set_values
from yolotrack.detector import torch_thread
from yolotrack.pipeline import Pipeline


class CountingDetector:
    """The real detector, counting the frames it is given."""

    def __init__(self, detector) -> None:
        self.detector = detector
        self.frames = 0

    def __getattr__(self, name: str):
        return getattr(self.detector, name)

    def __call__(self, images):
        self.frames += len(images)
        return self.detector(images)


def run_clip(cfg: Config, detector: CountingDetector, video: Path) -> tuple[dict[int, np.ndarray], float, int]:
    tracks: dict[int, np.ndarray] = {}

    def collect(r) -> None:
        d = r.detections
        tracks[r.frame.index] = np.concatenate([d.track_ids[:, None].astype(float), d.xyxy], 1)

    cfg = set_values(cfg, {"source.uri": str(video)})
    before = detector.frames
    t0 = time.perf_counter()
    Pipeline(cfg, detector=detector, on_result=collect, want_trails=False).run()
    return tracks, time.perf_counter() - t0, detector.frames - before


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", default="demo")
    ap.add_argument("--imgsz", type=int, default=640)
    ap.add_argument("--ks", default="1,2,3,4", help="comma-separated detect_every values")
    ap.add_argument("--sequences", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch default)")
    ap.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="config overrides, e.g. model.runtime=openvino")
    args = ap.parse_args()
    if args.threads:
        torch_thread.set_threads(args.threads)

    from yolotrack.detector import Detector
    from yolotrack.train.demo import idf1_score, read_mot_gt

    cfg = bench_config(args.weights, args.imgsz, args.overrides)
    detector = CountingDetector(Detector.from_config(cfg.model))
    w, h = (int(v) for v in args.size.split("x"))
    ks = [int(k) for k in args.ks.split(",")]
    detector(np.zeros((h, w, 3), np.uint8))  # builds the runtime for this input shape (an export for auto)
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}  {platform.machine()} {torch.get_num_threads()} "
          f"torch threads; python {platform.python_version()} torch {torch.__version__}; weights {args.weights} "
          f"imgsz {args.imgsz} runtime {getattr(detector.model, 'runtime_name', 'torch')}; {args.sequences} scenes "
          f"of {args.frames} frames at {args.size}")

    with tempfile.TemporaryDirectory() as tmp:
        clips = make_scenes(Path(tmp), args.sequences, args.seed, w, h, args.frames)
        rows = []
        for k in ks:
            cfg = set_values(cfg, {"pipeline.detect_every": k})
            secs = frames = calls = 0.0
            scores: list[dict[str, float]] = []
            for video, gt in clips:
                tracks, t, c = run_clip(cfg, detector, video)
                secs += t
                frames += len(tracks)
                calls += c
                scores.append(idf1_score(read_mot_gt(gt), tracks, min_visibility=0.4))
            m = {key: float(np.mean([s[key] for s in scores])) for key in ("IDF1", "MOTA", "HOTA")}
            idsw = sum(int(s["IDSW"]) for s in scores)
            rows.append((k, frames / secs, calls, frames, m, idsw))
            print(f"  k={k}: {frames / secs:6.2f} fps  {int(calls)} detector frames of {int(frames)}  "
                  f"IDF1 {m['IDF1']:.3f}  MOTA {m['MOTA']:.3f}  HOTA {m['HOTA']:.3f}  ID switches {idsw}", flush=True)

    base = rows[0]
    print("\n| k | fps | speed-up | detector frames | IDF1 | MOTA | HOTA | ID switches |")
    print("|---|---|---|---|---|---|---|---|")
    for k, fps, calls, frames, m, idsw in rows:
        print(f"| {k} | {fps:.2f} | {fps / base[1]:.2f}x | {int(calls)} / {int(frames)} | {m['IDF1']:.3f} "
              f"({m['IDF1'] - base[4]['IDF1']:+.3f}) | {m['MOTA']:.3f} ({m['MOTA'] - base[4]['MOTA']:+.3f}) | "
              f"{m['HOTA']:.3f} ({m['HOTA'] - base[4]['HOTA']:+.3f}) | {idsw} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
