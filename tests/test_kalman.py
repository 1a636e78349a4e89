"""The batched Kalman filter against filterpy's textbook filter and hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest
from filterpy.kalman import KalmanFilter

from yolotrack.tracker.kalman import (
    STD_POSITION,
    STD_VELOCITY,
    KalmanFilterXYAH,
    KalmanFilterXYSR,
    KalmanFilterXYWH,
    xyah_to_xyxy,
    xyxy_to_xyah,
)


def _filterpy_twin(mean: np.ndarray, cov: np.ndarray) -> KalmanFilter:
    """filterpy configured as the reference: dt = 1 frame, H = [I 0], noise set per step."""
    kf = KalmanFilter(dim_x=8, dim_z=4)
    kf.F = np.eye(8)
    kf.F[:4, 4:] = np.eye(4)
    kf.H = np.eye(4, 8)
    kf.x = mean.reshape(8, 1).copy()
    kf.P = cov.copy()
    return kf


def _process_noise(h: float) -> np.ndarray:
    sp, sv = STD_POSITION * h, STD_VELOCITY * h
    return np.diag(np.square([sp, sp, 1e-2, sp, sv, sv, 1e-5, sv]))


def _measurement_noise(h: float) -> np.ndarray:
    sp = STD_POSITION * h
    return np.diag(np.square([sp, sp, 1e-1, sp]))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_filterpy_on_random_sequences(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_tracks, steps = 12, 60
    kf = KalmanFilterXYAH()
    # Random boxes moving with random velocities, measured with noise, sometimes missed.
    z0 = np.column_stack([rng.uniform(50, 1800, n_tracks), rng.uniform(50, 1000, n_tracks),
                          rng.uniform(0.3, 0.8, n_tracks), rng.uniform(20, 400, n_tracks)])
    vel = np.column_stack([rng.normal(0, 5, n_tracks), rng.normal(0, 5, n_tracks),
                           rng.normal(0, 0.002, n_tracks), rng.normal(0, 1, n_tracks)])
    mean, cov = kf.initiate(z0)
    twins = [_filterpy_twin(mean[i], cov[i]) for i in range(n_tracks)]
    truth = z0.copy()
    worst = 0.0
    for _ in range(steps):
        truth = truth + vel
        for tw in twins:
            tw.predict(Q=_process_noise(tw.x[3, 0]))
        mean, cov = kf.predict(mean, cov)
        seen = rng.random(n_tracks) < 0.8
        z = truth + rng.normal(0, 1, truth.shape) * np.array([3, 3, 0.01, 3])
        rows = np.flatnonzero(seen)
        if len(rows):
            mean[rows], cov[rows] = kf.update(mean[rows], cov[rows], z[rows])
        for i in rows:
            twins[i].update(z[i].reshape(4, 1), R=_measurement_noise(twins[i].x[3, 0]))
        for i, tw in enumerate(twins):
            np.testing.assert_allclose(mean[i], tw.x[:, 0], rtol=1e-9, atol=1e-9)
            np.testing.assert_allclose(cov[i], tw.P, rtol=1e-9, atol=1e-9)
            worst = max(worst, float(np.abs(mean[i] - tw.x[:, 0]).max()))
    assert worst < 1e-9


def test_initiate_uses_reference_noise_weights() -> None:
    kf = KalmanFilterXYAH()
    mean, cov = kf.initiate(np.array([[100.0, 50.0, 0.5, 200.0]]))
    np.testing.assert_array_equal(mean[0], [100, 50, 0.5, 200, 0, 0, 0, 0])
    # position std 2 * h / 20 = 20, aspect 1e-2; velocity std 10 * h / 160 = 12.5, aspect vel 1e-5
    np.testing.assert_allclose(np.diag(cov[0]), np.square([20, 20, 1e-2, 20, 12.5, 12.5, 1e-5, 12.5]))
    assert np.count_nonzero(cov[0] - np.diag(np.diag(cov[0]))) == 0


def test_predict_one_step_by_hand() -> None:
    kf = KalmanFilterXYAH()
    mean = np.array([[10.0, 20.0, 0.5, 100.0, 1.0, -2.0, 0.0, 3.0]])
    cov = np.diag([4.0, 4.0, 1e-4, 4.0, 1.0, 1.0, 1e-10, 1.0])[None]
    m2, p2 = kf.predict(mean, cov)
    np.testing.assert_allclose(m2[0], [11, 18, 0.5, 103, 1, -2, 0, 3])
    # P' = F P F^T + Q: position variance 4 + 1 (velocity) + (h/20)^2 = 5 + 25; cross term = 1
    q_pos, q_vel = (100 / 20) ** 2, (100 / 160) ** 2
    assert p2[0, 0, 0] == pytest.approx(4 + 1 + q_pos)
    assert p2[0, 0, 4] == pytest.approx(1.0)
    assert p2[0, 4, 4] == pytest.approx(1 + q_vel)
    assert p2[0, 2, 2] == pytest.approx(1e-4 + 1e-10 + 1e-4)


def test_update_pulls_towards_measurement_and_shrinks_uncertainty() -> None:
    kf = KalmanFilterXYAH()
    mean, cov = kf.initiate(np.array([[100.0, 100.0, 0.5, 100.0]]))
    mean, cov = kf.predict(mean, cov)
    m2, p2 = kf.update(mean, cov, np.array([[110.0, 100.0, 0.5, 100.0]]))
    assert 100 < m2[0, 0] < 110
    assert m2[0, 4] > 0  # velocity picked up the motion
    assert np.all(np.diag(p2[0])[:4] < np.diag(cov[0])[:4])
    np.testing.assert_allclose(p2[0], p2[0].T, atol=1e-9)


def test_box_conversions_round_trip() -> None:
    boxes = np.array([[10.0, 20.0, 50.0, 120.0], [0.5, 0.25, 3.5, 8.25]])
    xyah = xyxy_to_xyah(boxes)
    np.testing.assert_allclose(xyah[0], [30, 70, 0.4, 100])
    np.testing.assert_allclose(xyah_to_xyxy(xyah), boxes)


def test_empty_batches() -> None:
    kf = KalmanFilterXYAH()
    mean, cov = kf.initiate(np.zeros((0, 4)))
    assert mean.shape == (0, 8) and cov.shape == (0, 8, 8)
    m, p = kf.predict(mean, cov)
    assert m.shape == (0, 8) and p.shape == (0, 8, 8)


def test_update_with_a_full_covariance_uses_the_general_solve() -> None:
    rng = np.random.default_rng(5)
    kf = KalmanFilterXYAH()
    a = rng.normal(size=(8, 8))
    cov = a @ a.T + 8 * np.eye(8)  # cross-coordinate terms: S is not diagonal
    mean = np.array([300.0, 200.0, 0.5, 120.0, 1.0, 0.0, 0.0, 0.5])
    z = np.array([305.0, 198.0, 0.52, 118.0])
    twin = _filterpy_twin(mean, cov)
    twin.update(z.reshape(4, 1), R=_measurement_noise(mean[3]))
    m2, p2 = kf.update(mean[None], cov[None], z[None])
    np.testing.assert_allclose(m2[0], twin.x[:, 0], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(p2[0], twin.P, rtol=1e-9, atol=1e-9)


def _xywh_noise(w: float, h: float, weight: float) -> list[float]:
    return [weight * w, weight * h, weight * w, weight * h]


def _official_noise(kind: str, box: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Birth covariance, process noise and measurement noise as the official trackers write them."""
    if kind == "xywh":  # BoT-SORT tracker/kalman_filter.py
        w, h = box[2], box[3]
        p0 = np.square(_xywh_noise(w, h, 2 * STD_POSITION) + _xywh_noise(w, h, 10 * STD_VELOCITY))
        q = np.square(_xywh_noise(w, h, STD_POSITION) + _xywh_noise(w, h, STD_VELOCITY))
        r = np.square(_xywh_noise(w, h, STD_POSITION))
        return np.diag(p0), np.diag(q), np.diag(r)
    # OC-SORT (SORT) ocsort.py: P = 10 I, velocities x 1000; Q velocities x 0.01, area velocity x 1e-4; R 1, 1, 10, 10
    return (np.diag([10.0, 10, 10, 10, 1e4, 1e4, 1e4, 0]), np.diag([1.0, 1, 1, 1, 1e-2, 1e-2, 1e-4, 0]),
            np.diag([1.0, 1, 10, 10]))


@pytest.mark.parametrize(("kind", "cls"), [("xywh", KalmanFilterXYWH), ("xysr", KalmanFilterXYSR)])
def test_other_filters_match_their_official_noise_through_filterpy(kind: str, cls: type) -> None:
    rng = np.random.default_rng(3)
    kf = cls()
    n = 6
    z0 = np.column_stack([rng.uniform(50, 1800, n), rng.uniform(50, 1000, n), rng.uniform(20, 300, n),
                          rng.uniform(40, 400, n)])
    if kind == "xysr":
        z0[:, 2], z0[:, 3] = z0[:, 2] * z0[:, 3], z0[:, 2] / z0[:, 3]
    mean, cov = kf.initiate(z0)
    twins = []
    for i in range(n):
        p0, _, _ = _official_noise(kind, z0[i])
        np.testing.assert_allclose(cov[i], p0, rtol=1e-12)
        twins.append(_filterpy_twin(mean[i], cov[i]))
    vel = rng.normal(0, 2, (n, 4)) * np.array([1, 1, 1 if kind == "xywh" else 20, 1 if kind == "xywh" else 0])
    truth = z0.copy()
    for _ in range(40):
        truth = truth + vel
        for tw in twins:
            tw.predict(Q=_official_noise(kind, tw.x[:4, 0])[1])
        mean, cov = kf.predict(mean, cov)
        rows = np.flatnonzero(rng.random(n) < 0.8)
        z = truth + rng.normal(0, 1, truth.shape)
        if len(rows):
            mean[rows], cov[rows] = kf.update(mean[rows], cov[rows], z[rows])
        for i in rows:
            twins[i].update(z[i].reshape(4, 1), R=_official_noise(kind, twins[i].x[:4, 0])[2])
        for i, tw in enumerate(twins):
            np.testing.assert_allclose(mean[i], tw.x[:, 0], rtol=1e-8, atol=1e-8)
            np.testing.assert_allclose(cov[i], tw.P, rtol=1e-8, atol=1e-8)


def test_xysr_boxes_round_trip_and_a_negative_area_is_not_a_box() -> None:
    boxes = np.array([[10.0, 20.0, 50.0, 120.0]])
    z = KalmanFilterXYSR.measure(boxes)
    np.testing.assert_allclose(z[0], [30, 70, 4000, 40 / (100 + 1e-6)])
    np.testing.assert_allclose(KalmanFilterXYSR.boxes(z), boxes, atol=1e-4)
    assert np.isnan(KalmanFilterXYSR.boxes(np.array([[0.0, 0, -5, 1]]))).all()
