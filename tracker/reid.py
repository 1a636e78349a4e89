"""Appearance for association: per-track smoothed embeddings and the cosine cost between them.

The embeddings come from the detector itself (`Detections.embeddings`: its P3 neck map averaged
inside each box, see `detector/postprocess.py`), so appearance costs no second network. This
module is the tracker's side: unit-normalised features, BoT-SORT's exponential moving average
per track, and the cosine distance halved to [0, 1] as BoT-SORT uses it.
"""

from __future__ import annotations

import numpy as np

EMA_ALPHA = 0.9  # BoT-SORT: weight of the track's history against the new detection's feature


def normalize(feats: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (float32); all-zero rows stay zero."""
    f = np.asarray(feats, dtype=np.float32)
    norm = np.linalg.norm(f, axis=1, keepdims=True)
    return f / np.maximum(norm, 1e-12)


def smooth(track: np.ndarray, has: np.ndarray, new: np.ndarray, alpha: float = EMA_ALPHA) -> np.ndarray:
    """The tracks' features after seeing `new` (unit rows): EMA where they had one, else `new`."""
    out = np.where(has[:, None], alpha * track + (1.0 - alpha) * new, new)
    return normalize(out)


def cosine_cost(track: np.ndarray, has: np.ndarray, dets: np.ndarray) -> np.ndarray:
    """(1 - cos) / 2 between unit track and detection features; 1 for tracks without one."""
    cost = np.maximum(0.0, 1.0 - track @ dets.T) / 2.0
    cost[~has] = 1.0
    return cost.astype(np.float64)
