"""OC-SORT (Cao et al., CVPR 2023): observation-centric SORT, as the official code
(noahcao/OC_SORT `trackers/ocsort_tracker/`) runs it, vectorized over tracks.

SORT's skeleton — one list of tracks, a Kalman filter on (cx, cy, area, aspect) with constant
noise (`KalmanFilterXYSR`), a track reported only while it is matched and has `min_hits`
consecutive hits (or during the first `min_hits` frames), removed after `max_age` missed frames —
plus the three observation-centric parts, which trust the detector's boxes over the filter's
coasting:

- OCM (momentum): the first association maximises IoU plus `inertia` x (score-weighted)
  agreement between each track's direction of motion, taken from its observations `delta_t`
  frames apart, and the direction from its observation `delta_t` frames ago to the candidate.
- OCR (recovery): detections left over are matched once more against the *last observed boxes*
  of the tracks left over, so an object that stopped behind an occluder is found where it was seen.
- ORU (re-update): when a track that went unobserved is matched again, its filter is rewound to
  its last observation and fed a straight-line virtual trajectory from there to the new box, one
  step per missed frame, removing the error its coasting accumulated.

Matching as in the official code: no cost limit in the assignment (a complete matching on
-(IoU + OCM)), pairs below `iou_thresh` dropped afterwards, and when the IoU-above-threshold
pairs already form a one-to-one matching they are taken directly. IoU without the +1 pixel. The
reported box is the last observed detection box. Optional BYTE pass (`use_byte`): low-score boxes
against the tracks the first association left over. Kept on purpose: a track's birth box is not
an observation (its first direction needs two more matches), and after ORU the real observation
is applied once more, as the official filter does.

Departures from the official code:
- Thresholds are yolotrack's shared tracker keys: high/low split at `track_thresh` (official
  `det_thresh`, 0.6 in its scripts), the BYTE floor is `low_thresh` (official: 0.1 fixed), and a
  leftover high box starts a track only at >= `new_track_thresh` (official: every leftover high
  box; the same when new_track_thresh <= track_thresh). `max_age` is `track_buffer` frames at 30
  fps scaled to the source's rate, like every yolotrack tracker (official: frames, unscaled).
- Ids are per instance and given at a track's first report, so tracks that never reach
  `min_hits` leave no gaps.
- Observations are kept for the last `delta_t` frames only (official: the whole history),
  which is all the direction estimate reads. `per_class` forbids matching across classes.
- For frames the detector skips (`coast`), tracks are predicted but these frames do not count
  as misses (a skipped frame would otherwise reset every hit streak); a missing track's age
  and time since its last update do count them.
- Extra: lifecycle events (`new` at the first report, `lost`/`refound` when a reported track
  stops/starts being reported, `removed`), `state()`/`restore()`, and `report_missed` (0 here):
  a reported track that missed its detection stays reported at its prediction for that many
  frames and, matched again within them, need not earn `min_hits` again.

Checked against the official code frame for frame (`benchmarks/tracker_equivalence.py`): same
boxes, same identities, with the official parameters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from yolotrack.core.errors import ConfigError
from yolotrack.core.events import EventKind
from yolotrack.tracker.kalman import KalmanFilterXYSR, xyxy_to_xywh
from yolotrack.tracker.lifecycle import I64, FieldSpec, FrameInput, TrackerBase, TrackTable, check_unit
from yolotrack.tracker.matching import iou_matrix, linear_assignment

if TYPE_CHECKING:
    from yolotrack.core.config import TrackerConfig

CLASS_MISMATCH_SIM = -1e6  # official (its KITTI variant): mismatched classes never pay off


class OcSortTracker(TrackerBase):
    """OC-SORT. Same interface as `ByteTracker` (`update`, `update_detections`, `coast`, events).

    Args (threshold defaults are the official demo's):
        frame_rate: the source's fps, scales `track_buffer` (None or 0: 30).
        track_thresh: detections above it are associated and may start tracks (official det_thresh).
        low_thresh: floor of the low-score boxes for the BYTE pass.
        new_track_thresh: a leftover high box starts a track at >= this.
        iou_thresh: least IoU of a match, in every stage (official 0.3).
        track_buffer: frames at 30 fps a track survives without a match (official max_age 30).
        min_hits: consecutive matches before a track is reported (official 3).
        delta_t: frames between the observations that give a track's direction (official 3).
        inertia: weight of the direction agreement in the first association (official 0.2).
        use_byte: associate low-score boxes with leftover tracks (official off).
        per_class: never associate boxes of different classes.
        report_missed: frames a reported track stays reported after missing its detection, without
            having to earn `min_hits` again (official: 0; see `lifecycle`).
    """

    def __init__(self, frame_rate: float | None = 30, track_thresh: float = 0.6, low_thresh: float = 0.1,
                 new_track_thresh: float = 0.6, iou_thresh: float = 0.3, track_buffer: int = 30,
                 min_hits: int = 3, delta_t: int = 3, inertia: float = 0.2, use_byte: bool = False,
                 per_class: bool = False, report_missed: int = 0) -> None:
        check_unit(track_thresh=track_thresh, low_thresh=low_thresh, new_track_thresh=new_track_thresh,
                   iou_thresh=iou_thresh, inertia=inertia)
        for name, value, least in (("min_hits", min_hits, 0), ("delta_t", delta_t, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ConfigError(f"tracker.ocsort.{name} must be an integer >= {least}, got {value!r}")
        self.track_thresh = float(track_thresh)
        self.low_thresh = float(low_thresh)
        self.new_track_thresh = float(new_track_thresh)
        self.iou_thresh = float(iou_thresh)
        self.min_hits = int(min_hits)
        self.delta_t = int(delta_t)
        self.inertia = float(inertia)
        self.use_byte = bool(use_byte)
        self.FIELDS: dict[str, FieldSpec] = {
            "age": ((), np.int64, 0),  # frames since birth
            "tsu": ((), np.int64, 0),  # frames since the last match (official time_since_update)
            "hits": ((), np.int64, 0),
            "hit_streak": ((), np.int64, 0),
            "has_obs": ((), bool, False),  # has been matched at least once since birth
            "observed": ((), bool, False),  # the last update matched it (else ORU on the next match)
            "last_obs": ((4,), np.float64, -1.0),  # last observed box, xyxy
            "obs_age": ((), np.int64, -1),  # age of that observation
            "obs_mean": ((8,), np.float64, 0.0),  # filter state right after that observation (ORU)
            "obs_cov": ((8, 8), np.float64, 0.0),
            "ring": ((self.delta_t, 4), np.float64, 0.0),  # observations of the last delta_t ages
            "ring_age": ((self.delta_t,), np.int64, -1),
            "velocity": ((2,), np.float64, 0.0),  # unit (dy, dx) of the observed motion
        }
        super().__init__(frame_rate, track_buffer, per_class, report_missed)
        self.kf = KalmanFilterXYSR()
        self.reset()

    @classmethod
    def from_config(cls, cfg: TrackerConfig, frame_rate: float | None = None) -> OcSortTracker:
        o = cfg.ocsort
        return cls(frame_rate=frame_rate, track_thresh=cfg.track_thresh, low_thresh=cfg.low_thresh,
                   new_track_thresh=cfg.new_track_thresh, iou_thresh=o.iou_thresh, track_buffer=cfg.track_buffer,
                   min_hits=o.min_hits, delta_t=o.delta_t, inertia=o.inertia, use_byte=o.use_byte,
                   per_class=cfg.per_class, report_missed=cfg.report_missed)

    KIND = "ocsort"

    def reset(self) -> None:
        super().reset()
        self._boxes = np.zeros((0, 4))  # reported box of every row after the last update

    def _extra_state(self) -> dict[str, Any]:
        return {"boxes": self._boxes.copy()}

    def _restore_extra(self, state: dict[str, Any]) -> None:
        self._boxes = np.array(state["boxes"], dtype=np.float64, copy=True).reshape(-1, 4)

    # ------------------------------------------------------------------ one frame

    def _predict_all(self) -> None:
        t = self._tracks
        if len(t):
            mean = t.mean.copy()
            mean[mean[:, 6] + mean[:, 2] <= 0, 6] = 0.0  # official: an area velocity may not shrink it below 0
            t.mean, t.cov = self.kf.predict(mean, t.cov)
        t.age += 1

    def _coast_rows(self, image: np.ndarray | None) -> np.ndarray:
        self._predict_all()
        t = self._tracks
        t.tsu[t.tsu > 0] += 1
        return (t.shown & (t.tsu <= self.report_missed)).nonzero()[0]

    def _sim(self, rows: np.ndarray, track_boxes: np.ndarray, frame: FrameInput, det: np.ndarray) -> np.ndarray:
        iou = iou_matrix(track_boxes, frame.boxes[det], plus_one=False)
        return self._gate_classes(iou, self._tracks.cls[rows], frame.cls[det], CLASS_MISMATCH_SIM)

    def _match(self, sim: np.ndarray, rank: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Official association: a complete matching by `rank` (the first stage's IoU + OCM) or by
        IoU alone, then pairs below `iou_thresh` dropped. The IoU-only stages are skipped when no
        pair reaches the threshold; the first stage takes the pairs above it directly when they are
        already one-to-one."""
        if sim.size == 0:
            return I64, I64
        above = sim > self.iou_thresh
        if rank is None:
            if not above.any():
                return I64, I64
            r, c, _, _ = linear_assignment(-sim, None)
        elif above.sum(1).max() == 1 and above.sum(0).max() == 1:
            r, c = np.nonzero(above)
        else:
            r, c, _, _ = linear_assignment(-rank, None)
        ok = sim[r, c] >= self.iou_thresh
        return r[ok], c[ok]

    def _previous_obs(self) -> np.ndarray:
        """Each track's observation `delta_t` frames ago, else the nearest newer one, else its last
        (official k_previous_obs); boxes (N, 4)."""
        t = self._tracks
        rows = np.arange(len(t))
        prev = t.last_obs.copy()
        found = np.zeros(len(t), bool)
        for dt in range(self.delta_t, 0, -1):
            slot = (t.age - dt) % self.delta_t
            hit = ~found & (t.ring_age[rows, slot] == t.age - dt)
            prev[hit] = t.ring[rows[hit], slot[hit]]
            found |= hit
        return prev

    def _direction_cost(self, prev: np.ndarray, frame: FrameInput, det: np.ndarray) -> np.ndarray:
        """OCM: inertia x score x agreement of each track's motion with the way from its observation
        `prev` to each detection."""
        t = self._tracks
        d = xyxy_to_xywh(frame.boxes[det])[None, :, :2] - xyxy_to_xywh(prev)[:, None, :2]  # (T, D, [dx, dy])
        norm = np.sqrt((d * d).sum(-1)) + 1e-6
        cos = (t.velocity[:, 1, None] * d[..., 0] + t.velocity[:, 0, None] * d[..., 1]) / norm
        agree = (np.pi / 2.0 - np.abs(np.arccos(np.clip(cos, -1.0, 1.0)))) / np.pi
        return agree * t.has_obs[:, None] * self.inertia * frame.scores[det][None, :]

    def _step(self, frame: FrameInput, image: np.ndarray | None) -> None:
        boxes, scores = frame.boxes, frame.scores
        self._predict_all()
        t = self._tracks
        t.hit_streak[t.tsu > 0] = 0
        t.tsu += 1
        track_boxes = self.kf.boxes(t.mean)
        finite = np.isfinite(track_boxes).all(axis=1)
        if not finite.all():  # official: a track whose filter went invalid is dropped
            gone = (~finite).nonzero()[0]
            gone = gone[t.track_id[gone] > 0]
            self._emit(EventKind.REMOVED, gone, t.last_obs[gone])
            self._tracks = t = t.take(finite.nonzero()[0])
            track_boxes = track_boxes[finite]
        rows = np.arange(len(t))
        high = (scores > self.track_thresh).nonzero()[0]
        prev = self._previous_obs()

        # 1) every track x high detections: IoU + OCM.
        sim = self._sim(rows, track_boxes, frame, high)
        r1, c1 = self._match(sim, sim + self._direction_cost(prev, frame, high))
        u_trk = np.setdiff1d(rows, r1)
        u_high = np.setdiff1d(np.arange(len(high)), c1)
        matched, dets = [r1], [high[c1]]

        # BYTE (optional): leftover tracks x low detections, predicted boxes.
        if self.use_byte and len(u_trk):
            low = ((scores > self.low_thresh) & (scores < self.track_thresh)).nonzero()[0]
            rb, cb = self._match(self._sim(u_trk, track_boxes[u_trk], frame, low))
            matched.append(u_trk[rb])
            dets.append(low[cb])
            u_trk = np.setdiff1d(u_trk, u_trk[rb])

        # 2) OCR: leftover tracks' last observed boxes x leftover high detections.
        if len(u_trk) and len(u_high):
            left = high[u_high]
            rr, cr = self._match(self._sim(u_trk, t.last_obs[u_trk], frame, left))
            matched.append(u_trk[rr])
            dets.append(left[cr])
            u_high = np.setdiff1d(u_high, u_high[cr])
            u_trk = np.setdiff1d(u_trk, u_trk[rr])

        m_rows, m_dets = np.concatenate(matched), np.concatenate(dets)
        self._observe(m_rows, m_dets, prev[m_rows], frame)
        t.observed[u_trk] = False

        births = high[u_high]
        births = births[scores[births] >= self.new_track_thresh]
        if len(births):
            new = TrackTable(t.spec, len(births))
            new.mean, new.cov = self.kf.initiate(self.kf.measure(boxes[births]))
            new.score = scores[births].astype(np.float64)
            new.cls = frame.cls[births]
            new.det = births.copy()
            t.extend(new)
        self._finish()

    def _observe(self, rows: np.ndarray, det: np.ndarray, prev: np.ndarray, frame: FrameInput) -> None:
        """Matched tracks take their detection: direction (from `prev`, their `_previous_obs`),
        observation history, ORU, Kalman update."""
        if len(rows) == 0:
            return
        t = self._tracks
        box = frame.boxes[det]
        age = t.age[rows]
        had = t.has_obs[rows]
        d = xyxy_to_xywh(box)[:, :2] - xyxy_to_xywh(prev)[:, :2]
        norm = np.sqrt((d * d).sum(1, keepdims=True)) + 1e-6
        t.velocity[rows[had]] = (d[:, ::-1] / norm)[had]

        rewind = rows[had & ~t.observed[rows]]
        if len(rewind):
            self._re_update(rewind, box[had & ~t.observed[rows]])
        t.mean[rows], t.cov[rows] = self.kf.update(t.mean[rows], t.cov[rows], self.kf.measure(box))

        slot = age % self.delta_t
        t.ring[rows, slot] = box
        t.ring_age[rows, slot] = age
        t.last_obs[rows] = box
        t.obs_age[rows] = age
        t.obs_mean[rows], t.obs_cov[rows] = t.mean[rows], t.cov[rows]
        t.has_obs[rows] = True
        t.observed[rows] = True
        t.tsu[rows] = 0
        t.hits[rows] += 1
        t.hit_streak[rows] += 1
        t.score[rows] = frame.scores[det]
        t.cls[rows] = frame.cls[det]
        t.det[rows] = det

    def _re_update(self, rows: np.ndarray, box: np.ndarray) -> None:
        """ORU: from the state after the last observation, one predict + update per missed frame
        along a straight line to `box` (the official filter then updates with `box` once more)."""
        t = self._tracks
        gap = t.age[rows] - t.obs_age[rows]
        start = xyxy_to_xywh(t.last_obs[rows])
        step = (xyxy_to_xywh(box) - start) / gap[:, None]
        mean, cov = t.obs_mean[rows].copy(), t.obs_cov[rows].copy()
        mean[mean[:, 6] + mean[:, 2] <= 0, 6] = 0.0  # the first predict is the tracker's, with its guard
        for k in range(1, int(gap.max()) + 1):
            on = k <= gap
            mean[on], cov[on] = self.kf.predict(mean[on], cov[on])
            xywh = start[on] + k * step[on]
            z = xywh.copy()
            z[:, 2] = xywh[:, 2] * xywh[:, 3]
            z[:, 3] = xywh[:, 2] / xywh[:, 3]
            mean[on], cov[on] = self.kf.update(mean[on], cov[on], z)
        t.mean[rows], t.cov[rows] = mean, cov

    def _finish(self) -> None:
        """Who is reported this frame, events, and tracks past max_age go."""
        t = self._tracks
        hit = t.tsu < 1
        show = hit & ((t.hit_streak >= self.min_hits) | (self.frame_id <= self.min_hits))
        if self.report_missed:  # a reported track stays reported through short misses (see lifecycle)
            show |= t.shown & (t.tsu <= self.report_missed)
        boxes = np.where((t.has_obs & hit)[:, None], t.last_obs, self.kf.boxes(t.mean))
        self._report(show, boxes)
        dead = t.tsu > self.max_time_lost
        gone = (dead & (t.track_id > 0)).nonzero()[0]
        self._emit(EventKind.REMOVED, gone, boxes[gone])
        self._boxes = boxes
        if dead.any():
            self._tracks = t.take((~dead).nonzero()[0])
            self._boxes = boxes[~dead]

    def _output(self, keep: np.ndarray) -> np.ndarray:
        rows = self._tracks.shown.nonzero()[0]
        return self._rows_out(rows, self._boxes[rows], keep)
