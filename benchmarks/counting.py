"""Line counting against exact ground truth, next to supervision `LineZone` fed the same tracks.

Synthetic scenes (`yolotrack synth`, held-out seeds the demo model never saw) give the true
crossings: a ground-truth box centre changes side of a line between two consecutive appearances
of its object, and that step meets the line segment. Every scene gets the same four lines. Then,
in one run:

1. yolotrack, the real pipeline (demo model, the default tracker, analytics with default settings): count
   error against the truth, and crossing events matched to true ones (recall, spurious events);
2. supervision `LineZone` (from a separate venv, `--anchors-python`) fed *our* tracks of step 1,
   with its default four-corner trigger and with a centre trigger; and both counters on the
   perfect ground-truth tracks;
3. the jitter guards: ground-truth tracks with box jitter, and tracks that stand on a line
   jittering, counted with and without hysteresis / minimum displacement (double counts);
4. speed: 10 lines + 10 zones against 50 moving tracks, ms per frame, ours and supervision's;
5. the TUD IDF1 of the tracker this run counted with (TUD-Campus and TUD-Stadtmitte at the three
   `simulate.LEVELS`, seeds 0-2, as benchmarks/trackers.py), so a change that lowers the count error
   is seen next to what it does to tracking.

    .venv/bin/python benchmarks/counting.py --threads 2
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
from common import bench_config, make_scenes

from yolotrack.analytics import SourceAnalytics
from yolotrack.analytics.shapes import Line, Zone
from yolotrack.core.config import AnalyticsConfig, LineConfig, set_values
from yolotrack.core.detections import Detections
from yolotrack.core.events import EventKind

# (x1, y1, x2, y2) as fractions of the frame: a vertical, a horizontal, a diagonal and a short segment
LINES = [(0.35, 0.0, 0.35, 1.0), (0.0, 0.55, 1.0, 0.55), (0.1, 0.9, 0.9, 0.1), (0.7, 0.15, 0.7, 0.6)]
MIN_VISIBILITY = 0.4  # as the project's tracking scores: gt objects hidden more than this are optional
DEFAULTS = AnalyticsConfig()


def scene_lines(w: int, h: int) -> list[tuple[float, float, float, float]]:
    return [(x1 * w, y1 * h, x2 * w, y2 * h) for x1, y1, x2, y2 in LINES]


# ---------------------------------------------------------------- ground truth


def true_crossings(gt: dict[int, np.ndarray], lines) -> list[tuple[int, int, int, str, float]]:
    """(frame, object id, line index, direction, visibility) from consecutive appearances of each gt centre;
    visibility is the larger of the object's visible shares at the two appearances.

    The synthetic boxes start on whole pixels often enough that a centre can sit exactly on a line."""
    by_id: dict[int, list[tuple[int, float, float, float]]] = {}
    for f in sorted(gt):
        for tid, x1, y1, x2, y2, _, vis in gt[f].tolist():
            by_id.setdefault(int(tid), []).append((f, (x1 + x2) / 2, (y1 + y2) / 2, vis))
    out = []
    for tid, seq in by_id.items():
        for (_, px, py, pv), (f, qx, qy, qv) in zip(seq, seq[1:], strict=False):
            for k, (ax, ay, bx, by) in enumerate(lines):
                # a centre exactly on the line counts as right of it (as in yolotrack, and any fixed rule would do)
                dp = (bx - ax) * (py - ay) - (by - ay) * (px - ax) or 1e-9
                dq = (bx - ax) * (qy - ay) - (by - ay) * (qx - ax) or 1e-9
                if dp * dq > 0:
                    continue
                t = dp / (dp - dq)
                mx, my = px + (qx - px) * t, py + (qy - py) * t
                u = ((mx - ax) * (bx - ax) + (my - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)
                if 0 <= u <= 1:
                    out.append((f, tid, k, "in" if dq > 0 else "out", max(pv, qv)))
    return out


def at_edge(xyxy: np.ndarray, size: tuple[int, int], margin: float = 2.0) -> np.ndarray:
    """(N,) whether each ground-truth box touches the picture's edge: the frame cuts it, so its visibility
    is the share in view (unless another object hides it too)."""
    b = np.asarray(xyxy, np.float64).reshape(-1, 4)
    return ((b[:, 0] <= margin) | (b[:, 1] <= margin) | (b[:, 2] >= size[0] - margin)
            | (b[:, 3] >= size[1] - margin))


def tally(events) -> Counter:
    return Counter((e[2], e[3]) for e in events)


def count_error(counts: Counter, truth: list, n_lines: int, min_visibility: float = 0.0) -> tuple[int, int, int]:
    """(sum over lines and directions of how far the count is from the truth, counted, true crossings).

    With `min_visibility`, crossings of objects hidden more than that at both appearances are optional, as
    the project's tracking metrics treat hidden ground truth: counting them is neither required nor punished.
    """
    need = Counter((k, d) for _, _, k, d, v in truth if v >= min_visibility)
    may = Counter((k, d) for _, _, k, d, v in truth if v < min_visibility)
    err = 0
    for k in range(n_lines):
        for d in ("in", "out"):
            c = counts[(k, d)]
            err += max(0, need[(k, d)] - c) + max(0, c - need[(k, d)] - may[(k, d)])
    return err, sum(counts.values()), sum(need.values())


def per_object(events, truth, owner) -> tuple[list, Counter]:
    """Compare crossings object by object: (true crossings no event accounts for, events beyond the object's
    true crossings by cause: `no object` when the event's track covers none, `repeat` when the object has
    fewer true crossings of that line and direction, `no crossing` when it has none). `owner(event)` names
    the gt object an event belongs to (None: no object)."""
    ours: Counter = Counter()
    extra: Counter = Counter()
    for ev in events:
        obj = owner(ev)
        if obj is None:
            extra["no object"] += 1
        else:
            ours[(obj, ev[2], ev[3])] += 1
    want: dict[tuple[int, int, str], list] = {}
    for tr in truth:
        want.setdefault((tr[1], tr[2], tr[3]), []).append(tr)
    missed = []
    for key in set(want) | set(ours):
        have, need = ours[key], want.get(key, [])
        missed += sorted(need)[have:]
        if have > len(need):
            extra["repeat" if need else "no crossing"] += have - len(need)
    return missed, extra


def track_owner(rows, gt: dict[int, np.ndarray]):
    """For events on our tracks: the gt object with the highest IoU (at least 0.3) with the track's box at
    the event, or at its last sighting for events raised when the track was removed."""
    from yolotrack.train.metrics import iou_matrix

    boxes: dict[int, list[tuple[int, np.ndarray]]] = {}
    for f, ids, xyxy, _ in rows:
        for t, b in zip(ids.tolist(), xyxy, strict=True):
            boxes.setdefault(t, []).append((f, b))

    def owner(ev) -> int | None:
        f, t = ev[0], ev[1]
        seen = [(g, b) for g, b in boxes.get(t, []) if g <= f]
        if not seen:
            return None
        g, b = seen[-1]
        objs = gt.get(g, np.zeros((0, 7)))
        if not len(objs):
            return None
        iou = iou_matrix(np.asarray(b, float)[None], objs[:, 1:5])[0]
        return int(objs[iou.argmax(), 0]) if iou.max() >= 0.3 else None

    return owner


# ---------------------------------------------------------------- our counter on given tracks


def count_tracks(rows: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]], lines, fps: float,
                 hysteresis: float = DEFAULTS.hysteresis,
                 min_displacement: float = DEFAULTS.min_displacement) -> list[tuple[int, int, int, str]]:
    """Our counter fed per-frame (frame, ids, xyxy, cls) tracks; returns its crossing events."""
    shapes = [Line(str(k), (x1, y1), (x2, y2), None, "center", None) for k, (x1, y1, x2, y2) in enumerate(lines)]
    src = SourceAnalytics("0", shapes, [], hysteresis, min_displacement)
    out = []
    for k, (f, ids, xyxy, cls) in enumerate(rows):
        dets = Detections(xyxy=xyxy, scores=np.ones(len(ids)), class_ids=cls, track_ids=ids)
        out += [(f, e.track_id, int(e.attrs["line"]), e.attrs["direction"])
                for e in src.update(f, f / fps, dets, final=k == len(rows) - 1)]  # a clip's end, as the pipeline
    return out


def gt_rows(gt: dict[int, np.ndarray], frames: int) -> list:
    empty = np.zeros((0, 7))
    return [(f, gt.get(f, empty)[:, 0].astype(int), gt.get(f, empty)[:, 1:5], gt.get(f, empty)[:, 5].astype(int))
            for f in range(frames)]


def jittered(rows, sigma: float, rng: np.random.Generator) -> list:
    """Box centres moved by Gaussian noise of `sigma` box sizes (the box keeps its size)."""
    out = []
    for f, ids, xyxy, cls in rows:
        b = np.asarray(xyxy, np.float64).copy()
        if len(b):
            s = np.sqrt(np.maximum((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]), 1.0))
            shift = rng.normal(0, 1, (len(b), 2)) * (sigma * s)[:, None]
            b += np.concatenate([shift, shift], 1)
        out.append((f, ids, b, cls))
    return out


def lingering(rng: np.random.Generator, n: int, sigma: float) -> tuple[list, list, dict[int, int]]:
    """`n` tracks that walk down to a horizontal line, stand on it jittering for 1-3 s, then walk on (one
    true crossing, `in`) or turn back (none). Returns (rows, lines, {track: true crossings})."""
    line = (0.0, 300.0, 10_000.0, 300.0)
    rows: dict[int, list] = {}
    truth = {}
    for t in range(n):
        x, size = 60.0 + 40 * t, float(rng.uniform(30, 90))
        start = t * 7
        ys = list(np.linspace(200, 300, 30))
        ys += list(300 + rng.normal(0, sigma * size, int(rng.integers(30, 90))))
        on = bool(rng.random() < 0.5)
        ys += list(np.linspace(300, 400 if on else 200, 30))
        truth[t] = int(on)
        for k, y in enumerate(ys):
            jx = float(rng.normal(0, sigma * size))
            rows.setdefault(start + k, []).append((t, [x + jx - size / 2, y - size / 2, x + jx + size / 2,
                                                       y + size / 2]))
    frames = []
    for f in range(max(rows) + 1):
        items = rows.get(f, [])
        frames.append((f, np.array([i for i, _ in items], int), np.array([b for _, b in items]).reshape(-1, 4),
                       np.zeros(len(items), int)))
    return frames, [line], truth


# ---------------------------------------------------------------- runs


def run_model(cfg, detector, video: Path, lines) -> tuple[list, list, dict]:
    from yolotrack.pipeline import Pipeline

    cfg = dataclasses.replace(
        set_values(cfg, {"source.uri": str(video)}),
        analytics=AnalyticsConfig(lines=[LineConfig(name=str(k), points=[[x1, y1], [x2, y2]])
                                         for k, (x1, y1, x2, y2) in enumerate(lines)]))
    rows: list = []
    events: list = []

    def collect(r) -> None:
        d = r.detections
        rows.append((r.frame.index, d.track_ids.copy(), d.xyxy.copy(), d.class_ids.copy()))
        events.extend((e.frame_index, e.track_id, int(e.attrs["line"]), e.attrs["direction"])
                      for e in r.events if e.kind == EventKind.LINE_CROSS)

    pipe = Pipeline(cfg, detector=detector, on_result=collect, want_trails=False)
    pipe.run()
    return rows, events, pipe.counts()["0"]


def supervision(python: str, lines, sets: dict[str, list]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        arrays: dict[str, np.ndarray] = {"lines": np.array(lines, float)}
        for name, rows in sets.items():
            arrays[f"{name}_frame"] = np.concatenate([np.full(len(ids), f) for f, ids, _, _ in rows])
            arrays[f"{name}_id"] = np.concatenate([ids for _, ids, _, _ in rows])
            arrays[f"{name}_xyxy"] = np.concatenate([np.asarray(b, float).reshape(-1, 4) for _, _, b, _ in rows])
            arrays[f"{name}_cls"] = np.concatenate([c for _, _, _, c in rows])
        path = Path(tmp) / "tracks.npz"
        np.savez(path, **arrays)
        script = Path(__file__).with_name("counting_supervision.py")
        proc = subprocess.run([python, str(script), str(path)], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def as_counter(per_line: list[dict[str, int]]) -> Counter:
    return Counter({(k, d): c[d] for k, c in enumerate(per_line) for d in ("in", "out")})


def speed_scene(seed: int = 0, n: int = 50, frames: int = 3000, w: int = 1280, h: int = 720):
    """10 random lines, 10 random hexagonal zones, `n` boxes bouncing around with detector-like jitter."""
    rng = np.random.default_rng(seed)
    lines = [(float(rng.uniform(0, w)), float(rng.uniform(0, h)), float(rng.uniform(0, w)), float(rng.uniform(0, h)))
             for _ in range(10)]
    zones = []
    for _ in range(10):
        cx, cy = rng.uniform(150, w - 150), rng.uniform(150, h - 150)
        ang = np.sort(rng.uniform(0, 2 * np.pi, 6))
        r = rng.uniform(60, 150, 6)
        zones.append(np.stack([cx + r * np.cos(ang), cy + r * np.sin(ang)], 1))
    pos = rng.uniform([0, 0], [w, h], (n, 2))
    heading = rng.uniform(0, 2 * np.pi, n)
    vel = np.stack([np.cos(heading), np.sin(heading)], 1) * rng.uniform(1, 4, (n, 1))
    size = rng.uniform(20, 80, (n, 1))
    out = np.zeros((frames, n, 4), np.float32)
    for f in range(frames):
        pos += vel
        for k, lim in enumerate((w, h)):
            bad = (pos[:, k] < 0) | (pos[:, k] > lim)
            vel[bad, k] *= -1
        out[f] = np.concatenate([pos - size / 2, pos + size / 2], 1) + rng.normal(0, 1, (n, 4))
    return lines, zones, out


def our_speed(lines, zones, frames, rounds: int) -> tuple[float, float, int]:
    """Best of `rounds`: (wall ms per frame, CPU ms per frame, events)."""
    shapes_l = [Line(f"l{k}", (x1, y1), (x2, y2), None, "center", None) for k, (x1, y1, x2, y2) in enumerate(lines)]
    shapes_z = [Zone(f"z{k}", tuple(map(tuple, z.tolist())), None, "center", None) for k, z in enumerate(zones)]
    n = frames.shape[1]
    dets = [Detections(xyxy=frames[f], scores=np.ones(n), class_ids=np.zeros(n, int), track_ids=np.arange(n))
            for f in range(len(frames))]
    wall = cpu = float("inf")
    events = 0
    for _ in range(rounds):
        src = SourceAnalytics("0", shapes_l, shapes_z)
        t0, c0 = time.perf_counter(), time.process_time()
        events = sum(len(src.update(f, f / 30, d)) for f, d in enumerate(dets))
        wall = min(wall, (time.perf_counter() - t0) / len(dets))
        cpu = min(cpu, (time.process_time() - c0) / len(dets))
    return wall * 1000, cpu * 1000, events


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", default="demo")
    ap.add_argument("--imgsz", type=int, default=640)
    ap.add_argument("--sequences", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--size", default="640x384")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--anchors-python", default="/work/venvs/anchors/bin/python",
                    help="a python with supervision installed ('' to skip)")
    ap.add_argument("--rounds", type=int, default=5, help="speed rounds (best of)")
    ap.add_argument("overrides", nargs="*", metavar="KEY=VALUE")
    args = ap.parse_args()

    import torch

    from yolotrack.detector import Detector, torch_thread
    from yolotrack.train.demo import read_mot_gt

    torch_thread.set_threads(args.threads)
    w, h = (int(v) for v in args.size.split("x"))
    lines = scene_lines(w, h)
    cfg = bench_config(args.weights, args.imgsz, args.overrides)
    from yolotrack.tracker import wants_embeddings

    detector = Detector.from_config(cfg.model, embeddings=wants_embeddings(cfg.tracker))  # as Pipeline.start
    detector(np.zeros((h, w, 3), np.uint8))
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}  {platform.machine()} {platform.processor()}; "
          f"load {' '.join(f'{v:.1f}' for v in os.getloadavg())}; python {platform.python_version()} "
          f"numpy {np.__version__} torch {torch.__version__}; weights {args.weights} imgsz {args.imgsz} runtime "
          f"{getattr(detector.model, 'runtime_name', 'torch')}; {args.sequences} scenes x {args.frames} frames at "
          f"{args.size}, seeds {args.seed}+; {len(lines)} lines per scene", flush=True)

    truth_all: list[list] = []
    ours_model: list[list] = []
    ours_gt: list[list] = []
    model_sets: dict[str, list] = {}
    gt_sets: dict[str, list] = {}
    gts = []
    with tempfile.TemporaryDirectory() as tmp:
        clips = make_scenes(Path(tmp), args.sequences, args.seed, w, h, args.frames)
        for s, (video, gt_path) in enumerate(clips):
            gt = read_mot_gt(gt_path)
            gts.append(gt)
            truth = true_crossings(gt, lines)
            t0 = time.perf_counter()
            rows, events, counts = run_model(cfg, detector, video, lines)
            secs = time.perf_counter() - t0
            assert sum(c.in_count + c.out_count for c in counts.lines) == len(events)
            g = gt_rows(gt, args.frames)
            on_gt = count_tracks(g, lines, 30.0)
            truth_all.append(truth)
            ours_model.append(events)
            ours_gt.append(on_gt)
            model_sets[f"model{s}"] = rows
            gt_sets[f"gt{s}"] = g
            e, c, t = count_error(tally(events), truth, len(lines))
            print(f"  scene {s}: {t} true crossings, ours {c} (error {e}), {len(rows) / secs:.1f} fps", flush=True)

    truth_n = sum(len(t) for t in truth_all)
    visible_n = sum(1 for t in truth_all for tr in t if tr[4] >= MIN_VISIBILITY)

    def row(name: str, per_scene: list[Counter]) -> str:
        err = err_v = counted = 0
        for truth, counts in zip(truth_all, per_scene, strict=True):
            e, c, _ = count_error(counts, truth, len(lines))
            ev, _, _ = count_error(counts, truth, len(lines), MIN_VISIBILITY)
            err, err_v, counted = err + e, err_v + ev, counted + c
        return (f"| {name} | {counted} | {err} | **{100 * err / truth_n:.1f} %** | {err_v} | "
                f"{100 * err_v / visible_n:.1f} % |")

    table = [f"All {truth_n} true crossings count; the last two columns make the {truth_n - visible_n} crossings "
             f"of objects more than {1 - MIN_VISIBILITY:.0%} hidden optional (the {visible_n} others count).",
             "", "| counter, tracks | counted | count error (in+out) | error / true | error, hidden optional | "
             "error / visible true |", "|---|---|---|---|---|---|"]
    table.append(row(f"yolotrack, our tracks (demo model + {cfg.tracker.type})", [tally(e) for e in ours_model]))
    table.append(row("yolotrack, ground-truth tracks", [tally(e) for e in ours_gt]))
    if args.anchors_python:
        sv_model = supervision(args.anchors_python, lines, model_sets)
        sv_gt = supervision(args.anchors_python, lines, gt_sets)
        for trig, label in (("corners", "default: 4 corners"), ("center", "center anchor")):
            table.append(row(f"supervision {sv_model['supervision']} LineZone ({label}), our tracks",
                             [as_counter(sv_model[f"model{s}"][trig]) for s in range(args.sequences)]))
            table.append(row(f"supervision LineZone ({label}), ground-truth tracks",
                             [as_counter(sv_gt[f"gt{s}"][trig]) for s in range(args.sequences)]))
    print("\n" + "\n".join(table))

    missed: list = []
    extra = 0
    for truth, events, gt, rows in zip(truth_all, ours_model, gts, model_sets.values(), strict=True):
        m, x = per_object(events, truth, track_owner(rows, gt))
        missed, extra = missed + m, extra + x.total()
    hidden = sum(1 for tr in missed if tr[4] < MIN_VISIBILITY)
    at_end = sum(1 for tr in missed if tr[4] >= MIN_VISIBILITY and tr[0] >= args.frames - 5)
    print(f"\nyolotrack on our tracks, object by object (an event belongs to the gt object its track's box overlaps "
          f"most): {len(missed)} of {truth_n} true crossings not counted ({hidden} of objects more than "
          f"{1 - MIN_VISIBILITY:.0%} hidden, {at_end} in the last 5 frames of a clip, before the hysteresis band is "
          f"passed, {len(missed) - hidden - at_end} others); {extra} counted crossings beyond an object's true ones")

    # ---------------------------------------------------------------- jitter guards
    settings = [("none", 0.0, 0.0), ("hysteresis 0.1", 0.1, 0.0), ("hysteresis 0.2", 0.2, 0.0),
                ("min displacement 0.05", 0.0, 0.05),
                (f"default: both ({DEFAULTS.hysteresis}, {DEFAULTS.min_displacement})", DEFAULTS.hysteresis,
                 DEFAULTS.min_displacement)]
    print("\nJitter guards, ground-truth tracks with Gaussian centre jitter (sigma in box sizes): crossings counted "
          "beyond an object's true ones (double counts) and true crossings not counted, per true crossing")
    print("| jitter | " + " | ".join(n for n, _, _ in settings) + " |")
    print("|---|" + "---|" * len(settings))
    rng = np.random.default_rng(7)
    for sigma in (0.01, 0.03, 0.06):
        cells = []
        jit = [jittered(gt_rows(gt, args.frames), sigma, rng) for gt in gts]
        for _, hh, mm in settings:
            spur = miss = 0
            for truth, rows in zip(truth_all, jit, strict=True):
                ev = count_tracks(rows, lines, 30.0, hh, mm)
                m, b = per_object(ev, truth, lambda e: e[1])  # gt tracks: the track id is the object
                spur, miss = spur + b.total(), miss + len(m)
            cells.append(f"{100 * spur / truth_n:.1f} % / {100 * miss / truth_n:.1f} %")
        print(f"| {sigma} | " + " | ".join(cells) + " |")
    print("\nTracks standing on a line for 1-3 s with jitter, half walking on (one crossing), half turning back")
    print("| jitter | " + " | ".join(n for n, _, _ in settings) + " |")
    print("|---|" + "---|" * len(settings))
    for sigma in (0.02, 0.05):
        rows, ln, truth = lingering(np.random.default_rng(3), 200, sigma)
        cells = []
        for _, hh, mm in settings:
            ev = count_tracks(rows, ln, 30.0, hh, mm)
            per = Counter(t for _, t, _, _ in ev)
            ins = Counter(t for _, t, _, d in ev if d == "in")
            spurious = sum(max(0, per[t] - c) for t, c in truth.items())
            missed = sum(1 for t, c in truth.items() if c and not ins[t])
            cells.append(f"{len(ev)} counted, {spurious} spurious, {missed} missed")
        print(f"| {sigma} ({sum(truth.values())} true of {len(truth)} tracks) | " + " | ".join(cells) + " |")

    # ---------------------------------------------------------------- speed
    sl, sz, frames = speed_scene()
    ms, cpu, events = our_speed(sl, sz, frames, args.rounds)
    line = (f"\nSpeed, 10 lines + 10 zones, 50 tracks, {len(frames)} frames, best of {args.rounds}: yolotrack "
            f"{ms:.3f} ms/frame wall, {cpu:.3f} ms CPU ({events} events)")
    if args.anchors_python:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "speed.npz"
            zones = {f"zone_{k}": z for k, z in enumerate(sz)}
            np.savez(path, frames=frames, lines=np.array(sl), n_zones=len(sz), **zones)
            script = Path(__file__).with_name("counting_supervision.py")
            proc = subprocess.run([args.anchors_python, str(script), str(path), "--speed", "--rounds",
                                   str(max(1, args.rounds // 2))], capture_output=True, text=True, check=True)
            sv = json.loads(proc.stdout)
        line += (f"; supervision LineZone x10 + PolygonZone x10 {sv['ms_per_frame']:.3f} ms/frame wall, "
                 f"{sv.get('cpu_ms_per_frame', float('nan')):.3f} ms CPU")
    print(line)

    # ---------------------------------------------------------------- TUD IDF1 of this run's tracker
    from trackers import evaluate, run_ours, tud_cases

    overrides = [o.removeprefix("tracker.") for o in args.overrides if o.startswith("tracker.")]
    scores = [evaluate(c, run_ours(c, cfg.tracker.type, overrides)[0]) for c in tud_cases([0, 1, 2])]
    print(f"\nTUD ({len(scores)} draws: 2 sequences x 3 levels x seeds 0-2), tracker {cfg.tracker.type} "
          f"{' '.join(overrides) or '(defaults)'}: mean IDF1 {np.mean([r['IDF1'] for r in scores]):.4f}, "
          f"HOTA {np.mean([r['HOTA'] for r in scores]):.4f}, ID switches {int(sum(r['IDSW'] for r in scores))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
