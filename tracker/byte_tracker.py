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
- Extra: lifecycle events, `state()`/`restore()`, and `report_missed` (0 here, as in the
  reference; the app's config turns it on): a confirmed track that missed its detection is still
  reported at its prediction for that many frames. Trails for drawing are not kept here but by
  `render.TrailHistory` from the tracked output, so the video sink and the GUI draw the same
  trail from one setting.

The table, ids, events and API come from `lifecycle.TrackerBase`; BoT-SORT (`botsort.py`) is this
class with another Kalman filter, camera-motion compensation and an appearance cost, through the
hooks `_compensate`, `_cost`, `_matched` and `_born`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from yolotrack.core.events import EventKind
from yolotrack.tracker.kalman import BatchedKalman, KalmanFilterXYAH
from yolotrack.tracker.lifecycle import I64, FieldSpec, FrameInput, TrackerBase, TrackTable, check_unit
from yolotrack.tracker.matching import iou_matrix, linear_assignment

if TYPE_CHECKING:
    from yolotrack.core.config import TrackerConfig

TRACKED = 1
LOST = 2
DUPLICATE_IOU_DIST = 0.15  # reference: tracked/lost pairs closer than this are duplicates
BYTE_KEYS = ("track_thresh", "low_thresh", "new_track_thresh", "match_thresh", "second_match_thresh",
             "unconfirmed_match_thresh", "track_buffer", "fuse_score", "per_class", "report_missed")


class ByteTracker(TrackerBase):
    """Multi-object tracker: one instance per video source; `reset()` before reusing it.

    Output rows of `update`: [x1, y1, x2, y2, track_id, score, class, det_index]; the box is the
    Kalman posterior, `det_index` the input row it was matched to this frame (so masks and
    keypoints can follow). Only confirmed tracks matched in this frame are returned (and, with
    `report_missed`, confirmed tracks missed for at most that many frames, at their prediction,
    with det_index -1).

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
        report_missed: frames a confirmed track is still reported after missing its detection
            (reference: 0; see `lifecycle`).
    """

    FIELDS: dict[str, FieldSpec] = {
        "state": ((), np.int8, TRACKED),
        "activated": ((), bool, False),
        "start": ((), np.int64, 0),  # frame of birth
        "end": ((), np.int64, 0),  # frame of the last matched detection
        "tracklet_len": ((), np.int64, 0),
        "expired": ((), np.int64, 0),  # frame the buffer ran out (0: never); see _step
    }
    LOST_FROZEN = (7,)  # velocity components a lost track coasts without (the reference: vh)
    KIND = "bytetrack"

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
        report_missed: int = 0,
    ) -> None:
        check_unit(track_thresh=track_thresh, low_thresh=low_thresh, new_track_thresh=new_track_thresh,
                   match_thresh=match_thresh, second_match_thresh=second_match_thresh,
                   unconfirmed_match_thresh=unconfirmed_match_thresh)
        super().__init__(frame_rate, track_buffer, per_class, report_missed)
        self.track_thresh = float(track_thresh)
        self.low_thresh = float(low_thresh)
        self.new_track_thresh = float(new_track_thresh)
        self.match_thresh = float(match_thresh)
        self.second_match_thresh = float(second_match_thresh)
        self.unconfirmed_match_thresh = float(unconfirmed_match_thresh)
        self.fuse_score = bool(fuse_score)
        self.kf: BatchedKalman = KalmanFilterXYAH()
        self.reset()

    @classmethod
    def from_config(cls, cfg: TrackerConfig, frame_rate: float | None = None) -> ByteTracker:
        return cls(frame_rate=frame_rate, **{k: getattr(cfg, k) for k in BYTE_KEYS})

    reid_time = 0  # frames a lost track is kept for re-identification (BoT-SORT with `reid`); 0: none

    def reset(self) -> None:
        super().reset()
        self._n_tracked = 0  # rows [0, n) are the tracked list, the rest the lost list
        self._boxes = np.zeros((0, 4))  # xyxy of every table row after the last update

    def _extra_state(self) -> dict[str, Any]:
        return {"n_tracked": int(self._n_tracked), "boxes": self._boxes.copy()}

    def _restore_extra(self, state: dict[str, Any]) -> None:
        self._n_tracked = int(state["n_tracked"])
        self._boxes = np.array(state["boxes"], dtype=np.float64, copy=True).reshape(-1, 4)

    # ------------------------------------------------------------------ hooks (BoT-SORT)

    def _compensate(self, rows: np.ndarray, image: np.ndarray | None, foreground: np.ndarray | None) -> None:
        """Camera-motion compensation of the predicted states of `rows` (none in ByteTrack);
        `foreground`: this frame's high detections, or None on a frame without detections."""

    def _cost(self, rows: np.ndarray, track_boxes: np.ndarray, frame: FrameInput, det: np.ndarray,
              fuse: bool, appearance: bool) -> np.ndarray:
        """Cost of table `rows` (boxes `track_boxes`) against detections `det` of `frame`."""
        sim = iou_matrix(track_boxes, frame.boxes[det])
        if fuse:
            sim *= frame.scores[det]
        cost = np.subtract(1.0, sim, out=sim)
        return self._gate_classes(cost, self._tracks.cls[rows], frame.cls[det])

    def _matched(self, rows: np.ndarray, det: np.ndarray, frame: FrameInput) -> None:
        """Rows just updated with detections `det` (BoT-SORT refreshes their appearance)."""

    def _born(self, new: TrackTable, det: np.ndarray, frame: FrameInput) -> None:
        """New rows from detections `det`, before they join the table."""

    def _reidentify(self, rows: np.ndarray, det: np.ndarray, frame: FrameInput,
                    track_boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Lost `rows` the IoU stages did not match x would-be births `det`: (rows, dets) that are the same
        object (BoT-SORT with `reid`); none here."""
        return I64, I64

    # ------------------------------------------------------------------ one frame

    def _predict(self, pool: np.ndarray, n_conf: int) -> None:
        """One Kalman step for `pool` rows: confirmed tracked first, then lost ones (those coast
        with their size velocity zeroed, as in the reference)."""
        if len(pool):
            t = self._tracks
            mean = t.mean[pool]
            mean[n_conf:, self.LOST_FROZEN] = 0.0
            t.mean[pool], t.cov[pool] = self.kf.predict(mean, t.cov[pool])

    def _coast_rows(self, image: np.ndarray | None) -> np.ndarray:
        """Confirmed tracked rows predicted (lost ones too, so buffers and predictions stay in step);
        tentative tracks keep their box until the next detector frame."""
        t = self._tracks
        n_trk = self._n_tracked
        conf_rows = t.activated[:n_trk].nonzero()[0]
        lost_rows = np.arange(n_trk, len(t))
        pool = np.concatenate([conf_rows, lost_rows])
        self._predict(pool, len(conf_rows))
        self._compensate(np.concatenate([pool, (~t.activated[:n_trk]).nonzero()[0]]), image, None)
        return np.concatenate([conf_rows, self._recently_missed(lost_rows)])

    def _recently_missed(self, lost_rows: np.ndarray) -> np.ndarray:
        """The lost rows still reported at their prediction (`report_missed`)."""
        if not self.report_missed:
            return I64
        t = self._tracks
        return lost_rows[(self.frame_id - t.end[lost_rows] <= self.report_missed) & (t.track_id[lost_rows] > 0)]

    def _step(self, frame: FrameInput, image: np.ndarray | None) -> None:
        boxes, scores, cls = frame.boxes, frame.scores, frame.cls
        t = self._tracks
        fid = self.frame_id
        n_trk = self._n_tracked
        n_all = len(t)
        trk_rows = np.arange(n_trk)
        lost_rows = np.arange(n_trk, n_all)
        activated = t.activated[:n_trk]
        conf_rows = trk_rows[activated]
        unconf_rows = trk_rows[~activated]
        # lost past the buffer (+ the reference's extra frame), kept only for re-identification
        dormant = fid - t.end[lost_rows] > self.max_time_lost + 1 if self.reid_time else np.zeros(len(lost_rows), bool)
        predicted = np.concatenate([conf_rows, lost_rows])
        pool = np.concatenate([conf_rows, lost_rows[~dormant]])
        n_conf = len(conf_rows)

        high = (scores > self.track_thresh).nonzero()[0]
        low = ((scores > self.low_thresh) & (scores < self.track_thresh)).nonzero()[0]

        self._predict(predicted, n_conf)
        self._compensate(np.concatenate([predicted, unconf_rows]), image, boxes[high])
        track_boxes = self.kf.boxes(t.mean)
        pool_boxes = track_boxes[pool]

        # 1) pool x high detections, score-fused IoU.
        cost = self._cost(pool, pool_boxes, frame, high, self.fuse_score, True)
        r1, c1, u_pool, u_high = linear_assignment(cost, self.match_thresh)

        # 2) still-tracked leftovers x low detections, plain IoU.
        u_pool = u_pool[u_pool < n_conf]
        if len(low) and len(u_pool):
            cost = self._cost(pool[u_pool], pool_boxes[u_pool], frame, low, False, False)
            r2, c2, u_second, _ = linear_assignment(cost, self.second_match_thresh)
        else:
            r2 = c2 = I64
            u_second = np.arange(len(u_pool))

        # 3) tentative tracks (not predicted, as in the reference) x leftover high detections.
        left = high[u_high]
        if len(unconf_rows) and len(left):
            cost = self._cost(unconf_rows, track_boxes[unconf_rows], frame, left, self.fuse_score, True)
            r3, c3, u_unconf, u_left = linear_assignment(cost, self.unconfirmed_match_thresh)
        else:
            r3 = c3 = I64
            u_unconf, u_left = np.arange(len(unconf_rows)), np.arange(len(left))

        matched_rows = np.concatenate([pool[r1], pool[u_pool[r2]], unconf_rows[r3]])
        matched_dets = np.concatenate([high[c1], low[c2], left[c3]])
        refound = pool[r1[r1 >= n_conf]]
        newly_lost = pool[u_pool[u_second]]
        dead_tentative = unconf_rows[u_unconf]
        births = left[u_left]
        births = births[scores[births] >= self.new_track_thresh]

        # 4) re-identification (BoT-SORT `reid`): lost tracks the IoU stages missed x would-be births.
        if self.reid_time and len(births):
            unmatched_lost = np.setdiff1d(lost_rows, matched_rows, assume_unique=True)
            r4, d4 = self._reidentify(unmatched_lost, births, frame, track_boxes)
            if len(r4):
                matched_rows = np.concatenate([matched_rows, r4])
                matched_dets = np.concatenate([matched_dets, d4])
                refound = np.concatenate([refound, r4])
                births = births[~np.isin(births, d4)]

        # Kalman update of every matched track in one call.
        if len(matched_rows):
            t.mean[matched_rows], t.cov[matched_rows] = self.kf.update(
                t.mean[matched_rows], t.cov[matched_rows], self.kf.measure(boxes[matched_dets]))
            t.tracklet_len[matched_rows] += 1
            t.tracklet_len[refound] = 0
            t.state[matched_rows] = TRACKED
            t.score[matched_rows] = scores[matched_dets]
            t.cls[matched_rows] = cls[matched_dets]
            t.end[matched_rows] = fid
            t.det[matched_rows] = matched_dets
            self._matched(matched_rows, matched_dets, frame)
        confirmed_now = unconf_rows[r3]
        t.activated[confirmed_now] = True
        t.state[newly_lost] = LOST

        # Lost tracks past the buffer expire. As in the reference (which subtracts its removed
        # list from the lost list before adding this frame's removals), an expired track stays
        # in the lost list for one more frame, where it can still be re-found; it is dropped
        # after that, and a track that expired and was re-found is dropped when lost again.
        old_lost = lost_rows[t.state[lost_rows] == LOST]
        expired = t.expired[old_lost]
        newly_expired = (fid - t.end[old_lost] > max(self.max_time_lost, self.reid_time)) & (expired == 0)
        t.expired[old_lost[newly_expired]] = fid
        drop_old = (expired > 0) & (expired < fid)
        drop_new = t.expired[newly_lost] > 0
        still_lost = old_lost[~drop_old]

        # Births: new rows appended to the table.
        birth_rows = np.arange(n_all, n_all + len(births))
        if len(births):
            new = TrackTable(t.spec, len(births))
            new.mean, new.cov = self.kf.initiate(self.kf.measure(boxes[births]))
            new.score = scores[births].astype(np.float64)
            new.cls = cls[births]
            new.start[:] = fid
            new.end[:] = fid
            new.det = births.copy()
            new.activated[:] = fid == 1
            self._born(new, births, frame)
            t.extend(new)
            track_boxes = np.concatenate([track_boxes, boxes[births]])
        # Final boxes: posterior for matched rows, prediction for the rest (births: their box).
        if len(matched_rows):
            track_boxes[matched_rows] = self.kf.boxes(t.mean[matched_rows])

        # New list order, as the reference rebuilds its lists.
        keep_mask = np.ones(n_trk, bool)
        keep_mask[newly_lost] = False
        keep_mask[dead_tentative] = False
        tracked_order = np.concatenate([trk_rows[keep_mask], birth_rows, refound])
        lost_order = np.concatenate([still_lost, newly_lost[~drop_new]])
        if self.reid_time:  # a dormant track's frozen box is no duplicate of anything: it only waits
            asleep = fid - t.end[lost_order] > self.max_time_lost + 1
            tracked_order, awake, dup_removed = self._remove_duplicates(tracked_order, lost_order[~asleep],
                                                                        track_boxes)
            lost_order = np.concatenate([awake, lost_order[asleep]])
        else:
            tracked_order, lost_order, dup_removed = self._remove_duplicates(tracked_order, lost_order, track_boxes)

        # Reported: confirmed tracked rows (plus recently missed ones); ids and events follow.
        shown = np.zeros(len(t), bool)
        shown[tracked_order] = t.activated[tracked_order]
        shown[self._recently_missed(lost_order)] = True
        self._report(shown, track_boxes)
        removed = np.concatenate([old_lost[drop_old], newly_lost[drop_new], dup_removed])
        removed = removed[t.track_id[removed] > 0]
        self._emit(EventKind.REMOVED, removed, track_boxes[removed])

        order = np.concatenate([tracked_order, lost_order])
        self._tracks = t.take(order)
        self._boxes = track_boxes[order]
        self._n_tracked = len(tracked_order)

    def _remove_duplicates(self, trk: np.ndarray, lost: np.ndarray, boxes: np.ndarray
                           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Tracked/lost pairs overlapping > 0.85 IoU: keep the one tracked for longer."""
        if len(trk) == 0 or len(lost) == 0:
            return trk, lost, I64
        t = self._tracks
        dup = iou_matrix(boxes[trk], boxes[lost]) > 1.0 - DUPLICATE_IOU_DIST
        if self.per_class:
            dup &= t.cls[trk][:, None] == t.cls[lost][None, :]
        p, q = np.nonzero(dup)
        if len(p) == 0:
            return trk, lost, I64
        age_p = t.end[trk[p]] - t.start[trk[p]]
        age_q = t.end[lost[q]] - t.start[lost[q]]
        keep_trk = np.ones(len(trk), bool)
        keep_lost = np.ones(len(lost), bool)
        keep_trk[p[age_p <= age_q]] = False
        keep_lost[q[age_p > age_q]] = False
        return trk[keep_trk], lost[keep_lost], np.concatenate([trk[~keep_trk], lost[~keep_lost]])

    def _output(self, keep: np.ndarray) -> np.ndarray:
        rows = self._tracks.shown.nonzero()[0]
        return self._rows_out(rows, self._boxes[rows], keep)
