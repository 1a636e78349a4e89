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
