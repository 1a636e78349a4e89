"""Speed zones: a zone with four corners and the real lengths of its four edges measures the speed of
every track inside it.

The four corners are taken as a rectangle on the ground seen in perspective: corner 1 -> 2 is its
width (the mean of edges 1-2 and 3-4), 2 -> 3 its length (the mean of 2-3 and 4-1). The homography
from the image quadrilateral to that rectangle (in metres) maps a track's anchor (pick the point that
touches the ground: `bottom_center`) to the ground plane. A track's speed is the slope of a
least-squares line through its ground positions over the last `WINDOW_S` seconds inside the zone,
so detector jitter, which a difference of two positions would turn straight into speed, averages
out; an estimate needs `MIN_SPAN_S` of samples. A visit's speed (on its `zone_exit`) is the mean of
its estimates; a visit whose estimate goes over the zone's `speed_limit` raises one `speeding`.

State is per (track row, speed zone): a ring of the last `RING` (time, x, y) samples, all tracks at
once in numpy arrays, as the other counters keep theirs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from yolotrack.analytics.anchors import fractions
from yolotrack.analytics.shapes import Zone
from yolotrack.analytics.slots import grow_state

WINDOW_S = 1.0  # seconds of positions in one estimate
MIN_SPAN_S = 0.3  # an estimate needs samples spanning at least this long
RING = 64  # samples kept per (track, zone): a window at up to 60 fps
UNITS = {"m/s": 1.0, "km/h": 3.6, "mph": 3.6 / 1.609344}  # from metres per second

_EMPTY = np.zeros(0, np.int64)


def ground_size(distances: Sequence[float]) -> tuple[float, float]:
    """(width, length) in metres of the rectangle whose edges 1-2, 2-3, 3-4, 4-1 measure `distances`."""
    d1, d2, d3, d4 = (float(d) for d in distances)
    return (d1 + d3) / 2, (d2 + d4) / 2


def homography(src: Sequence[Sequence[float]], dst: Sequence[Sequence[float]]) -> np.ndarray:
    """(3, 3) H with H @ (x, y, 1) ~ (u, v, 1) for the four point pairs (h33 = 1; the points are in general
    position: the config accepts only simple polygons with an area)."""
    a = np.zeros((8, 8), np.float64)
    b = np.zeros(8, np.float64)
    for k, ((x, y), (u, v)) in enumerate(zip(src, dst, strict=True)):
        a[2 * k] = [x, y, 1, 0, 0, 0, -u * x, -u * y]
        a[2 * k + 1] = [0, 0, 0, x, y, 1, -v * x, -v * y]
        b[2 * k], b[2 * k + 1] = u, v
    return np.append(np.linalg.solve(a, b), 1.0).reshape(3, 3)


def zone_homography(zone: Zone) -> np.ndarray:
    """The image -> ground (metres) homography of a speed zone."""
    assert zone.distances is not None
    w, length = ground_size(zone.distances)
    return homography(zone.polygon, [(0.0, 0.0), (w, 0.0), (w, length), (0.0, length)])


class SpeedMeter:
    """Speeds of the tracks (rows `0..capacity-1`) inside the speed zones among `zones`."""

    def __init__(self, zones: Sequence[Zone], capacity: int) -> None:
        self.index = np.array([j for j, z in enumerate(zones) if z.distances is not None], np.intp)
        speed = [zones[j] for j in self.index.tolist()]
        self.zones = speed
        self.h = np.stack([zone_homography(z) for z in speed]) if speed else np.zeros((0, 3, 3))
        self.factor = np.array([UNITS[z.speed_unit] for z in speed], np.float64)
        self.limit = np.array([np.inf if z.speed_limit is None else z.speed_limit for z in speed], np.float64)
        fx, fy = fractions([z.anchor for z in speed])
        self.fx, self.fy = fx.astype(np.float64), fy.astype(np.float64)
        self._alloc(capacity)

    def __bool__(self) -> bool:
        return bool(self.zones)

    _STATE = ("t", "xy", "n", "head", "now", "total", "count", "sped")

    def _alloc(self, capacity: int) -> None:
        s = len(self.zones)
        self.t = np.zeros((capacity, s, RING), np.float64)
        self.xy = np.zeros((capacity, s, RING, 2), np.float64)
        self.n = np.zeros((capacity, s), np.int32)  # samples held
        self.head = np.zeros((capacity, s), np.int32)  # where the next sample goes
        self.now = np.full((capacity, s), np.nan)  # the latest estimate, m/s
        self.total = np.zeros((capacity, s), np.float64)  # sum and number of this visit's estimates
        self.count = np.zeros((capacity, s), np.int32)
        self.sped = np.zeros((capacity, s), bool)  # this visit has raised its `speeding`

    def grow(self, capacity: int) -> None:
        grow_state(self, self._STATE, self._alloc, capacity)

    def reset(self, rows: np.ndarray, cols: np.ndarray | None = None) -> None:
        """Forget the visits of `rows` (in the speed zones `cols`, by default all)."""
        at = (rows,) if cols is None else (rows, cols)
        self.n[at] = 0
        self.head[at] = 0
        self.now[at] = np.nan
        self.total[at] = 0.0
        self.count[at] = 0
        self.sped[at] = False

    def visit_speed(self, rows: np.ndarray, zones: np.ndarray) -> np.ndarray:
        """Speed of each (row, zone index among all zones) visit so far in its zone's unit, NaN when unknown
        or not a speed zone; the visit is then forgotten (it ended)."""
        out = np.full(len(rows), np.nan)
        if not self.zones or not len(rows):
            return out
        col = self._col(zones)
        ok = col >= 0
        r, c = rows[ok], col[ok]
        with np.errstate(invalid="ignore", divide="ignore"):
            v = self.total[r, c] / self.count[r, c] * self.factor[c]
        out[ok] = np.where(self.count[r, c] > 0, v, np.nan)
        self.reset(r, c)
        return out

    def _col(self, zones: np.ndarray) -> np.ndarray:
        """Zone index among all zones -> column here (-1: not a speed zone)."""
        lut = np.full(int(max(self.index.max(), zones.max(initial=0))) + 1, -1, np.intp)
        lut[self.index] = np.arange(len(self.index))
        return lut[zones]

    def update(self, rows: np.ndarray, feats: np.ndarray, inside: np.ndarray,
               ts: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One frame: `inside` (n, all zones) after the zone update. Samples the tracks inside each speed
        zone, estimates their speeds; returns the new `speeding` visits as (detection index, zone index
        among all zones, speed in the zone's unit)."""
        if not self.zones or not len(rows):
            return _EMPTY, _EMPTY, np.zeros(0)
        ins = inside[:, self.index]  # (n, S)
        det, col = np.nonzero(ins)
        if not len(det):
            return _EMPTY, _EMPTY, np.zeros(0)
        f = feats[det]
        ax = f[:, 0] + self.fx[col] * f[:, 2]
        ay = f[:, 1] + self.fy[col] * f[:, 3]
        hm = self.h[col]  # (m, 3, 3)
        p = hm @ np.stack([ax, ay, np.ones_like(ax)], axis=1)[:, :, None]
        ground = p[:, :2, 0] / p[:, 2:3, 0]
        r = rows[det]
        head = self.head[r, col]
        self.t[r, col, head] = ts
        self.xy[r, col, head] = ground
        self.head[r, col] = (head + 1) % RING
        n = np.minimum(self.n[r, col] + 1, RING)
        self.n[r, col] = n
        # least squares over the samples of the last WINDOW_S seconds
        t = self.t[r, col]  # (m, RING)
        xy = self.xy[r, col]  # (m, RING, 2)
        valid = (np.arange(RING)[None, :] < n[:, None]) & (t >= ts - WINDOW_S - 1e-9)
        w = valid.astype(np.float64)
        k = w.sum(axis=1)
        span = np.where(valid, t, np.inf).min(axis=1)
        span = ts - span
        tm = (t * w).sum(axis=1) / k
        dt = (t - tm[:, None]) * w
        var = (dt * dt).sum(axis=1)
        good = (span >= MIN_SPAN_S) & (k >= 3) & (var > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            vel = (dt[:, :, None] * xy).sum(axis=1) / var[:, None]  # (m, 2), metres per second
        v = np.where(good, np.hypot(vel[:, 0], vel[:, 1]), np.nan)
        self.now[r, col] = v
        self.total[r[good], col[good]] += v[good]
        self.count[r[good], col[good]] += 1
        # tracks of this frame no longer inside a speed zone start afresh when they come back
        out_rows, out_cols = np.nonzero(~ins & (self.n[rows] > 0))
        if len(out_rows):
            self.reset(rows[out_rows], out_cols)
        unit = v * self.factor[col]
        fast = good & (unit > self.limit[col]) & ~self.sped[r, col]
        if not fast.any():
            return _EMPTY, _EMPTY, np.zeros(0)
        self.sped[r[fast], col[fast]] = True
        return det[fast], self.index[col[fast]], unit[fast]

    def current(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The latest estimates of `rows`: (index into rows, speed zone column, speed in the zone's unit)."""
        if not self.zones or not len(rows):
            return _EMPTY, _EMPTY, np.zeros(0)
        now = self.now[rows]
        k, col = np.nonzero(np.isfinite(now))
        return k, col, now[k, col] * self.factor[col]
