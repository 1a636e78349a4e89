"""BoT-SORT re-identification after a long occlusion: a lost track waits `reid_buffer` frames and a would-be
new track is first matched to it on the detector's embeddings within a motion gate, so an object hidden
longer than `track_buffer` keeps its id; a different-looking object, or one far from where the lost
track can have got to, does not take it."""

from __future__ import annotations

import numpy as np

from yolotrack.core.config import TrackerConfig, set_values
from yolotrack.core.detections import Detections
from yolotrack.tracker import build_tracker

FPS = 30.0
rng = np.random.default_rng(0)
A, B = rng.normal(size=64).astype(np.float32), rng.normal(size=64).astype(np.float32)


def tracker(reid: bool, **kw):
    cfg = set_values(TrackerConfig(), {"botsort.gmc": "none", "botsort.reid": reid, **kw})
    return build_tracker(cfg, FPS)


def run(trk, objects) -> dict[int, list[int]]:
    """objects: name -> (embedding, {frame: (cx, cy)}); returns name -> ids it was reported with."""
    seen: dict = {}
    last = max(f for _, path in objects.values() for f in path)
    for f in range(last + 1):
        here = [(n, emb, path[f]) for n, (emb, path) in objects.items() if f in path]
        xyxy = np.array([[x - 20, y - 40, x + 20, y + 40] for _, _, (x, y) in here], np.float32).reshape(-1, 4)
        emb = np.array([e + rng.normal(0, 0.1, 64) for _, e, _ in here], np.float32).reshape(-1, 64)
        d = Detections(xyxy=xyxy, scores=np.full(len(here), 0.9), class_ids=np.zeros(len(here), int), embeddings=emb)
        out = trk.update_detections(d, f)
        for (x1, _, x2, _), tid in zip(out.xyxy.tolist(), out.track_ids.tolist(), strict=True):
            name = min(here, key=lambda h: abs(h[2][0] - (x1 + x2) / 2))[0] if here else None
            if name is not None:
                seen.setdefault(name, []).append(tid)
    return {n: sorted(set(ids)) for n, ids in seen.items()}


def walk(frames, x0: float, vx: float, y: float = 300.0) -> dict[int, tuple[float, float]]:
    return {f: (x0 + vx * f, y) for f in frames}


def test_an_object_hidden_for_two_seconds_keeps_its_id_only_with_reid():
    hidden = set(range(40, 100))  # 2 s behind something: longer than the 1 s lost buffer
    objects = {"a": (A, walk([f for f in range(160) if f not in hidden], 100.0, 2.0))}
    assert len(run(tracker(False), objects)["a"]) == 2  # a new id after the occlusion
    assert len(run(tracker(True), objects)["a"]) == 1


def test_a_different_object_or_one_too_far_away_does_not_take_the_lost_id():
    before = walk(range(40), 100.0, 2.0)
    other = {"a": (A, before), "b": (B, walk(range(100, 160), 220.0, 2.0))}  # where a would be, other looks
    ids = run(tracker(True), other)
    assert ids["a"] != ids["b"]
    far = {"a": (A, before), "c": (A, walk(range(60, 120), 1200.0, 2.0))}  # looks alike, 1000 px away in 1 s
    ids = run(tracker(True), far)
    assert ids["a"] != ids["c"]


def test_a_lost_track_waits_reid_buffer_frames_then_is_removed():
    trk = tracker(True, **{"botsort.reid_buffer": 90})
    objects = {"a": (A, walk(range(20), 100.0, 0.0))}
    run(trk, objects)
    removed_at = None
    for f in range(20, 200):
        trk.update_detections(Detections.empty(), f)
        if any(e.kind == "removed" for e in trk.pop_events()):
            removed_at = f
            break
    assert removed_at is not None and 90 <= removed_at - 19 <= 92  # its last sighting was frame 19
