"""Global motion compensation: how the camera moved between two frames, as one 2x3 affine warp.

BoT-SORT predicts every track with a constant-velocity model in image coordinates, so a pan
or a shake moves every box at once and breaks the association. Estimating that motion from the
frames and warping the track states by it (`KalmanFilterXYWH.warp`) removes it. Two methods,
both on a small grey copy of the frame:

- `sparse` (BoT-SORT's default, "sparseOptFlow"): corners of the previous frame followed into
  this one with pyramidal Lucas-Kanade, then a RANSAC rotation + scale + translation fit.
  Corners are not taken inside the boxes of the objects being tracked (`foreground`): those
  move on their own, and when their corners outnumber the background's (textured objects on a
  plain wall) RANSAC fits the objects' motion and a still camera appears to pan.
- `ecc`: OpenCV's enhanced correlation coefficient maximisation for a Euclidean warp (rotation
  + translation), coarse to fine over two pyramid levels.

Departures from the official code (NirAharon/BoT-SORT `tracker/gmc.py`), for speed: the frame is
shrunk to a fixed working width (`width`, default 320 px) instead of by a factor of 2, so the
cost does not grow with the camera's resolution; the sparse method keeps at most 150 corners
(official: 1000) spread at least width/40 pixels apart and follows them with 11x11 windows
(OpenCV's default: 21x21); ECC runs 2 levels with 30 iterations
each and a 5x5 Gaussian (official: one level, up to 5000 iterations) so a large shift converges
too. The sparse method leaves the tracked objects' boxes out of its corners, as the official ORB
and SIFT methods leave out the detections (its sparseOptFlow uses the whole frame). ORB, SIFT and
precomputed warp files are not offered. A frame of a different size than the
previous one (a stream that changed resolution) starts over with the identity.
"""

from __future__ import annotations

import logging
from typing import Any

import cv2
import numpy as np

log = logging.getLogger(__name__)

METHODS = ("none", "sparse", "ecc")
WINDOW = 11  # Lucas-Kanade window (working pixels)
IDENTITY = np.eye(2, 3)


class CameraMotion:
    """Per-source estimator: `estimate(frame)` returns the warp from the previous frame to this one.

    The warp maps a point of the previous frame, in full-resolution pixels, to where it is now;
    the first frame (or one after `reset`) returns the identity.
    """

    def __init__(self, method: str = "sparse", width: int = 320) -> None:
        if method not in METHODS:
            raise ValueError(f"unknown camera-motion method {method!r}; choose one of {', '.join(METHODS)}")
        self.method = method
        self.width = int(width)
        self.reset()

    def reset(self) -> None:
        self._prev: np.ndarray | None = None  # previous working-size grey frame
        self._corners: np.ndarray | None = None  # its corners (sparse)
        self._shape: tuple[int, ...] | None = None

    def state(self) -> dict[str, Any]:
        """The previous frame (working size) and its corners: what the next estimate compares with."""
        return {"prev": None if self._prev is None else self._prev.copy(),
                "corners": None if self._corners is None else self._corners.copy(), "shape": self._shape}

    def restore(self, state: dict[str, Any]) -> None:
        self._prev, self._corners, self._shape = state["prev"], state["corners"], state["shape"]

    def estimate(self, frame: np.ndarray, foreground: np.ndarray | None = None) -> np.ndarray:
        """The (2, 3) float64 warp previous -> this frame (full-resolution pixels).

        `foreground`: (K, 4) xyxy boxes (full-resolution pixels) of moving objects in `frame`;
        the sparse method picks no corners inside them for the next estimate.
        """
        if self.method == "none":
            return IDENTITY.copy()
        if frame.shape != self._shape:
            self.reset()
            self._shape = frame.shape
        grey, scale = self._small_grey(frame)
        prev, self._prev = self._prev, grey
        if self.method == "sparse":
            warp = self._sparse(prev, grey, self._background(grey.shape, foreground, scale))
        else:
            warp = self._ecc(prev, grey)
        if warp is None:
            return IDENTITY.copy()
        warp = warp.astype(np.float64)
        warp[:, 2] /= scale  # rotation and scale are size-free; the shift is in working pixels
        return warp

    def _small_grey(self, frame: np.ndarray) -> tuple[np.ndarray, float]:
        grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
        h, w = grey.shape[:2]
        scale = min(1.0, self.width / w)
        if scale < 1.0:
            grey = cv2.resize(grey, (max(1, round(w * scale)), max(1, round(h * scale))),
                              interpolation=cv2.INTER_AREA)
        return grey, scale

    @staticmethod
    def _background(shape: tuple[int, ...], foreground: np.ndarray | None, scale: float) -> np.ndarray | None:
        """A uint8 mask of the working-size frame, 0 inside the foreground boxes (None: no boxes).

        The boxes grow by half the flow window: a corner just outside a box is followed with a
        window that still sees the object, and moves with it.
        """
        if foreground is None or len(foreground) == 0:
            return None
        h, w = shape[:2]
        b = np.asarray(foreground, dtype=np.float64).reshape(-1, 4) * scale
        size = np.array([w, h, w, h])
        box = np.concatenate([np.floor(b[:, :2] - WINDOW // 2), np.ceil(b[:, 2:] + WINDOW // 2)], 1)
        mask = np.full((h, w), 255, np.uint8)
        for x1, y1, x2, y2 in np.clip(box, 0, size).astype(np.int64).tolist():
            mask[y1:y2, x1:x2] = 0
        return mask

    def _sparse(self, prev: np.ndarray | None, grey: np.ndarray, mask: np.ndarray | None) -> np.ndarray | None:
        prev_corners = self._corners
        self._corners = cv2.goodFeaturesToTrack(grey, maxCorners=150, qualityLevel=0.01,
                                                minDistance=max(1, grey.shape[1] // 40), blockSize=3, mask=mask)
        if prev is None or prev_corners is None or len(prev_corners) < 5:
            return None
        moved, status, _ = cv2.calcOpticalFlowPyrLK(prev, grey, prev_corners, None, winSize=(WINDOW, WINDOW),
                                                    maxLevel=3)
        ok = status.reshape(-1) == 1
        if ok.sum() < 5:
            log.debug("camera motion: only %d corners followed; assuming a still camera", int(ok.sum()))
            return None
        warp, _ = cv2.estimateAffinePartial2D(prev_corners[ok], moved[ok], method=cv2.RANSAC,
                                              ransacReprojThreshold=1.0)
        return warp

    def _ecc(self, prev: np.ndarray | None, grey: np.ndarray) -> np.ndarray | None:
        if prev is None:
            return None
        criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 1e-4)
        coarse = (cv2.pyrDown(prev), cv2.pyrDown(grey))
        warp = np.eye(2, 3, dtype=np.float32)
        try:
            for level, (a, b) in enumerate((coarse, (prev, grey))):
                if level:
                    warp[:, 2] *= 2.0  # coarse shift to the finer level's pixels
                _, warp = cv2.findTransformECC(a, b, warp, cv2.MOTION_EUCLIDEAN, criteria, None, 5)
        except cv2.error as e:  # no convergence (flat or changed scene): treat as no motion
            log.debug("camera motion: ECC did not converge (%s)", str(e).strip().splitlines()[-1])
            return None
        return warp
