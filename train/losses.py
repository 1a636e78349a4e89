"""Detection loss: BCE on classes, CIoU on boxes, DFL on the box-distance distributions; segment and
pose add a mask and a keypoint term on the same anchor assignment.

Gains follow the usual YOLOv8+ recipe (box 7.5, cls 0.5, dfl 1.5). Every term is normalised by the
sum of soft class targets so the loss does not grow with the number of objects in a batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from yolotrack.train.assigner import Assignment, TaskAlignedAssigner
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


@dataclass
class Targets:
    """A batch's labels assigned to anchors, and the predictions decoded for them (one pass, shared
    by the detection terms and the mask/keypoint terms)."""

    pred_dist: torch.Tensor  # (B, A, 4*reg_max)
    pred_logits: torch.Tensor  # (B, A, nc)
    pred_boxes: torch.Tensor  # (B, A, 4) xyxy, grid units
    anchors: torch.Tensor  # (A, 2) grid units
    stride: torch.Tensor  # (A, 1)
    assignment: Assignment
    gt_rows: torch.Tensor  # (B, M) row of each padded gt in the flat batch labels (-1: padding)


class DetectionLoss:
    """Turns the head's raw per-level maps and a batch of labels into (loss for backward, parts)."""

    parts = ("box", "cls", "dfl")

    def __init__(self, nc: int, strides: list[float], reg_max: int = 16, gains: LossGains | None = None,
                 topk: int = 10, alpha: float = 0.5, beta: float = 6.0) -> None:
        self.nc, self.strides, self.reg_max = nc, list(strides), reg_max
        self.gains = gains or LossGains()
        self.assigner = TaskAlignedAssigner(nc, topk=topk, alpha=alpha, beta=beta)

    def assign(self, feats: list[torch.Tensor], batch_idx: torch.Tensor, cls: torch.Tensor,
               bboxes: torch.Tensor) -> Targets:
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
        gt_rows = torch.full((b, m), -1, dtype=torch.long, device=dev)
        for i in range(b):
            sel = batch_idx.long() == i
            n = int(sel.sum())
            if n:
                gt_labels[i, :n] = cls[sel].long()
                gt_boxes[i, :n] = xywh2xyxy(bboxes[sel].float())
                mask_gt[i, :n] = True
                gt_rows[i, :n] = torch.nonzero(sel).view(-1)

        t = self.assigner(pred_logits.detach().sigmoid(), (pred_boxes.detach() * stride).type(gt_boxes.dtype),
                          anchors * stride, gt_labels, gt_boxes, mask_gt)
        return Targets(pred_dist, pred_logits, pred_boxes, anchors, stride, t, gt_rows)

    def detection_terms(self, tg: Targets) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(box, cls, dfl) before their gains."""
        t, stride = tg.assignment, tg.stride
        dev = tg.pred_logits.device
        tss = t.scores.sum().clamp(min=1)
        loss_cls = F.binary_cross_entropy_with_logits(tg.pred_logits, t.scores.to(tg.pred_logits.dtype),
                                                      reduction="none").sum() / tss
        loss_box = torch.zeros((), device=dev)
        loss_dfl = torch.zeros((), device=dev)
        fg = t.fg_mask
        if fg.any():
            b = fg.shape[0]
            weight = t.scores.sum(-1)[fg]
            target_grid = t.bboxes / stride
            iou = ciou(tg.pred_boxes[fg], target_grid[fg])
            loss_box = ((1 - iou) * weight).sum() / tss
            target_dist = bbox2dist(tg.anchors.expand(b, -1, -1)[fg], target_grid[fg], self.reg_max - 1)
            pd = tg.pred_dist[fg].view(-1, 4, self.reg_max)
            loss_dfl = (dfl_loss(pd, target_dist) * weight).sum() / tss
        return loss_box, loss_cls, loss_dfl

    def __call__(self, feats: list[torch.Tensor], batch_idx: torch.Tensor, cls: torch.Tensor,
                 bboxes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """feats: per level (B, 4*reg_max+nc, H, W); labels: batch_idx (N,), cls (N,), bboxes (N,4) xywh in
        input pixels. Returns (scalar loss * batch size, detached [box, cls, dfl])."""
        box, cls_, dfl = self.detection_terms(self.assign(feats, batch_idx, cls, bboxes))
        parts = torch.stack((box * self.gains.box, cls_ * self.gains.cls, dfl * self.gains.dfl))
        return parts.sum() * feats[0].shape[0], parts.detach()

    def batch_loss(self, out: Any, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """The training-mode model output and a collated batch -> (loss * batch size, detached parts)."""
        return self(list(out), batch["batch_idx"], batch["cls"], batch["bboxes"])


class SegmentLoss(DetectionLoss):
    """Detection + mask loss: each positive anchor's mask (its coefficients times the prototypes) is
    scored by per-pixel BCE against its object's mask, inside the object's box, averaged over the box
    area (so small and large objects weigh alike). Gain: the box gain, as upstream."""

    parts = ("box", "cls", "dfl", "seg")

    def batch_loss(self, out: Any, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        feats, coeffs, protos = out
        tg = self.assign(list(feats), batch["batch_idx"], batch["cls"], batch["bboxes"])
        box, cls_, dfl = self.detection_terms(tg)
        seg = self.mask_term(tg, coeffs, protos, batch["masks"], batch["images"].shape[-2:])
        parts = torch.stack((box * self.gains.box, cls_ * self.gains.cls, dfl * self.gains.dfl, seg * self.gains.box))
        return parts.sum() * protos.shape[0], parts.detach()

    def mask_term(self, tg: Targets, coeffs: torch.Tensor, protos: torch.Tensor, masks: torch.Tensor,
                  input_hw: tuple[int, ...]) -> torch.Tensor:
        t = tg.assignment
        fg = t.fg_mask
        if not fg.any():
            return protos.sum() * 0  # keeps the prototypes in the graph
        mh, mw = protos.shape[-2:]
        if masks.shape[-2:] != (mh, mw):
            masks = F.interpolate(masks[None].float(), (mh, mw), mode="nearest")[0]
        scale = torch.tensor([mw / input_hw[1], mh / input_hw[0]] * 2, device=protos.device)
        total = protos.new_zeros(())
        for i in range(fg.shape[0]):
            sel = fg[i]
            if not sel.any():
                continue
            rows = tg.gt_rows[i][t.gt_index[i][sel]]
            target = masks[rows].to(protos.dtype)  # (F, mh, mw)
            logits = torch.einsum("fn,nhw->fhw", coeffs[i][:, sel].transpose(0, 1), protos[i])
            xyxy = t.bboxes[i][sel] * scale  # mask pixels
            inside = box_region(xyxy, mh, mw)
            bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
            area = inside.sum((1, 2)).clamp(min=1)
            total = total + ((bce * inside).sum((1, 2)) / area).sum()
        return total / fg.sum()


def box_region(xyxy: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """(N, h, w) float: 1 at pixel centres inside each box (pixels), else 0."""
    xs = torch.arange(w, device=xyxy.device, dtype=xyxy.dtype) + 0.5
    ys = torch.arange(h, device=xyxy.device, dtype=xyxy.dtype) + 0.5
    x1, y1, x2, y2 = (v[:, None, None] for v in xyxy.unbind(-1))
    return ((xs[None, None] >= x1) & (xs[None, None] < x2) & (ys[None, :, None] >= y1) & (ys[None, :, None] < y2)
            ).to(xyxy.dtype)


COCO_SIGMAS = (0.026, 0.025, 0.025, 0.035, 0.035, 0.079, 0.079, 0.072, 0.072, 0.062, 0.062, 0.107, 0.107,
               0.087, 0.087, 0.089, 0.089)


def keypoint_sigmas(num_keypoints: int, given: list[float] | tuple[float, ...] | None = None) -> torch.Tensor:
    """OKS sigmas: the dataset's, COCO's for 17 keypoints, else 1/K each (the usual default)."""
    if given is not None:
        return torch.tensor(list(given), dtype=torch.float32)
    if num_keypoints == 17:
        return torch.tensor(COCO_SIGMAS, dtype=torch.float32)
    return torch.full((num_keypoints,), 1.0 / num_keypoints)


@dataclass
class PoseGains:
    pose: float = 12.0
    kobj: float = 1.0


class PoseLoss(DetectionLoss):
    """Detection + keypoint loss: 1 - OKS of each positive anchor's keypoints against its object's
    (labelled keypoints only, scaled up when few are labelled), and BCE of the predicted visibility
    against "labelled". Keypoints decode like the head: (raw * 2 + anchor - 0.5) grid cells."""

    parts = ("box", "cls", "dfl", "pose", "kobj")

    def __init__(self, nc: int, strides: list[float], kpt_shape: tuple[int, int],
                 sigmas: list[float] | tuple[float, ...] | None = None, pose_gains: PoseGains | None = None,
                 **kw: Any) -> None:
        super().__init__(nc, strides, **kw)
        self.kpt_shape = tuple(kpt_shape)
        self.sigmas = keypoint_sigmas(kpt_shape[0], sigmas)
        self.pose_gains = pose_gains or PoseGains()

    def batch_loss(self, out: Any, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        feats, kpts = out
        tg = self.assign(list(feats), batch["batch_idx"], batch["cls"], batch["bboxes"])
        box, cls_, dfl = self.detection_terms(tg)
        pose, kobj = self.keypoint_terms(tg, kpts, batch["keypoints"])
        g = self.gains
        parts = torch.stack((box * g.box, cls_ * g.cls, dfl * g.dfl, pose * self.pose_gains.pose,
                             kobj * self.pose_gains.kobj))
        return parts.sum() * kpts.shape[0], parts.detach()

    def keypoint_terms(self, tg: Targets, raw: torch.Tensor, gt_kpts: torch.Tensor
                       ) -> tuple[torch.Tensor, torch.Tensor]:
        t = tg.assignment
        fg = t.fg_mask
        zero = raw.sum() * 0
        if not fg.any():
            return zero, zero
        k, d = self.kpt_shape
        b = raw.shape[0]
        y = raw.view(b, k, d, -1).permute(0, 3, 1, 2)[fg]  # (F, K, D)
        anchors = tg.anchors.expand(b, -1, -1)[fg]  # (F, 2)
        stride = tg.stride.expand(b, -1, -1)[fg]  # (F, 1)
        pred_xy = y[..., :2] * 2.0 + (anchors[:, None, :] - 0.5)
        rows = tg.gt_rows[fg.nonzero(as_tuple=True)[0], t.gt_index[fg]]
        gt = gt_kpts[rows].to(y.dtype)  # (F, K, 3) pixels
        gt_xy = gt[..., :2] / stride[:, None, :]
        labelled = (gt[..., 2] > 0).to(y.dtype)
        box = t.bboxes[fg] / stride
        area = ((box[:, 2] - box[:, 0]) * (box[:, 3] - box[:, 1]))[:, None]
        dist = ((pred_xy - gt_xy) ** 2).sum(-1)
        sig = self.sigmas.to(y.device, y.dtype)
        e = dist / ((2 * sig) ** 2 * (area + 1e-9) * 2)
        factor = k / (labelled.sum(1, keepdim=True) + 1e-9)
        pose = (factor * (1 - torch.exp(-e)) * labelled).mean()
        kobj = zero
        if d == 3:
            kobj = F.binary_cross_entropy_with_logits(y[..., 2], labelled)
        return pose, kobj


def loss_for(task: str, nc: int, strides: list[float], kpt_shape: tuple[int, int] | None = None,
             sigmas: list[float] | None = None) -> DetectionLoss:
    if task == "segment":
        return SegmentLoss(nc, strides)
    if task == "pose":
        assert kpt_shape is not None
        return PoseLoss(nc, strides, kpt_shape, sigmas)
    return DetectionLoss(nc, strides)
