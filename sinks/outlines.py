"""Mask outlines for the exports that store polygons (CVAT tracks, COCO polygon segmentations)."""

from __future__ import annotations

import cv2
import numpy as np


def mask_contours(mask: np.ndarray) -> list[np.ndarray]:
    """Outer contours (each (P,1,2) int32, frame pixels) of a bool mask, traced through its boundary
    pixels inside the mask's bounding rectangle only (a full-frame trace per object is slow)."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return []
    y0, x0 = int(rows[0]), int(cols[0])
    crop = np.ascontiguousarray(mask[y0: int(rows[-1]) + 1, x0: int(cols[-1]) + 1], dtype=np.uint8)
    contours, _ = cv2.findContours(crop, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE, offset=(x0, y0))
    return list(contours)
