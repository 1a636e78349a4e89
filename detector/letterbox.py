"""Letterboxing exactly like Ultralytics predict: resize keeping aspect, pad 114, halves rounded."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class LetterboxInfo:
    """How a frame maps into the network input: `input = frame * gain + (pad_x, pad_y)`."""

    gain: float
    pad_x: int
    pad_y: int
    frame_shape: tuple[int, int]  # (h, w) of the original frame
    input_shape: tuple[int, int]  # (h, w) of the letterboxed tensor


def input_shape(frame_hw: tuple[int, int], imgsz: int, stride: int = 32, auto: bool = True) -> tuple[int, int]:
    """Network input (h, w): minimal stride-multiple rectangle when `auto`, else imgsz x imgsz."""
    h, w = frame_hw
    r = min(imgsz / h, imgsz / w)
    nw, nh = int(round(w * r)), int(round(h * r))
    if not auto:
        return imgsz, imgsz
    dw, dh = (imgsz - nw) % stride, (imgsz - nh) % stride
    return nh + dh, nw + dw


def letterbox(img: np.ndarray, new_shape: tuple[int, int]) -> tuple[np.ndarray, LetterboxInfo]:
    """Resize `img` into `new_shape` (h, w) keeping aspect, centre it on a 114-grey canvas."""
    h, w = img.shape[:2]
    nh_t, nw_t = new_shape
    r = min(nh_t / h, nw_t / w)
    nw, nh = int(round(w * r)), int(round(h * r))
    dw, dh = (nw_t - nw) / 2, (nh_t - nh) / 2
    if (w, h) != (nw, nh):
        img = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_LINEAR)
    top, bottom = int(round(dh - 0.1)), int(round(dh + 0.1))
    left, right = int(round(dw - 0.1)), int(round(dw + 0.1))
    if top or bottom or left or right:
        img = cv2.copyMakeBorder(img, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(114, 114, 114))
    return img, LetterboxInfo(r, left, top, (h, w), (nh_t, nw_t))
