"""Task-aligned label assignment (TOOD / YOLOv8+): which anchors learn which ground-truth box.

An anchor is a candidate for a box when its centre lies inside it. Candidates are ranked by the
alignment metric `score^alpha * IoU^beta`, so anchors that already classify *and* localise well
win; the `topk` best per box become positives. An anchor claimed by several boxes keeps the one it
overlaps most. Soft targets are the alignment metric rescaled so each box's best anchor gets its
best IoU, which makes the class score learn localisation quality.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from yolotrack.train.boxes import box_iou


@dataclass
class Assignment:
    labels: torch.Tensor  # (B, A) int64 class of the assigned box (0 for background)
    bboxes: torch.Tensor  # (B, A, 4) xyxy of the assigned box
    scores: torch.Tensor  # (B, A, C) soft class targets
    fg_mask: torch.Tensor  # (B, A) bool
    gt_index: torch.Tensor  # (B, A) int64 index of the assigned box in its image


class TaskAlignedAssigner:
    def __init__(self, num_classes: int, topk: int = 10, alpha: float = 0.5, beta: float = 6.0,
                 eps: float = 1e-9) -> None:
        self.nc, self.topk, self.alpha, self.beta, self.eps = num_classes, topk, alpha, beta, eps

    @torch.no_grad()
    def __call__(self, pd_scores: torch.Tensor, pd_bboxes: torch.Tensor, anchors: torch.Tensor,
                 gt_labels: torch.Tensor, gt_bboxes: torch.Tensor, mask_gt: torch.Tensor) -> Assignment:
        """pd_scores (B,A,C) probabilities; pd_bboxes (B,A,4) and gt_bboxes (B,M,4) xyxy in the same units
        as anchors (A,2); gt_labels (B,M) int; mask_gt (B,M) bool marks real (not padding) boxes."""
        b, a, c = pd_scores.shape
        m = gt_bboxes.shape[1]
        dev = pd_scores.device
        if m == 0:
            return Assignment(torch.zeros(b, a, dtype=torch.long, device=dev),
                              torch.zeros(b, a, 4, device=dev), torch.zeros(b, a, c, device=dev),
                              torch.zeros(b, a, dtype=torch.bool, device=dev),
                              torch.zeros(b, a, dtype=torch.long, device=dev))
        gt_labels = gt_labels.long().clamp(0, c - 1)
        # anchors whose centre is inside each gt box: (B, M, A)
        lt = anchors[None, None] - gt_bboxes[:, :, None, :2]
        rb = gt_bboxes[:, :, None, 2:] - anchors[None, None]
        in_gt = torch.cat((lt, rb), -1).amin(-1) > self.eps
        valid = in_gt & mask_gt[:, :, None]
        # IoU of every gt with every predicted box, and the predicted score of the gt's class
        overlaps = torch.stack([box_iou(gt_bboxes[i], pd_bboxes[i]) for i in range(b)]).clamp(min=0)
        overlaps = overlaps * valid
        cls_score = pd_scores.gather(2, gt_labels[:, None, :].expand(b, a, m)).permute(0, 2, 1)  # (B,M,A)
        align = cls_score.clamp(min=0).pow(self.alpha) * overlaps.pow(self.beta) * valid
        k = min(self.topk, a)
        top_idx = align.topk(k, dim=-1).indices  # (B, M, k)
        is_top = torch.zeros_like(valid)
        is_top.scatter_(-1, top_idx, True)
        mask_pos = is_top & valid
        # one gt per anchor: keep the highest-IoU claim
        multi = mask_pos.sum(1, keepdim=True) > 1  # (B,1,A)
        if multi.any():
            best = (overlaps * mask_pos).argmax(1, keepdim=True)  # (B,1,A)
            only_best = torch.zeros_like(mask_pos).scatter_(1, best, True)
            mask_pos = torch.where(multi, only_best, mask_pos)
        fg = mask_pos.any(1)  # (B,A)
        gt_idx = mask_pos.float().argmax(1)  # (B,A)
        batch = torch.arange(b, device=dev)[:, None]
        labels = gt_labels[batch, gt_idx]
        bboxes = gt_bboxes[batch, gt_idx]
        scores = torch.nn.functional.one_hot(labels, c).float() * fg[..., None]
        # normalise: each gt's best anchor gets that gt's best IoU
        align = align * mask_pos
        pos_align = align.amax(-1, keepdim=True)
        pos_iou = (overlaps * mask_pos).amax(-1, keepdim=True)
        norm = (align * pos_iou / (pos_align + self.eps)).amax(1)  # (B,A)
        scores = scores * norm[..., None]
        return Assignment(labels * fg, bboxes, scores, fg, gt_idx)
