"""Constant-velocity Kalman filter in (cx, cy, aspect, h) space, batched over all tracks.

Same model and noise as the reference ByteTrack/DeepSORT filter (dt = one frame, noise
proportional to box height), but every call works on stacked arrays — means (N, 8) and
covariances (N, 8, 8) — so the cost per frame is a handful of numpy calls, not one Python
loop iteration per track. The transition matrix is never multiplied out: with dt = 1,
F = [[I, I], [0, I]], so F P F^T is a few block additions.
"""

from __future__ import annotations

import numpy as np

STD_POSITION = 1.0 / 20.0
STD_VELOCITY = 1.0 / 160.0
NDIM = 4


# Standard deviations are `h * weight + constant` per state dimension (h = box height).
_INIT_W = np.array([2 * STD_POSITION, 2 * STD_POSITION, 0, 2 * STD_POSITION,
                    10 * STD_VELOCITY, 10 * STD_VELOCITY, 0, 10 * STD_VELOCITY])
_INIT_C = np.array([0, 0, 1e-2, 0, 0, 0, 1e-5, 0])
_PROC_W = np.array([STD_POSITION, STD_POSITION, 0, STD_POSITION, STD_VELOCITY, STD_VELOCITY, 0, STD_VELOCITY])
_PROC_C = np.array([0, 0, 1e-2, 0, 0, 0, 1e-5, 0])
_MEAS_W = np.array([STD_POSITION, STD_POSITION, 0, STD_POSITION])
_MEAS_C = np.array([0, 0, 1e-1, 0])


def _variance(h: np.ndarray, weight: np.ndarray, const: np.ndarray) -> np.ndarray:
    std = h[:, None] * weight + const
    return std * std


def _diagonal(m: np.ndarray) -> np.ndarray:
    """Writable view of the diagonals of stacked square matrices (N, D, D) -> (N, D)."""
    d = m.shape[-1]
    return m.reshape(len(m), d * d)[:, :: d + 1]


def xyxy_to_xyah(xyxy: np.ndarray) -> np.ndarray:
    """Corner boxes (N, 4) -> measurement vectors (cx, cy, w/h, h)."""
    xyxy = np.asarray(xyxy, dtype=np.float64)
    out = np.empty((len(xyxy), 4))
    wh = np.subtract(xyxy[:, 2:], xyxy[:, :2], out=out[:, 2:])
    np.add(xyxy[:, :2], wh / 2, out=out[:, :2])
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


class KalmanFilterXYAH:
    """Batched filter; stateless, so one instance can serve any number of trackers."""

    def __init__(self, std_position: float = STD_POSITION, std_velocity: float = STD_VELOCITY) -> None:
        self.std_position = std_position
        self.std_velocity = std_velocity
        rp, rv = std_position / STD_POSITION, std_velocity / STD_VELOCITY
        scale = np.array([rp, rp, 1, rp, rv, rv, 1, rv])
        self._init_w, self._proc_w, self._meas_w = _INIT_W * scale, _PROC_W * scale, _MEAS_W * scale[:NDIM]

    def initiate(self, measurements: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """New tracks from (N, 4) xyah measurements: zero velocity, uncertainty scaled by h."""
        z = np.asarray(measurements, dtype=np.float64).reshape(-1, NDIM)
        n = len(z)
        mean = np.zeros((n, 2 * NDIM))
        mean[:, :NDIM] = z
        cov = np.zeros((n, 2 * NDIM, 2 * NDIM))
        _diagonal(cov)[:] = _variance(z[:, 3], self._init_w, _INIT_C)
        return mean, cov

    def predict(self, mean: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One frame ahead; process noise from the current height (before the step)."""
        new_mean = mean.copy()
        new_mean[:, :NDIM] += mean[:, NDIM:]
        # F P F^T with F = [[I, I], [0, I]]: add the lower block rows to the upper, then columns.
        p = cov.copy()
        p[:, :NDIM, :] += cov[:, NDIM:, :]
        p[:, :, :NDIM] += p[:, :, NDIM:]
        _diagonal(p)[:] += _variance(mean[:, 3], self._proc_w, _PROC_C)
        return new_mean, p

    def project(self, mean: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Measurement-space mean (N, 4) and innovation covariance (N, 4, 4)."""
        s = np.ascontiguousarray(cov[:, :NDIM, :NDIM])
        _diagonal(s)[:] += _variance(mean[:, 3], self._meas_w, _MEAS_C)
        return mean[:, :NDIM].copy(), s

    def update(
        self, mean: np.ndarray, cov: np.ndarray, measurements: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Posterior for each row given its matched (N, 4) xyah measurement.

        The four (value, velocity) pairs never interact: F, H, the noises and the initial
        covariance are all per coordinate, so covariances from this filter keep zero
        cross-coordinate terms and the innovation covariance S is diagonal. The gain then needs
        a division instead of a batched solve; other covariances fall back to the solve.
        """
        z = np.asarray(measurements, dtype=np.float64).reshape(-1, NDIM)
        ph = cov[:, :NDIM, :]  # H P: the top rows of P
        if np.count_nonzero(cov[:, :NDIM, :NDIM]) == NDIM * len(cov):  # S diagonal (positive diagonal)
            s_diag = _diagonal(cov)[:, :NDIM] + _variance(mean[:, 3], self._meas_w, _MEAS_C)
            kt = ph / s_diag[:, :, None]  # K^T = S^-1 H P
        else:
            kt = np.linalg.solve(self.project(mean, cov)[1], ph)
        proj_mean = mean[:, :NDIM]
        innovation = z - proj_mean
        new_mean = mean + np.einsum("ni,nij->nj", innovation, kt)
        # P - K S K^T = P - (P H^T) K^T
        new_cov = cov - np.matmul(cov[:, :, :NDIM], kt)
        return new_mean, new_cov
