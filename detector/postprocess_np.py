"""NMS, box/keypoint rescaling and mask assembly in numpy and OpenCV: the torch post-processing's twin.

The exported CPU runtimes hand back numpy arrays, and a warm start should not import torch (about
a second of start-up) just to sort a few thousand scores. Every function here mirrors the one of
the same name in postprocess.py and must give the same result; tests/test_postprocess_np.py
compares them on the fixtures' real outputs.
"""

from __future__ import annotations

import cv2
import numpy as np

from yolotrack.detector.letterbox import LetterboxInfo

MAX_WH = 7680.0  # class offset so one NMS pass never mixes classes
MAX_NMS = 30000


def xywh2xyxy(b: np.ndarray) -> np.ndarray:
    xy, wh = b[..., :2], b[..., 2:4] / 2
    return np.concatenate((xy - wh, xy + wh), -1)


def nms(boxes: np.ndarray, scores: np.ndarray, iou_thres: float, max_keep: int) -> np.ndarray:
    """Greedy NMS in score order; returns kept indices."""
    order = np.argsort(-scores, kind="stable")
    b = boxes[order]
    n = len(b)
    if n == 0:
        return order
    x1, y1, x2, y2 = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
    area = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    alive = np.ones(n, dtype=bool)
    keep: list[int] = []
    for i in range(n):
        if len(keep) >= max_keep:
            break
        if not alive[i]:
            continue
        keep.append(i)
        w = np.clip(np.minimum(x2[i], x2[i + 1:]) - np.maximum(x1[i], x1[i + 1:]), 0, None)
        h = np.clip(np.minimum(y2[i], y2[i + 1:]) - np.maximum(y1[i], y1[i + 1:]), 0, None)
        inter = w * h
        iou = inter / (area[i] + area[i + 1:] - inter + np.float32(1e-7))
        alive[i + 1:] &= ~(iou > iou_thres)
    return order[np.asarray(keep, dtype=np.int64)]


def non_max_suppression(pred: np.ndarray, nc: int, conf: float = 0.25, iou: float = 0.7,
                        classes: list[int] | None = None, agnostic: bool = False,
                        max_det: int = 300) -> list[np.ndarray]:
    """Per image rows `[x1, y1, x2, y2, conf, cls, extra...]` (float32) from a (B, 4+nc+extra, A) head output."""
    out = []
    cls_filter = np.asarray(sorted(set(int(c) for c in classes))) if classes is not None else None
    for p in pred:
        scores_all = p[4:4 + nc]  # (nc, A): reduce along classes without transposing everything
        j = scores_all.argmax(0)
        best = np.take_along_axis(scores_all, j[None], 0)[0]
        keep = best > conf
        if cls_filter is not None:
            keep &= np.isin(j, cls_filter)
        idx = np.flatnonzero(keep)
        best, j = best[idx], j[idx]
        if len(idx) > MAX_NMS:
            top = np.argsort(-best, kind="stable")[:MAX_NMS]
            idx, best, j = idx[top], best[top], j[top]
        x = p[:, idx].T  # (n, 4+nc+extra)
        boxes = xywh2xyxy(x[:, :4])
        rows = np.concatenate((boxes, best[:, None], j[:, None].astype(x.dtype), x[:, 4 + nc:]), 1)
        if len(rows) == 0:
            out.append(rows.astype(np.float32))
            continue
        offset = 0.0 if agnostic else j[:, None].astype(boxes.dtype) * np.float32(MAX_WH)
        kept = nms(boxes + offset, best, iou, max_det)
        out.append(rows[kept].astype(np.float32, copy=False))
    return out


def scale_boxes(boxes: np.ndarray, info: LetterboxInfo) -> np.ndarray:
    """Letterboxed input pixels -> frame pixels, clipped to the frame."""
    h0, w0 = info.frame_shape
    b = boxes.astype(np.float32, copy=True)
    b[:, [0, 2]] = np.clip((b[:, [0, 2]] - info.pad_x) / np.float32(info.gain), 0, w0)
    b[:, [1, 3]] = np.clip((b[:, [1, 3]] - info.pad_y) / np.float32(info.gain), 0, h0)
    return b


def scale_keypoints(kpts: np.ndarray, info: LetterboxInfo) -> np.ndarray:
    """(N, K, >=2) input pixels -> frame pixels; the pad is not rounded here, like upstream."""
    h0, w0 = info.frame_shape
    ih, iw = info.input_shape
    gain = min(ih / h0, iw / w0)
    pad_x, pad_y = (iw - w0 * gain) / 2, (ih - h0 * gain) / 2
    k = kpts.astype(np.float32, copy=True)
    k[..., 0] = np.clip((k[..., 0] - np.float32(pad_x)) / np.float32(gain), 0, w0)
    k[..., 1] = np.clip((k[..., 1] - np.float32(pad_y)) / np.float32(gain), 0, h0)
    return k


def crop_mask(masks: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Zero everything outside each box (box coordinates in the masks' own pixel grid)."""
    _, h, w = masks.shape
    x1, y1, x2, y2 = (boxes[:, i, None, None] for i in range(4))
    r = np.arange(w, dtype=boxes.dtype)[None, None, :]
    c = np.arange(h, dtype=boxes.dtype)[None, :, None]
    return masks * ((r >= x1) & (r < x2) & (c >= y1) & (c < y2))


def _resize_stack(m: np.ndarray, size_hw: tuple[int, int], interpolation: int) -> np.ndarray:
    """cv2.resize over a (N, H, W) stack, as channels in chunks (OpenCV takes at most 512)."""
    h, w = size_hw
    parts = []
    for i in range(0, len(m), 512):
        chunk = np.ascontiguousarray(m[i:i + 512].transpose(1, 2, 0))
        r = cv2.resize(chunk, (w, h), interpolation=interpolation)
        parts.append(r.reshape(h, w, -1).transpose(2, 0, 1))
    return np.concatenate(parts)


def process_masks(protos: np.ndarray, coeffs: np.ndarray, boxes: np.ndarray,
                  input_shape: tuple[int, int]) -> np.ndarray:
    """Bool masks (N, H_in, W_in): mask logits upsampled bilinearly (half-pixel centres, as torch's
    align_corners=False) to the input, cropped to each box, thresholded at 0."""
    c, mh, mw = protos.shape
    ih, iw = input_shape
    if coeffs.shape[0] == 0:
        return np.zeros((0, ih, iw), dtype=bool)
    masks = (coeffs.astype(np.float32) @ protos.astype(np.float32).reshape(c, -1)).reshape(-1, mh, mw)
    masks = _resize_stack(masks, (ih, iw), cv2.INTER_LINEAR)
    return crop_mask(masks, boxes.astype(np.float32)) > 0.0


def masks_to_frame(masks: np.ndarray, info: LetterboxInfo) -> np.ndarray:
    """Cut the letterbox padding off input-size masks and resize them to the frame (nearest)."""
    h0, w0 = info.frame_shape
    ih, iw = info.input_shape
    top, left = info.pad_y, info.pad_x
    bottom = ih - int(round((ih - h0 * info.gain) / 2 + 0.1))
    right = iw - int(round((iw - w0 * info.gain) / 2 + 0.1))
    m = masks[:, top:bottom, left:right]
    if m.shape[0] == 0:
        return np.zeros((0, h0, w0), dtype=bool)
    if m.shape[1:] != (h0, w0):
        m = _resize_stack(m.astype(np.uint8), (h0, w0), cv2.INTER_NEAREST)
    return m.astype(bool)


def pool_box_features(feat: np.ndarray, boxes: np.ndarray, stride: int) -> np.ndarray:
    """Appearance embeddings (N, C) float32, unit length: a neck feature map (C, H, W) of one image
    averaged inside each box (`boxes` xyxy in input pixels; the map's cells are `stride` pixels).

    The detector's own features, so a tracker gets appearance without a second network. Like
    Ultralytics' `model: auto` ReID it reads what the Detect head reads; unlike it (the one vector
    at the anchor that produced the box, from whichever level) the whole box is averaged on the
    finest level, which told objects of one class apart best here (BENCHMARKS.md). The sums come
    from one integral image of the channels stacked as rows (C*H, W), OpenCV's SIMD `integral`:
    a box's rows never leave its channel's block, so the other blocks cancel out. Both the numpy
    and the torch path use this one.
    """
    c, h, w = feat.shape
    if len(boxes) == 0:
        return np.zeros((0, c), np.float32)
    integral = cv2.integral(np.ascontiguousarray(feat, dtype=np.float32).reshape(c * h, w), sdepth=cv2.CV_64F)
    b = np.asarray(boxes, dtype=np.float64) / stride
    x1 = np.clip(np.floor(b[:, 0]).astype(np.int64), 0, w - 1)
    y1 = np.clip(np.floor(b[:, 1]).astype(np.int64), 0, h - 1)
    x2 = np.maximum(np.minimum(np.ceil(b[:, 2]).astype(np.int64), w), x1 + 1)
    y2 = np.maximum(np.minimum(np.ceil(b[:, 3]).astype(np.int64), h), y1 + 1)
    block = (np.arange(c) * h)[:, None]  # first row of each channel
    r1, r2 = block + y1, block + y2
    total = integral[r2, x2] - integral[r1, x2] - integral[r2, x1] + integral[r1, x1]  # (C, N)
    mean = (total / ((x2 - x1) * (y2 - y1))).T
    return (mean / np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12)).astype(np.float32)
