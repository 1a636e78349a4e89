"""Detections without a detector: ground truth turned into noisy detector output, and random scenes.

Lets the tracker be scored on real trajectories (MOT ground truth such as motmetrics' TUD
sequences) and timed at any object count, with no images and no model. Everything is driven by
a seeded `numpy.random.Generator`, so results are reproducible.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from yolotrack.core.errors import InvalidInputError


@dataclass(frozen=True)
class Corruption:
    """How detections differ from ground truth (tracking.md §7.4)."""

    jitter: float = 0.0  # Gaussian box noise, sigma as a fraction of width / height
    dropout: float = 0.0  # probability a true object is missed in a frame
    false_positives: float = 0.0  # Poisson mean of spurious boxes per frame
    low_score_fraction: float = 0.0  # true boxes scored 0.15-0.5 (reach only the second association)
    high_score_range: tuple[float, float] = (0.6, 0.95)
    image_size: tuple[int, int] = (640, 480)  # width, height for false positives


# The noise levels tests and benchmarks score trackers at (clean = the ground truth itself).
LEVELS = {
    "clean": Corruption(),
    "mild": Corruption(jitter=0.05, dropout=0.1, false_positives=0.5, low_score_fraction=0.2),
    "hard": Corruption(jitter=0.08, dropout=0.25, false_positives=1.5, low_score_fraction=0.35),
}


@dataclass(frozen=True)
class FrameDetections:
    frame: int  # 1-based, as in MOT files
    xyxy: np.ndarray  # (N, 4) float64
    scores: np.ndarray  # (N,)
    gt_ids: np.ndarray  # (N,) the ground-truth id, -1 for false positives


def detections_from_gt(gt: np.ndarray, corruption: Corruption = Corruption(),
                       seed: int = 0) -> list[FrameDetections]:
    """One `FrameDetections` per frame 1..last frame of `gt` (MOT rows; flag-0 rows ignored)."""
    gt = np.asarray(gt, dtype=np.float64)
    if gt.ndim != 2 or gt.shape[1] < 6:
        raise InvalidInputError(f"ground truth must be MOT rows (K, >=6), got shape {gt.shape}")
    if gt.shape[1] >= 7:
        gt = gt[gt[:, 6] != 0]
    rng = np.random.default_rng(seed)
    c = corruption
    frames = int(gt[:, 0].max(initial=0))
    out = []
    for f in range(1, frames + 1):
        rows = gt[gt[:, 0] == f]
        xywh = rows[:, 2:6].copy()
        n = len(xywh)
        keep = rng.random(n) >= c.dropout
        if c.jitter > 0:
            noise = rng.normal(0.0, c.jitter, size=(n, 4))
            xywh[:, 0] += noise[:, 0] * xywh[:, 2]
            xywh[:, 1] += noise[:, 1] * xywh[:, 3]
            xywh[:, 2] *= np.clip(1.0 + noise[:, 2], 0.5, 1.5)
            xywh[:, 3] *= np.clip(1.0 + noise[:, 3], 0.5, 1.5)
        scores = rng.uniform(*c.high_score_range, size=n)
        low = rng.random(n) < c.low_score_fraction
        scores[low] = rng.uniform(0.15, 0.5, size=int(low.sum()))
        boxes = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1)[keep]
        ids = rows[keep, 1].astype(np.int64)
        scores = scores[keep]
        n_fp = rng.poisson(c.false_positives) if c.false_positives > 0 else 0
        if n_fp:
            w = rng.uniform(30, 140, n_fp)
            h = rng.uniform(80, 300, n_fp)
            x = rng.uniform(0, c.image_size[0] - w)
            y = rng.uniform(0, np.maximum(c.image_size[1] - h, 1))
            boxes = np.concatenate([boxes, np.stack([x, y, x + w, y + h], axis=1)])
            scores = np.concatenate([scores, rng.uniform(0.1, 0.7, n_fp)])
            ids = np.concatenate([ids, np.full(n_fp, -1)])
        out.append(FrameDetections(f, boxes, scores, ids))
    return out


def random_walk_scene(
    n_objects: int, n_frames: int, seed: int = 0, size: tuple[int, int] = (1920, 1080),
    dropout: float = 0.05, low_score_fraction: float = 0.1,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(xyxy, scores) per frame for `n_objects` boxes moving at constant-ish velocity and bouncing.

    Boxes are sized so that `n_objects` of them fit the frame without overlapping much, as in
    a crowded but trackable scene; a few are missed or low-scored each frame.
    """
    rng = np.random.default_rng(seed)
    w_img, h_img = size
    cell = np.sqrt(w_img * h_img / max(n_objects, 1))
    h = rng.uniform(0.4, 0.8, n_objects) * cell
    w = h * rng.uniform(0.35, 0.6, n_objects)
    cx = rng.uniform(w / 2, w_img - w / 2)
    cy = rng.uniform(h / 2, h_img - h / 2)
    v = rng.normal(0.0, 0.02 * cell, size=(n_objects, 2))
    for _ in range(n_frames):
        v += rng.normal(0.0, 0.002 * cell, size=v.shape)
        cx += v[:, 0]
        cy += v[:, 1]
        bounce_x = (cx < w / 2) | (cx > w_img - w / 2)
        bounce_y = (cy < h / 2) | (cy > h_img - h / 2)
        v[bounce_x, 0] *= -1
        v[bounce_y, 1] *= -1
        cx = np.clip(cx, w / 2, w_img - w / 2)
        cy = np.clip(cy, h / 2, h_img - h / 2)
        boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
        boxes += rng.normal(0.0, 0.01, size=boxes.shape) * h[:, None]
        scores = rng.uniform(0.6, 0.95, n_objects)
        low = rng.random(n_objects) < low_score_fraction
        scores[low] = rng.uniform(0.15, 0.5, int(low.sum()))
        keep = rng.random(n_objects) >= dropout
        yield boxes[keep], scores[keep]


def tud_ground_truth(sequence: str) -> np.ndarray:
    """MOT rows of a MOT15 TUD sequence (`TUD-Campus`, `TUD-Stadtmitte`) shipped in the motmetrics wheel."""
    import motmetrics

    from yolotrack.tracker.mot_io import read_mot

    return read_mot(Path(motmetrics.__file__).parent / "data" / sequence / "gt.txt")


def track_to_mot_rows(tracker: object, frames: list[FrameDetections]) -> np.ndarray:
    """Run `tracker.update` over `frames`; returns MOT rows (frame, id, left, top, w, h, score)."""
    rows = []
    for fd in frames:
        out = tracker.update(fd.xyxy, fd.scores, np.zeros(len(fd.scores), np.int64))  # type: ignore[attr-defined]
        if len(out):
            r = np.empty((len(out), 7))
            r[:, 0] = fd.frame
            r[:, 1] = out[:, 4]
            r[:, 2:4] = out[:, :2]
            r[:, 4:6] = out[:, 2:4] - out[:, :2]
            r[:, 6] = out[:, 5]
            rows.append(r)
    return np.concatenate(rows) if rows else np.zeros((0, 7))
