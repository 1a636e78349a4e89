"""Camera-motion compensation: estimates on real frames moved by a known warp, and the state warp."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from yolotrack.tracker.botsort import BotSortTracker
from yolotrack.tracker.gmc import WINDOW, CameraMotion
from yolotrack.tracker.kalman import KalmanFilterXYWH


@pytest.fixture(scope="module")
def frame(fixtures_dir) -> np.ndarray:
    """A real 1280x720 video frame (the detector fixture's predict image)."""
    return np.load(fixtures_dir / "ultralytics_yolo12n_io.npz")["predict_img"]


def affine(angle: float, tx: float, ty: float, scale: float = 1.0) -> np.ndarray:
    c, s = scale * np.cos(angle), scale * np.sin(angle)
    return np.array([[c, -s, tx], [s, c, ty]])


@pytest.mark.parametrize("method", ["sparse", "ecc"])
@pytest.mark.parametrize(("angle", "tx", "ty"), [(0.0, 30.0, 10.0), (0.01, 12.5, -7.25), (0.002, -3.0, 2.0)])
def test_estimate_recovers_a_known_warp_of_a_real_frame(frame, method, angle, tx, ty) -> None:
    h, w = frame.shape[:2]
    truth = affine(angle, tx, ty)
    moved = cv2.warpAffine(frame, truth, (w, h), borderMode=cv2.BORDER_REFLECT)
    gmc = CameraMotion(method)
    np.testing.assert_array_equal(gmc.estimate(frame), np.eye(2, 3))  # first frame: nothing to compare
    est = gmc.estimate(moved)
    assert np.abs(est[:, 2] - truth[:, 2]).max() < 0.5, est  # pixels at 1280x720
    assert np.abs(est[:, :2] - truth[:, :2]).max() < 2e-3, est


def test_a_still_camera_a_blank_frame_and_a_new_resolution_give_the_identity(frame) -> None:
    gmc = CameraMotion("sparse")
    gmc.estimate(frame)
    np.testing.assert_allclose(gmc.estimate(frame), np.eye(2, 3), atol=1e-6)
    blank = np.zeros_like(frame)
    np.testing.assert_array_equal(gmc.estimate(blank), np.eye(2, 3))  # no corners: no motion, no error
    small = cv2.resize(frame, (640, 360))
    np.testing.assert_array_equal(gmc.estimate(small), np.eye(2, 3))  # another size starts over
    assert np.abs(gmc.estimate(np.roll(small, 5, axis=1))[0, 2] - 5.0) < 0.5


def board_before_a_wall(frame: np.ndarray, x: int) -> tuple[np.ndarray, np.ndarray]:
    """A plain wall (the frame, blurred and faded) with a 320 px checkerboard at `x`, and its box."""
    wall = cv2.addWeighted(cv2.GaussianBlur(frame, (0, 0), 3), 0.3, np.full_like(frame, 128), 0.7, 0)
    wall[200:520, x:x + 320] = cv2.cvtColor((np.indices((320, 320)).sum(0) // 16 % 2 * 255).astype(np.uint8),
                                            cv2.COLOR_GRAY2BGR)
    return wall, np.array([[x, 200, x + 320, 520]], float)


def test_a_textured_object_moving_before_a_still_camera_is_not_taken_for_a_pan(frame) -> None:
    """Its corners outnumber the plain background's: unmasked, the fit follows the object; with its
    box given as foreground, the estimate is the still camera."""
    estimates = {}
    for masked in (False, True):
        gmc = CameraMotion("sparse")
        for x in range(300, 348, 12):  # 12 px to the right per frame
            image, box = board_before_a_wall(frame, x)
            warp = gmc.estimate(image, box if masked else None)
        estimates[masked] = warp
    assert abs(estimates[False][0, 2] - 12.0) < 1.0, estimates[False]  # the object's motion, not the camera's
    np.testing.assert_allclose(estimates[True], np.eye(2, 3), atol=0.05)


def test_botsort_keeps_camera_motion_corners_off_its_detections_and_coasted_tracks(frame) -> None:
    tracker = BotSortTracker(track_thresh=0.5, new_track_thresh=0.6)
    scale = tracker.motion.width / frame.shape[1]

    def corners_clear_of(box: np.ndarray) -> bool:
        """No corner within half the flow window of `box` (working pixels, one pixel for rounding)."""
        pts = tracker.motion._corners.reshape(-1, 2)
        x1, y1, x2, y2 = box[0] * scale + np.array([-1, -1, 1, 1]) * (WINDOW // 2 - 1)
        inside = (pts[:, 0] > x1) & (pts[:, 0] < x2) & (pts[:, 1] > y1) & (pts[:, 1] < y2)
        return len(pts) > 0 and not inside.any()

    for i, x in enumerate(range(300, 360, 12)):  # noqa: B007 (i is used after the loop)
        image, box = board_before_a_wall(frame, x)
        out = tracker.update(box, np.array([0.9]), image=image)
        assert corners_clear_of(box)
    assert len(out) == 1 and abs(out[0, 0] - x) < 2.0  # the still camera did not shift the track
    image, _ = board_before_a_wall(frame, x + 12)
    coasted = tracker.coast(i + 1, image=image)  # no detections: the tracked box is the foreground
    assert corners_clear_of(coasted.xyxy)


def test_ecc_on_a_flat_frame_falls_back_to_the_identity() -> None:
    gmc = CameraMotion("ecc")
    flat = np.full((360, 640, 3), 127, np.uint8)
    gmc.estimate(flat)
    np.testing.assert_array_equal(gmc.estimate(flat), np.eye(2, 3))


def test_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown camera-motion method 'orb'"):
        CameraMotion("orb")


def test_warp_moves_mean_and_covariance_as_botsort_does() -> None:
    rng = np.random.default_rng(0)
    kf = KalmanFilterXYWH()
    mean, cov = kf.initiate(rng.uniform(20, 400, (5, 4)))
    mean[:, 4:] = rng.normal(0, 3, (5, 4))
    mean, cov = kf.predict(mean, cov)
    m = affine(0.05, 7.0, -3.0, 1.02)
    new_mean, new_cov = KalmanFilterXYWH.warp(mean, cov, m)
    r8 = np.kron(np.eye(4), m[:, :2])  # the official formula, one track at a time
    for i in range(5):
        expect = r8 @ mean[i]
        expect[:2] += m[:, 2]
        np.testing.assert_allclose(new_mean[i], expect, rtol=1e-12)
        np.testing.assert_allclose(new_cov[i], r8 @ cov[i] @ r8.T, rtol=1e-12, atol=1e-9)
