"""Image + box augmentations for training, and the letterbox used for validation.

Boxes travel with the image as (N,4) xyxy pixels; every geometric step transforms them the same way
and drops boxes that end up mostly outside the picture.
"""

from __future__ import annotations

import cv2
import numpy as np

PAD_VALUE = 114


def letterbox(image: np.ndarray, size: int, boxes: np.ndarray | None = None, scaleup: bool = True
              ) -> tuple[np.ndarray, np.ndarray | None, float, tuple[float, float]]:
    """Resize keeping aspect and pad to size x size (centred); returns image, boxes, gain, (padx, pady)."""
    h, w = image.shape[:2]
    r = size / max(h, w)
    if not scaleup:
        r = min(r, 1.0)
    nw, nh = round(w * r), round(h * r)
    if (nw, nh) != (w, h):
        image = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_LINEAR)
    dw, dh = (size - nw) / 2, (size - nh) / 2
    top, bottom = round(dh - 0.1), round(dh + 0.1)
    left, right = round(dw - 0.1), round(dw + 0.1)
    image = cv2.copyMakeBorder(image, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(PAD_VALUE,) * 3)
    if boxes is not None:
        boxes = boxes * r + np.array([left, top, left, top], np.float32)
    return image, boxes, r, (float(left), float(top))


def random_affine(image: np.ndarray, boxes: np.ndarray, size: int, rng: np.random.Generator,
                  scale: tuple[float, float] = (0.6, 1.4), translate: float = 0.2,
                  min_keep: float = 0.35, view_size: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random scale + translation into a size x size canvas; returns image, boxes, kept-row mask.

    Scale 1 means the image is fitted to `view_size` (default `size`). Training on size x size crops
    with a larger `view_size` shows objects at the pixel size inference at `view_size` will see,
    at a fraction of the compute.
    """
    m = affine_matrix(image.shape[:2], boxes, size, rng, scale, translate, view_size)
    return apply_affine(image, boxes, m, size, min_keep)


def affine_matrix(hw: tuple[int, int], boxes: np.ndarray, size: int, rng: np.random.Generator,
                  scale: tuple[float, float] = (0.6, 1.4), translate: float = 0.2,
                  view_size: int | None = None) -> np.ndarray:
    """The (2,3) scale + translation `random_affine` applies; polygons and keypoints go through it too."""
    h, w = hw
    s = float(rng.uniform(*scale)) * (view_size or size) / max(h, w)
    # centre of the source that lands at the canvas centre, jittered
    cx = w / 2 + float(rng.uniform(-0.5, 0.5)) * w * (1 - min(1.0, size / (w * s))) + \
        float(rng.uniform(-translate, translate)) * size / s
    cy = h / 2 + float(rng.uniform(-0.5, 0.5)) * h * (1 - min(1.0, size / (h * s))) + \
        float(rng.uniform(-translate, translate)) * size / s
    if len(boxes) and rng.random() < 0.7:  # usually centre near an object so crops are not empty
        b = boxes[int(rng.integers(len(boxes)))]
        cx = (b[0] + b[2]) / 2 + float(rng.uniform(-0.35, 0.35)) * size / s
        cy = (b[1] + b[3]) / 2 + float(rng.uniform(-0.35, 0.35)) * size / s
    return np.array([[s, 0, size / 2 - s * cx], [0, s, size / 2 - s * cy]], np.float32)


def apply_affine(image: np.ndarray, boxes: np.ndarray, m: np.ndarray, size: int, min_keep: float = 0.35
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Warp into the size x size canvas; boxes clipped, those mostly pushed out dropped (kept-row mask)."""
    out = cv2.warpAffine(image, m, (size, size), flags=cv2.INTER_LINEAR, borderValue=(PAD_VALUE,) * 3)
    if len(boxes) == 0:
        return out, boxes.reshape(0, 4), np.zeros(0, bool)
    s = float(m[0, 0])
    nb = boxes * s + np.array([m[0, 2], m[1, 2], m[0, 2], m[1, 2]], np.float32)
    area0 = (nb[:, 2] - nb[:, 0]) * (nb[:, 3] - nb[:, 1])
    nb = nb.clip(0, size)
    bw, bh = nb[:, 2] - nb[:, 0], nb[:, 3] - nb[:, 1]
    keep = (bw > 2) & (bh > 2) & (bw * bh > min_keep * np.maximum(area0, 1e-6))
    return out, nb[keep], keep


def augment_hsv(image: np.ndarray, rng: np.random.Generator, hgain: float = 0.015, sgain: float = 0.6,
                vgain: float = 0.4) -> np.ndarray:
    """Random hue/saturation/value gains through lookup tables (in place of a float HSV round trip)."""
    r = rng.uniform(-1, 1, 3) * (hgain, sgain, vgain) + 1
    hue, sat, val = cv2.split(cv2.cvtColor(image, cv2.COLOR_BGR2HSV))
    x = np.arange(256, dtype=np.float32)
    lut_h = ((x * r[0]) % 180).astype(np.uint8)
    lut_s = np.clip(x * r[1], 0, 255).astype(np.uint8)
    lut_v = np.clip(x * r[2], 0, 255).astype(np.uint8)
    hsv = cv2.merge((cv2.LUT(hue, lut_h), cv2.LUT(sat, lut_s), cv2.LUT(val, lut_v)))
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)


def hflip(image: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    w = image.shape[1]
    out = boxes.copy()
    out[:, 0], out[:, 2] = w - boxes[:, 2], w - boxes[:, 0]
    return np.ascontiguousarray(image[:, ::-1]), out
