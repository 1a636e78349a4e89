"""Constant-velocity Kalman filters for boxes, batched over all tracks: one machinery, three box spaces.

Every tracker here uses the same model: four measured box values, their four velocities,
dt = one frame, H = [I 0]. What differs is the box space and how big the noise is:

- `KalmanFilterXYAH` (ByteTrack, DeepSORT): (cx, cy, w/h, h); noise proportional to the height.
- `KalmanFilterXYWH` (BoT-SORT): (cx, cy, w, h); noise proportional to the width for x and w, to
  the height for y and h, which fits the width better than a fixed aspect ratio.
- `KalmanFilterXYSR` (OC-SORT, from SORT): (cx, cy, area, w/h) with constant noise; the aspect
  ratio has no velocity (its velocity row is held at zero with zero variance, which is the
  official 7-dimensional filter written in 8 dimensions).

So each filter is a table of standard deviations `size * weight + constant` per state dimension
(`size` = the box width or height the filter scales with), and `BatchedKalman` does the algebra
once for all of them on stacked arrays — means (N, 8) and covariances (N, 8, 8) — so a frame
costs a handful of numpy calls, not a Python loop over tracks. The transition matrix is never
multiplied out: F = [[I, I], [0, I]], so F P F^T is a few block additions.
"""

from __future__ import annotations

import numpy as np

STD_POSITION = 1.0 / 20.0
STD_VELOCITY = 1.0 / 160.0
NDIM = 4


def _diagonal(m: np.ndarray) -> np.ndarray:
    """Writable view of the diagonals of stacked square matrices (N, D, D) -> (N, D)."""
    d = m.shape[-1]
    return m.reshape(len(m), d * d)[:, :: d + 1]


def xyxy_to_xyah(xyxy: np.ndarray) -> np.ndarray:
    """Corner boxes (N, 4) -> measurement vectors (cx, cy, w/h, h)."""
    out = xyxy_to_xywh(xyxy)
    out[:, 2] /= out[:, 3]
    return out


def xyah_to_xyxy(xyah: np.ndarray) -> np.ndarray:
    """Means or measurements (N, >=4) -> corner boxes (N, 4)."""
    out = np.empty((len(xyah), 4))
    wh = out[:, 2:]
    wh[:] = xyah[:, 2:4]
    wh[:, 0] *= wh[:, 1]
    np.subtract(xyah[:, :2], wh / 2, out=out[:, :2])
    wh += out[:, :2]
    return out


def xyxy_to_xywh(xyxy: np.ndarray) -> np.ndarray:
    """Corner boxes (N, 4) -> (cx, cy, w, h)."""
    xyxy = np.asarray(xyxy, dtype=np.float64)
    out = np.empty((len(xyxy), 4))
    wh = np.subtract(xyxy[:, 2:], xyxy[:, :2], out=out[:, 2:])
    np.add(xyxy[:, :2], wh / 2, out=out[:, :2])
    return out


def xywh_to_xyxy(xywh: np.ndarray) -> np.ndarray:
    """Means or measurements (N, >=4) in (cx, cy, w, h) -> corner boxes (N, 4)."""
    half = xywh[:, 2:4] / 2
    return np.concatenate([xywh[:, :2] - half, xywh[:, :2] + half], axis=1)


def xyxy_to_xysr(xyxy: np.ndarray) -> np.ndarray:
    """Corner boxes (N, 4) -> (cx, cy, area, w/h); the 1e-6 is SORT's guard against h = 0."""
    out = xyxy_to_xywh(xyxy)
    w, h = out[:, 2].copy(), out[:, 3].copy()
    out[:, 2] = w * h
    out[:, 3] = w / (h + 1e-6)
    return out


def xysr_to_xyxy(xysr: np.ndarray) -> np.ndarray:
    """Means (N, >=4) in (cx, cy, area, w/h) -> corner boxes; a negative area gives NaN (SORT drops those)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.sqrt(xysr[:, 2] * xysr[:, 3])
        h = xysr[:, 2] / w
    return np.stack([xysr[:, 0] - w / 2, xysr[:, 1] - h / 2, xysr[:, 0] + w / 2, xysr[:, 1] + h / 2], axis=1)


class BatchedKalman:
    """The shared algebra. Stateless, so one instance can serve any number of trackers.

    A subclass fixes the box space (`measure`, `boxes`) and the noise table: for each of the
    8 state dimensions, which box size it scales with (`_SIZE`: column 2 or 3 of the mean)
    and the weight and constant of its standard deviation at birth, per predicted frame and
    per measurement (first 4 dimensions).
    """

    _SIZE = np.full(2 * NDIM, 3)  # mean column each dimension's noise scales with
    _INIT_W = _INIT_C = _PROC_W = _PROC_C = np.zeros(2 * NDIM)
    _MEAS_W = _MEAS_C = np.zeros(NDIM)

    def __init__(self) -> None:
        self._init_w, self._proc_w, self._meas_w = self._INIT_W, self._PROC_W, self._MEAS_W
        # One size for every dimension (h for XYAH) needs no fancy indexing.
        self._one_size = int(self._SIZE[0]) if (np.unique(self._SIZE).size == 1) else None

    @staticmethod
    def measure(xyxy: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def boxes(mean: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _variance(self, size_from: np.ndarray, weight: np.ndarray, const: np.ndarray) -> np.ndarray:
        if self._one_size is not None:
            std = size_from[:, self._one_size, None] * weight + const
        else:
            std = size_from[:, self._SIZE[: len(weight)]] * weight + const
        return std * std

    def initiate(self, measurements: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """New tracks from (N, 4) measurements: zero velocity, the filter's birth uncertainty."""
        z = np.asarray(measurements, dtype=np.float64).reshape(-1, NDIM)
        n = len(z)
        mean = np.zeros((n, 2 * NDIM))
        mean[:, :NDIM] = z
        cov = np.zeros((n, 2 * NDIM, 2 * NDIM))
        _diagonal(cov)[:] = self._variance(z, self._init_w, self._INIT_C)
        return mean, cov

    def predict(self, mean: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One frame ahead; process noise from the current box (before the step)."""
        new_mean = mean.copy()
        new_mean[:, :NDIM] += mean[:, NDIM:]
        # F P F^T with F = [[I, I], [0, I]]: add the lower block rows to the upper, then columns.
        p = cov.copy()
        p[:, :NDIM, :] += cov[:, NDIM:, :]
        p[:, :, :NDIM] += p[:, :, NDIM:]
        _diagonal(p)[:] += self._variance(mean, self._proc_w, self._PROC_C)
        return new_mean, p

    def project(self, mean: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Measurement-space mean (N, 4) and innovation covariance (N, 4, 4)."""
        s = np.ascontiguousarray(cov[:, :NDIM, :NDIM])
        _diagonal(s)[:] += self._variance(mean, self._meas_w, self._MEAS_C)
        return mean[:, :NDIM].copy(), s

    def update(
        self, mean: np.ndarray, cov: np.ndarray, measurements: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Posterior for each row given its matched (N, 4) measurement.

        The four (value, velocity) pairs never interact: F, H, the noises and the initial
        covariance are all per coordinate, so covariances from these filters keep zero
        cross-coordinate terms and the innovation covariance S is diagonal. The gain then needs
        a division instead of a batched solve; other covariances (after a camera-motion warp)
        fall back to the solve.
        """
        z = np.asarray(measurements, dtype=np.float64).reshape(-1, NDIM)
        ph = cov[:, :NDIM, :]  # H P: the top rows of P
        if np.count_nonzero(cov[:, :NDIM, :NDIM]) == NDIM * len(cov):  # S diagonal (positive diagonal)
            s_diag = _diagonal(cov)[:, :NDIM] + self._variance(mean, self._meas_w, self._MEAS_C)
            kt = ph / s_diag[:, :, None]  # K^T = S^-1 H P
        else:
            kt = np.linalg.solve(self.project(mean, cov)[1], ph)
        proj_mean = mean[:, :NDIM]
        innovation = z - proj_mean
        new_mean = mean + np.einsum("ni,nij->nj", innovation, kt)
        # P - K S K^T = P - (P H^T) K^T
        new_cov = cov - np.matmul(cov[:, :, :NDIM], kt)
        return new_mean, new_cov


class KalmanFilterXYAH(BatchedKalman):
    """ByteTrack's filter (from DeepSORT): (cx, cy, w/h, h), every noise proportional to h."""

    _SIZE = np.full(2 * NDIM, 3)
    _INIT_W = np.array([2 * STD_POSITION, 2 * STD_POSITION, 0, 2 * STD_POSITION,
                        10 * STD_VELOCITY, 10 * STD_VELOCITY, 0, 10 * STD_VELOCITY])
    _INIT_C = np.array([0, 0, 1e-2, 0, 0, 0, 1e-5, 0])
    _PROC_W = np.array([STD_POSITION, STD_POSITION, 0, STD_POSITION, STD_VELOCITY, STD_VELOCITY, 0, STD_VELOCITY])
    _PROC_C = np.array([0, 0, 1e-2, 0, 0, 0, 1e-5, 0])
    _MEAS_W = np.array([STD_POSITION, STD_POSITION, 0, STD_POSITION])
    _MEAS_C = np.array([0, 0, 1e-1, 0])

    def __init__(self, std_position: float = STD_POSITION, std_velocity: float = STD_VELOCITY) -> None:
        super().__init__()
        self.std_position = std_position
        self.std_velocity = std_velocity
        rp, rv = std_position / STD_POSITION, std_velocity / STD_VELOCITY
        scale = np.array([rp, rp, 1, rp, rv, rv, 1, rv])
        self._init_w, self._proc_w = self._INIT_W * scale, self._PROC_W * scale
        self._meas_w = self._MEAS_W * scale[:NDIM]

    measure = staticmethod(xyxy_to_xyah)
    boxes = staticmethod(xyah_to_xyxy)


class KalmanFilterXYWH(BatchedKalman):
    """BoT-SORT's filter: (cx, cy, w, h); x and w noise proportional to w, y and h noise to h."""

    _SIZE = np.array([2, 3, 2, 3, 2, 3, 2, 3])
    _INIT_W = np.array([2 * STD_POSITION] * NDIM + [10 * STD_VELOCITY] * NDIM)
    _PROC_W = np.array([STD_POSITION] * NDIM + [STD_VELOCITY] * NDIM)
    _MEAS_W = np.array([STD_POSITION] * NDIM)
    _INIT_C = _PROC_C = np.zeros(2 * NDIM)
    _MEAS_C = np.zeros(NDIM)

    measure = staticmethod(xyxy_to_xywh)
    boxes = staticmethod(xywh_to_xyxy)

    @staticmethod
    def warp(mean: np.ndarray, cov: np.ndarray, affine: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Move states by a 2x3 camera-motion affine [R | t], as BoT-SORT does.

        The 2x2 part R acts on every (x, y)-like pair of the state — position, size, and both
        velocities — and t shifts the position only; the covariance becomes R8 P R8^T with
        R8 = diag(R, R, R, R).
        """
        n = len(mean)
        r = np.asarray(affine, dtype=np.float64)[:, :2]
        t = np.asarray(affine, dtype=np.float64)[:, 2]
        new_mean = (mean.reshape(n, NDIM, 2) @ r.T).reshape(n, 2 * NDIM)
        new_mean[:, :2] += t
        c = cov.reshape(n, NDIM, 2, NDIM, 2)
        new_cov = np.einsum("ij,najbk,lk->naibl", r, c, r, optimize=True).reshape(n, 2 * NDIM, 2 * NDIM)
        return new_mean, new_cov


class KalmanFilterXYSR(BatchedKalman):
    """OC-SORT's filter (from SORT): (cx, cy, area, w/h), constant noise, no aspect velocity.

    Variances as the official code sets them: measurement 1, 1, 10, 10; birth 10 for the
    box, 1e4 for the velocities; per frame 1 for the box, 1e-2 for the position velocities
    and 1e-4 for the area velocity.
    """

    _INIT_C = np.sqrt([10.0, 10.0, 10.0, 10.0, 1e4, 1e4, 1e4, 0.0])
    _PROC_C = np.sqrt([1.0, 1.0, 1.0, 1.0, 1e-2, 1e-2, 1e-4, 0.0])
    _MEAS_C = np.sqrt([1.0, 1.0, 10.0, 10.0])

    measure = staticmethod(xyxy_to_xysr)
    boxes = staticmethod(xysr_to_xyxy)
