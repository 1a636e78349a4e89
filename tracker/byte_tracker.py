"""ByteTrack (Zhang et al., ECCV 2022) as the reference implementation runs it, but vectorized.

Tracks live in one struct-of-arrays table instead of one Python object per track. The table
rows are kept in the reference's list order (its `tracked_stracks` list, then `lost_stracks`),
so the assignment sees the same matrices, row for row, as the reference. Per frame the work
is a fixed number of numpy calls (Kalman predict/update batched over all tracks) plus lapjv on
the crowded part of each cost matrix (see `matching.linear_assignment`). Checked against the
reference code (ifzhang/ByteTrack) on TUD sequences and random scenes: same boxes and the same
identities frame for frame.

Kept from the reference on purpose: the thresholds and their strict/non-strict comparisons
(a score equal to `track_thresh` is neither high nor low), IoU with the legacy +1 pixel
convention, tentative tracks matched at their unpredicted box and removed after one miss,
duplicate suppression between the tracked and lost lists (the younger track goes), and the
lost buffer `int(frame_rate / 30 * track_buffer)`: given in frames at 30 fps and converted to
the source's real rate, so it is a fixed time span (1 s by default) whatever the fps — 10
frames at 10 fps, 60 at 60 fps (`frame_rate` None or 0 means 30). An expired lost track leaves
the lost list one frame late (it can still be re-found then), as in the reference.

Differences (none changes which boxes get associated):
- IDs come from a per-instance counter starting at 1 and are given when a track is confirmed
  (its second consecutive hit, or at birth in the first frame), so tentative tracks that die
  leave no gaps and two trackers never share a counter.
- Removed tracks are dropped (the reference keeps them in a list forever: memory grows).
- Degenerate input boxes (non-finite, zero or negative size, non-finite score) are dropped.
- The class of a track is that of its latest matched detection; `per_class=True` forbids
  associating (and de-duplicating) across classes, which the reference never does.
- Extra: lifecycle events. Trails for drawing are not kept here but by `render.TrailHistory`
  from the tracked output, so the video sink and the GUI draw the same trail from one setting.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from dataclasses import fields
from numbers import Real
from typing import TYPE_CHECKING, Any

import numpy as np

from yolotrack.core.detections import Detections
from yolotrack.core.errors import ConfigError, InvalidInputError
from yolotrack.core.events import TrackEvent
from yolotrack.tracker.kalman import KalmanFilterXYAH, xyah_to_xyxy, xyxy_to_xyah
from yolotrack.tracker.matching import iou_matrix, linear_assignment

if TYPE_CHECKING:
    from yolotrack.core.config import TrackerConfig

log = logging.getLogger(__name__)

TRACKED = 1
LOST = 2
DUPLICATE_IOU_DIST = 0.15  # reference: tracked/lost pairs closer than this are duplicates
CLASS_MISMATCH_COST = 2.0  # finite and above any threshold, so lapjv never takes the pair
MAX_PENDING_EVENTS = 100_000  # bound memory when nobody pops events

_I64 = np.zeros(0, dtype=np.int64)


class _Tracks:
    """Struct of arrays, one row per live track (tentative, tracked or lost)."""

    FIELDS = ("mean", "cov", "track_id", "state", "activated", "score", "cls", "start", "end",
              "tracklet_len", "det", "expired")

    def __init__(self, n: int = 0) -> None:
        self.mean = np.zeros((n, 8))
        self.cov = np.zeros((n, 8, 8))
        self.track_id = np.zeros(n, np.int64)  # 0 until confirmed
        self.state = np.full(n, TRACKED, np.int8)
        self.activated = np.zeros(n, bool)
        self.score = np.zeros(n)
        self.cls = np.zeros(n, np.int64)
        self.start = np.zeros(n, np.int64)  # frame of birth
        self.end = np.zeros(n, np.int64)  # frame of the last matched detection
        self.tracklet_len = np.zeros(n, np.int64)
        self.det = np.full(n, -1, np.int64)  # input row matched in the current frame
        self.expired = np.zeros(n, np.int64)  # frame the buffer ran out (0: never); see _step

    def __len__(self) -> int:
        return len(self.track_id)

    def take(self, idx: np.ndarray) -> _Tracks:
        out = _Tracks.__new__(_Tracks)
        for name in self.FIELDS:
            setattr(out, name, getattr(self, name)[idx])
        return out

    def extend(self, other: _Tracks) -> None:
        for name in self.FIELDS:
            setattr(self, name, np.concatenate([getattr(self, name), getattr(other, name)]))


class ByteTracker:
    """Multi-object tracker: one instance per video source; `reset()` before reusing it.

    Output rows of `update`: [x1, y1, x2, y2, track_id, score, class, det_index]; the box is the
    Kalman posterior, `det_index` the input row it was matched to this frame (so masks and
    keypoints can follow). Only confirmed tracks matched in this frame are returned.

    Args (the fields of `core.config.TrackerConfig`; defaults are the reference demo's):
        frame_rate: the source's fps, scales `track_buffer` (None or 0: 30).
        track_thresh: scores above it are "high" (first association, births); reference 0.5.
        low_thresh: scores in (low_thresh, track_thresh) are "low" (second association only).
        new_track_thresh: a leftover high box starts a track at >= this (reference: thresh + 0.1).
        match_thresh: cost limit of the first association (cost 1 - IoU, or 1 - IoU * score).
        second_match_thresh: cost limit of the low-score association (IoU > 0.5).
        unconfirmed_match_thresh: cost limit for tentative tracks (born last frame).
        track_buffer: frames at 30 fps that a lost track can be re-found.
        fuse_score: multiply IoU by the detection score in the first/tentative associations.
        per_class: never associate boxes of different classes (reference: off).
    """

    def __init__(
        self,
        frame_rate: float | None = 30,
        track_thresh: float = 0.5,
        low_thresh: float = 0.1,
        new_track_thresh: float = 0.6,
        match_thresh: float = 0.8,
        second_match_thresh: float = 0.5,
        unconfirmed_match_thresh: float = 0.7,
        track_buffer: int = 30,
        fuse_score: bool = True,
        per_class: bool = False,
    ) -> None:
        for name, value in (("track_thresh", track_thresh), ("low_thresh", low_thresh),
                            ("new_track_thresh", new_track_thresh), ("match_thresh", match_thresh),
                            ("second_match_thresh", second_match_thresh),
                            ("unconfirmed_match_thresh", unconfirmed_match_thresh)):
            if not (isinstance(value, Real) and 0.0 <= value <= 1.0):
                raise ConfigError(f"tracker.{name} must be a number in [0, 1], got {value!r}")
        if int(track_buffer) < 0:
            raise ConfigError(f"tracker.track_buffer must be >= 0 frames, got {track_buffer!r}")
        if frame_rate is None or not math.isfinite(frame_rate) or frame_rate <= 0:
            frame_rate = 30.0
        self.frame_rate = float(frame_rate)
        self.track_thresh = float(track_thresh)
        self.low_thresh = float(low_thresh)
        self.new_track_thresh = float(new_track_thresh)
        self.match_thresh = float(match_thresh)
        self.second_match_thresh = float(second_match_thresh)
        self.unconfirmed_match_thresh = float(unconfirmed_match_thresh)
        self.track_buffer = int(track_buffer)
        self.fuse_score = bool(fuse_score)
        self.per_class = bool(per_class)
        # Reference formula: buffer given in frames at 30 fps, scaled to this source's rate.
        self.max_time_lost = int(self.frame_rate / 30.0 * self.track_buffer)
        self.kf = KalmanFilterXYAH()
        self.reset()

    @classmethod
    def from_config(cls, cfg: TrackerConfig, frame_rate: float | None = None) -> ByteTracker:
        params = {f.name: getattr(cfg, f.name) for f in fields(cfg) if f.name != "enabled"}
        return cls(frame_rate=frame_rate, **params)

    def reset(self) -> None:
        """Forget every track, the frame counter and the ID counter (new video)."""
        self.frame_id = 0
        self._next_id = 1
        self._tracks = _Tracks()
        self._n_tracked = 0  # rows [0, n) are the tracked list, the rest the lost list
        self._boxes = np.zeros((0, 4))  # xyxy of every table row after the last update
        self._events: deque[TrackEvent] = deque(maxlen=MAX_PENDING_EVENTS)
        self._event_frame = 0

    # ------------------------------------------------------------------ public API

    def update(self, boxes_xyxy: np.ndarray, scores: np.ndarray, classes: np.ndarray | None = None,
               *, frame_index: int | None = None) -> np.ndarray:
        """Advance one frame. Returns (M, 8) rows for the confirmed tracks matched in it."""
        boxes, det_scores, det_cls, keep = self._validate(boxes_xyxy, scores, classes)
        self.frame_id += 1
        self._event_frame = self.frame_id - 1 if frame_index is None else int(frame_index)
        self._step(boxes, det_scores, det_cls)
        return self._output(keep)

    def update_detections(self, dets: Detections, frame_index: int | None = None) -> Detections:
        """`update` on a `Detections`: the tracked rows, with ids and the tracker's boxes."""
        if not isinstance(dets, Detections):
            raise InvalidInputError(f"update_detections expects core.Detections, got {type(dets).__name__}")
        out = self.update(dets.xyxy, dets.scores, dets.class_ids, frame_index=frame_index)
        rows = dets[out[:, 7].astype(np.int64)]
        return rows.with_tracks(out[:, 4].astype(np.int64), out[:, :4].astype(np.float32))

    def coast(self, frame_index: int | None = None, names: dict[int, str] | None = None) -> Detections:
        """Advance one frame without detections: the confirmed tracks at their Kalman prediction.

        For frames the detector skips (`pipeline.detect_every`). Unlike `update` with no boxes,
        nobody is marked lost and no event is raised: the next `update` associates against
        predictions carried over every skipped frame, and a lost track's time in the buffer
        counts these frames. Tentative tracks keep their box until the next detector frame.
        Scores and classes are those of each track's last matched detection; there are no masks
        or keypoints (they come only with detections).
        """
        self.frame_id += 1
        self._event_frame = self.frame_id - 1 if frame_index is None else int(frame_index)
        t = self._tracks
        n_trk = self._n_tracked
        conf_rows = t.activated[:n_trk].nonzero()[0]
        self._predict(np.concatenate([conf_rows, np.arange(n_trk, len(t))]), len(conf_rows))
        return Detections(xyah_to_xyxy(t.mean[conf_rows]), t.score[conf_rows], t.cls[conf_rows],
                          names=dict(names or {}), track_ids=t.track_id[conf_rows])

    def pop_events(self) -> list[TrackEvent]:
        """Lifecycle events (new, lost, refound, removed) since the last call, oldest first."""
        events = list(self._events)
        self._events.clear()
        return events

    def state(self) -> dict[str, Any]:
        """Everything needed to go on from here, for a tracker restarted in another process.

        Plain ints and numpy arrays (picklable, a few hundred bytes per live track). `next_id` is the
        id the next confirmed track gets; a caller may raise it before `restore` so that ids
        already handed out elsewhere are never given again (the cluster does after a restart).
        """
        t = self._tracks
        return {"kind": "bytetrack", "version": 1, "next_id": int(self._next_id), "frame_id": int(self.frame_id),
                "n_tracked": int(self._n_tracked), "boxes": self._boxes.copy(),
                "tracks": {name: getattr(t, name).copy() for name in _Tracks.FIELDS}}

    def restore(self, state: dict[str, Any]) -> None:
        """Continue from `state()` of a tracker built with the same settings: the same tracks,
        frame counter and id counter, so the next updates give what the original would have.
        Pending events are not part of the state (the pipeline pops them every frame)."""
        if not isinstance(state, dict) or state.get("kind") != "bytetrack" or state.get("version") != 1:
            got = state.get("kind") if isinstance(state, dict) else type(state).__name__
            raise InvalidInputError(f"not a ByteTracker state (version 1): {got!r}")
        self.reset()
        tracks = _Tracks.__new__(_Tracks)
        for name in _Tracks.FIELDS:
            setattr(tracks, name, np.array(state["tracks"][name], copy=True))
        self._tracks = tracks
        self._boxes = np.array(state["boxes"], dtype=np.float64, copy=True).reshape(-1, 4)
        self._n_tracked = int(state["n_tracked"])
        self.frame_id = int(state["frame_id"])
        self._next_id = max(1, int(state["next_id"]))

    @property
    def active_count(self) -> int:
        """Live tracks of any state (tentative, tracked, lost): what memory scales with."""
        return len(self._tracks)

    # ------------------------------------------------------------------ internals

    @staticmethod
    def _validate(boxes: object, scores: object, classes: object
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Malformed arrays raise; degenerate rows are dropped. Returns kept rows and their indices."""
        try:
            b = np.asarray(boxes, dtype=np.float64)
            s = np.asarray(scores, dtype=np.float64)
            c = None if classes is None else np.asarray(classes, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise InvalidInputError(f"tracker input is not numeric: {e}") from None
        if b.size == 0 and (b.ndim == 1 or (b.ndim == 2 and b.shape[0] == 0)):
            b = b.reshape(0, 4)
        if b.ndim != 2 or b.shape[1] != 4:
            raise InvalidInputError(f"tracker boxes must have shape (N, 4), got {b.shape}")
        n = len(b)
        if s.ndim != 1 or len(s) != n:
            raise InvalidInputError(f"tracker scores must have shape ({n},) to match the boxes, got {s.shape}")
        if c is None:
            c = np.zeros(n)
        elif c.ndim != 1 or len(c) != n:
            raise InvalidInputError(f"tracker classes must have shape ({n},) to match the boxes, got {c.shape}")
        ok = (np.isfinite(b).all(axis=1) & np.isfinite(s) & np.isfinite(c)
              & (b[:, 2] > b[:, 0]) & (b[:, 3] > b[:, 1]))
        if ok.all():
            return b, s, c.astype(np.int64), np.arange(n)
        keep = np.flatnonzero(ok)
        log.debug("tracker: dropped %d degenerate detection(s) (non-finite or empty box): rows %s",
                  n - len(keep), np.flatnonzero(~ok)[:20].tolist())
        return b[keep], s[keep], c[keep].astype(np.int64), keep

    def _cost(self, track_boxes: np.ndarray, track_cls: np.ndarray, det_boxes: np.ndarray,
              det_scores: np.ndarray, det_cls: np.ndarray, fuse: bool) -> np.ndarray:
        sim = iou_matrix(track_boxes, det_boxes)
        if fuse:
            sim *= det_scores
        cost = np.subtract(1.0, sim, out=sim)
        if self.per_class and cost.size:
            cost[track_cls[:, None] != det_cls[None, :]] = CLASS_MISMATCH_COST
        return cost

    def _predict(self, pool: np.ndarray, n_conf: int) -> None:
        """One Kalman step for `pool` rows: confirmed tracked first, then lost ones (those coast
        with vh zeroed, as in the reference)."""
        if len(pool):
            t = self._tracks
            mean = t.mean[pool]
            mean[n_conf:, 7] = 0.0
            t.mean[pool], t.cov[pool] = self.kf.predict(mean, t.cov[pool])

    def _step(self, boxes: np.ndarray, scores: np.ndarray, cls: np.ndarray) -> None:
        t = self._tracks
        fid = self.frame_id
        n_trk = self._n_tracked
        n_all = len(t)
        t.det[:] = -1
        trk_rows = np.arange(n_trk)
        lost_rows = np.arange(n_trk, n_all)
        activated = t.activated[:n_trk]
        conf_rows = trk_rows[activated]
        unconf_rows = trk_rows[~activated]
        pool = np.concatenate([conf_rows, lost_rows])
        n_conf = len(conf_rows)

        self._predict(pool, n_conf)
        track_boxes = xyah_to_xyxy(t.mean)
        pool_boxes = track_boxes[pool]
        pool_cls = t.cls[pool]

        high = (scores > self.track_thresh).nonzero()[0]
        low = ((scores > self.low_thresh) & (scores < self.track_thresh)).nonzero()[0]

        # 1) pool x high detections, score-fused IoU.
        cost = self._cost(pool_boxes, pool_cls, boxes[high], scores[high], cls[high], self.fuse_score)
        r1, c1, u_pool, u_high = linear_assignment(cost, self.match_thresh)

        # 2) still-tracked leftovers x low detections, plain IoU.
        u_pool = u_pool[u_pool < n_conf]
        if len(low) and len(u_pool):
            cost = self._cost(pool_boxes[u_pool], pool_cls[u_pool], boxes[low], scores[low], cls[low], False)
            r2, c2, u_second, _ = linear_assignment(cost, self.second_match_thresh)
        else:
            r2 = c2 = _I64
            u_second = np.arange(len(u_pool))

        # 3) tentative tracks (not predicted, as in the reference) x leftover high detections.
        left = high[u_high]
        if len(unconf_rows) and len(left):
            cost = self._cost(track_boxes[unconf_rows], t.cls[unconf_rows], boxes[left], scores[left],
                              cls[left], self.fuse_score)
            r3, c3, u_unconf, u_left = linear_assignment(cost, self.unconfirmed_match_thresh)
        else:
            r3 = c3 = _I64
            u_unconf, u_left = np.arange(len(unconf_rows)), np.arange(len(left))

        matched_rows = np.concatenate([pool[r1], pool[u_pool[r2]], unconf_rows[r3]])
        matched_dets = np.concatenate([high[c1], low[c2], left[c3]])
        refound = pool[r1[r1 >= n_conf]]
        newly_lost = pool[u_pool[u_second]]
        dead_tentative = unconf_rows[u_unconf]
        births = left[u_left]
        births = births[scores[births] >= self.new_track_thresh]

        # Kalman update of every matched track in one call.
        if len(matched_rows):
            t.mean[matched_rows], t.cov[matched_rows] = self.kf.update(
                t.mean[matched_rows], t.cov[matched_rows], xyxy_to_xyah(boxes[matched_dets]))
            t.tracklet_len[matched_rows] += 1
            t.tracklet_len[refound] = 0
            t.state[matched_rows] = TRACKED
            t.score[matched_rows] = scores[matched_dets]
            t.cls[matched_rows] = cls[matched_dets]
            t.end[matched_rows] = fid
            t.det[matched_rows] = matched_dets
        confirmed_now = unconf_rows[r3]
        t.activated[confirmed_now] = True
        t.state[newly_lost] = LOST

        # Lost tracks past the buffer expire. As in the reference (which subtracts its removed
        # list from the lost list before adding this frame's removals), an expired track stays
        # in the lost list for one more frame, where it can still be re-found; it is dropped
        # after that, and a track that expired and was re-found is dropped when lost again.
        old_lost = lost_rows[t.state[lost_rows] == LOST]
        expired = t.expired[old_lost]
        newly_expired = (fid - t.end[old_lost] > self.max_time_lost) & (expired == 0)
        t.expired[old_lost[newly_expired]] = fid
        drop_old = (expired > 0) & (expired < fid)
        drop_new = t.expired[newly_lost] > 0
        still_lost = old_lost[~drop_old]

        # Births: new rows appended to the table.
        birth_rows = np.arange(n_all, n_all + len(births))
        if len(births):
            new = _Tracks(len(births))
            new.mean, new.cov = self.kf.initiate(xyxy_to_xyah(boxes[births]))
            new.score = scores[births].astype(np.float64)
            new.cls = cls[births]
            new.start[:] = fid
            new.end[:] = fid
            new.det = births.copy()
            new.activated[:] = fid == 1
            t.extend(new)
            track_boxes = np.concatenate([track_boxes, boxes[births]])
        # Final boxes: posterior for matched rows, prediction for the rest (births: their box).
        if len(matched_rows):
            track_boxes[matched_rows] = xyah_to_xyxy(t.mean[matched_rows])

        # New list order, as the reference rebuilds its lists.
        keep_mask = np.ones(n_trk, bool)
        keep_mask[newly_lost] = False
        keep_mask[dead_tentative] = False
        tracked_order = np.concatenate([trk_rows[keep_mask], birth_rows, refound])
        lost_order = np.concatenate([still_lost, newly_lost[~drop_new]])
        tracked_order, lost_order, dup_removed = self._remove_duplicates(tracked_order, lost_order, track_boxes)

        # IDs and events, only for tracks that are (or were) confirmed.
        new_ids = np.concatenate([confirmed_now, birth_rows]) if fid == 1 else confirmed_now
        if len(new_ids):
            t.track_id[new_ids] = np.arange(self._next_id, self._next_id + len(new_ids))
            self._next_id += len(new_ids)
        self._emit("new", new_ids, track_boxes)
        self._emit("lost", newly_lost, track_boxes)
        self._emit("refound", refound, track_boxes)
        removed = np.concatenate([old_lost[drop_old], newly_lost[drop_new], dup_removed])
        self._emit("removed", removed[t.activated[removed]], track_boxes)

        order = np.concatenate([tracked_order, lost_order])
        self._tracks = t.take(order)
        self._boxes = track_boxes[order]
        self._n_tracked = len(tracked_order)

    def _emit(self, kind: str, rows: np.ndarray, boxes: np.ndarray) -> None:
        if len(rows) == 0:
            return
        t = self._tracks
        frame = self._event_frame
        for tid, c, s, b in zip(t.track_id[rows].tolist(), t.cls[rows].tolist(), t.score[rows].tolist(),
                                boxes[rows].tolist(), strict=True):
            self._events.append(TrackEvent(kind, tid, frame, c, tuple(b), s))  # type: ignore[arg-type]

    def _remove_duplicates(self, trk: np.ndarray, lost: np.ndarray, boxes: np.ndarray
                           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Tracked/lost pairs overlapping > 0.85 IoU: keep the one tracked for longer."""
        if len(trk) == 0 or len(lost) == 0:
            return trk, lost, _I64
        t = self._tracks
        dup = iou_matrix(boxes[trk], boxes[lost]) > 1.0 - DUPLICATE_IOU_DIST
        if self.per_class:
            dup &= t.cls[trk][:, None] == t.cls[lost][None, :]
        p, q = np.nonzero(dup)
        if len(p) == 0:
            return trk, lost, _I64
        age_p = t.end[trk[p]] - t.start[trk[p]]
        age_q = t.end[lost[q]] - t.start[lost[q]]
        keep_trk = np.ones(len(trk), bool)
        keep_lost = np.ones(len(lost), bool)
        keep_trk[p[age_p <= age_q]] = False
        keep_lost[q[age_p > age_q]] = False
        return trk[keep_trk], lost[keep_lost], np.concatenate([trk[~keep_trk], lost[~keep_lost]])

    def _output(self, keep: np.ndarray) -> np.ndarray:
        t = self._tracks
        rows = t.activated[: self._n_tracked].nonzero()[0]
        out = np.empty((len(rows), 8))
        out[:, :4] = self._boxes[rows]
        out[:, 4] = t.track_id[rows]
        out[:, 5] = t.score[rows]
        out[:, 6] = t.cls[rows]
        out[:, 7] = keep[t.det[rows]]
        return out
