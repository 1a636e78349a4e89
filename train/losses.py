"""Detection loss: BCE on classes, CIoU on boxes, DFL on the box-distance distributions.

Gains follow the usual YOLOv8+ recipe (box 7.5, cls 0.5, dfl 1.5). Every term is normalised by the
sum of soft class targets so the loss does not grow with the number of objects in a batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from yolotrack.train.assigner import TaskAlignedAssigner
from yolotrack.train.boxes import bbox2dist, ciou, dfl_decode, dist2bbox, make_anchors, xywh2xyxy


def dfl_loss(pred_dist: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Distribution focal loss: cross-entropy to the two bins around each target distance, weighted by
    closeness; pred_dist (N, 4, reg_max) logits, target (N, 4) in bins. Returns (N,) mean over sides."""
    left = target.long()
    right = left + 1
    wl = right.float() - target
    wr = 1 - wl
    reg_max = pred_dist.shape[-1]
    logits = pred_dist.reshape(-1, reg_max)
    loss = (F.cross_entropy(logits, left.view(-1), reduction="none").view(left.shape) * wl
            + F.cross_entropy(logits, right.clamp(max=reg_max - 1).view(-1), reduction="none").view(left.shape) * wr)
    return loss.mean(-1)


@dataclass
class LossGains:
    box: float = 7.5
    cls: float = 0.5
    dfl: float = 1.5


class DetectionLoss:
    """Turns the head's raw per-level maps and a batch of labels into (loss for backward, parts)."""

    def __init__(self, nc: int, strides: list[float], reg_max: int = 16, gains: LossGains | None = None,
                 topk: int = 10, alpha: float = 0.5, beta: float = 6.0) -> None:
        self.nc, self.strides, self.reg_max = nc, list(strides), reg_max
        self.gains = gains or LossGains()
        self.assigner = TaskAlignedAssigner(nc, topk=topk, alpha=alpha, beta=beta)

    def __call__(self, feats: list[torch.Tensor], batch_idx: torch.Tensor, cls: torch.Tensor,
                 bboxes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """feats: per level (B, 4*reg_max+nc, H, W); labels: batch_idx (N,), cls (N,), bboxes (N,4) xywh in
        input pixels. Returns (scalar loss * batch size, detached [box, cls, dfl])."""
        b = feats[0].shape[0]
        dev = feats[0].device
        no = 4 * self.reg_max + self.nc
        flat = torch.cat([f.reshape(b, no, -1) for f in feats], 2).permute(0, 2, 1)  # (B, A, no)
        pred_dist, pred_logits = flat.split((4 * self.reg_max, self.nc), -1)
        anchors, stride = make_anchors([tuple(f.shape[2:]) for f in feats], self.strides, dev, flat.dtype)
        pred_boxes = dist2bbox(dfl_decode(pred_dist, self.reg_max), anchors)  # grid units

        # pad labels per image: (B, M, ...)
        counts = torch.bincount(batch_idx.long(), minlength=b) if len(batch_idx) else torch.zeros(b, dtype=torch.long)
        m = int(counts.max()) if len(batch_idx) else 0
        gt_labels = torch.zeros(b, m, dtype=torch.long, device=dev)
        gt_boxes = torch.zeros(b, m, 4, device=dev)
        mask_gt = torch.zeros(b, m, dtype=torch.bool, device=dev)
        for i in range(b):
            sel = batch_idx.long() == i
            n = int(sel.sum())
            if n:
                gt_labels[i, :n] = cls[sel].long()
                gt_boxes[i, :n] = xywh2xyxy(bboxes[sel].float())
                mask_gt[i, :n] = True

        t = self.assigner(pred_logits.detach().sigmoid(), (pred_boxes.detach() * stride).type(gt_boxes.dtype),
                          anchors * stride, gt_labels, gt_boxes, mask_gt)
        tss = t.scores.sum().clamp(min=1)
        loss_cls = F.binary_cross_entropy_with_logits(pred_logits, t.scores.to(pred_logits.dtype),
                                                      reduction="none").sum() / tss
        loss_box = torch.zeros((), device=dev)
        loss_dfl = torch.zeros((), device=dev)
        fg = t.fg_mask
        if fg.any():
            weight = t.scores.sum(-1)[fg]
            target_grid = t.bboxes / stride
            iou = ciou(pred_boxes[fg], target_grid[fg])
            loss_box = ((1 - iou) * weight).sum() / tss
            target_dist = bbox2dist(anchors.expand(b, -1, -1)[fg], target_grid[fg], self.reg_max - 1)
            pd = pred_dist[fg].view(-1, 4, self.reg_max)
            loss_dfl = (dfl_loss(pd, target_dist) * weight).sum() / tss
        parts = torch.stack((loss_box * self.gains.box, loss_cls * self.gains.cls, loss_dfl * self.gains.dfl))
        return parts.sum() * b, parts.detach()
