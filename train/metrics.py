"""Detection mAP the COCO way: greedy score-ordered matching, 101-point interpolated AP.

mAP50 is AP at IoU 0.5; mAP50-95 averages the ten thresholds 0.50:0.05:0.95. Classes with no
ground truth are left out of the mean (as COCO does), so a class that never appears cannot drag the
score down or up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from yolotrack.core.detections import class_name

IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)
RECALL_POINTS = np.linspace(0.0, 1.0, 101)


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU (N,M) of xyxy boxes."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)), np.float64)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(-1)
    area_a = np.clip(a[:, 2:] - a[:, :2], 0, None).prod(-1)
    area_b = np.clip(b[:, 2:] - b[:, :2], 0, None).prod(-1)
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-12)


def average_precision(tp: np.ndarray, scores: np.ndarray, n_gt: int) -> float:
    """101-point interpolated AP from per-detection hit flags (any order) and the ground-truth count."""
    if n_gt == 0:
        return float("nan")
    if len(tp) == 0:
        return 0.0
    order = np.argsort(-scores, kind="stable")
    hits = tp[order].astype(np.float64)
    ctp = np.cumsum(hits)
    cfp = np.cumsum(1 - hits)
    recall = ctp / n_gt
    precision = ctp / np.maximum(ctp + cfp, 1e-12)
    envelope = np.maximum.accumulate(precision[::-1])[::-1]  # best precision at this recall or beyond
    idx = np.searchsorted(recall, RECALL_POINTS, side="left")
    sampled = np.where(idx < len(envelope), envelope[np.minimum(idx, len(envelope) - 1)], 0.0)
    return float(sampled.mean())


@dataclass
class MapResult:
    map50: float
    map50_95: float
    per_class: dict[int, tuple[float, float]] = field(default_factory=dict)  # class -> (AP50, AP50-95)
    n_gt: dict[int, int] = field(default_factory=dict)

    def table(self, names: Mapping[int, str] | None = None) -> str:
        names = names or {}
        lines = [f"{'class':<12}{'gt':>7}{'AP50':>8}{'AP50-95':>9}"]
        for c, (a50, a) in sorted(self.per_class.items()):
            lines.append(f"{class_name(names, c):<12}{self.n_gt.get(c, 0):>7}{a50:>8.3f}{a:>9.3f}")
        lines.append(f"{'all':<12}{sum(self.n_gt.values()):>7}{self.map50:>8.3f}{self.map50_95:>9.3f}")
        return "\n".join(lines)


class MapAccumulator:
    """Feed one image at a time (predictions and ground truth), then `compute()`."""

    def __init__(self) -> None:
        self._tp: list[np.ndarray] = []  # (n, T) bool per image
        self._scores: list[np.ndarray] = []
        self._cls: list[np.ndarray] = []
        self._gt_cls: list[np.ndarray] = []

    def add(self, pred_xyxy: np.ndarray, pred_scores: np.ndarray, pred_cls: np.ndarray,
            gt_xyxy: np.ndarray, gt_cls: np.ndarray, ignore_xyxy: np.ndarray | None = None) -> None:
        """`ignore_xyxy`: regions (e.g. heavily occluded objects) where an unmatched prediction is
        neither a hit nor a false positive."""
        pred_xyxy = np.asarray(pred_xyxy, np.float64).reshape(-1, 4)
        pred_scores = np.asarray(pred_scores, np.float64).reshape(-1)
        pred_cls = np.asarray(pred_cls, np.int64).reshape(-1)
        gt_xyxy = np.asarray(gt_xyxy, np.float64).reshape(-1, 4)
        gt_cls = np.asarray(gt_cls, np.int64).reshape(-1)
        tp = np.zeros((len(pred_xyxy), len(IOU_THRESHOLDS)), bool)
        drop = np.zeros(len(pred_xyxy), bool)
        for c in np.unique(pred_cls):
            pi = np.nonzero(pred_cls == c)[0]
            pi = pi[np.argsort(-pred_scores[pi], kind="stable")]
            gi = np.nonzero(gt_cls == c)[0]
            ious = iou_matrix(pred_xyxy[pi], gt_xyxy[gi])
            for t, thr in enumerate(IOU_THRESHOLDS):
                taken = np.zeros(len(gi), bool)
                for row, p in enumerate(pi):
                    if len(gi) == 0:
                        break
                    cand = np.where(taken, -1.0, ious[row])
                    j = int(np.argmax(cand))
                    if cand[j] >= thr:
                        taken[j] = True
                        tp[p, t] = True
        if ignore_xyxy is not None and len(ignore_xyxy):
            ign = iou_matrix(pred_xyxy, np.asarray(ignore_xyxy, np.float64).reshape(-1, 4))
            drop = (ign.max(1) >= 0.5) & ~tp[:, 0]
        keep = ~drop
        self._tp.append(tp[keep])
        self._scores.append(pred_scores[keep])
        self._cls.append(pred_cls[keep])
        self._gt_cls.append(gt_cls)

    def compute(self) -> MapResult:
        tp = np.concatenate(self._tp) if self._tp else np.zeros((0, len(IOU_THRESHOLDS)), bool)
        scores = np.concatenate(self._scores) if self._scores else np.zeros(0)
        cls = np.concatenate(self._cls) if self._cls else np.zeros(0, np.int64)
        gt_cls = np.concatenate(self._gt_cls) if self._gt_cls else np.zeros(0, np.int64)
        per_class: dict[int, tuple[float, float]] = {}
        n_gt: dict[int, int] = {}
        for c in np.unique(gt_cls):
            n = int((gt_cls == c).sum())
            sel = cls == c
            aps = [average_precision(tp[sel, t], scores[sel], n) for t in range(len(IOU_THRESHOLDS))]
            per_class[int(c)] = (aps[0], float(np.mean(aps)))
            n_gt[int(c)] = n
        if not per_class:
            return MapResult(0.0, 0.0, {}, {})
        return MapResult(float(np.mean([v[0] for v in per_class.values()])),
                         float(np.mean([v[1] for v in per_class.values()])), per_class, n_gt)
