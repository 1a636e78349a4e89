"""Zone occupancy for every track against every zone at once: enter, exit, dwell, per class.

A track is inside a zone while its anchor is inside the polygon (even-odd rule). Its state
changes only when the anchor is more than `hysteresis` box sizes from the polygon's boundary
on the other side, so a box jittering on an edge does not enter and leave on alternate frames.
A track that stops being output (occluded, lost) stays inside until it is seen outside or the
tracker removes it (`release`): occupancy is "who is in the bay", not "who is visible now".

Zone rules (each zone its own): `inertia` frames in a row on the new side before an enter or exit
counts (the hysteresis guards against jitter in space, inertia in time); `min_area`/`max_area` and
`classes`: other boxes do not change the zone's state; `loitering_s`: one `loitering` per visit
once it lasts that long.

All polygons' edges sit in one flat array, so the inside test for every track and zone is one
broadcast over (tracks x edges) and a per-zone parity reduction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from yolotrack.analytics.anchors import fractions
from yolotrack.analytics.shapes import ClassTable, Zone
from yolotrack.analytics.slots import grow_state

_EMPTY = np.zeros(0, np.int64)


@dataclass(frozen=True, slots=True)
class ZoneChanges:
    """One frame's changes, as parallel arrays of detection index and zone index: entries; exits with
    their dwell seconds and the class the visit entered with; loitering with its dwell and class."""

    enter: tuple[np.ndarray, np.ndarray] = (_EMPTY, _EMPTY)
    exit: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] = (_EMPTY, _EMPTY, np.zeros(0), _EMPTY)
    loiter: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] = (_EMPTY, _EMPTY, np.zeros(0), _EMPTY)


NO_CHANGES = ZoneChanges()


class ZoneCounter:
    """Which tracks (state in rows `0..capacity-1`) are inside `zones`: enters and exits as arrays (the
    source's `CountTally` counts them from the events)."""

    def __init__(self, zones: Sequence[Zone], capacity: int, hysteresis: float) -> None:
        self.zones = list(zones)
        self.hysteresis = float(hysteresis)
        e1, e2, owner, starts = [], [], [], []
        for j, z in enumerate(self.zones):
            starts.append(len(e1))
            poly = list(z.polygon)
            for k in range(len(poly)):
                e1.append(poly[k])
                e2.append(poly[(k + 1) % len(poly)])
                owner.append(j)
        p1 = np.array(e1, np.float64).reshape(-1, 2)
        p2 = np.array(e2, np.float64).reshape(-1, 2)
        ne = len(p1)
        self.ex, self.ey = p1[:, 0], p1[:, 1]
        self.edx, self.edy = p2[:, 0] - p1[:, 0], p2[:, 1] - p1[:, 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            kx = np.where(self.edy != 0, self.edx / self.edy, 0.0)
        self.elen = np.hypot(self.edx, self.edy)  # > 0: the config rejects repeated points
        self.starts = np.array(starts, np.intp)
        fx, fy = (v.astype(np.float64) for v in fractions([z.anchor for z in self.zones]))
        owner_idx = np.array(owner, np.intp)
        efx, efy = fx[owner_idx], fy[owner_idx]  # each edge tests its own zone's anchor
        # With the anchor (x, y) = (x1 + fx * w, y1 + fy * h), two columns per edge, linear in
        # (x1, y1, w, h, 1): y - (the middle of the edge's y range), which is within half that range
        # when the edge straddles y (half-open: [low, high), by the tiny shift), and x_on_edge(y) - x
        # (> 0: the edge is right of the point). One matrix product for the even-odd test.
        y2 = p2[:, 1]
        self.half_range = np.abs(y2 - self.ey) / 2
        w = np.zeros((5, 2 * ne), np.float64)
        w[1, :ne], w[3, :ne], w[4, :ne] = 1.0, efy, -(self.ey + y2) / 2 + 1e-7
        w[0, ne:], w[1, ne:], w[2, ne:], w[3, ne:] = -1.0, kx, -efx, kx * efy
        w[4, ne:] = self.ex - self.ey * kx
        self.weights = w
        self.ne = ne
        # For the hysteresis: distance across each edge's line and along the edge from its start,
        # in pixels, also linear in (x1, y1, w, h, 1).
        inv = 1.0 / self.elen
        ex, ey, edx, edy = self.ex, self.ey, self.edx, self.edy
        self.near_weights = np.concatenate([
            np.stack([-edy, edx, -edy * efx, edx * efy, edy * ex - edx * ey]) * inv,
            np.stack([edx, edy, edx * efx, edy * efy, -(edx * ex + edy * ey)]) * inv], axis=1)
        self.classes = ClassTable([z.classes for z in self.zones])
        self.inertia = np.array([z.inertia for z in self.zones], np.int32)
        self.any_inertia = bool((self.inertia > 1).any())
        self.loiter_s = np.array([np.inf if z.loitering_s is None else z.loitering_s for z in self.zones], np.float64)
        self.any_loiter = bool(np.isfinite(self.loiter_s).any())
        self.area_lo = np.array([z.min_area or 0.0 for z in self.zones], np.float64)
        self.area_hi = np.array([np.inf if z.max_area is None else z.max_area for z in self.zones], np.float64)
        self.any_area = bool((self.area_lo > 0).any() or np.isfinite(self.area_hi).any())
        self._alloc(capacity)

    _STATE = ("inside", "enter_ts", "enter_cls", "streak", "loitered")

    def _alloc(self, capacity: int) -> None:
        nz = len(self.zones)
        self.inside = np.zeros((capacity, nz), bool)
        self.enter_ts = np.zeros((capacity, nz), np.float64)
        self.enter_cls = np.zeros((capacity, nz), np.int64)  # the class a visit is counted under
        self.streak = np.zeros((capacity, nz), np.int32)  # frames in a row a change has been pending (inertia)
        self.loitered = np.zeros((capacity, nz), bool)  # this visit has raised its `loitering`

    def grow(self, capacity: int) -> None:
        grow_state(self, self._STATE, self._alloc, capacity)

    def reset(self, rows: np.ndarray) -> None:
        self.inside[rows] = False
        self.streak[rows] = 0
        self.loitered[rows] = False

    def update(self, rows: np.ndarray, feats: np.ndarray, scale: np.ndarray, class_ids: np.ndarray,
               ts: float) -> ZoneChanges:
        """One frame (`feats` from `lines.box_features`): enters, exits (a visit is counted under the class it
        entered with) and loitering."""
        ne = self.ne
        q = feats @ self.weights
        hit = (np.abs(q[:, :ne]) < self.half_range) & (q[:, ne:] > 0)
        now = np.bitwise_xor.reduceat(hit, self.starts, axis=1)  # (n, Z): inside, by the even-odd rule
        change = now != self.inside[rows]
        allowed = self.classes.allowed(class_ids)
        if self.any_area:
            area = (feats[:, 2] * feats[:, 3])[:, None]
            fits = (area >= self.area_lo) & (area <= self.area_hi)
            allowed = fits if allowed is None else allowed & fits
        if allowed is not None:
            change &= allowed
        if self.hysteresis > 0 and change.any():
            change &= self._far_from_edge(feats, scale, change)
        if self.any_inertia:
            streak = np.where(change, self.streak[rows] + 1, 0).astype(np.int32)
            change &= streak >= self.inertia
            streak[change] = 0
            self.streak[rows] = streak
        out = NO_CHANGES
        if change.any():
            det, zone = np.nonzero(change)
            entering = now[det, zone]
            self.inside[rows[det], zone] = entering
            ei, ez = det[entering], zone[entering]
            xi, xz = det[~entering], zone[~entering]
            self.enter_ts[rows[ei], ez] = ts
            self.enter_cls[rows[ei], ez] = class_ids[ei]
            self.loitered[rows[ei], ez] = False
            dwell = np.round(ts - self.enter_ts[rows[xi], xz], 3)  # as the events say it
            out = ZoneChanges((ei, ez), (xi, xz, dwell, self.enter_cls[rows[xi], xz]))
        if self.any_loiter:
            stay = ts - self.enter_ts[rows]
            due = self.inside[rows] & ~self.loitered[rows] & (stay >= self.loiter_s)
            if due.any():
                li, lz = np.nonzero(due)
                self.loitered[rows[li], lz] = True
                out = ZoneChanges(out.enter, out.exit,
                                  (li, lz, np.round(stay[li, lz], 3), self.enter_cls[rows[li], lz]))
        return out

    def _far_from_edge(self, feats: np.ndarray, scale: np.ndarray, change: np.ndarray) -> np.ndarray:
        """(n, Z) bool: the anchor is more than the hysteresis band from every edge of the zone,
        measured across the edge and beyond its ends (a rectangle around each edge: corners get a
        slightly wider band than a true distance would give). Only for the tracks about to change."""
        out = np.zeros(change.shape, bool)
        sel = np.flatnonzero(change.any(axis=1))
        q = feats[sel] @ self.near_weights
        ne = self.ne
        band = (self.hysteresis * scale[sel])[:, None]
        along = q[:, ne:]
        near = (np.abs(q[:, :ne]) < band) & (along > -band) & (along < self.elen + band)
        out[sel] = ~np.logical_or.reduceat(near, self.starts, axis=1)
        return out

    def release(self, rows: np.ndarray,
                last_ts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Tracks the tracker removed: every zone they were in is left at their last sighting.
        Returns (index into `rows`, zone, dwell seconds, the class the visit entered with)."""
        if len(rows) == 0 or not self.zones:
            return _EMPTY, _EMPTY, np.zeros(0), _EMPTY
        k, zone = np.nonzero(self.inside[rows])
        r = rows[k]
        dwell = np.round(np.maximum(last_ts[k] - self.enter_ts[r, zone], 0.0), 3)
        cls = self.enter_cls[r, zone]
        self.inside[rows] = False
        return k, zone, dwell, cls

    def adopt(self, old: ZoneCounter) -> None:
        """Keep who is inside for every zone `old` had with the same definition (its counts are the
        source's `CountTally`'s)."""
        index = {z: k for k, z in enumerate(old.zones)}
        if len(old.inside) > len(self.inside):
            self.grow(len(old.inside))
        rows = len(old.inside)
        for j, z in enumerate(self.zones):
            k = index.get(z)
            if k is None:
                continue
            for name in self._STATE:
                getattr(self, name)[:rows, j] = getattr(old, name)[:, k]
