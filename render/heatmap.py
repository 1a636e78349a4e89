"""A heatmap picture: seconds of presence per cell, smoothed, coloured and blended over a frame.

The colour scale runs from the first visible heat to the most visited place (the 99.5th
percentile, so one parked object does not wash out the rest); places nobody visited stay the
background. A legend shows the scale and the total track time it was made from.
"""

from __future__ import annotations

import cv2
import numpy as np

_FONT = cv2.FONT_HERSHEY_SIMPLEX


def blend_heatmap(background: np.ndarray, seconds: np.ndarray, radius: float = 0.02,
                  opacity: float = 0.6) -> np.ndarray:
    """`background` (H, W, 3) BGR with `seconds` (a coarse grid over it) drawn on top.

    `radius`: the smoothing, as a fraction of the frame diagonal; `opacity`: of the hottest cells.
    """
    h, w = background.shape[:2]
    heat = cv2.resize(seconds.astype(np.float32), (w, h), interpolation=cv2.INTER_NEAREST)
    cell_area = (w / seconds.shape[1]) * (h / seconds.shape[0])
    heat /= max(cell_area, 1.0)  # seconds per pixel: the blur keeps the total
    sigma = radius * float(np.hypot(w, h))
    if sigma > 0.5:
        heat = cv2.GaussianBlur(heat, (0, 0), sigma)
    out = background.copy()
    positive = heat[heat > 0]
    if positive.size == 0:
        return out
    top = float(np.percentile(positive, 99.5))
    level = np.clip(heat / top, 0.0, 1.0) if top > 0 else np.zeros_like(heat)
    colored = cv2.applyColorMap((level * 255).astype(np.uint8), cv2.COLORMAP_TURBO)
    alpha = (opacity * np.sqrt(level))[..., None]
    alpha[level < 0.02] = 0.0  # untouched ground stays the picture
    out = (out.astype(np.float32) * (1 - alpha) + colored.astype(np.float32) * alpha).round().astype(np.uint8)
    _legend(out, f"time spent: low to high (all tracks: {float(seconds.sum()):.0f} s)")
    return out


def _legend(out: np.ndarray, text: str) -> None:
    """The colour ramp and `text` on a dark strip in the bottom-left corner."""
    h, w = out.shape[:2]
    fs = max(0.4, min(w, h) / 900)
    tf = max(1, int(round(fs * 1.5)))
    (tw, th), base = cv2.getTextSize(text, _FONT, fs, tf)
    bar_w = min(w - 20, max(120, tw))
    box_h = th + base + 22
    x, y = 6, h - 6 - box_h
    strip = out[y: y + box_h, x: x + bar_w + 8]
    strip[:] = (strip.astype(np.float32) * 0.35).astype(np.uint8)
    cv2.putText(out, text, (x + 4, y + 4 + th), _FONT, fs, (255, 255, 255), tf, cv2.LINE_AA)
    ramp = cv2.applyColorMap(np.linspace(0, 255, bar_w).astype(np.uint8)[None, :], cv2.COLORMAP_TURBO)
    out[y + th + base + 8: y + th + base + 18, x + 4: x + 4 + bar_w] = np.repeat(ramp, 10, axis=0)
