"""What every tracker shares around its association rules: the track table, ids, events, the API.

An algorithm (ByteTrack, BoT-SORT, OC-SORT) decides each frame which tracks matched which
detections, which were born, lost, re-found or removed. Everything around that decision is
the same for all of them and lives here once:

- `TrackTable`: one struct-of-arrays row per live track (no Python object per track), with the
  fields each algorithm declares; rows are selected and appended with numpy calls.
- `TrackerBase`: the pipeline-facing API (`update`, `update_detections`, `coast`, `pop_events`,
  `reset`, and `state`/`restore` to go on in another process), input validation, per-instance ids
  handed out when a track is first reported (so tentative tracks that die leave no gaps and two
  trackers never share a counter), lifecycle events, per-class gating of cost matrices and the
  lost buffer in frames at the source's fps.

Events follow what is reported: `new` at a track's first report, `lost` when a reported track
stops being reported, `refound` when it is reported again, `removed` when a track that had an
id leaves the table. `report_missed` (yolotrack's, 0 in every paper) keeps a confirmed track
reported at its Kalman prediction for that many frames after it missed its detection, so a box
does not blink out for a detector's one-frame miss; such rows have no detection (`det_index`
-1, a blank mask and invisible keypoints in `update_detections`).
"""

from __future__ import annotations

import logging
import math
from collections import deque
from dataclasses import replace
from typing import Any, NamedTuple

import numpy as np

from yolotrack.core.detections import Detections
from yolotrack.core.errors import ConfigError, InvalidInputError
from yolotrack.core.events import EventKind, TrackEvent
from yolotrack.tracker.kalman import BatchedKalman

log = logging.getLogger(__name__)

CLASS_MISMATCH_COST = 2.0  # finite and above any threshold, so lapjv never takes the pair
MAX_PENDING_EVENTS = 100_000  # bound memory when nobody pops events

I64 = np.zeros(0, dtype=np.int64)

# A field: (trailing shape, dtype, fill value of a new row).
FieldSpec = tuple[tuple[int, ...], Any, Any]

COMMON_FIELDS: dict[str, FieldSpec] = {
    "mean": ((8,), np.float64, 0.0),
    "cov": ((8, 8), np.float64, 0.0),
    "track_id": ((), np.int64, 0),  # 0 until the track is first reported
    "score": ((), np.float64, 0.0),  # of the latest matched detection
    "cls": ((), np.int64, 0),  # of the latest matched detection
    "det": ((), np.int64, -1),  # input row matched in the current frame, -1 if none
    "shown": ((), bool, False),  # reported by the last update
}


class TrackTable:
    """Struct of arrays, one row per live track; the fields are named by `spec`."""

    def __init__(self, spec: dict[str, FieldSpec], n: int = 0) -> None:
        self.spec = spec
        for name, (shape, dtype, fill) in spec.items():
            setattr(self, name, np.full((n, *shape), fill, dtype=dtype))

    def __len__(self) -> int:
        return len(self.track_id)

    def __getattr__(self, name: str) -> np.ndarray:  # only for the type checker; fields are set in __init__
        raise AttributeError(name)

    def take(self, idx: np.ndarray) -> TrackTable:
        out = TrackTable.__new__(TrackTable)
        out.spec = self.spec
        for name in self.spec:
            setattr(out, name, getattr(self, name)[idx])
        return out

    def extend(self, other: TrackTable) -> None:
        for name in self.spec:
            setattr(self, name, np.concatenate([getattr(self, name), getattr(other, name)]))

    def resize_field(self, name: str, shape: tuple[int, ...]) -> None:
        """Give a field a new trailing shape (e.g. embeddings once their size is known), rows reset."""
        _, dtype, fill = self.spec[name]
        self.spec = {**self.spec, name: (shape, dtype, fill)}
        setattr(self, name, np.full((len(self), *shape), fill, dtype=dtype))


class FrameInput(NamedTuple):
    """One frame's valid detections, as the algorithms see them."""

    boxes: np.ndarray  # (N, 4) float64 xyxy
    scores: np.ndarray  # (N,) float64
    cls: np.ndarray  # (N,) int64
    feats: np.ndarray | None  # (N, D) float32 appearance embeddings, or None


def check_unit(**values: float) -> None:
    """Thresholds are numbers in [0, 1]; anything else is a config error naming the key."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
            raise ConfigError(f"tracker.{name} must be a number in [0, 1], got {value!r}")


class TrackerBase:
    """The shared half of every tracker. One instance per video source; `reset()` before reusing it.

    Subclasses set `FIELDS` (their table columns besides `COMMON_FIELDS`) and `kf`, and
    implement `_step` (one frame of association), `_output` (the rows reported this frame)
    and `_coast_rows` (the rows shown on a frame without detections).
    """

    FIELDS: dict[str, FieldSpec] = {}
    KIND = ""  # the `tracker.type` name, stamped into `state()`
    STATE_VERSION = 2
    kf: BatchedKalman

    def __init__(self, frame_rate: float | None, track_buffer: int, per_class: bool, report_missed: int = 0) -> None:
        if isinstance(track_buffer, bool) or int(track_buffer) < 0:
            raise ConfigError(f"tracker.track_buffer must be >= 0 frames, got {track_buffer!r}")
        if isinstance(report_missed, bool) or int(report_missed) < 0:
            raise ConfigError(f"tracker.report_missed must be >= 0 frames, got {report_missed!r}")
        self.report_missed = int(report_missed)
        if frame_rate is None or not math.isfinite(frame_rate) or frame_rate <= 0:
            frame_rate = 30.0
        self.frame_rate = float(frame_rate)
        self.track_buffer = int(track_buffer)
        self.per_class = bool(per_class)
        # ByteTrack's formula for every type: the buffer is given in frames at 30 fps and scaled
        # to this source's rate, so it is a fixed time span whatever the fps.
        self.max_time_lost = int(self.frame_rate / 30.0 * self.track_buffer)
        self._spec = {**COMMON_FIELDS, **self.FIELDS}

    def reset(self) -> None:
        """Forget every track, the frame counter and the ID counter (new video)."""
        self.frame_id = 0
        self._next_id = 1
        self._tracks = TrackTable(self._spec)
        self._events: deque[TrackEvent] = deque(maxlen=MAX_PENDING_EVENTS)
        self._event_frame = 0

    # ------------------------------------------------------------------ public API

    def update(self, boxes_xyxy: np.ndarray, scores: np.ndarray, classes: np.ndarray | None = None,
               *, frame_index: int | None = None, embeddings: np.ndarray | None = None,
               image: np.ndarray | None = None) -> np.ndarray:
        """Advance one frame. Returns (M, 8) rows [x1, y1, x2, y2, id, score, class, det_index].

        `embeddings` (N, D) are per-detection appearance features (used by trackers with
        appearance matching, ignored by the others); `image` is the BGR frame (used by trackers
        with camera-motion compensation).
        """
        frame, keep = self._validate(boxes_xyxy, scores, classes, embeddings)
        self._advance(frame_index)
        self._tracks.det[:] = -1
        self._step(frame, image)
        return self._output(keep)

    def update_detections(self, dets: Detections, frame_index: int | None = None,
                          image: np.ndarray | None = None) -> Detections:
        """`update` on a `Detections`: the tracked rows, with ids and the tracker's boxes."""
        if not isinstance(dets, Detections):
            raise InvalidInputError(f"update_detections expects core.Detections, got {type(dets).__name__}")
        out = self.update(dets.xyxy, dets.scores, dets.class_ids, frame_index=frame_index,
                          embeddings=dets.embeddings, image=image)
        rows = dets.take(out[:, 7].astype(np.int64))
        return replace(rows, xyxy=out[:, :4], scores=out[:, 5], class_ids=out[:, 6], track_ids=out[:, 4])

    def coast(self, frame_index: int | None = None, names: dict[int, str] | None = None,
              image: np.ndarray | None = None) -> Detections:
        """Advance one frame without detections: the reported tracks at their Kalman prediction.

        For frames the detector skips (`pipeline.detect_every`). Unlike `update` with no boxes,
        nobody is marked lost and no event is raised: the next `update` associates against
        predictions carried over every skipped frame, and a lost track's time in the buffer
        counts these frames. Scores and classes are those of each track's last matched
        detection; there are no masks or keypoints (they come only with detections).
        """
        self._advance(frame_index)
        rows = self._coast_rows(image)
        t = self._tracks
        return Detections(self.kf.boxes(t.mean[rows]), t.score[rows], t.cls[rows], names=dict(names or {}),
                          track_ids=t.track_id[rows])

    def pop_events(self) -> list[TrackEvent]:
        """Lifecycle events (new, lost, refound, removed) since the last call, oldest first."""
        events = list(self._events)
        self._events.clear()
        return events

    def state(self) -> dict[str, Any]:
        """Everything needed to go on from here, for a tracker restarted in another process.

        Plain values and numpy arrays (picklable). `next_id` is the id the next reported track
        gets; a caller may raise it before `restore` so that ids already handed out elsewhere are
        never given again (the cluster does after a restart). Pending events are not included
        (the pipeline pops them every frame).
        """
        t = self._tracks
        return {"kind": self.KIND, "version": self.STATE_VERSION, "next_id": int(self._next_id),
                "frame_id": int(self.frame_id), "tracks": {name: getattr(t, name).copy() for name in t.spec},
                **self._extra_state()}

    def restore(self, state: dict[str, Any]) -> None:
        """Continue from `state()` of a tracker of the same type built with the same settings: the
        same updates then give what the original would have."""
        if not isinstance(state, dict) or state.get("kind") != self.KIND or state.get("version") != self.STATE_VERSION:
            got = state.get("kind") if isinstance(state, dict) else type(state).__name__
            raise InvalidInputError(f"not a {type(self).__name__} state (version {self.STATE_VERSION}): {got!r}")
        self.reset()
        arrays = {name: np.array(state["tracks"][name], copy=True) for name in self._spec}
        table = TrackTable.__new__(TrackTable)
        table.spec = {name: (arrays[name].shape[1:], dtype, fill) for name, (_, dtype, fill) in self._spec.items()}
        for name, arr in arrays.items():
            setattr(table, name, arr)
        self._tracks = table
        self.frame_id = int(state["frame_id"])
        self._next_id = max(1, int(state["next_id"]))
        self._restore_extra(state)

    def _extra_state(self) -> dict[str, Any]:
        """What an algorithm keeps besides the table (copies)."""
        return {}

    def _restore_extra(self, state: dict[str, Any]) -> None:
        """The counterpart of `_extra_state`."""

    @property
    def active_count(self) -> int:
        """Live tracks of any state (tentative, tracked, lost): what memory scales with."""
        return len(self._tracks)

    # ------------------------------------------------------------------ for the algorithms

    def _step(self, frame: FrameInput, image: np.ndarray | None) -> None:
        raise NotImplementedError

    def _output(self, keep: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _coast_rows(self, image: np.ndarray | None) -> np.ndarray:
        raise NotImplementedError

    def _advance(self, frame_index: int | None) -> None:
        self.frame_id += 1
        self._event_frame = self.frame_id - 1 if frame_index is None else int(frame_index)

    def _report(self, shown: np.ndarray, boxes: np.ndarray) -> None:
        """Rows reported this frame (`shown`, a mask over the table; `boxes` for every row): ids for
        the first-timers (in row order) and the `new`, `lost` and `refound` events."""
        t = self._tracks
        first = shown & (t.track_id == 0)
        rows = first.nonzero()[0]
        if len(rows):
            t.track_id[rows] = np.arange(self._next_id, self._next_id + len(rows))
            self._next_id += len(rows)
        self._emit(EventKind.NEW, rows, boxes[rows])
        lost = (t.shown & ~shown).nonzero()[0]
        self._emit(EventKind.LOST, lost, boxes[lost])
        back = (shown & ~t.shown & ~first).nonzero()[0]
        self._emit(EventKind.REFOUND, back, boxes[back])
        t.shown = shown

    def _gate_classes(self, cost: np.ndarray, track_cls: np.ndarray, det_cls: np.ndarray,
                      value: float = CLASS_MISMATCH_COST) -> np.ndarray:
        if self.per_class and cost.size:
            cost[track_cls[:, None] != det_cls[None, :]] = value
        return cost

    def _emit(self, kind: EventKind, rows: np.ndarray, boxes: np.ndarray) -> None:
        """Events for table `rows`; `boxes` holds the box of each of them, in the same order."""
        if len(rows) == 0:
            return
        t = self._tracks
        frame = self._event_frame
        for tid, c, s, b in zip(t.track_id[rows].tolist(), t.cls[rows].tolist(), t.score[rows].tolist(),
                                np.asarray(boxes).tolist(), strict=True):
            self._events.append(TrackEvent(kind, tid, frame, c, (b[0], b[1], b[2], b[3]), s))

    def _rows_out(self, rows: np.ndarray, boxes: np.ndarray, keep: np.ndarray) -> np.ndarray:
        """The (M, 8) output for table `rows` with their `boxes`; det indices mapped back to the input."""
        t = self._tracks
        out = np.empty((len(rows), 8))
        out[:, :4] = boxes
        out[:, 4] = t.track_id[rows]
        out[:, 5] = t.score[rows]
        out[:, 6] = t.cls[rows]
        det = t.det[rows]
        out[:, 7] = -1
        out[det >= 0, 7] = keep[det[det >= 0]]
        return out

    @staticmethod
    def _validate(boxes: object, scores: object, classes: object, embeddings: object = None
                  ) -> tuple[FrameInput, np.ndarray]:
        """Malformed arrays raise; degenerate rows are dropped. Returns kept rows and their indices."""
        try:
            b = np.asarray(boxes, dtype=np.float64)
            s = np.asarray(scores, dtype=np.float64)
            c = None if classes is None else np.asarray(classes, dtype=np.float64)
            e = None if embeddings is None else np.asarray(embeddings, dtype=np.float32)
        except (TypeError, ValueError) as err:
            raise InvalidInputError(f"tracker input is not numeric: {err}") from None
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
        if e is not None and (e.ndim != 2 or len(e) != n):
            raise InvalidInputError(f"tracker embeddings must have shape ({n}, D) to match the boxes, got {e.shape}")
        ok = (np.isfinite(b).all(axis=1) & np.isfinite(s) & np.isfinite(c)
              & (b[:, 2] > b[:, 0]) & (b[:, 3] > b[:, 1]))
        if ok.all():
            return FrameInput(b, s, c.astype(np.int64), e), np.arange(n)
        keep = np.flatnonzero(ok)
        log.debug("tracker: dropped %d degenerate detection(s) (non-finite or empty box): rows %s",
                  n - len(keep), np.flatnonzero(~ok)[:20].tolist())
        return FrameInput(b[keep], s[keep], c[keep].astype(np.int64), None if e is None else e[keep]), keep
