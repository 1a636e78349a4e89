"""Line crossings for every track against every line at once, with jitter guards.

The rule: a track crosses a line when its anchor changes side between two consecutive positions
and the step between them meets the line *segment* (not its infinite extension). Counted as
is, a box jittering on the line would count on every frame, so two guards sit on top, both in
units of the track's box size (detector noise grows with the object):

- **hysteresis** `h`: a side is only *confirmed* when the anchor is more than `h` box sizes
  from the line (a new track's first position decides its side wherever it is). A crossing is
  counted when the confirmed side flips, once, and only if the last raw side change before the
  flip happened within the segment. Touching the line and going back, or wobbling on it, never
  confirms the other side. A slow drift that never leaves the band is confirmed another way:
  seen on the new side for `SETTLE_FRAMES` sightings in a row, beyond half the band (a wobble on
  the line changes side far sooner). A track removed by the tracker while across the line but
  still inside the band, last seen at the edge of the picture (it crossed and walked out of view),
  is counted when it is removed; when the stream ends, a crossing still inside the band counts.
- **minimum displacement** `m`: a position closer than `m` box sizes to the track's last
  position used is ignored, so a standing object's jitter does not produce a stream of tiny steps.

Direction: for a line from `p1` to `p2`, `in` is a crossing from its left to its right as seen
in the image (x right, y down), i.e. for a line drawn left to right, `in` is moving down.

Speed: an anchor is a fixed fraction of the box, so a track's signed distance to a line and its
position along it are linear in (x1, y1, w, h, 1). One matrix product gives both for every
track and line; the state of a (track, line) pair is six numbers in one array, gathered and
scattered once per frame.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from yolotrack.analytics.anchors import fractions
from yolotrack.analytics.shapes import ClassTable, Line

# Points exactly on a line count as right of it: the line is moved this far (pixels) to its left.
TIE_BREAK = 1e-6
# A slow drift across a line may never leave the band; it is confirmed when it has stayed on one side for
# this many sightings in a row, beyond this fraction of the band (jitter rarely does both; benchmarks/counting.py
# measures both guards on standing, jittering tracks).
SETTLE_FRAMES = 10
SETTLE_BAND = 0.5
# state channels of a (track, line) pair
_D, _U, _SIDE, _OK, _RAW, _RUN = 0, 1, 2, 3, 4, 5
_CHANNELS = 6


def box_features(xyxy: np.ndarray) -> np.ndarray:
    """(N, 5) float64 rows (x1, y1, w, h, 1): every anchor of every box is linear in these."""
    n = len(xyxy)
    f = np.empty((n, 5), np.float64)
    f[:, 0:2] = xyxy[:, 0:2]
    f[:, 2:4] = xyxy[:, 2:4]
    f[:, 2:4] -= f[:, 0:2]
    f[:, 4] = 1.0
    return f


def box_scale(feats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N,) size of each box, the geometric mean of width and height (at least 1 px), and its square.

    Detector noise grows with the object, so the jitter thresholds are fractions of this.
    """
    scale2 = np.maximum(feats[:, 2] * feats[:, 3], 1.0)
    return np.sqrt(scale2), scale2


class LineCounter:
    """Counts crossings of `lines` by tracks whose state lives in rows `0..capacity-1`."""

    def __init__(self, lines: Sequence[Line], capacity: int, hysteresis: float, min_displacement: float) -> None:
        self.lines = list(lines)
        n = len(self.lines)
        self.hysteresis = float(hysteresis)
        self.min_displacement = float(min_displacement)
        a = np.array([ln.p1 for ln in self.lines], np.float64).reshape(n, 2)
        b = np.array([ln.p2 for ln in self.lines], np.float64).reshape(n, 2)
        ax, ay = a[:, 0], a[:, 1]
        dx, dy = b[:, 0] - ax, b[:, 1] - ay
        inv_len = 1.0 / np.hypot(dx, dy)
        inv_len2 = inv_len * inv_len
        fx, fy = (v.astype(np.float64) for v in fractions([ln.anchor for ln in self.lines]))
        # signed distance d = ((x - ax) * -dy + (y - ay) * dx) / |ab|, > 0: right of p1->p2 (y down);
        # position along the line u = ((x - ax) * dx + (y - ay) * dy) / |ab|^2, 0 at p1, 1 at p2;
        # with x = x1 + fx * w and y = y1 + fy * h.
        # columns interleaved (d0, u0, d1, u1, ...), so the product reshapes to (tracks, lines, [d, u]);
        # then the box centre (x, y), for the minimum displacement
        w = np.zeros((5, 2 * n + 2), np.float64)
        wl = w[:, : 2 * n].reshape(5, n, 2)
        wl[:, :, 0] = np.stack([-dy, dx, -dy * fx, dx * fy, dy * ax - dx * ay]) * inv_len
        wl[4, :, 0] += TIE_BREAK
        wl[:, :, 1] = np.stack([dx, dy, dx * fx, dy * fy, -(dx * ax + dy * ay)]) * inv_len2
        w[0, 2 * n], w[2, 2 * n], w[1, 2 * n + 1], w[3, 2 * n + 1] = 1.0, 0.5, 1.0, 0.5
        self.weights = w
        self.min_displacement2 = self.min_displacement ** 2
        self.classes = ClassTable([ln.classes for ln in self.lines])
        self._alloc(capacity)

    def _alloc(self, capacity: int) -> None:
        # per (track, line): last used signed distance and position along the line, the confirmed side
        # (+1 right, -1 left, 0 not yet), 1 when the last raw side change met the segment, the side of the
        # last sighting (used or not) and how many sightings in a row were on it
        self.state = np.zeros((capacity, len(self.lines), _CHANNELS), np.float64)
        # per track: the box centre last used (inf: none yet), for the minimum displacement
        self.centre = np.full((capacity, 2), np.inf, np.float64)

    def grow(self, capacity: int) -> None:
        state, centre = self.state, self.centre
        self._alloc(capacity)
        self.state[: len(state)] = state
        self.centre[: len(centre)] = centre

    def reset(self, rows: np.ndarray) -> None:
        """Forget the tracks in `rows` (rows being reused)."""
        self.state[rows] = 0.0
        self.centre[rows] = np.inf

    def update(self, rows: np.ndarray, feats: np.ndarray, scale: np.ndarray, scale2: np.ndarray,
               class_ids: np.ndarray, new: np.ndarray | None = None,
               final: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One frame (`feats`, `scale`, `scale2` from `box_features`, `box_scale`; `new`: the detections whose
        tracks are seen for the first time). `final`: these are the tracks' final positions (the stream
        ends), used however little they moved: the minimum displacement waits for a step that will not
        come. Returns the crossings as (detection index, line index, +1 in / -1 out) arrays."""
        nl = len(self.lines)
        p = feats @ self.weights
        du = p[:, : 2 * nl].reshape(len(rows), nl, 2)
        d, u = du[:, :, 0], du[:, :, 1]
        st = self.state[rows]
        if new is not None:  # a track's first position decides its side, even inside the band
            st[new, :, 0:2] = du[new]
            st[new, :, _SIDE] = np.sign(d[new])
        raw = np.sign(d)
        run = st[:, :, _RUN]
        np.copyto(run, np.where(st[:, :, _RAW] == raw, run + 1, 1.0))
        st[:, :, _RAW] = raw
        if self.min_displacement > 0 and not final:
            centre = p[:, 2 * nl:]
            last = self.centre[rows]
            use_t = np.square(centre - last).sum(axis=1) >= self.min_displacement2 * scale2  # inf - x: moved
            np.copyto(last, centre, where=use_t[:, None])
            self.centre[rows] = last
            use = use_t[:, None]
        else:
            use = np.ones((len(rows), 1), bool)
        allowed = self.classes.allowed(class_ids)
        if allowed is not None:
            use = use & allowed
        ld, lu, side, ok = st[:, :, _D], st[:, :, _U], st[:, :, _SIDE], st[:, :, _OK]
        changed = use & (ld * d < 0)  # a raw side change since the last position used
        if changed.any():
            f = ld / np.where(changed, ld - d, 1.0)  # where along the step the line is met
            t = lu + (u - lu) * f  # ... and where along the line
            ok[changed] = ((t >= 0) & (t <= 1))[changed]
        band = (self.hysteresis * scale)[:, None]
        zone = np.sign(d)
        # or held: seen on this side for SETTLE_FRAMES sightings in a row (moved enough or not), beyond part of
        # the band, where the last position used lies too (so `ok` speaks of the step onto this side)
        held = (run >= SETTLE_FRAMES) & (np.abs(d) > SETTLE_BAND * band) & (np.sign(np.where(use, d, ld)) == zone)
        if allowed is not None:
            held &= allowed
        settle = (use & (np.abs(d) > band)) | held  # beyond the band: side confirmed
        flip = settle & (side * zone * ok < 0)  # confirmed on the other side, after a change within the segment
        np.copyto(side, zone, where=settle)
        np.copyto(st[:, :, 0:2], du, where=use[:, :, None])
        self.state[rows] = st
        if not flip.any():
            return _NONE
        det, line = np.nonzero(flip)
        return det, line, zone[det, line].astype(np.int64)

    def release(self, rows: np.ndarray, left_view: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Tracks that are gone (removed by the tracker). One that was last seen at the edge of the picture
        (`left_view`) across a line, after a side change within the segment but not yet past the band,
        crossed and walked out of view: count it now. (Inside the picture, a track that ends like that
        more often jumped to another object before it was lost.)
        Returns (index into `rows`, line index, +1 in / -1 out)."""
        if len(rows) == 0 or not self.lines or not left_view.any():
            return _NONE
        return self.settle(rows[left_view], np.flatnonzero(left_view))

    def settle(self, rows: np.ndarray, index: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Crossings of the tracks in `rows` that are within the segment but not yet past the band, counted
        now (the stream ends, or the track left the picture); their side is confirmed, so they are counted
        once. Returns (index into `rows`, or `index[...]` when given, line index, +1 in / -1 out)."""
        if len(rows) == 0 or not self.lines:
            return _NONE
        st = self.state[rows]
        ld, side, ok = st[:, :, _D], st[:, :, _SIDE], st[:, :, _OK]
        pending = side * np.sign(ld) * ok < 0
        if not pending.any():
            return _NONE
        k, line = np.nonzero(pending)
        direction = -side[k, line].astype(np.int64)
        self.state[rows[k], line, _SIDE] = direction
        return (k if index is None else index[k]), line, direction

    def adopt(self, old: LineCounter) -> None:
        """Keep the track state of every line that `old` had with the same definition (its counts are
        the source's `CountTally`'s)."""
        index = {ln: k for k, ln in enumerate(old.lines)}
        if len(old.state) > len(self.state):
            self.grow(len(old.state))
        rows = len(old.state)
        self.centre[:rows] = old.centre
        for j, ln in enumerate(self.lines):
            k = index.get(ln)
            if k is None:
                continue
            self.state[:rows, j] = old.state[:, k]


_NONE = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))
