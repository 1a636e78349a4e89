"""`ReidTracker.embed`: which tracked boxes the ReID network embeds on which frame (real ONNX Runtime
inference with the bundled demo model)."""

from __future__ import annotations

import numpy as np

from yolotrack.core.detections import Detections
from yolotrack.tracker.reid_model import DEMO, load_reid
from yolotrack.tracker.reid_tracker import ReidTracker


def tracked(ids: list[int]) -> Detections:
    n = len(ids)
    x = np.arange(n, dtype=np.float32)[:, None] * 30
    return Detections(np.hstack([x, x * 0 + 10, x + 40, x * 0 + 60]), np.full(n, 0.9), np.zeros(n), track_ids=ids)


def test_first_frames_always_then_every_nth_frame_tracks_born_together_take_turns() -> None:
    model = load_reid(DEMO)
    assert model is not None
    emb = ReidTracker(None, model, every=10)
    image = np.random.default_rng(0).integers(0, 255, (96, 640, 3), np.uint8)
    counts = []
    for f in range(12):
        ids = list(range(1, 21)) + ([21] if f >= 5 else [])  # track 21 is born on frame 5
        out = emb.embed(tracked(ids), f, image)
        assert out.embeddings is not None and out.embeddings.shape == (len(ids), 64)
        done = np.abs(out.embeddings).sum(1) > 0
        assert np.allclose(np.linalg.norm(out.embeddings[done], axis=1), 1.0, atol=1e-6)
        counts.append(int(done.sum()))
    # frame 0: all 20; then two a frame (ids 9 and 19 on frame 1, ..., 10 and 20 on frame 10), plus
    # the newborn 21 on frame 5; from frame 11 on, each track 10 frames after its last embedding
    assert counts == [20, 2, 2, 2, 2, 3, 2, 2, 2, 2, 2, 2]
    untracked = Detections(np.zeros((1, 4)), np.ones(1), [0])
    assert emb.embed(untracked, 12, image).embeddings is None


def test_an_inactive_wrapper_leaves_the_tracked_results_alone() -> None:
    from yolotrack.core.config import Config
    from yolotrack.tracker import build_tracker

    model = load_reid(DEMO)
    assert model is not None
    wanted = [False]
    t = ReidTracker(build_tracker(Config().tracker, 30.0), model, every=10, active=lambda: wanted[0])
    image = np.random.default_rng(1).integers(0, 255, (96, 640, 3), np.uint8)
    dets = Detections(np.array([[10, 10, 50, 60], [100, 10, 140, 60]], np.float32), np.full(2, 0.9), np.zeros(2))
    out = t.update_detections(dets, 0, image=image)
    assert out.track_ids is not None and out.embeddings is None  # one camera in the grid: no forward
    wanted[0] = True
    out = t.update_detections(dets, 1, image=image)
    assert out.embeddings is not None and (np.abs(out.embeddings).sum(1) > 0).tolist() == [True] * len(out)
