"""Association primitives: legacy +1 IoU and lapjv-with-cost_limit semantics."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from yolotrack.tracker.matching import iou_matrix, lapjv_reference, linear_assignment


def test_iou_uses_the_reference_plus_one_pixel_convention() -> None:
    a = np.array([[0.0, 0.0, 9.0, 9.0]])  # 10 x 10 pixels with +1
    b = np.array([[5.0, 0.0, 14.0, 9.0], [20.0, 20.0, 30.0, 30.0], [0.0, 0.0, 9.0, 9.0]])
    np.testing.assert_allclose(iou_matrix(a, b), [[50 / 150, 0.0, 1.0]])
    np.testing.assert_allclose(iou_matrix(a, b, plus_one=False), [[36 / 126, 0.0, 1.0]])
    assert iou_matrix(a, np.zeros((0, 4))).shape == (1, 0)
    assert iou_matrix(np.zeros((0, 4)), b).shape == (0, 3)


def _scipy_padded(cost: np.ndarray, thresh: float) -> set[tuple[int, int]]:
    """The definition: (n+m) square problem, unmatched costs thresh/2 per side."""
    n, m = cost.shape
    big = np.zeros((n + m, n + m))
    big[:n, :m] = cost
    big[:n, m:] = thresh / 2
    big[n:, :m] = thresh / 2
    r, c = linear_sum_assignment(big)
    return {(int(i), int(j)) for i, j in zip(r, c, strict=True) if i < n and j < m}


@pytest.mark.parametrize("seed", range(3))
def test_assignment_equals_lapjv_and_the_padded_definition(seed: int) -> None:
    rng = np.random.default_rng(seed)
    naive_differs = 0
    for k in range(300):
        n, m = (int(v) for v in rng.integers(0, 25, 2))
        cost = rng.random((n, m))
        if k % 2:  # sparse, tracking-like: most pairs do not overlap at all
            cost = np.where(rng.random((n, m)) < 0.85, 1.0, cost * 0.6)
        thresh = float(rng.uniform(0.2, 0.95))
        ours = linear_assignment(cost, thresh)
        ref = lapjv_reference(cost, thresh)
        for a, b in zip(ours, ref, strict=True):
            np.testing.assert_array_equal(a, b)
        assert set(zip(ours[0].tolist(), ours[1].tolist(), strict=True)) == _scipy_padded(cost, thresh)
        # and it is not "Hungarian, then drop the expensive pairs"
        if n and m:
            r, c = linear_sum_assignment(cost)
            naive = {(int(i), int(j)) for i, j in zip(r, c, strict=True) if cost[i, j] < thresh}
            naive_differs += naive != set(zip(ours[0].tolist(), ours[1].tolist(), strict=True))
        assert sorted([*ours[0], *ours[2]]) == list(range(n))
        assert sorted([*ours[1], *ours[3]]) == list(range(m))
    assert naive_differs > 0


def test_pairs_at_or_above_the_threshold_never_match() -> None:
    cost = np.array([[0.8, 0.9], [0.95, 0.79]])
    rows, cols, urows, ucols = linear_assignment(cost, 0.8)
    assert rows.tolist() == [1] and cols.tolist() == [1]
    assert urows.tolist() == [0] and ucols.tolist() == [0]


def test_sparse_iou_for_crowded_frames_is_bit_identical(monkeypatch: pytest.MonkeyPatch) -> None:
    from yolotrack.tracker import matching

    rng = np.random.default_rng(0)

    def boxes(n: int) -> np.ndarray:
        xy = rng.uniform(-50, 1900, (n, 2))
        return np.concatenate([xy, xy + rng.uniform(0.5, 300, (n, 2))], axis=1)

    for _ in range(20):
        a, b = boxes(int(rng.integers(1, 300))), boxes(int(rng.integers(1, 300)))
        for plus_one in (True, False):
            monkeypatch.setattr(matching, "SPARSE_PAIRS", 10**12)
            dense = iou_matrix(a, b, plus_one)
            monkeypatch.setattr(matching, "SPARSE_PAIRS", 0)
            np.testing.assert_array_equal(iou_matrix(a, b, plus_one), dense)
    far = np.array([[0.0, 0.0, 1.0, 1.0]])
    np.testing.assert_array_equal(iou_matrix(far, far + 100.0), [[0.0]])
