"""Box geometry shared by the assigner, the losses and validation decoding.

Anchors are grid-cell centres in grid units (col + 0.5, row + 0.5) with a per-anchor stride; box
regression predicts (left, top, right, bottom) distances from the anchor, as the YOLOv8+ head does.
"""

from __future__ import annotations

import math

import torch


def make_anchors(shapes: list[tuple[int, int]], strides: list[float], device: torch.device | None = None,
                 dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """Anchor points (A,2) in grid units and strides (A,1), levels in order, each row-major."""
    points, stride_list = [], []
    for (h, w), s in zip(shapes, strides, strict=True):
        sy = torch.arange(h, device=device, dtype=dtype) + 0.5
        sx = torch.arange(w, device=device, dtype=dtype) + 0.5
        yy, xx = torch.meshgrid(sy, sx, indexing="ij")
        points.append(torch.stack((xx, yy), -1).view(-1, 2))
        stride_list.append(torch.full((h * w, 1), float(s), device=device, dtype=dtype))
    return torch.cat(points), torch.cat(stride_list)


def dist2bbox(distance: torch.Tensor, anchors: torch.Tensor) -> torch.Tensor:
    """(..., 4) ltrb distances + (..., 2) anchor points -> (..., 4) xyxy."""
    lt, rb = distance.chunk(2, -1)
    return torch.cat((anchors - lt, anchors + rb), -1)


def bbox2dist(anchors: torch.Tensor, xyxy: torch.Tensor, max_dist: float) -> torch.Tensor:
    """xyxy boxes -> ltrb distances from the anchors, clamped to the DFL range [0, max_dist)."""
    x1y1, x2y2 = xyxy.chunk(2, -1)
    return torch.cat((anchors - x1y1, x2y2 - anchors), -1).clamp_(0, max_dist - 0.01)


def dfl_decode(pred_dist: torch.Tensor, reg_max: int = 16) -> torch.Tensor:
    """(..., 4*reg_max) bin logits -> (..., 4) expected distances."""
    shape = pred_dist.shape[:-1]
    prob = pred_dist.view(*shape, 4, reg_max).softmax(-1)
    bins = torch.arange(reg_max, dtype=prob.dtype, device=prob.device)
    return (prob * bins).sum(-1)


def box_iou(a: torch.Tensor, b: torch.Tensor, eps: float = 1e-9) -> torch.Tensor:
    """Pairwise IoU (N,M) of xyxy boxes."""
    lt = torch.maximum(a[:, None, :2], b[None, :, :2])
    rb = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    area_a = (a[:, 2:] - a[:, :2]).clamp(min=0).prod(-1)
    area_b = (b[:, 2:] - b[:, :2]).clamp(min=0).prod(-1)
    return inter / (area_a[:, None] + area_b[None, :] - inter + eps)


def ciou(a: torch.Tensor, b: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """Element-wise Complete IoU of xyxy boxes (..., 4): IoU - centre term - aspect term."""
    ax1, ay1, ax2, ay2 = a.unbind(-1)
    bx1, by1, bx2, by2 = b.unbind(-1)
    w1, h1 = ax2 - ax1, (ay2 - ay1).clamp(min=eps)
    w2, h2 = bx2 - bx1, (by2 - by1).clamp(min=eps)
    inter = (torch.minimum(ax2, bx2) - torch.maximum(ax1, bx1)).clamp(min=0) * \
            (torch.minimum(ay2, by2) - torch.maximum(ay1, by1)).clamp(min=0)
    union = w1 * h1 + w2 * h2 - inter + eps
    iou = inter / union
    cw = torch.maximum(ax2, bx2) - torch.minimum(ax1, bx1)
    ch = torch.maximum(ay2, by2) - torch.minimum(ay1, by1)
    c2 = cw.pow(2) + ch.pow(2) + eps
    rho2 = ((bx1 + bx2 - ax1 - ax2).pow(2) + (by1 + by2 - ay1 - ay2).pow(2)) / 4
    v = (4 / math.pi**2) * (torch.atan(w2 / h2) - torch.atan(w1 / h1)).pow(2)
    with torch.no_grad():
        alpha = v / (v - iou + (1 + eps))
    return iou - (rho2 / c2 + v * alpha)


def xywh2xyxy(x: torch.Tensor) -> torch.Tensor:
    xy, wh = x[..., :2], x[..., 2:4] / 2
    return torch.cat((xy - wh, xy + wh), -1)


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_thres: float) -> torch.Tensor:
    """Greedy NMS; indices of kept boxes, highest score first (small N only: validation)."""
    order = scores.argsort(descending=True)
    boxes = boxes[order]
    keep = []
    suppressed = torch.zeros(len(order), dtype=torch.bool)
    ious = box_iou(boxes, boxes)
    for i in range(len(order)):
        if suppressed[i]:
            continue
        keep.append(i)
        suppressed |= ious[i] > iou_thres
    return order[torch.tensor(keep, dtype=torch.long)]
