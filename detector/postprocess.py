"""NMS, box/keypoint rescaling and mask assembly in plain torch (no torchvision); numpy twin: postprocess_np.py."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from yolotrack.detector.letterbox import LetterboxInfo
from yolotrack.detector.postprocess_np import MAX_NMS, MAX_WH


def xywh2xyxy(b: torch.Tensor) -> torch.Tensor:
    xy, wh = b[..., :2], b[..., 2:4] / 2
    return torch.cat((xy - wh, xy + wh), -1)


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_thres: float, max_keep: int) -> torch.Tensor:
    """Greedy NMS in score order; returns kept indices. O(kept x N), no N x N matrix."""
    order = scores.argsort(descending=True)
    boxes = boxes[order]
    n = boxes.shape[0]
    if n == 0:
        return order
    x1, y1, x2, y2 = boxes.unbind(1)
    area = (x2 - x1).clamp(min=0) * (y2 - y1).clamp(min=0)
    alive = torch.ones(n, dtype=torch.bool, device=boxes.device)
    keep: list[int] = []
    alive_cpu = alive.cpu() if boxes.device.type != "cpu" else alive
    i = 0
    while i < n and len(keep) < max_keep:
        if not bool(alive_cpu[i]):
            i += 1
            continue
        keep.append(i)
        rest = slice(i + 1, n)
        w = (torch.minimum(x2[i], x2[rest]) - torch.maximum(x1[i], x1[rest])).clamp(min=0)
        h = (torch.minimum(y2[i], y2[rest]) - torch.maximum(y1[i], y1[rest])).clamp(min=0)
        inter = w * h
        iou = inter / (area[i] + area[rest] - inter + 1e-7)
        sup = iou > iou_thres
        if boxes.device.type != "cpu":
            sup = sup.cpu()
        alive_cpu[i + 1:] &= ~sup
        i += 1
    return order[torch.tensor(keep, dtype=torch.long, device=order.device)]


def non_max_suppression(pred: torch.Tensor, nc: int, conf: float = 0.25, iou: float = 0.7,
                        classes: list[int] | None = None, agnostic: bool = False,
                        max_det: int = 300) -> list[torch.Tensor]:
    """Per image rows `[x1, y1, x2, y2, conf, cls, extra...]` from a (B, 4+nc+extra, A) head output."""
    out = []
    cls_filter = None
    if classes is not None:
        cls_filter = torch.tensor(sorted(set(int(c) for c in classes)), device=pred.device)
    for x in pred.transpose(1, 2):  # (A, 4+nc+extra)
        scores_all = x[:, 4:4 + nc]
        best, j = scores_all.max(1)
        keep = best > conf
        if cls_filter is not None:
            keep &= torch.isin(j, cls_filter)
        x, best, j = x[keep], best[keep], j[keep]
        if x.shape[0] > MAX_NMS:
            top = best.argsort(descending=True)[:MAX_NMS]
            x, best, j = x[top], best[top], j[top]
        boxes = xywh2xyxy(x[:, :4])
        rows = torch.cat((boxes, best[:, None], j[:, None].to(x.dtype), x[:, 4 + nc:]), 1)
        if rows.shape[0] == 0:
            out.append(rows)
            continue
        offset = 0.0 if agnostic else j[:, None].to(boxes.dtype) * MAX_WH
        kept = nms(boxes + offset, best, iou, max_det)
        out.append(rows[kept])
    return out


def scale_boxes(boxes: torch.Tensor, info: LetterboxInfo) -> torch.Tensor:
    """Letterboxed input pixels -> frame pixels, clipped to the frame."""
    h0, w0 = info.frame_shape
    b = boxes.clone()
    b[:, [0, 2]] = ((b[:, [0, 2]] - info.pad_x) / info.gain).clamp(0, w0)
    b[:, [1, 3]] = ((b[:, [1, 3]] - info.pad_y) / info.gain).clamp(0, h0)
    return b


def scale_keypoints(kpts: torch.Tensor, info: LetterboxInfo) -> torch.Tensor:
    """(N, K, >=2) input pixels -> frame pixels; the pad is not rounded here, like upstream."""
    h0, w0 = info.frame_shape
    ih, iw = info.input_shape
    gain = min(ih / h0, iw / w0)
    pad_x, pad_y = (iw - w0 * gain) / 2, (ih - h0 * gain) / 2
    k = kpts.clone()
    k[..., 0] = ((k[..., 0] - pad_x) / gain).clamp(0, w0)
    k[..., 1] = ((k[..., 1] - pad_y) / gain).clamp(0, h0)
    return k


def crop_mask(masks: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
    """Zero everything outside each box (box coordinates in the masks' own pixel grid)."""
    _, h, w = masks.shape
    x1, y1, x2, y2 = torch.chunk(boxes[:, :, None], 4, 1)
    r = torch.arange(w, device=masks.device, dtype=boxes.dtype)[None, None, :]
    c = torch.arange(h, device=masks.device, dtype=boxes.dtype)[None, :, None]
    return masks * ((r >= x1) * (r < x2) * (c >= y1) * (c < y2))


def process_masks(protos: torch.Tensor, coeffs: torch.Tensor, boxes: torch.Tensor,
                  input_shape: tuple[int, int]) -> torch.Tensor:
    """Bool masks (N, H_in, W_in) at the letterboxed input size, as Ultralytics 8.4 predicts them:
    mask logits upsampled bilinearly to the input, cropped to each box, thresholded at 0."""
    c, mh, mw = protos.shape
    ih, iw = input_shape
    if coeffs.shape[0] == 0:
        return torch.zeros((0, ih, iw), dtype=torch.bool, device=protos.device)
    masks = (coeffs @ protos.float().view(c, -1)).view(-1, mh, mw)
    masks = F.interpolate(masks[None], (ih, iw), mode="bilinear", align_corners=False)[0]
    return crop_mask(masks, boxes) > 0.0


def masks_to_frame(masks: torch.Tensor, info: LetterboxInfo) -> torch.Tensor:
    """Cut the letterbox padding off input-size masks and resize them to the frame (nearest)."""
    h0, w0 = info.frame_shape
    ih, iw = info.input_shape
    top, left = info.pad_y, info.pad_x
    bottom = ih - int(round((ih - h0 * info.gain) / 2 + 0.1))
    right = iw - int(round((iw - w0 * info.gain) / 2 + 0.1))
    m = masks[:, top:bottom, left:right]
    if m.shape[0] == 0:
        return torch.zeros((0, h0, w0), dtype=torch.bool, device=masks.device)
    if m.shape[1:] != (h0, w0):
        m = F.interpolate(m[None].to(torch.uint8), (h0, w0), mode="nearest")[0]
    return m.bool()
