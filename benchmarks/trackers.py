"""Tracking quality of every yolotrack tracker type against other projects' trackers, same detections.

Two sets of detections, each tracker run at its defaults on exactly the same boxes:
- TUD-Campus and TUD-Stadtmitte (MOT15 ground truth from the motmetrics wheel, 25 fps) turned
  into detections at three noise levels (`tracker.simulate.LEVELS`: clean, mild, hard), one
  draw per seed. No images, so no camera-motion compensation and no appearance.
- Synthetic scenes (`yolotrack synth` seeds the demo model never saw) with the demo model's
  real detections (conf 0.1, what Ultralytics' `model.track` hands its trackers), at
  `pipeline.detect_every` 1 and 2. With 2, our trackers coast on the skipped frames; the
  anchors see only the detected frames and their last output is repeated on the others.

Anchors: Ultralytics' six trackers and Roboflow `trackers`' BoT-SORT, ByteTrack, SORT and
OC-SORT, run by benchmarks/tracker_anchors.py in a separate venv (`--anchors-python`), never a
dependency of this project. Metrics: TrackEval HOTA, IDF1, MOTA, ID switches (synthetic scenes:
objects under 40 % visible are ignore regions, as in benchmarks/detect_every.py).

    .venv/bin/python benchmarks/trackers.py --anchors-python /work/venvs/anchors/bin/python
    .venv/bin/python benchmarks/trackers.py --seeds 10 11 12 --scene-seed 2000 --no-anchors \\
        --variant "bt25=bytetrack:track_thresh=0.25,new_track_thresh=0.25"      # tuning on held-out draws
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from yolotrack.core.config import Config, apply_override, set_values
from yolotrack.core.detections import Detections
from yolotrack.tracker import build_tracker
from yolotrack.tracker.evaluate import evaluate_arrays
from yolotrack.tracker.simulate import LEVELS, detections_from_gt, tud_ground_truth

SEQUENCES = ("TUD-Campus", "TUD-Stadtmitte")
HERE = Path(__file__).resolve().parent


@dataclass
class Case:
    group: str  # what results are averaged over: "TUD-Campus clean", "synthetic k=2"
    label: str  # one draw: the seed or the scene
    fps: float
    stride: int
    frames: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]]  # xyxy, scores, classes, embeddings
    gt: Any  # TUD: MOT rows; synthetic: train.demo.read_mot_gt dict
    video: str | None = None
    results: dict[str, dict[str, float]] = field(default_factory=dict)


def tud_cases(seeds: list[int]) -> list[Case]:
    cases = []
    for seq in SEQUENCES:
        gt = tud_ground_truth(seq)
        for level, corruption in LEVELS.items():
            for seed in seeds:
                frames = [(fd.xyxy, fd.scores, np.zeros(len(fd.scores), np.int64), None)
                          for fd in detections_from_gt(gt, corruption, seed=seed)]
                cases.append(Case(f"{seq} {level}", f"seed {seed}", 25.0, 1, frames, gt))
    return cases


def synthetic_cases(work: Path, n: int, seed: int, conf: float, appearance: bool) -> list[Case]:
    """Scenes made once into `work`, the demo model's detections cached beside them."""
    sys.path.insert(0, str(HERE))
    from common import scenes_once

    from yolotrack.train.demo import decode_frames, read_mot_gt

    detector = None
    cases = []
    for video, gt in scenes_once(work, n, seed, 1280, 720, 300):
        s = video.stem
        cache = work / f"{s}-dets-conf{conf}{'-p3emb' if appearance else ''}.npz"
        if not cache.is_file():
            if detector is None:
                from yolotrack.core.config import ModelConfig
                from yolotrack.detector import Detector

                detector = Detector.from_config(ModelConfig(weights="demo", conf=conf), embeddings=appearance)
            arrays: dict[str, np.ndarray] = {}
            for i, image in enumerate(decode_frames(video)):
                d = detector([image])[0]
                arrays.update({f"b{i}": d.xyxy, f"s{i}": d.scores, f"c{i}": d.class_ids})
                if d.embeddings is not None:
                    arrays[f"e{i}"] = d.embeddings
            np.savez(cache, n=len(arrays) // (4 if appearance else 3), **arrays)
        data = np.load(cache)
        frames = [(data[f"b{i}"], data[f"s{i}"], data[f"c{i}"], data.get(f"e{i}"))
                  for i in range(int(data["n"]))]
        for k in (1, 2):
            cases.append(Case(f"synthetic k={k}", s, 30.0, k, frames, read_mot_gt(gt), str(video)))
    return cases


def evaluate(case: Case, rows: np.ndarray) -> dict[str, float]:
    """HOTA / IDF1 / MOTA / IDSW of MOT rows (frame 1-based, id, left, top, w, h, score)."""
    if isinstance(case.gt, np.ndarray):
        r = evaluate_arrays(case.gt, rows)
        return {k: float(r[k]) for k in ("HOTA", "IDF1", "MOTA", "IDSW")}
    from yolotrack.train.demo import idf1_score

    tracks: dict[int, np.ndarray] = {}
    for f in np.unique(rows[:, 0]).astype(int):
        r = rows[rows[:, 0] == f]
        tracks[f - 1] = np.stack([r[:, 1], r[:, 2], r[:, 3], r[:, 2] + r[:, 4], r[:, 3] + r[:, 5]], 1)
    return {k: float(v) for k, v in idf1_score(case.gt, tracks, min_visibility=0.4).items()}


def run_ours(case: Case, tracker_type: str, overrides: list[str]) -> tuple[np.ndarray, float]:
    """MOT rows of one of our trackers on `case`, and its median update time in ms."""
    cfg = set_values(Config(), {"tracker.type": tracker_type})
    for item in overrides:
        cfg = apply_override(cfg, f"tracker.{item}")
    tracker = build_tracker(cfg.tracker, case.fps)
    wants_images = case.video is not None and tracker_type == "botsort" and cfg.tracker.botsort.gmc != "none"
    images = None
    if wants_images:
        from yolotrack.train.demo import decode_frames

        images = decode_frames(case.video)
    rows, times = [], []
    for i, (xyxy, scores, cls, emb) in enumerate(case.frames):
        image = next(images) if images is not None else None
        t0 = time.perf_counter()
        if i % case.stride == 0:
            out = tracker.update_detections(Detections(xyxy, scores, cls, embeddings=emb), i, image=image)
        else:
            out = tracker.coast(i, {}, image=image)
        times.append(time.perf_counter() - t0)
        for (x1, y1, x2, y2), tid, s in zip(out.xyxy.tolist(), out.track_ids.tolist(), out.scores.tolist(),
                                            strict=True):
            rows.append((i + 1, tid, x1, y1, x2 - x1, y2 - y1, s))
    return np.asarray(rows, dtype=np.float64).reshape(-1, 7), float(np.median(times) * 1e3)


def run_anchors(cases: list[Case], python: str, only: list[str] | None) -> tuple[dict[str, list[np.ndarray]], dict]:
    with tempfile.TemporaryDirectory() as tmp:
        arrays: dict[str, np.ndarray] = {}
        meta = []
        for k, c in enumerate(cases):
            meta.append({"fps": c.fps, "stride": c.stride, "video": c.video, "n_frames": len(c.frames)})
            for i, (xyxy, scores, cls, _) in enumerate(c.frames):
                arrays.update({f"b{k}_{i}": xyxy, f"s{k}_{i}": scores, f"c{k}_{i}": cls})
        np.savez(Path(tmp) / "cases.npz", meta=json.dumps(meta), **arrays)
        cmd = [python, str(HERE / "tracker_anchors.py"), str(Path(tmp) / "cases.npz"), str(Path(tmp) / "out.npz")]
        if only:
            cmd += ["--only", *only]
        subprocess.run(cmd, check=True)
        out = np.load(Path(tmp) / "out.npz")
        versions = json.loads(str(out["versions"]))
        results: dict[str, list[np.ndarray]] = {}
        for key in out.files:
            if key != "versions":
                name, k = key.rsplit("|", 1)
                results.setdefault(name, [np.zeros((0, 7))] * len(cases))[int(k)] = out[key]
    return results, versions


def summarize(cases: list[Case], names: list[str]) -> str:
    """Markdown: per group mean HOTA / IDF1 / MOTA and summed ID switches, one row per tracker."""
    groups = list(dict.fromkeys(c.group for c in cases))
    lines = ["| tracker | " + " | ".join(groups) + " |", "|---|" + "---|" * len(groups)]
    for name in names:
        cells = []
        for g in groups:
            rs = [c.results[name] for c in cases if c.group == g and name in c.results]
            if not rs:
                cells.append("–")
                continue
            m = {k: np.mean([r[k] for r in rs]) for k in ("HOTA", "IDF1", "MOTA")}
            cells.append(f"{m['HOTA']:.3f} / {m['IDF1']:.3f} / {m['MOTA']:.3f} / {int(sum(r['IDSW'] for r in rs))}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def overall(cases: list[Case], names: list[str], prefix: str) -> str:
    """Markdown: means over every case whose group starts with `prefix`, ranked by IDF1."""
    rows = []
    for name in names:
        rs = [c.results[name] for c in cases if c.group.startswith(prefix) and name in c.results]
        if rs:
            rows.append((np.mean([r["IDF1"] for r in rs]), np.mean([r["HOTA"] for r in rs]),
                         np.mean([r["MOTA"] for r in rs]), int(sum(r["IDSW"] for r in rs)), name))
    lines = ["| tracker | mean IDF1 | mean HOTA | mean MOTA | ID switches |", "|---|---|---|---|---|"]
    for idf1, hota, mota, idsw, name in sorted(rows, reverse=True):
        lines.append(f"| {name} | {idf1:.4f} | {hota:.4f} | {mota:.4f} | {idsw} |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="TUD noise draws")
    ap.add_argument("--scenes", type=int, default=3, help="synthetic scenes (0: none)")
    ap.add_argument("--scene-seed", type=int, default=1000, help="first synthetic scene seed (demo model: >= 1000)")
    ap.add_argument("--work", type=Path, default=None, help="keep scenes and detections here between runs")
    ap.add_argument("--conf", type=float, default=0.1, help="detector confidence for the synthetic scenes")
    ap.add_argument("--types", default="bytetrack,botsort,ocsort", help="our tracker types at their defaults")
    ap.add_argument("--variant", action="append", default=[],
                    help="NAME=TYPE:key=value,... an extra configuration of ours (keys under tracker.)")
    ap.add_argument("--appearance", action="store_true",
                    help="also botsort with the detector's embeddings on the synthetic scenes")
    ap.add_argument("--anchors-python", default=None, help="python of a venv with ultralytics and trackers")
    ap.add_argument("--only-anchors", nargs="*", default=None, help="subset of anchor trackers")
    ap.add_argument("--no-tud", action="store_true")
    args = ap.parse_args()

    import os

    load = os.getloadavg()
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} {platform.machine()} python "
          f"{platform.python_version()} numpy {np.__version__}; load {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}",
          flush=True)
    cases = [] if args.no_tud else tud_cases(args.seeds)
    tmp = None
    if args.scenes:
        work = args.work
        if work is None:
            tmp = tempfile.TemporaryDirectory()
            work = Path(tmp.name)
        work.mkdir(parents=True, exist_ok=True)
        cases += synthetic_cases(work, args.scenes, args.scene_seed, args.conf, args.appearance)

    configs: list[tuple[str, str, list[str]]] = [(f"yolotrack {t}", t, []) for t in args.types.split(",") if t]
    configs.insert(0, ("yolotrack default", Config().tracker.type, []))
    for v in args.variant:
        name, spec = v.split("=", 1)
        ttype, _, params = spec.partition(":")
        configs.append((f"yolotrack {name}", ttype, [p for p in params.split(",") if p]))
    if args.appearance:
        configs.append(("yolotrack botsort+appearance", "botsort", ["botsort.appearance=true"]))
    names = [c[0] for c in configs]
    speed: dict[str, list[float]] = {}
    for name, ttype, overrides in configs:
        for c in cases:
            if "appearance=true" in " ".join(overrides) and c.frames[0][3] is None:
                continue
            rows, ms = run_ours(c, ttype, overrides)
            c.results[name] = evaluate(c, rows)
            speed.setdefault(name, []).append(ms)
        print(f"{name}: done ({np.median(speed.get(name, [0])):.3f} ms median per frame)", flush=True)

    versions: dict = {}
    if args.anchors_python:
        anchor_rows, versions = run_anchors(cases, args.anchors_python, args.only_anchors)
        for name, per_case in anchor_rows.items():
            for c, rows in zip(cases, per_case, strict=True):
                c.results[name] = evaluate(c, rows)
            names.append(name)
    if versions:
        print(f"# anchors: {versions}")
    if not args.no_tud:
        print(f"\n## TUD, seeds {args.seeds}: HOTA / IDF1 / MOTA / ID switches (means over seeds, switches summed)\n")
        print(summarize([c for c in cases if c.group.startswith("TUD")], names))
        print("\n## TUD, all sequences, levels and seeds\n")
        print(overall(cases, names, "TUD"))
    if args.scenes:
        syn = [c for c in cases if c.group.startswith("synthetic")]
        print(f"\n## Synthetic scenes {args.scene_seed}..{args.scene_seed + args.scenes - 1}, demo model "
              f"detections: HOTA / IDF1 / MOTA / ID switches\n")
        print(summarize(syn, names))
        for k in (1, 2):
            print(f"\n### synthetic k={k}\n")
            print(overall(cases, names, f"synthetic k={k}"))
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
