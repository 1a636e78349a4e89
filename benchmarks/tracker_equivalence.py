"""Our BoT-SORT and OC-SORT against the official code, frame for frame, on the same detections.

The official trackers (NirAharon/BoT-SORT `tracker/`, noahcao/OC_SORT `trackers/ocsort_tracker/`)
are read from git checkouts given on the command line and run in this process (numpy 2 shims:
`np.float`; cython_bbox's IoU with the +1 pixel is replaced by ours, which equals it; FastReID
is stubbed, ReID and camera motion stay off). Our trackers run with the official thresholds, no
`report_missed` and 30 fps (so the buffer is the official frame count). Compared per frame:
the reported boxes, and that one consistent id mapping links our ids to theirs over the whole
sequence. Our ids are given at a track's first report, theirs at creation, so the numbers differ.
BoT-SORT's official output also holds tentative tracks; only confirmed ones are compared.

    .venv/bin/python benchmarks/tracker_equivalence.py --botsort-git DIR --ocsort-git DIR [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import tempfile
import types
from pathlib import Path

import numpy as np

from yolotrack.tracker import BotSortTracker, OcSortTracker
from yolotrack.tracker.matching import iou_matrix
from yolotrack.tracker.simulate import LEVELS, detections_from_gt, random_walk_scene, tud_ground_truth


def extract(git_dir: str, paths: list[str], dest: Path) -> None:
    for p in paths:
        out = dest / p
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(subprocess.run(["git", "-C", git_dir, "show", f"HEAD:{p}"], check=True,
                                       capture_output=True).stdout)


def load_official(botsort_git: str, ocsort_git: str, root: Path) -> tuple[type, type]:
    np.float = float  # type: ignore[attr-defined]  # removed in numpy 1.24; the official code still uses it
    extract(botsort_git, ["tracker/bot_sort.py", "tracker/matching.py", "tracker/basetrack.py",
                          "tracker/kalman_filter.py", "tracker/gmc.py"], root / "bot")
    (root / "bot" / "tracker" / "__init__.py").touch()
    extract(ocsort_git, ["trackers/ocsort_tracker/ocsort.py", "trackers/ocsort_tracker/association.py",
                         "trackers/ocsort_tracker/kalmanfilter.py"], root / "oc")
    (root / "oc" / "trackers" / "__init__.py").touch()
    (root / "oc" / "trackers" / "ocsort_tracker" / "__init__.py").touch()
    cython_bbox = types.ModuleType("cython_bbox")
    cython_bbox.bbox_overlaps = lambda a, b: iou_matrix(a, b, plus_one=True)  # type: ignore[attr-defined]
    fast_reid = types.ModuleType("fast_reid")
    interface = types.ModuleType("fast_reid.fast_reid_interfece")
    interface.FastReIDInterface = None  # type: ignore[attr-defined]
    sys.modules.update({"cython_bbox": cython_bbox, "fast_reid": fast_reid, "fast_reid.fast_reid_interfece": interface})
    sys.path[:0] = [str(root / "bot"), str(root / "oc")]
    # the official repository's own top-level `tracker` package (ours is `yolotrack.tracker`)
    BoTSORT = importlib.import_module("tracker.bot_sort").BoTSORT  # noqa: N806
    from trackers.ocsort_tracker.ocsort import OCSort  # type: ignore[import-not-found]

    return BoTSORT, OCSort


def compare(ours: list[np.ndarray], theirs: list[np.ndarray]) -> tuple[float, int, int]:
    """(largest box difference, frames whose ids break the one-to-one mapping or whose sets differ,
    rows compared)."""
    mapping: dict[int, int] = {}
    worst, bad = 0.0, 0
    n_rows = sum(len(a) for a in ours)
    for a, b in zip(ours, theirs, strict=True):
        if len(a) != len(b):
            bad += 1
            continue
        if not len(a):
            continue
        oa, ob = np.lexsort(a[:, :4].T[::-1]), np.lexsort(b[:, :4].T[::-1])
        a, b = a[oa], b[ob]
        worst = max(worst, float(np.abs(a[:, :4] - b[:, :4]).max()))
        for x, y in zip(a[:, 4].astype(int), b[:, 4].astype(int), strict=True):
            if mapping.setdefault(x, y) != y:
                bad += 1
                break
    if len(set(mapping.values())) != len(mapping):
        bad += 1
    return worst, bad, n_rows


def sequences(seeds: list[int]) -> list[tuple[str, list[tuple[np.ndarray, np.ndarray]]]]:
    out = []
    for seq in ("TUD-Campus", "TUD-Stadtmitte"):
        gt = tud_ground_truth(seq)
        for level, corruption in LEVELS.items():
            for seed in seeds:
                out.append((f"{seq} {level} {seed}", [(fd.xyxy, fd.scores)
                                                      for fd in detections_from_gt(gt, corruption, seed)]))
    for n in (10, 50):
        for seed in seeds:
            out.append((f"random {n} {seed}", list(random_walk_scene(n, 200, seed=seed))))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--botsort-git", required=True, help="git dir of NirAharon/BoT-SORT")
    ap.add_argument("--ocsort-git", required=True, help="git dir of noahcao/OC_SORT")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        BoTSORT, OCSort = load_official(args.botsort_git, args.ocsort_git, Path(tmp))
        frames = total_bad = 0
        worst_all = {"botsort": 0.0, "ocsort": 0.0}
        compared = {"botsort": 0, "ocsort": 0}
        for name, seq in sequences(args.seeds):
            bot_args = types.SimpleNamespace(track_high_thresh=0.6, track_low_thresh=0.1, new_track_thresh=0.7,
                                             track_buffer=30, match_thresh=0.8, proximity_thresh=0.5,
                                             appearance_thresh=0.25, with_reid=False, cmc_method="none",
                                             name=name, ablation=False, mot20=False)
            off_bot, our_bot = BoTSORT(bot_args, frame_rate=30), BotSortTracker(frame_rate=30, gmc="none")
            off_oc = OCSort(det_thresh=0.6, max_age=30, min_hits=3, iou_threshold=0.3, delta_t=3, inertia=0.2)
            our_oc = OcSortTracker(frame_rate=30, track_thresh=0.6, new_track_thresh=0.6)
            rows: dict[str, tuple[list[np.ndarray], list[np.ndarray]]] = {"botsort": ([], []), "ocsort": ([], [])}
            for boxes, scores in seq:
                dets = np.concatenate([boxes, scores[:, None]], 1) if len(boxes) else np.zeros((0, 5))
                tracks = [t for t in off_bot.update(dets.copy(), None) if t.is_activated]
                rows["botsort"][1].append(np.array([[*t.tlbr, t.track_id] for t in tracks]).reshape(-1, 5))
                rows["botsort"][0].append(our_bot.update(boxes, scores)[:, :5])
                rows["ocsort"][1].append(off_oc.update(dets.copy(), (1, 1), (1, 1)).reshape(-1, 5))
                rows["ocsort"][0].append(our_oc.update(boxes, scores)[:, :5])
                frames += 1
            for kind, (ours, theirs) in rows.items():
                worst, bad, n_rows = compare(ours, theirs)
                worst_all[kind] = max(worst_all[kind], worst)
                compared[kind] += n_rows
                total_bad += bad
                if bad or worst > 1e-6:
                    print(f"{name} {kind}: {bad} mismatching frames, box difference {worst:.2e}")
        print(f"{frames} frames, {compared['botsort']} BoT-SORT and {compared['ocsort']} OC-SORT rows: largest box "
              f"difference {worst_all['botsort']:.1e} / {worst_all['ocsort']:.1e}; {total_bad} mismatching frames")
    return 0 if total_bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
