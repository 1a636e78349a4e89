"""Detection mAP the COCO way: greedy score-ordered matching, 101-point interpolated AP.

mAP50 is AP at IoU 0.5; mAP50-95 averages the ten thresholds 0.50:0.05:0.95. Classes with no
ground truth are left out of the mean (as COCO does), so a class that never appears cannot drag the
score down or up. The same matching scores masks (mask IoU in place of box IoU) and keypoints
(object keypoint similarity, OKS, in place of IoU).
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
    mask: MapResult | None = None  # segment: the same over mask IoU
    pose: MapResult | None = None  # pose: the same over keypoint OKS

    @property
    def task_result(self) -> MapResult:
        """What a run of this task is judged by: masks for segment, keypoints for pose, else boxes."""
        return self.mask or self.pose or self

    def metrics(self) -> dict[str, float]:
        out = {"mAP50": self.map50, "mAP50-95": self.map50_95}
        for tag, r in (("mask", self.mask), ("pose", self.pose)):
            if r is not None:
                out |= {f"{tag}_mAP50": r.map50, f"{tag}_mAP50-95": r.map50_95}
        return out

    def table(self, names: Mapping[int, str] | None = None) -> str:
        names = names or {}
        extra = [(tag, r) for tag, r in (("mask", self.mask), ("OKS", self.pose)) if r is not None]
        head = f"{'class':<12}{'gt':>7}{'AP50':>8}{'AP50-95':>9}"
        head += "".join(f"{tag + ' AP50':>{len(tag) + 7}}{tag + ' AP50-95':>{len(tag) + 10}}" for tag, _ in extra)
        lines = [head]

        def row(label: str, n: int, vals: tuple[float, float], others: list[tuple[float, float]]) -> str:
            text = f"{label:<12}{n:>7}{vals[0]:>8.3f}{vals[1]:>9.3f}"
            for (tag, _), (a50, a) in zip(extra, others, strict=True):
                text += f"{a50:>{len(tag) + 7}.3f}{a:>{len(tag) + 10}.3f}"
            return text

        nan = (float("nan"), float("nan"))
        for c, vals in sorted(self.per_class.items()):
            lines.append(row(class_name(names, c), self.n_gt.get(c, 0), vals,
                             [r.per_class.get(c, nan) for _, r in extra]))
        lines.append(row("all", sum(self.n_gt.values()), (self.map50, self.map50_95),
                         [(r.map50, r.map50_95) for _, r in extra]))
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
        drop = None
        if ignore_xyxy is not None and len(ignore_xyxy):
            drop = iou_matrix(pred_xyxy, np.asarray(ignore_xyxy, np.float64).reshape(-1, 4)).max(1) >= 0.5
        self.add_similarity(iou_matrix(pred_xyxy, gt_xyxy), pred_scores, pred_cls, gt_cls, drop)

    def add_similarity(self, sim: np.ndarray, pred_scores: np.ndarray, pred_cls: np.ndarray, gt_cls: np.ndarray,
                       ignore: np.ndarray | None = None) -> None:
        """One image from a (N, M) prediction x ground-truth similarity (box IoU, mask IoU or OKS),
        matched against the thresholds 0.50:0.05:0.95. `ignore`: (N,) predictions that are neither a
        hit nor a false positive unless they matched."""
        pred_scores = np.asarray(pred_scores, np.float64).reshape(-1)
        pred_cls = np.asarray(pred_cls, np.int64).reshape(-1)
        gt_cls = np.asarray(gt_cls, np.int64).reshape(-1)
        sim = np.asarray(sim, np.float64).reshape(len(pred_scores), len(gt_cls))
        tp = np.zeros((len(pred_scores), len(IOU_THRESHOLDS)), bool)
        for c in np.unique(pred_cls):
            pi = np.nonzero(pred_cls == c)[0]
            pi = pi[np.argsort(-pred_scores[pi], kind="stable")]
            gi = np.nonzero(gt_cls == c)[0]
            ious = sim[np.ix_(pi, gi)]
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
        keep = ~(ignore & ~tp[:, 0]) if ignore is not None else np.ones(len(tp), bool)
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


def mask_iou(pred_boxes: np.ndarray, pred_masks: list[np.ndarray], gt_masks: np.ndarray) -> np.ndarray:
    """(N, M) IoU of predicted masks, each given inside its integer box (x1, y1, x2, y2) only, with
    full-size ground-truth masks (M, H, W); pairs whose boxes do not meet are 0 without a pixel count."""
    n, m = len(pred_masks), len(gt_masks)
    out = np.zeros((n, m), np.float64)
    if n == 0 or m == 0:
        return out
    gt = np.asarray(gt_masks, bool)
    gt_area = gt.reshape(m, -1).sum(1)
    rows = gt.any(2)
    cols = gt.any(1)
    gt_box = np.zeros((m, 4), np.int64)
    for j in range(m):
        r, c = np.flatnonzero(rows[j]), np.flatnonzero(cols[j])
        gt_box[j] = (c[0], r[0], c[-1] + 1, r[-1] + 1) if len(r) else (0, 0, 0, 0)
    for i, (box, pm) in enumerate(zip(np.asarray(pred_boxes, np.int64).reshape(-1, 4), pred_masks, strict=True)):
        x1, y1, x2, y2 = (int(v) for v in box)
        area = int(pm.sum())
        for j in range(m):
            gx1, gy1, gx2, gy2 = gt_box[j]
            ix1, iy1, ix2, iy2 = max(x1, gx1), max(y1, gy1), min(x2, gx2), min(y2, gy2)
            inter = 0
            if ix2 > ix1 and iy2 > iy1 and area:
                inter = int((pm[iy1 - y1:iy2 - y1, ix1 - x1:ix2 - x1] & gt[j, iy1:iy2, ix1:ix2]).sum())
            union = area + int(gt_area[j]) - inter
            out[i, j] = inter / union if union else 0.0
    return out


def oks_matrix(pred_kpts: np.ndarray, gt_kpts: np.ndarray, gt_areas: np.ndarray, sigmas: np.ndarray) -> np.ndarray:
    """(N, M) object keypoint similarity: mean over each ground truth's labelled keypoints (v > 0) of
    exp(-d^2 / (2 * area * (2 sigma)^2)); `gt_areas` the objects' scale squared (COCO: segment area)."""
    p = np.asarray(pred_kpts, np.float64)
    g = np.asarray(gt_kpts, np.float64)
    if len(p) == 0 or len(g) == 0:
        return np.zeros((len(p), len(g)), np.float64)
    d = ((p[:, None, :, :2] - g[None, :, :, :2]) ** 2).sum(-1)  # (N, M, K)
    k2 = (2 * np.asarray(sigmas, np.float64)) ** 2
    e = d / (2 * k2[None, None, :] * (np.asarray(gt_areas, np.float64)[None, :, None] + np.spacing(1)))
    labelled = (g[..., 2] > 0).astype(np.float64)[None]
    return (np.exp(-e) * labelled).sum(-1) / np.maximum(labelled.sum(-1), 1e-9) * (labelled.sum(-1) > 0)
