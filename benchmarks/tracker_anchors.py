"""The anchors' side of `benchmarks/trackers.py`: other projects' trackers on our detections.

Runs only in a separate venv with `ultralytics` and Roboflow `trackers` (never dependencies of
this project), e.g. /work/venvs/anchors:

    /work/venvs/anchors/bin/python benchmarks/tracker_anchors.py CASES.npz OUT.npz

CASES.npz (written by benchmarks/trackers.py) holds, per case, every frame's boxes (xyxy), scores
and classes, the frame rate, the detector stride (1, or k: detections only on every k-th frame)
and optionally the video the detections came from, decoded here for trackers that use images.
Every tracker runs at its package defaults. With a stride k the trackers see only the detected
frames (as Ultralytics' `vid_stride` does) and their last output is repeated on the skipped
frames. OUT.npz gets one array of MOT rows (frame, id, left, top, width, height, score) per
case and tracker, and a JSON string of the versions.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np

# This folder holds benchmarks/trackers.py, which would shadow Roboflow's `trackers` package.
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

ULTRALYTICS = ("botsort", "bytetrack", "ocsort", "deepocsort", "fasttrack", "tracktrack")
ROBOFLOW = ("BoTSORTTracker", "ByteTrackTracker", "SORTTracker", "OCSORTTracker")


def frames_of(video: str) -> Iterator[np.ndarray]:
    import av

    with av.open(video) as c:
        for f in c.decode(video=0):
            yield f.to_ndarray(format="bgr24")


def ultralytics_tracker(name: str):
    from ultralytics.trackers.track import TRACKER_MAP
    from ultralytics.utils import YAML, IterableSimpleNamespace
    from ultralytics.utils.checks import check_yaml

    cfg = IterableSimpleNamespace(**YAML.load(check_yaml(f"{name}.yaml")))
    tracker = TRACKER_MAP[cfg.tracker_type](args=cfg)

    def step(xyxy: np.ndarray, scores: np.ndarray, cls: np.ndarray, image: np.ndarray | None, shape) -> np.ndarray:
        from ultralytics.engine.results import Boxes

        data = np.concatenate([xyxy, scores[:, None], cls[:, None]], axis=1).astype(np.float32)
        out = tracker.update(Boxes(data, shape), image)
        return np.asarray(out, dtype=np.float64).reshape(-1, 8)[:, [0, 1, 2, 3, 4, 5]]

    return step


def roboflow_tracker(name: str, fps: float):
    import supervision as sv
    import trackers

    tracker = getattr(trackers, name)(frame_rate=fps)

    def step(xyxy: np.ndarray, scores: np.ndarray, cls: np.ndarray, image: np.ndarray | None, shape) -> np.ndarray:
        dets = sv.Detections(xyxy=xyxy.astype(np.float32).reshape(-1, 4), confidence=scores.astype(np.float32),
                             class_id=cls.astype(int))
        out = tracker.update(dets, frame=image)
        ids = np.asarray(out.tracker_id if out.tracker_id is not None else [], dtype=np.float64)
        keep = ids >= 0
        conf = out.confidence if out.confidence is not None else np.ones(len(ids))
        return np.concatenate([out.xyxy[keep], ids[keep, None], np.asarray(conf)[keep, None]], axis=1)

    return step


def run_case(make, case: dict) -> np.ndarray:
    step = make()
    stride = int(case["stride"])
    video = case.get("video")
    images = frames_of(video) if video else None
    rows, last = [], np.zeros((0, 6))
    for i, (xyxy, scores, cls) in enumerate(case["frames"]):
        image = next(images) if images is not None else None
        shape = image.shape[:2] if image is not None else (1080, 1920)
        if i % stride == 0:
            last = step(xyxy, scores, cls, image, shape)
        for x1, y1, x2, y2, tid, s in last:
            rows.append((i + 1, tid, x1, y1, x2 - x1, y2 - y1, s))
    return np.asarray(rows, dtype=np.float64).reshape(-1, 7)


def load_cases(path: str) -> list[dict]:
    data = np.load(path, allow_pickle=False)
    meta = json.loads(str(data["meta"]))
    cases = []
    for k, m in enumerate(meta):
        frames = []
        for i in range(m["n_frames"]):
            key = f"{k}_{i}"
            frames.append((data[f"b{key}"], data[f"s{key}"], data[f"c{key}"]))
        cases.append({**m, "frames": frames})
    return cases


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cases")
    ap.add_argument("out")
    ap.add_argument("--only", nargs="*", help="tracker names to run (default: all)")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    import logging

    logging.getLogger("ultralytics").setLevel(logging.ERROR)
    from importlib.metadata import version

    cases = load_cases(args.cases)
    out: dict[str, np.ndarray] = {}
    for name in ULTRALYTICS + ROBOFLOW:
        label = f"ultralytics {name}" if name in ULTRALYTICS else f"trackers {name}"
        if args.only and name not in args.only and label not in args.only:
            continue
        for k, case in enumerate(cases):
            fps = float(case["fps"])

            def make(name: str = name, fps: float = fps):
                return ultralytics_tracker(name) if name in ULTRALYTICS else roboflow_tracker(name, fps)

            out[f"{label}|{k}"] = run_case(make, case)
        print(f"{label}: {len(cases)} cases", flush=True)
    versions = {p: version(p) for p in ("ultralytics", "trackers", "supervision", "torch", "lap")}
    versions["python"] = platform.python_version()
    np.savez(args.out, versions=json.dumps(versions), **out)


if __name__ == "__main__":
    main()
