"""Global ids across cameras: multi-camera IDF1 against per-camera fresh ids, and the gallery's cost.

    .venv/bin/python benchmarks/crosscam.py --work /tmp/crosscam --tune 100 101 102 103 --test 200 201 202 203

Scenes are `yolotrack synth --cameras` worlds (`train/synth_cameras.py`), rendered in memory. Each
camera's frames go through what `run --cameras` runs for it: the demo detector (pooled
embeddings on), batched over the cameras, then the camera's own tracker (the default BoT-SORT);
the tracked results are cached per scene in `--work`, so the gallery can be tuned and scored
without running the detector again. Then, on the cached results:

- baseline: each camera's track keeps its own, fresh id (what every per-camera tracker gives);
- global: `tracker.global_ids.GlobalIds` labels the cameras frame by frame in camera order, with
  the scene's links (`--links`) or every pair (the default when a site names none).

`match_thresh` is chosen on the `--tune` scenes only and then scored on the `--test` scenes.
Scores: `tracker.evaluate.evaluate_cameras` (ALL CAMERAS: the cameras laid end to end, IDF1 on
global ids). Cost: `label()` per camera frame at `--tracks` tracks per camera (`--cost-cameras`
cameras, births and deaths every frame), after a warm-up; mean and p99 in microseconds.

Features (`--features`): `none` is the detector's pooled features (`global_ids.reid: none`); any
other value is a ReID ONNX file (`demo`: the bundled one). A ReID pass re-renders the scene (the
same frames the detector saw) and runs `tracker.reid_tracker.ReidTracker.embed` on the cached
tracked boxes of every camera frame, as `run --cameras` does after each camera's tracker (its
embeddings, cached per model file, replace the detector's); its time per camera frame is
reported. Each feature kind is tuned on its own grid (`match_thresh` x `ratio`) on the tuning scenes.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pickle
import platform
import time
from pathlib import Path

import numpy as np

from yolotrack.core.detections import Detections
from yolotrack.tracker.evaluate import ALL_CAMERAS, evaluate_cameras
from yolotrack.tracker.global_ids import GlobalIds
from yolotrack.train.synth import SceneConfig
from yolotrack.train.synth_cameras import MultiCameraScene, links

ROOT = Path(__file__).resolve().parents[1]

Tracked = dict[str, list[Detections]]  # camera -> tracked detections per frame


def track_scene(seed: int, n_cameras: int, frames: int, work: Path) -> tuple[Tracked, dict[str, np.ndarray], float]:
    """Detector + per-camera tracker over one rendered scene (cached); ground truth per camera."""
    cache = work / f"scene{seed}_c{n_cameras}_f{frames}.pkl"
    if cache.is_file():
        with open(cache, "rb") as f:
            return pickle.load(f)  # noqa: S301 - our own cache file, written below
    from yolotrack.core.config import Config, set_values
    from yolotrack.detector import Detector
    from yolotrack.tracker import build_tracker

    cfg = set_values(Config(), {"model.weights": str(ROOT / "assets/demo/yolov12n-demo.safetensors")})
    det = Detector.from_config(cfg.model, embeddings=True)
    scene_cfg = SceneConfig(frames=frames)
    scene = MultiCameraScene(seed, n_cameras, scene_cfg)
    names = [v.name for v in scene.views]
    trackers = {n: build_tracker(cfg.tracker, scene_cfg.fps) for n in names}
    tracked: Tracked = {n: [] for n in names}
    gt: dict[str, list[list[float]]] = {n: [] for n in names}
    for i, views in enumerate(scene.frames()):
        for n, view, d in zip(names, views, det([v.image for v in views]), strict=True):
            out = trackers[n].update_detections(d, i, image=view.image)
            trackers[n].pop_events()
            out.names = {}
            tracked[n].append(out)
            gt[n] += [[i + 1, o.track_id, o.xyxy[0], o.xyxy[1], o.xyxy[2] - o.xyxy[0], o.xyxy[3] - o.xyxy[1], 1]
                      for o in view.objects]
    result = (tracked, {n: np.asarray(g, np.float64).reshape(-1, 7) for n, g in gt.items()}, scene_cfg.fps)
    work.mkdir(parents=True, exist_ok=True)
    with open(cache, "wb") as f:
        pickle.dump(result, f)
    return result


def reid_pass(seed: int, n_cameras: int, frames: int, tracked: Tracked, model_path: Path, every: int,
              work: Path) -> tuple[Tracked, float, int]:
    """The tracked results with ReID embeddings in place of the detector's (cached per model file):
    what `ReidTracker` gives after each camera's tracker. Also the mean milliseconds per camera frame
    of the embedding, and the boxes embedded."""
    from yolotrack.tracker.reid_model import ReidModel
    from yolotrack.tracker.reid_tracker import ReidTracker

    code = b"".join((ROOT / "tracker" / f).read_bytes() for f in ("reid_model.py", "reid_tracker.py"))
    digest = hashlib.sha256(model_path.read_bytes() + code).hexdigest()[:12]  # the model and the code that runs it
    cache = work / f"reid{seed}_c{n_cameras}_f{frames}_{digest}_e{every}.pkl"
    if cache.is_file():
        with open(cache, "rb") as f:
            return pickle.load(f)  # noqa: S301 - our own cache file, written below
    model = ReidModel(model_path)
    embedders = {n: ReidTracker(None, model, every) for n in tracked}
    out: Tracked = {n: [] for n in tracked}
    spent, calls, boxes = 0.0, 0, 0
    for i, views in enumerate(MultiCameraScene(seed, n_cameras, SceneConfig(frames=frames)).frames()):
        for n, view in zip(tracked, views, strict=True):
            d = tracked[n][i]
            c = Detections(d.xyxy, d.scores, d.class_ids, track_ids=d.track_ids)
            t0 = time.perf_counter()
            embedders[n].embed(c, i, view.image)
            spent += time.perf_counter() - t0
            calls += 1
            assert c.embeddings is not None
            boxes += int((np.abs(c.embeddings).sum(1) > 0).sum())
            out[n].append(c)
    result = (out, 1000 * spent / max(calls, 1), boxes)
    with open(cache, "wb") as f:
        pickle.dump(result, f)
    return result


def reid_cost(model_path: Path, boxes: int, rounds: int = 200) -> tuple[float, float, float]:
    """Milliseconds of one `ReidModel.embed` of `boxes` boxes on a 640x384 frame: wall mean and p99,
    and the thread's CPU time mean (ORT runs a one-thread session in the calling thread)."""
    from yolotrack.tracker.reid_model import ReidModel

    model = ReidModel(model_path)
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (384, 640, 3), np.uint8)
    xy = rng.uniform(0, 500, (boxes, 2))
    wh = rng.uniform(36, 96, (boxes, 2))
    b = np.concatenate([xy, xy + wh], 1)
    for _ in range(10):
        model.embed(image, b)
    t, c = [], []
    for _ in range(rounds):
        c0, t0 = time.thread_time(), time.perf_counter()
        model.embed(image, b)
        t.append(time.perf_counter() - t0)
        c.append(time.thread_time() - c0)
    a, ca = np.asarray(t) * 1000, np.asarray(c) * 1000
    return float(a.mean()), float(np.percentile(a, 99)), float(ca.mean())


def reid_stream_cost(model_path: Path, tracks: int, frames: int, every: int) -> tuple[float, float, float]:
    """Milliseconds per camera frame of `ReidTracker.embed` at `tracks` tracks (a birth and a death
    every 10 frames, boxes of 36-96 px on a 640x384 frame), after a warm-up: wall mean and p99, and
    the thread's CPU time mean. This is what the ReID network adds to each camera's tracking stage."""
    from yolotrack.tracker.reid_model import ReidModel
    from yolotrack.tracker.reid_tracker import ReidTracker

    rng = np.random.default_rng(0)
    emb = ReidTracker(None, ReidModel(model_path), every)
    image = rng.integers(0, 255, (384, 640, 3), np.uint8)
    ids = list(range(1, tracks + 1))
    nxt = tracks + 1
    xy = rng.uniform(0, 500, (tracks, 2))
    wh = rng.uniform(36, 96, (tracks, 2))
    boxes = np.concatenate([xy, xy + wh], 1)
    t, c = [], []
    for i in range(frames):
        if i % 10 == 0:
            ids.pop(int(rng.integers(len(ids))))
            ids.append(nxt)
            nxt += 1
        d = Detections(boxes, np.full(tracks, 0.9), np.zeros(tracks), track_ids=ids)
        c0, t0 = time.thread_time(), time.perf_counter()
        emb.embed(d, i, image)
        if i >= 2 * every:  # the first frame embeds every track at once
            t.append(time.perf_counter() - t0)
            c.append(time.thread_time() - c0)
    a, ca = np.asarray(t) * 1000, np.asarray(c) * 1000
    return float(a.mean()), float(np.percentile(a, 99)), float(ca.mean())


def rows(dets: Detections, frame: int, ids: np.ndarray) -> list[list[float]]:
    return [[frame + 1, int(t), b[0], b[1], b[2] - b[0], b[3] - b[1], 1.0] for t, b in zip(ids, dets.xyxy, strict=True)]


def score(tracked: Tracked, gt: dict[str, np.ndarray], fps: float, gallery: GlobalIds | None) -> float:
    """ALL CAMERAS IDF1 of the global ids (gallery) or of per-camera fresh ids (None)."""
    names = list(tracked)
    preds: dict[str, list[list[float]]] = {n: [] for n in names}
    for i in range(len(tracked[names[0]])):
        for k, n in enumerate(names):
            d = tracked[n][i]
            if gallery is not None:
                gallery.label(n, i / fps, d)
                assert d.global_ids is not None
                ids = d.global_ids
            else:
                ids = np.asarray(d.track_ids) + 100_000 * (k + 1)
            preds[n] += rows(d, i, ids)
    res = evaluate_cameras({n: (gt[n], np.asarray(preds[n]).reshape(-1, 7)) for n in names})
    return float(res[ALL_CAMERAS]["IDF1"])


def gallery_for(tracked: Tracked, fps: float, thresh: float, use_links: bool, n_cameras: int,
                max_s: float = 60.0, ratio: float = 1.0) -> GlobalIds:
    from yolotrack.train.synth_cameras import layout

    names = list(tracked)
    scene_links = links(layout(n_cameras, SceneConfig().width), SceneConfig().width, fps,
                        MultiCameraScene.MIN_SPEED) if use_links else None
    return GlobalIds(names, scene_links, match_thresh=thresh, max_s=max_s, ratio=ratio)


def cost(n_cameras: int, tracks: int, frames: int, dim: int = 64) -> tuple[float, float, float, float]:
    """Microseconds per `label()` call (one camera frame) at `tracks` tracks per camera, with
    about one birth and one death per camera every 10 frames: wall-clock mean and p99, and the
    same in the thread's CPU time (what the call itself costs, without the waits for a core on a
    shared machine)."""
    rng = np.random.default_rng(0)
    g = GlobalIds([f"c{k}" for k in range(n_cameras)])
    ids = [list(range(1, tracks + 1)) for _ in range(n_cameras)]
    nxt = [tracks + 1] * n_cameras
    looks = {}
    times, cpu = [], []
    for i in range(frames):
        for k in range(n_cameras):
            if rng.random() < 0.1:
                ids[k].pop(int(rng.integers(len(ids[k]))))
                ids[k].append(nxt[k])
                nxt[k] += 1
            tids = np.asarray(ids[k])
            for t in ids[k]:
                if (k, t) not in looks:
                    looks[k, t] = rng.normal(size=dim).astype(np.float32)
            feats = np.stack([looks[k, t] for t in ids[k]])
            d = Detections(rng.uniform(0, 600, (len(tids), 4)), np.full(len(tids), 0.9),
                           rng.integers(0, 4, len(tids)), track_ids=tids, embeddings=feats)
            c0, t0 = time.thread_time(), time.perf_counter()
            g.label(f"c{k}", i / 30.0, d)
            if i >= frames // 5:
                times.append(time.perf_counter() - t0)
                cpu.append(time.thread_time() - c0)
    a, c = np.asarray(times) * 1e6, np.asarray(cpu) * 1e6
    return float(a.mean()), float(np.percentile(a, 99)), float(c.mean()), float(np.percentile(c, 99))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=Path("/tmp/crosscam_bench"))
    ap.add_argument("--tune", type=int, nargs="*", default=[100, 101, 102, 103])
    ap.add_argument("--test", type=int, nargs="*", default=[300, 301, 302, 303])
    ap.add_argument("--cameras", type=int, default=2)
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--features", nargs="*", default=["none", "demo"],
                    help="none (the detector's pooled features), demo (the bundled ReID model) or ReID ONNX files")
    ap.add_argument("--thresholds", type=float, nargs="*", default=None,
                    help="match_thresh grid (default: one per feature kind)")
    ap.add_argument("--ratios", type=float, nargs="*", default=[1.0, 0.9, 0.8, 0.7, 0.6, 0.5])
    ap.add_argument("--every", type=int, default=5, help="global_ids.reid_every: frames between a track's embeddings")
    ap.add_argument("--links", action="store_true", help="use the scene layout's links instead of every pair")
    ap.add_argument("--max-s", type=float, default=60.0, help="global_ids.max_s: the window of every pair (no links)")
    ap.add_argument("--fixed", nargs="*", default=[], metavar="FEATURE:THRESH:RATIO",
                    help="also score these settings on the held-out scenes (e.g. the defaults)")
    ap.add_argument("--tracks", type=int, default=50)
    ap.add_argument("--cost-cameras", type=int, default=4)
    ap.add_argument("--cost-frames", type=int, default=1500)
    ap.add_argument("--only-track", action="store_true", help="fill the cache and stop")
    ap.add_argument("--only-cost", action="store_true", help="measure the costs only")
    args = ap.parse_args()

    import yolotrack
    from yolotrack.tracker.reid_model import DEMO, NONE, demo_reid_path

    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.platform()}, python "
          f"{platform.python_version()}, numpy {np.__version__}, yolotrack {getattr(yolotrack, '__version__', '?')}, "
          f"load average {os.getloadavg()[0]:.1f}")
    scenes = {}
    for seed in [] if args.only_cost else [*args.tune, *args.test]:
        t0 = time.time()
        scenes[seed] = track_scene(seed, args.cameras, args.frames, args.work)
        print(f"scene {seed}: {args.cameras} cameras x {args.frames} frames tracked ({time.time() - t0:.0f} s)",
              flush=True)
    if args.only_track:
        return 0

    def model_of(feature: str) -> Path | None:
        return None if feature == NONE else demo_reid_path() if feature == DEMO else Path(feature)

    feats: dict[tuple[str, int], Tracked] = {}
    for feature in [] if args.only_cost else args.features:
        path = model_of(feature)
        if path is None:
            continue
        ms, n_boxes = [], 0
        for seed in [*args.tune, *args.test]:
            tracked, _, _ = scenes[seed]
            feats[feature, seed], m, b = reid_pass(seed, args.cameras, args.frames, tracked, path, args.every,
                                                   args.work)
            ms.append(m)
            n_boxes += b
        print(f"ReID {feature}: embedding {np.mean(ms):.2f} ms per camera frame on average "
              f"({n_boxes} boxes embedded, every {args.every} frames per track)", flush=True)

    def run(seed: int, feature: str | None, thresh: float = 0.0, ratio: float = 1.0) -> float:
        tracked, gt, fps = scenes[seed]
        src = tracked if feature in (None, NONE) else feats[feature, seed]
        fresh = {n: [Detections(d.xyxy, d.scores, d.class_ids, track_ids=d.track_ids, embeddings=e.embeddings)
                     for d, e in zip(tracked[n], src[n], strict=True)] for n in tracked}  # labelling sets global_ids
        g = None if feature is None else gallery_for(fresh, fps, thresh, args.links, args.cameras, args.max_s,
                                                     ratio)
        return score(fresh, gt, fps, g)

    def grid(feature: str) -> list[float]:
        if args.thresholds:
            return args.thresholds
        if feature == NONE:
            return [0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1]
        return [0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3]

    if args.only_cost:
        args.tune, args.test = [], []
    print(f"\n{args.cameras} cameras, {'links' if args.links else 'no links'}; tuning scenes "
          + " ".join(map(str, args.tune)))
    base = [run(s, None) for s in args.tune]
    print(f"  per-camera ids: IDF1 {' '.join(f'{v:.3f}' for v in base)}  mean {np.mean(base or [0]):.4f}")
    picks: list[tuple[str, float, float, str]] = []
    for feature in args.features if args.tune else []:
        best, best_mean = (0.0, 1.0), -1.0
        for th in grid(feature):
            for ra in args.ratios:
                vals = [run(s, feature, th, ra) for s in args.tune]
                if np.mean(vals) > best_mean + 1e-9:
                    best, best_mean = (th, ra), float(np.mean(vals))
                print(f"  {feature} match_thresh {th:<6g} ratio {ra:<4g} IDF1 {' '.join(f'{v:.3f}' for v in vals)}"
                      f"  mean {np.mean(vals):.4f}", flush=True)
        print(f"  {feature}: chosen match_thresh {best[0]:g} ratio {best[1]:g} (tuning mean {best_mean:.4f})")
        picks.append((feature, best[0], best[1], "tuning pick"))
    for spec in args.fixed:
        f, th, ra = spec.rsplit(":", 2)
        picks.append((f, float(th), float(ra), "fixed"))
    if args.test:
        print("\nheld-out scenes " + " ".join(map(str, args.test)))
        base = [run(s, None) for s in args.test]
        print(f"  per-camera ids: IDF1 {' '.join(f'{v:.3f}' for v in base)}  mean {np.mean(base):.4f}")
        for feature, th, ra, why in picks:
            glob = [run(s, feature, th, ra) for s in args.test]
            print(f"  {feature} match_thresh {th:g} ratio {ra:g} ({why}): IDF1 {' '.join(f'{v:.3f}' for v in glob)}"
                  f"  mean {np.mean(glob):.4f} ({np.mean(glob) - np.mean(base):+.4f} against per-camera ids)")
    mean_us, p99_us, cpu_us, cpu99_us = cost(args.cost_cameras, args.tracks, args.cost_frames)
    print(f"\ncost: label() per camera frame at {args.tracks} tracks, {args.cost_cameras} cameras: wall mean "
          f"{mean_us:.0f} us, p99 {p99_us:.0f} us; CPU mean {cpu_us:.0f} us, p99 {cpu99_us:.0f} us "
          f"(load average {os.getloadavg()[0]:.1f})")
    for feature in args.features:
        path = model_of(feature)
        if path is None:
            continue
        for k in (1, 10, args.tracks):
            m, p, cm = reid_cost(path, k)
            print(f"cost: ReID {feature} embed() of {k} boxes: wall mean {m:.2f} ms, p99 {p:.2f} ms, CPU mean "
                  f"{cm:.2f} ms "
                  f"(load average {os.getloadavg()[0]:.1f})")
        m, p, cm = reid_stream_cost(path, args.tracks, args.cost_frames, args.every)
        print(f"cost: ReID {feature} per camera frame at {args.tracks} tracks, every {args.every} frames: wall mean "
              f"{m:.2f} ms, p99 {p:.2f} ms, CPU mean {cm:.2f} ms (load average {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
