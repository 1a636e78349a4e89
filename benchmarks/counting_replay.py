"""Tracker settings against line counting and IDF1 on cached detections, for tuning without re-detecting.

`benchmarks/counting.py` runs the real pipeline per setting (the detector is most of its time). This
replays one detection pass instead: synthetic scenes are made and detected once (with embeddings) into
`--work`, then every `--variant` (tracker overrides) is tracked on the cached detections and the decoded
frames (camera motion), counted by `SourceAnalytics` with the same four lines and the end-of-stream flush,
and scored: strict count error against the exact crossings, IDF1 on the scenes (objects under 40 %
visible optional), and the TUD IDF1. Tune on seeds that the final `counting.py` run will not use.

    .venv/bin/python benchmarks/counting_replay.py --seed 2000 --sequences 10 --work /tmp/replay2000 \\
        --variant base= --variant reid=botsort.reid=true,botsort.reid_thresh=0.1
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from common import bench_config, scenes_once
from counting import count_error, per_object, scene_lines, tally, track_owner, true_crossings
from trackers import evaluate, run_ours, tud_cases

from yolotrack.analytics import SourceAnalytics
from yolotrack.analytics.shapes import Line
from yolotrack.core.config import apply_override
from yolotrack.core.detections import Detections
from yolotrack.core.events import EventKind
from yolotrack.tracker import build_tracker
from yolotrack.train.demo import decode_frames, idf1_score, read_mot_gt

OTHER_SECTIONS = ("model.", "analytics.")  # variant keys taken as they are; the rest are tracker keys


def detect(work: Path, n: int, seed: int, w: int, h: int, frames: int, weights: str,
           conf: float) -> list[tuple[Path, Path, Path]]:
    """(video, gt, detections npz) per scene; made once, at score threshold `conf` (a replay can raise it:
    NMS only lets a box suppress lower-scoring ones, so cutting later keeps exactly what a higher
    `model.conf` would have kept)."""
    tag = "" if conf == bench_config(weights, 640, []).model.conf else f"-conf{conf:g}"
    detector = None
    out = []
    for video, gt in scenes_once(work, n, seed, w, h, frames):
        cache = work / f"{video.stem}-dets{tag}.npz"
        if not cache.is_file():
            if detector is None:
                from yolotrack.detector import Detector

                detector = Detector.from_config(bench_config(weights, 640, [f"model.conf={conf}"]).model,
                                                embeddings=True)
            arrays: dict[str, np.ndarray] = {}
            k = 0
            for k, image in enumerate(decode_frames(video)):
                d = detector([image])[0]
                assert d.embeddings is not None
                arrays.update({f"b{k}": d.xyxy, f"s{k}": d.scores, f"c{k}": d.class_ids, f"e{k}": d.embeddings})
            np.savez(cache, n=k + 1, **arrays)
        out.append((video, gt, cache))
    return out


def replay(video: Path, cache: Path, overrides: list[str], lines) -> tuple[list, list, dict[int, np.ndarray]]:
    """(rows for track_owner, crossing events, MOT-style tracks per frame) of one scene and setting."""
    cfg = bench_config("demo", 640, [o if o.startswith(OTHER_SECTIONS) else f"tracker.{o}" for o in overrides])
    tracker = build_tracker(cfg.tracker, 30.0)
    data = np.load(cache)
    n = int(data["n"])
    src = SourceAnalytics("0", [Line(str(k), (x1, y1), (x2, y2), None, "center", None)
                                for k, (x1, y1, x2, y2) in enumerate(lines)], [],
                          cfg.analytics.hysteresis, cfg.analytics.min_displacement)
    rows, events, tracks = [], [], {}
    for i, image in enumerate(decode_frames(video)):
        keep = data[f"s{i}"] > cfg.model.conf  # as the detector's own cut
        d = Detections(xyxy=data[f"b{i}"][keep], scores=data[f"s{i}"][keep], class_ids=data[f"c{i}"][keep],
                       embeddings=data[f"e{i}"][keep])
        t = tracker.update_detections(d, i, image=image)
        evs = tracker.pop_events()
        rows.append((i, t.track_ids.copy(), t.xyxy.copy(), t.class_ids.copy()))
        tracks[i] = np.concatenate([t.track_ids[:, None].astype(float), t.xyxy], 1)
        out = src.update(i, i / 30.0, t, evs, 30.0, (image.shape[1], image.shape[0]), final=i == n - 1)
        events += [(e.frame_index, e.track_id, int(e.attrs["line"]), e.attrs["direction"]) for e in out
                   if e.kind == EventKind.LINE_CROSS]
    return rows, events, tracks


def scene_arguments(ap: argparse.ArgumentParser) -> None:
    """The scene and detection-cache options of the replay scripts (`cached_scenes` reads them)."""
    ap.add_argument("--seed", type=int, default=2000)
    ap.add_argument("--sequences", type=int, default=10)
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--size", default="640x384")
    ap.add_argument("--weights", default="demo")
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--det-conf", type=float, default=None,
                    help="score threshold of the cached detection pass (default model.conf); variants may raise "
                         "it with model.conf=...")


def cached_scenes(args: argparse.Namespace) -> tuple[list, list[tuple[Path, Path, Path]]]:
    """(the four lines, (video, gt, detections) per scene) for the options of `scene_arguments`."""
    w, h = (int(v) for v in args.size.split("x"))
    det_conf = bench_config(args.weights, 640, []).model.conf if args.det_conf is None else args.det_conf
    return scene_lines(w, h), detect(args.work, args.sequences, args.seed, w, h, args.frames, args.weights, det_conf)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    scene_arguments(ap)
    ap.add_argument("--variant", action="append", default=[], help="name=key=value,key=value (tracker keys)")
    ap.add_argument("--no-tud", action="store_true")
    args = ap.parse_args()
    lines, scenes = cached_scenes(args)
    gts = [read_mot_gt(gt) for _, gt, _ in scenes]
    truths = [true_crossings(g, lines) for g in gts]
    n_true = sum(map(len, truths))
    print(f"seeds {args.seed}-{args.seed + args.sequences - 1}: {n_true} true crossings", flush=True)
    for spec in args.variant or ["default="]:
        name, _, rest = spec.partition("=")
        overrides = [o for o in rest.split(",") if o]
        for o in overrides:
            key = o if o.startswith(OTHER_SECTIONS) else f"tracker.{o}"
            apply_override(bench_config(args.weights, 640, []), key)  # a typo fails now
        tracker_overrides = [o for o in overrides if not o.startswith(OTHER_SECTIONS)]
        err = missed_n = extra_n = 0
        idf1 = []
        for (video, _, cache), gt, truth in zip(scenes, gts, truths, strict=True):
            rows, events, tracks = replay(video, cache, overrides, lines)
            e, _, _ = count_error(tally(events), truth, len(lines))
            m, x = per_object(events, truth, track_owner(rows, gt))
            err, missed_n, extra_n = err + e, missed_n + len(m), extra_n + x.total()
            idf1.append(idf1_score(gt, {f: tr[:, :5] for f, tr in tracks.items()}, 0.4)["IDF1"])
        line = (f"{name:12s} count error {err}/{n_true} = {100 * err / n_true:.1f} % (missed {missed_n}, extra "
                f"{extra_n}); scene IDF1 {np.mean(idf1):.4f}")
        if not args.no_tud:
            tud = [evaluate(c, run_ours(c, "botsort", tracker_overrides)[0]) for c in tud_cases([0, 1, 2])]
            line += f"; TUD IDF1 {np.mean([r['IDF1'] for r in tud]):.4f}"
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
