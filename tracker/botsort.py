"""BoT-SORT (Aharon et al., 2022): ByteTrack with a better box filter, camera-motion compensation
and optional appearance, as the official code (NirAharon/BoT-SORT `tracker/bot_sort.py`) runs it.

What it changes in ByteTrack's frame (everything else is `ByteTracker`, the same code):
- Kalman state (cx, cy, w, h) with noise proportional to the width for x and w and to the
  height for y and h (`KalmanFilterXYWH`); a lost track coasts with both size velocities zeroed.
- After the prediction, every predicted and tentative track is moved by the camera motion
  between the previous frame and this one (`gmc.CameraMotion`: sparse optical flow or ECC),
  mean and covariance alike.
- With appearance on, the first and the tentative associations take, per pair, the smaller of
  the (score-fused) IoU cost and the appearance cost (1 - cos) / 2 of the track's smoothed
  embedding and the detection's; an appearance cost only counts where it is at most
  `appearance_thresh` and the boxes overlap with IoU >= `proximity_thresh`. A track's embedding
  is an exponential moving average (0.9) of the high-score detections it matched. The second
  (low-score) association stays IoU only, as in the official code.

Departures from the official code:
- Only confirmed tracks are reported (the official tracker also outputs tentative tracks born
  this frame); ids are given at confirmation (see `ByteTracker`).
- Appearance embeddings are the detector's own P3 neck map averaged in each box
  (`Detections.embeddings`), not a FastReID network; the official thresholds were tuned for
  that network. Without embeddings (e.g. `yolotrack track` from a detection file), or for
  tracks or detections without one, the cost is IoU only.
- Camera-motion compensation runs on a fixed small working size (see `gmc.py`) and is skipped
  on frames given without an image (no images, no compensation). ORB/SIFT/file methods are not
  offered. The sparse method takes no corners inside this frame's high-score detections (on a
  frame without detections, the tracked boxes), as the official ORB/SIFT methods mask the
  detections; the official sparseOptFlow uses the whole frame, so textured moving objects can
  outvote the background and make a still camera seem to move.
- Re-identification after long occlusion (`reid`, not in the official code): a lost track waits
  `reid_buffer` frames instead of `track_buffer`, out of the IoU stages once its buffer ran out,
  and a high detection that would start a new track is first matched to the lost tracks on
  appearance (the detector's embeddings, `reid_thresh`) within a motion gate (`_reidentify`).
- The per-sequence MOT17 settings and the output filters of `tools/track.py` (boxes taller
  than wide by 1.6, area < 10) are not applied: they are pedestrian-benchmark specific.
- Thresholds are yolotrack's shared tracker keys (the class defaults are the official ones);
  `report_missed` as in `ByteTracker`. Checked against the official code frame for frame
  (`benchmarks/tracker_equivalence.py`) with the official thresholds and no camera motion.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from yolotrack.core.errors import ConfigError
from yolotrack.tracker import reid
from yolotrack.tracker.byte_tracker import BYTE_KEYS, ByteTracker
from yolotrack.tracker.gmc import IDENTITY, METHODS, CameraMotion
from yolotrack.tracker.kalman import KalmanFilterXYWH
from yolotrack.tracker.lifecycle import I64, FieldSpec, FrameInput, TrackTable, check_unit
from yolotrack.tracker.matching import iou_matrix, linear_assignment

if TYPE_CHECKING:
    from yolotrack.core.config import TrackerConfig

REID_GATE = 0.2  # re-identification: track sizes a lost object may stray from its prediction, per second lost plus one
REID_SIZE = 1.3  # ... and the most its box size may change


class BotSortTracker(ByteTracker):
    """BoT-SORT. Same interface as `ByteTracker`; pass each frame's `image` for camera motion and
    `embeddings` (or `Detections.embeddings`) for appearance.

    Args (besides ByteTracker's; threshold defaults are the official `tools/track.py` ones):
        gmc: camera-motion method, `sparse` (official default), `ecc` or `none`.
        appearance: use embeddings in the association.
        proximity_thresh: least IoU for an appearance match (official 0.5).
        appearance_thresh: largest appearance cost (1 - cos) / 2 that counts (official 0.25).
    """

    FIELDS: dict[str, FieldSpec] = {
        **ByteTracker.FIELDS,
        "feat": ((0,), np.float32, 0.0),  # unit embedding, sized at the first frame that has them
        "has_feat": ((), bool, False),
    }
    LOST_FROZEN = (6, 7)  # official: a lost track coasts without vw and vh
    KIND = "botsort"

    def __init__(self, frame_rate: float | None = 30, track_thresh: float = 0.6, low_thresh: float = 0.1,
                 new_track_thresh: float = 0.7, match_thresh: float = 0.8, second_match_thresh: float = 0.5,
                 unconfirmed_match_thresh: float = 0.7, track_buffer: int = 30, fuse_score: bool = True,
                 per_class: bool = False, report_missed: int = 0, gmc: str = "sparse", appearance: bool = False,
                 proximity_thresh: float = 0.5, appearance_thresh: float = 0.25, reid: bool = False,
                 reid_buffer: int = 150, reid_thresh: float = 0.02) -> None:
        if gmc not in METHODS:
            raise ConfigError(f"tracker.botsort.gmc must be one of {', '.join(METHODS)}, got {gmc!r}")
        check_unit(proximity_thresh=proximity_thresh, appearance_thresh=appearance_thresh, reid_thresh=reid_thresh)
        self.motion = CameraMotion(gmc)  # before super().__init__, whose reset() resets it
        self.appearance = bool(appearance)
        self.proximity_thresh = float(proximity_thresh)
        self.appearance_thresh = float(appearance_thresh)
        self.reid = bool(reid)
        self.reid_thresh = float(reid_thresh)
        super().__init__(frame_rate, track_thresh, low_thresh, new_track_thresh, match_thresh,
                         second_match_thresh, unconfirmed_match_thresh, track_buffer, fuse_score, per_class,
                         report_missed)
        # a lost track waits this long (frames at 30 fps, scaled to the source's rate) to be re-identified
        self.reid_time = int(self.frame_rate / 30.0 * int(reid_buffer)) if self.reid else 0
        self.kf = KalmanFilterXYWH()

    @classmethod
    def from_config(cls, cfg: TrackerConfig, frame_rate: float | None = None) -> BotSortTracker:
        b = cfg.botsort
        return cls(frame_rate=frame_rate, **{k: getattr(cfg, k) for k in BYTE_KEYS}, gmc=b.gmc,
                   appearance=b.appearance, proximity_thresh=b.proximity_thresh,
                   appearance_thresh=b.appearance_thresh, reid=b.reid, reid_buffer=b.reid_buffer,
                   reid_thresh=b.reid_thresh)

    def reset(self) -> None:
        super().reset()
        self.motion.reset()

    def _extra_state(self) -> dict[str, Any]:
        return {**super()._extra_state(), "motion": self.motion.state()}

    def _restore_extra(self, state: dict[str, Any]) -> None:
        super()._restore_extra(state)
        self.motion.restore(state["motion"])

    def _compensate(self, rows: np.ndarray, image: np.ndarray | None, foreground: np.ndarray | None) -> None:
        if image is None or self.motion.method == "none":
            return
        if foreground is None:  # a coasted frame: the objects are where the tracked rows predict
            foreground = self.kf.boxes(self._tracks.mean[:self._n_tracked])
        # Every frame, so the previous frame is always the last one; no corners on the moving
        # objects for the next estimate.
        warp = self.motion.estimate(image, foreground)
        if len(rows) and not np.array_equal(warp, IDENTITY):
            t = self._tracks
            t.mean[rows], t.cov[rows] = KalmanFilterXYWH.warp(t.mean[rows], t.cov[rows], warp)

    def _cost(self, rows: np.ndarray, track_boxes: np.ndarray, frame: FrameInput, det: np.ndarray,
              fuse: bool, appearance: bool) -> np.ndarray:
        if not (appearance and self.appearance and frame.feats is not None):
            return super()._cost(rows, track_boxes, frame, det, fuse, appearance)
        iou = iou_matrix(track_boxes, frame.boxes[det])
        far = iou < self.proximity_thresh
        cost = 1.0 - (iou * frame.scores[det] if fuse else iou)
        t = self._tracks
        if t.feat.shape[1] == frame.feats.shape[1] and len(rows) and len(det):
            emb = reid.cosine_cost(t.feat[rows], t.has_feat[rows], reid.normalize(frame.feats[det]))
            emb[(emb > self.appearance_thresh) | far] = 1.0
            np.minimum(cost, emb, out=cost)
        return self._gate_classes(cost, t.cls[rows], frame.cls[det])

    def _reidentify(self, rows: np.ndarray, det: np.ndarray, frame: FrameInput,
                    track_boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A lost confirmed track and a would-be birth are one object when their appearance cost is at most
        `reid_thresh` and the detection lies where the track can have got to: its centre within
        `REID_GATE` x (1 + seconds lost) track sizes of the track's coasted prediction, its size within
        a factor `REID_SIZE` of the track's. One assignment over the pairs left."""
        t = self._tracks
        if frame.feats is None or t.feat.shape[1] != frame.feats.shape[1]:
            return I64, I64
        rows = rows[t.has_feat[rows] & (t.track_id[rows] > 0)]
        if not len(rows):
            return I64, I64
        cost = reid.cosine_cost(t.feat[rows], t.has_feat[rows], reid.normalize(frame.feats[det]))
        tb, db = track_boxes[rows], frame.boxes[det]
        tc, dc = (tb[:, :2] + tb[:, 2:]) / 2, (db[:, :2] + db[:, 2:]) / 2
        ts = np.sqrt(np.maximum(np.prod(tb[:, 2:] - tb[:, :2], axis=1), 1.0))
        ds = np.sqrt(np.maximum(np.prod(db[:, 2:] - db[:, :2], axis=1), 1.0))
        lost_s = (self.frame_id - t.end[rows]) / self.frame_rate
        dist = np.linalg.norm(tc[:, None, :] - dc[None, :, :], axis=2) / ts[:, None]
        ratio = ds[None, :] / ts[:, None]
        far = (dist > REID_GATE * (1.0 + lost_s)[:, None]) | (ratio > REID_SIZE) | (ratio < 1.0 / REID_SIZE)
        cost[far] = 1.0
        cost = self._gate_classes(cost, t.cls[rows], frame.cls[det])
        r, c, _, _ = linear_assignment(cost, self.reid_thresh)
        return rows[r], det[c]

    def _matched(self, rows: np.ndarray, det: np.ndarray, frame: FrameInput) -> None:
        if not (self.appearance or self.reid) or frame.feats is None:
            return
        high = frame.scores[det] > self.track_thresh  # low-score detections carry no feature (official)
        rows, det = rows[high], det[high]
        t = self._tracks
        self._size_features(frame.feats.shape[1])
        t.feat[rows] = reid.smooth(t.feat[rows], t.has_feat[rows], reid.normalize(frame.feats[det]))
        t.has_feat[rows] = True

    def _born(self, new: TrackTable, det: np.ndarray, frame: FrameInput) -> None:
        if not (self.appearance or self.reid) or frame.feats is None:
            return
        self._size_features(frame.feats.shape[1])
        if new.feat.shape[1] != frame.feats.shape[1]:
            new.resize_field("feat", (frame.feats.shape[1],))
        new.feat = reid.normalize(frame.feats[det])
        new.has_feat[:] = True

    def _size_features(self, dim: int) -> None:
        """The table's feature column takes the embeddings' size (first frame, or a model switch)."""
        t = self._tracks
        if t.feat.shape[1] != dim:
            t.resize_field("feat", (dim,))
            t.has_feat[:] = False
