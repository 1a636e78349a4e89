"""Association primitives shared by every tracker: box IoU and linear assignment.

`linear_assignment` has the two forms the reference trackers use: ByteTrack/BoT-SORT's
thresholded one (a pair is taken only if it beats leaving both unmatched) and SORT/OC-SORT's
complete one (as many pairs as the smaller side allows, filtered by the caller afterwards).
"""

from __future__ import annotations

import lap
import numpy as np

_EMPTY = np.zeros((0,), dtype=np.int64)


# Above this many box pairs, only pairs whose x-ranges overlap are computed (crowded frames
# are sparse: most pairs do not touch). Values are bit-identical to the dense computation.
SPARSE_PAIRS = 16384


def iou_matrix(a: np.ndarray, b: np.ndarray, plus_one: bool = True) -> np.ndarray:
    """Pairwise IoU of xyxy boxes, (N, 4) x (M, 4) -> (N, M).

    `plus_one` keeps the reference's legacy pixel convention (width = x2 - x1 + 1, as in
    cython_bbox), which the reference thresholds were tuned with.
    """
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    one = 1.0 if plus_one else 0.0
    if len(a) * len(b) > SPARSE_PAIRS:
        return _iou_sparse(a, b, one)
    a2 = a[:, 2:] + one
    b2 = b[:, 2:] + one
    wh_a = a2 - a[:, :2]
    wh_b = b2 - b[:, :2]
    area_a = wh_a[:, 0] * wh_a[:, 1]
    area_b = wh_b[:, 0] * wh_b[:, 1]
    iw = np.minimum(a2[:, None, 0], b2[None, :, 0])
    iw -= np.maximum(a[:, None, 0], b[None, :, 0])
    ih = np.minimum(a2[:, None, 1], b2[None, :, 1])
    ih -= np.maximum(a[:, None, 1], b[None, :, 1])
    np.maximum(iw, 0.0, out=iw)
    np.maximum(ih, 0.0, out=ih)
    iw *= ih  # intersection
    union = area_a[:, None] + area_b
    union -= iw
    iw /= union
    return iw


def _iou_sparse(a: np.ndarray, b: np.ndarray, one: float) -> np.ndarray:
    """`iou_matrix` for many boxes: a sort-and-sweep on x picks the candidate pairs."""
    order = np.argsort(b[:, 0], kind="stable")
    bx1 = b[order, 0]
    widest = float((b[:, 2] - b[:, 0]).max()) + one
    lo = np.searchsorted(bx1, a[:, 0] - widest, side="left")
    hi = np.searchsorted(bx1, a[:, 2] + one, side="left")
    counts = np.maximum(hi - lo, 0)
    total = int(counts.sum())
    out = np.zeros((len(a), len(b)))
    if total == 0:
        return out
    rows = np.repeat(np.arange(len(a)), counts)
    starts = np.cumsum(counts) - counts
    cols = order[np.arange(total) + np.repeat(lo - starts, counts)]
    pa, pb = a[rows], b[cols]
    a2 = pa[:, 2:] + one
    b2 = pb[:, 2:] + one
    wh_a = a2 - pa[:, :2]
    wh_b = b2 - pb[:, :2]
    iw = np.minimum(a2[:, 0], b2[:, 0]) - np.maximum(pa[:, 0], pb[:, 0])
    ih = np.minimum(a2[:, 1], b2[:, 1]) - np.maximum(pa[:, 1], pb[:, 1])
    np.maximum(iw, 0.0, out=iw)
    np.maximum(ih, 0.0, out=ih)
    iw *= ih
    union = wh_a[:, 0] * wh_a[:, 1] + wh_b[:, 0] * wh_b[:, 1]
    union -= iw
    out[rows, cols] = iw / union
    return out


def linear_assignment(cost: np.ndarray, thresh: float | None
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Min-cost matching where a pair is only taken if it beats leaving both sides unmatched.

    `thresh=None` is SORT's form instead: `lap.lapjv(cost, extend_cost=True)` with no limit, a
    complete matching of the smaller side, whatever the costs.

    Same result as the reference call `lap.lapjv(cost, extend_cost=True, cost_limit=thresh)`:
    the problem is padded so that leaving a row or column unmatched costs thresh/2 each, and
    the optimum is global (not "solve, then drop expensive pairs"). Since a pair costing
    >= thresh can never beat two dummies, the problem splits along the pairs below thresh:
    rows or columns with none stay unmatched, and a row and column that are each other's only
    candidate are matched directly. Only what remains (usually a few crowded boxes) goes to
    lapjv. The optimum is unchanged; only exact cost ties could be broken differently.
    Returns (matched rows, matched cols, unmatched rows, unmatched cols), ascending.
    """
    n, m = cost.shape
    if n == 0 or m == 0:
        return _EMPTY, _EMPTY, np.arange(n), np.arange(m)
    if thresh is None:
        return _lapjv(cost)
    feasible = cost < thresh
    row_deg = np.add.reduce(feasible, axis=1, dtype=np.intp)
    col_deg = np.add.reduce(feasible, axis=0, dtype=np.intp)
    first_col = feasible.argmax(axis=1)
    trivial = (row_deg == 1) & (col_deg[first_col] == 1)
    row_match = np.where(trivial, first_col, -1)
    rest_rows = ((row_deg > 0) & ~trivial).nonzero()[0]
    if len(rest_rows):
        col_free = col_deg > 0
        col_free[first_col[trivial]] = False
        rest_cols = col_free.nonzero()[0]
        sub = cost if len(rest_rows) == n and len(rest_cols) == m else cost[rest_rows][:, rest_cols]
        sub = np.ascontiguousarray(sub, dtype=np.float64)
        _, x, _ = lap.lapjv(sub, extend_cost=True, cost_limit=thresh)
        hit = x >= 0
        row_match[rest_rows[hit]] = rest_cols[x[hit]]
    matched = row_match >= 0
    rows = matched.nonzero()[0]
    cols = row_match[rows].astype(np.int64)
    col_used = np.zeros(m, bool)
    col_used[cols] = True
    return rows, cols, (~matched).nonzero()[0], (~col_used).nonzero()[0]


def lapjv_reference(cost: np.ndarray, thresh: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The reference's one-call form on the whole matrix; kept for tests and comparisons."""
    n, m = cost.shape
    if n == 0 or m == 0:
        return _EMPTY, _EMPTY, np.arange(n), np.arange(m)
    return _lapjv(cost, cost_limit=thresh)


def _lapjv(cost: np.ndarray, **limit: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    _, x, y = lap.lapjv(np.ascontiguousarray(cost, dtype=np.float64), extend_cost=True, **limit)
    rows = np.flatnonzero(x >= 0)
    return rows, x[rows].astype(np.int64), np.flatnonzero(x < 0), np.flatnonzero(y < 0)
