"""Global ids: one identity for an object across cameras, from a gallery of recent tracks.

Each camera's tracker gives its own ids; the gallery gives every (camera, track id) a global id,
decided once, at the first frame the track is reported, and kept for the track's life:

- the new track is compared with the tracks of the cameras that can hand over to it (a link
  `from -> to` with a transit window `min_s..max_s`; without links, every pair of cameras with
  the window `0..max_s`) whose last sighting lies inside that window, and of its own class;
- a link whose window starts at 0 also offers the tracks the other camera sees right now: that
  is how overlapping views (one object in two cameras at once) share one id;
- the cost is appearance: (1 - cos) / 2 between the new track's feature and each candidate's
  smoothed feature, the detector's own pooled features (`Detections.embeddings`, as
  `tracker.botsort.appearance` uses them), smoothed per track by the same moving average as
  BoT-SORT's (`tracker.reid`). Candidates are pooled per global id (its best track), new tracks
  of one frame are assigned jointly, and a pair only counts below `match_thresh`;
- an ambiguous match is refused: when the new track's best candidate costs more than `ratio` times
  its second best (another global id: Lowe's ratio test, free of the features' cost scale), it
  gets a fresh id. A wrong merge costs more than a
  missed one (two objects then share an id in every camera), so the gallery does not guess;
- the features are `Detections.embeddings` of the tracked results: the detector's pooled ones,
  or a ReID network's (`tracker.reid_tracker` puts them there, zero rows on frames a track was
  not embedded, which are skipped);
- a global id a track of the same camera holds (or held within `BUSY_S`) is never given again
  in that camera: one object is not twice in one picture. Everything else gets a fresh id.

The clock is each frame's timestamp, so the cameras' timestamps must share one origin (files
recorded together, or live cameras on wall time). One gallery serves every camera of a run:
the sink threads of all camera groups here, or the Ray driver, which writes every camera's
results and therefore never hands out an id twice when an actor is restarted. Thread-safe.
A track not seen for longer than every window leaves the gallery, so its size follows the tracks
still in reach (the per-camera lookup from track id to gallery row keeps 8 bytes per id).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from yolotrack.core.cameras import Link
from yolotrack.core.detections import Detections
from yolotrack.core.events import TrackEvent
from yolotrack.tracker import reid
from yolotrack.tracker.matching import linear_assignment

if TYPE_CHECKING:
    from yolotrack.core.config import GlobalIdsConfig
    from yolotrack.pipeline.contracts import Result

_EMPTY = np.zeros(0, np.int64)
BUSY_S = 1.0  # seconds a global id stays reserved in a camera after its track there was last seen
DEFAULT_MAX_S = 60.0
DEFAULT_MATCH_THRESH = 0.03  # chosen on the tuning scenes of benchmarks/crosscam.py
DEFAULT_RATIO = 1.0  # 1: no ratio test


def all_pairs(cameras: Sequence[str]) -> list[Link]:
    """The links when a site names none: every ordered pair of cameras, window 0..the default."""
    return [Link(a, b) for a in cameras for b in cameras if a != b]


class GlobalIds:
    """The gallery. `label(camera, timestamp, dets, events)` after the tracker, frame by frame.

    Args:
        cameras: every camera name of the run (fixes the tables' layout).
        links: who hands over to whom, and when; None = `all_pairs(cameras)`, and a camera not
            named in `cameras` joins at its first frame.
        match_thresh: the largest appearance cost (1 - cos) / 2 that joins two tracks.
        max_s: the end of the window of links that give none (all of them when `links` is None).
        ratio: a new track's best candidate must cost at most this share of its second best.
    """

    def __init__(self, cameras: Sequence[str], links: Sequence[Link] | None = None, *,
                 match_thresh: float = DEFAULT_MATCH_THRESH, max_s: float = DEFAULT_MAX_S,
                 ema: float = reid.EMA_ALPHA, ratio: float = DEFAULT_RATIO) -> None:
        self.cameras = list(dict.fromkeys(cameras))
        self._cam = {name: i for i, name in enumerate(self.cameras)}
        self._every_pair = links is None  # then a camera first seen in `label` joins (the GUI's grid)
        self._max_s = float(max_s)
        links = all_pairs(self.cameras) if links is None else list(links)
        n = len(self.cameras)
        # window per (from, to) camera pair; a pair without a link never matches (lo = inf)
        self._lo = np.full((n, n), np.inf)
        self._hi = np.full((n, n), -np.inf)
        for ln in links:
            a, b = self._cam[ln.source], self._cam[ln.target]
            self._lo[a, b], self._hi[a, b] = ln.min_s, max_s if ln.max_s is None else ln.max_s
        self._keep_s = max(float(np.max(self._hi, initial=BUSY_S)), self._max_s if self._every_pair else 0) + 1.0
        self.match_thresh = float(match_thresh)
        self.ratio = float(ratio)
        self.ema = float(ema)
        self._lock = threading.Lock()
        self._next = 1
        # gallery rows, struct of arrays (grown by doubling; `_used` rows, some freed)
        self._n = 0
        self._live = np.zeros(0, bool)
        self._cam_of = np.zeros(0, np.int64)
        self._gid = np.zeros(0, np.int64)
        self._cls = np.zeros(0, np.int64)
        self._last = np.zeros(0, np.float64)
        self._has = np.zeros(0, bool)
        self._feat = np.zeros((0, 0), np.float32)
        self._row: list[np.ndarray] = [_EMPTY for _ in self.cameras]  # per camera: track id -> row (-1: none)
        self._now = -np.inf  # the newest timestamp seen from any camera
        self._frames = 0

    @classmethod
    def from_config(cls, cameras: Sequence[str], links: Sequence[Link] | None, g: GlobalIdsConfig,
                    weights: Sequence[str | None] = ()) -> GlobalIds:
        """The gallery `global_ids` describes: `reid_thresh` when a ReID network gives the features
        (`tracker.reid_model.reid_for`, `auto` decided by the detectors' `weights`), else `match_thresh`
        (the detector's pooled features)."""
        from yolotrack.tracker.reid_model import reid_for

        thresh = g.match_thresh if reid_for(g, weights) is None else g.reid_thresh
        return cls(cameras, links, match_thresh=thresh, max_s=g.max_s, ratio=g.ratio)

    @property
    def issued(self) -> int:
        """How many global ids were given so far."""
        return self._next - 1

    # ------------------------------------------------------------------ per frame

    def annotate(self, result: Result) -> None:
        """`label` on a pipeline `Result` (the `Pipeline(annotate=...)` hook)."""
        if result.detections is not None:
            result.events = self.label(result.frame.source_id, result.frame.timestamp, result.detections,
                                       result.events)

    def label(self, camera: str, timestamp: float, dets: Detections,
              events: Sequence[TrackEvent] = ()) -> list[TrackEvent]:
        """Sets `dets.global_ids` (-1 for untracked rows) and returns `events` with their `global_id`."""
        if dets.track_ids is None:
            return list(events)
        with self._lock:
            c = self._cam.get(camera)
            if c is None:
                if not self._every_pair:
                    return list(events)
                c = self._add_camera(camera)
            dets.global_ids = self._frame(c, float(timestamp), dets)
            out: list[TrackEvent] = []
            for ev in events:
                r = self._lookup(c, np.asarray([ev.track_id]))[0] if ev.source_id == camera else -1
                out.append(ev if r < 0 or ev.global_id is not None
                           else dataclasses.replace(ev, global_id=int(self._gid[r])))
            return out

    def _frame(self, c: int, t: float, dets: Detections) -> np.ndarray:
        tids = dets.track_ids
        assert tids is not None
        n = len(tids)
        self._now = max(self._now, t)
        self._frames += 1
        if self._frames % 256 == 0:
            self._prune()
        if n == 0:
            return np.zeros(0, np.int64)
        feats = None
        if dets.embeddings is not None and len(dets.embeddings) == n:
            feats = reid.normalize(dets.embeddings)
            self._size(feats.shape[1])
        valid = np.zeros(n, bool) if feats is None else np.einsum("ij,ij->i", feats, feats) > 0.5
        rows = self._lookup(c, tids)
        fresh = np.flatnonzero((rows < 0) & (tids >= 0))
        if len(fresh):
            rows[fresh] = self._decide(c, t, dets.class_ids[fresh], tids[fresh],
                                       None if feats is None else feats[fresh],
                                       valid[fresh])
        seen = rows >= 0
        r = rows[seen]
        self._last[r] = np.maximum(self._last[r], t)
        upd = seen & valid
        if feats is not None and upd.any():
            ru = rows[upd]
            self._feat[ru] = reid.smooth(self._feat[ru], self._has[ru], feats[upd], self.ema)
            self._has[ru] = True
        out = np.full(n, -1, np.int64)
        out[seen] = self._gid[r]
        return out

    def _decide(self, c: int, t: float, cls: np.ndarray, tids: np.ndarray, feats: np.ndarray | None,
                valid: np.ndarray) -> np.ndarray:
        """Rows for new tracks of camera `c`: each joined to a candidate's global id or given a new one."""
        k = len(tids)
        gids = np.zeros(k, np.int64)
        assigned = np.zeros(k, bool)
        if feats is not None and valid.any() and self._n:
            live = self._live[:self._n]
            src = self._cam_of[:self._n]
            dt = t - self._last[:self._n]
            lo, hi = self._lo[src, c], self._hi[src, c]
            ok = live & self._has[:self._n] & (dt <= hi) & ((lo <= 0) | (dt >= lo))
            mine = live & (src == c) & (dt <= BUSY_S)
            if ok.any():
                busy = self._gid[:self._n][mine]
                cand = np.flatnonzero(ok & ~np.isin(self._gid[:self._n], busy))
                if len(cand):
                    cg, inv = np.unique(self._gid[cand], return_inverse=True)
                    cost = np.maximum(0.0, 1.0 - feats @ self._feat[cand].T) / 2.0  # (k, cand)
                    cost[~valid] = 1.0
                    cost[cls[:, None] != self._cls[cand][None, :]] = 1.0
                    order = np.argsort(inv, kind="stable")  # best track per global id
                    starts = np.flatnonzero(np.r_[True, np.diff(inv[order]) > 0])
                    per_gid = np.minimum.reduceat(cost[:, order], starts, axis=1)
                    if self.ratio < 1 and per_gid.shape[1] > 1:
                        two = np.partition(per_gid, 1, axis=1)[:, :2]
                        per_gid[two[:, 0] > self.ratio * two[:, 1]] = 1.0
                    mr, mc, _, _ = linear_assignment(per_gid, self.match_thresh)
                    gids[mr], assigned[mr] = cg[mc], True
        for i in np.flatnonzero(~assigned):
            gids[i] = self._next
            self._next += 1
        rows = self._alloc(k)
        self._live[rows] = True
        self._cam_of[rows] = c
        self._gid[rows] = gids
        self._cls[rows] = cls
        self._last[rows] = t
        self._has[rows] = False
        lut = self._row[c]
        top = int(tids.max()) + 1
        if top > len(lut):
            grown = np.full(max(64, 2 * top), -1, np.int64)
            grown[:len(lut)] = lut
            lut = self._row[c] = grown
        lut[tids] = rows
        return rows

    def _lookup(self, c: int, tids: np.ndarray) -> np.ndarray:
        """Gallery rows of camera `c`'s track ids (-1: not in the gallery)."""
        lut = self._row[c]
        tids = np.asarray(tids, np.int64)
        inside = (tids >= 0) & (tids < len(lut))
        return np.where(inside, lut[np.where(inside, tids, 0)] if len(lut) else -1, -1)

    # ------------------------------------------------------------------ storage

    def _add_camera(self, name: str) -> int:
        """A camera joins a gallery without links: linked both ways to every other, window 0..max_s."""
        c = len(self.cameras)
        self.cameras.append(name)
        self._cam[name] = c
        self._row.append(_EMPTY)
        lo, hi = np.zeros((c + 1, c + 1)), np.full((c + 1, c + 1), self._max_s)
        np.fill_diagonal(lo, np.inf)
        np.fill_diagonal(hi, -np.inf)
        self._lo, self._hi = lo, hi
        return c

    def _size(self, dim: int) -> None:
        if self._feat.shape[1] != dim:  # first features, or another model: old features are not comparable
            self._feat = np.zeros((len(self._live), dim), np.float32)
            self._has[:] = False

    def _alloc(self, k: int) -> np.ndarray:
        need = self._n + k
        if need > len(self._live):
            cap = max(64, 2 * need)
            for name in ("_live", "_cam_of", "_gid", "_cls", "_last", "_has"):
                old = getattr(self, name)
                new = np.zeros(cap, old.dtype)
                new[:len(old)] = old
                setattr(self, name, new)
            feat = np.zeros((cap, self._feat.shape[1]), np.float32)
            feat[:len(self._feat)] = self._feat
            self._feat = feat
        rows = np.arange(self._n, need)
        self._n = need
        return rows

    def _prune(self) -> None:
        """Drop tracks not seen for longer than every window (and their (camera, id) keys)."""
        n = self._n
        keep = self._live[:n] & (self._now - self._last[:n] <= self._keep_s)
        if keep.all():
            return
        new_index = np.where(keep, np.cumsum(keep) - 1, -1)
        for lut in self._row:
            lut[lut >= 0] = new_index[lut[lut >= 0]]
        idx = np.flatnonzero(keep)
        m = len(idx)
        for name in ("_live", "_cam_of", "_gid", "_cls", "_last", "_has"):
            arr = getattr(self, name)
            arr[:m] = arr[idx]
        self._feat[:m] = self._feat[idx]
        self._live[m:n] = False
        self._n = m
