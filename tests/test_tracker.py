"""ByteTracker behaviour: the reference's rules and quirks, events, bad input, state."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from yolotrack.core.config import TrackerConfig
from yolotrack.core.detections import Detections
from yolotrack.core.errors import ConfigError, InvalidInputError
from yolotrack.tracker import ByteTracker

REPO = Path(__file__).resolve().parent.parent


def box(cx: float, cy: float = 200.0, w: float = 40.0, h: float = 100.0) -> list[float]:
    return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]


def step(t: ByteTracker, boxes: list[list[float]], scores: list[float], classes: list[int] | None = None
         ) -> np.ndarray:
    b = np.array(boxes, dtype=float).reshape(-1, 4)
    c = np.zeros(len(b)) if classes is None else np.array(classes)
    return t.update(b, np.array(scores, dtype=float), c)


def ids(out: np.ndarray) -> list[int]:
    return sorted(int(i) for i in out[:, 4])


def test_steady_objects_keep_ids_and_rows_carry_detection_index() -> None:
    t = ByteTracker()
    for f in range(20):
        # detections listed in a different order every frame
        boxes = [box(100 + 2 * f), box(300 - f), box(500)]
        order = [(f + k) % 3 for k in range(3)]
        out = step(t, [boxes[k] for k in order], [0.9, 0.8, 0.7])
        assert out.shape == (3, 8)
        assert ids(out) == [1, 2, 3]
        for row in out:
            det = int(row[7])
            truth = boxes[order[det]]
            assert np.abs(row[:4] - truth).max() < 3.0  # posterior stays on its own detection
    # id 1 is the first detection of frame 1, which was box(100) and stays with it
    final = {int(r[4]): r for r in out}
    assert final[1][0] == pytest.approx(box(138)[0], abs=3)


def test_first_frame_births_are_output_at_once_later_births_need_a_second_hit() -> None:
    t = ByteTracker()
    assert ids(step(t, [box(100)], [0.9])) == [1]
    out = step(t, [box(100), box(400)], [0.9, 0.9])
    assert ids(out) == [1]  # the new one is tentative
    out = step(t, [box(100), box(400)], [0.9, 0.9])
    assert ids(out) == [1, 2]


def test_tentative_track_missing_its_second_frame_dies_without_taking_an_id() -> None:
    t = ByteTracker()
    step(t, [box(100)], [0.9])
    step(t, [box(100), box(400)], [0.9, 0.9])  # tentative at 400
    step(t, [box(100)], [0.9])  # not re-detected: removed immediately
    step(t, [box(100), box(400)], [0.9, 0.9])  # born again, still tentative
    assert ids(step(t, [box(100)], [0.9])) == [1]
    step(t, [box(100), box(700)], [0.9, 0.9])
    out = step(t, [box(100), box(700)], [0.9, 0.9])
    assert ids(out) == [1, 2]  # no gap left by the two dead tentative tracks
    kinds = [e.kind for e in t.pop_events()]
    assert kinds == ["new", "new"]


def test_new_track_threshold_and_split_boundaries() -> None:
    t = ByteTracker(track_thresh=0.5, new_track_thresh=0.6)
    step(t, [box(100), box(300), box(500)], [0.59, 0.6, 0.5])
    out = step(t, [box(100), box(300), box(500)], [0.59, 0.6, 0.5])
    # 0.59 is high (> 0.5) but below the birth threshold; 0.5 equals track_thresh and so is in
    # neither the high nor the low set (reference quirk): only the 0.6 box starts a track.
    assert len(out) == 1 and int(out[0, 7]) == 1


def test_low_score_detection_keeps_a_track_alive_but_never_starts_one() -> None:
    t = ByteTracker()
    for f in range(5):
        step(t, [box(100 + 3 * f)], [0.9])
    # occluded: only a weak box (0.3 < track_thresh) near the prediction -> second association
    out = step(t, [box(115), box(600)], [0.3, 0.3])
    assert ids(out) == [1] and int(out[0, 7]) == 0
    assert out[0, 5] == pytest.approx(0.3)
    out = step(t, [box(118), box(600)], [0.3, 0.3])
    assert ids(out) == [1]
    assert [e.kind for e in t.pop_events()] == ["new"]  # never lost, nothing born at 600


def test_low_score_detection_does_not_revive_a_lost_track() -> None:
    t = ByteTracker()
    for _ in range(3):
        step(t, [box(100)], [0.9])
    assert len(step(t, [], [])) == 0  # lost
    assert len(step(t, [box(100)], [0.3])) == 0  # second stage only looks at tracked tracks
    out = step(t, [box(100)], [0.9])
    assert ids(out) == [1]  # a high-score box re-finds it
    assert [e.kind for e in t.pop_events()] == ["new", "lost", "refound"]


def test_second_association_needs_iou_above_its_threshold() -> None:
    t = ByteTracker(second_match_thresh=0.5)
    for _ in range(3):
        step(t, [box(100)], [0.9])
    # a low box overlapping with IoU ~ 0.4 is not enough in the second stage
    assert len(step(t, [box(125)], [0.3])) == 0


def test_lost_track_within_buffer_keeps_its_id_and_expires_after_it() -> None:
    t = ByteTracker(frame_rate=30, track_buffer=30)
    for _ in range(3):
        step(t, [box(100)], [0.9])
    for _ in range(20):
        assert len(step(t, [], [])) == 0
    assert ids(step(t, [box(100)], [0.9])) == [1]
    t.pop_events()
    for _ in range(33):
        step(t, [], [])
    assert t.active_count == 0
    events = t.pop_events()
    assert [e.kind for e in events] == ["lost", "removed"]
    lost, removed = events
    # last seen at index 23, lost at 24; expires when frame - last_seen > 30 (index 54) and, with
    # the reference's timing, leaves the lost list one frame later (it could be re-found there).
    assert lost.frame_index == 24
    assert removed.frame_index == 55
    out = step(t, [box(100)], [0.9])
    assert len(out) == 0  # born again as a tentative track with a new id to come
    assert ids(step(t, [box(100)], [0.9])) == [2]


@pytest.mark.parametrize(("fps", "frames"), [(30, 30), (10, 10), (60, 60), (None, 30), (0, 30)])
def test_buffer_is_scaled_by_the_real_frame_rate(fps: float | None, frames: int) -> None:
    t = ByteTracker(frame_rate=fps, track_buffer=30)
    assert t.max_time_lost == frames
    for _ in range(3):
        step(t, [box(100)], [0.9])
    for _ in range(frames):
        step(t, [], [])
    assert ids(step(t, [box(100)], [0.9])) == [1]  # still re-found on the last frame of the buffer
    t2 = ByteTracker(frame_rate=fps, track_buffer=30)
    for _ in range(3):
        step(t2, [box(100)], [0.9])
    for _ in range(frames + 2):
        step(t2, [], [])
    assert len(step(t2, [box(100)], [0.9])) == 0  # gone: a new tentative track


def test_duplicate_lost_track_is_dropped_in_favour_of_the_older_tracked_one() -> None:
    t = ByteTracker()
    # A (id 1) walks right from frame 1; B (id 2) stands at x=300, born at frame 1 too.
    for f in range(10):
        step(t, [box(100 + 10 * f), box(300)], [0.9, 0.9])
    # A disappears; its coasting prediction walks onto B.
    for _ in range(12):
        out = step(t, [box(300)], [0.9])
        assert ids(out) == [2]
    assert t.active_count == 1  # A was removed as B's duplicate, not kept for the buffer
    kinds = [(e.kind, e.track_id) for e in t.pop_events()]
    assert kinds[-2:] == [("lost", 1), ("removed", 1)]


def test_duplicate_tracked_track_younger_than_lost_one_is_dropped() -> None:
    # Reference quirk: of a tracked/lost pair the younger goes, even if it is the matched one.
    t = ByteTracker()
    for f in range(18):  # A (id 1) walks right, 10 px per frame
        dets = [box(100 + 10 * f)] + ([box(310)] if f >= 15 else [])
        step(t, dets, [0.9] * len(dets))  # B appears at x=310 on frame 15 (id 2 from frame 16)
    t.pop_events()
    outs = [step(t, [box(310)], [0.9]) for _ in range(6)]  # A vanishes, its prediction reaches B
    events = [(e.kind, e.track_id) for e in t.pop_events()]
    assert ("lost", 1) in events and ("removed", 2) in events
    assert ("refound", 1) in events  # the old track takes the box back
    assert ids(outs[-1]) == [1]


def test_per_class_never_associates_across_classes() -> None:
    agnostic = ByteTracker(per_class=False)
    strict = ByteTracker(per_class=True)
    for t in (agnostic, strict):
        for _ in range(3):
            step(t, [box(100)], [0.9], [0])
    out_a = step(agnostic, [box(101)], [0.9], [5])
    assert ids(out_a) == [1] and out_a[0, 6] == 5  # class follows the latest detection
    out_s = step(strict, [box(101)], [0.9], [5])
    assert len(out_s) == 0  # the class-0 track is lost; the class-5 box is a new tentative track
    out_s = step(strict, [box(101)], [0.9], [5])
    assert ids(out_s) == [2] and out_s[0, 6] == 5


def test_events_carry_ids_frames_boxes_and_classes() -> None:
    t = ByteTracker()
    step(t, [box(100)], [0.9], [3])
    step(t, [box(100)], [0.8], [3])
    step(t, [], [])
    t.update(np.array([box(100)]), np.array([0.7]), np.array([3]), frame_index=41)
    events = t.pop_events()
    assert [(e.kind, e.track_id, e.frame_index, e.class_id) for e in events] == [
        ("new", 1, 0, 3), ("lost", 1, 2, 3), ("refound", 1, 41, 3)]
    assert events[0].box == pytest.approx(tuple(box(100)), abs=1e-6)
    assert events[2].score == pytest.approx(0.7)
    assert t.pop_events() == []


def test_update_detections_keeps_masks_and_keypoints_with_their_track() -> None:
    t = ByteTracker()
    h, w = 40, 60
    for f in range(4):
        boxes = np.array([box(10 + f), box(40 + f, 20, 10, 20)], np.float32)
        order = [1, 0] if f % 2 else [0, 1]
        masks = np.zeros((2, h, w), bool)
        kpts = np.zeros((2, 3, 3), np.float32)
        for row, obj in enumerate(order):
            masks[row, obj] = True  # row `obj` of the image marks which object this is
            kpts[row, :, 0] = obj
        dets = Detections(boxes[order], np.array([0.9, 0.8], np.float32), np.array(order),
                          names={0: "a", 1: "b"}, masks=masks, keypoints=kpts)
        out = t.update_detections(dets, frame_index=f)
    assert len(out) == 2 and out.is_tracked
    for i in range(len(out)):
        obj = 0 if out.track_ids[i] == 1 else 1
        assert out.masks[i, obj].all() and out.masks[i].sum() == w
        assert np.all(out.keypoints[i, :, 0] == obj)
        assert out.class_ids[i] == obj
    assert out.xyxy.dtype == np.float32
    empty = t.update_detections(Detections.empty(names={0: "a"}, mask_shape=(h, w)))
    assert len(empty) == 0 and empty.track_ids is not None and empty.masks.shape == (0, h, w)
    with pytest.raises(InvalidInputError):
        t.update_detections(np.zeros((1, 4)))  # type: ignore[arg-type]


def test_degenerate_boxes_are_dropped_and_indices_still_point_at_the_input() -> None:
    t = ByteTracker()
    boxes = np.array([[np.nan, 0, 10, 10], box(100), [50, 50, 40, 60], [0, 0, np.inf, 5],
                      [5, 5, 5, 20], box(300)], float)
    scores = np.array([0.9, 0.9, 0.9, 0.9, 0.9, np.nan])
    out = t.update(boxes, scores, np.zeros(6))
    assert out[:, 7].tolist() == [1.0]  # only the one valid box (the last has a NaN score)


@pytest.mark.parametrize(("boxes", "scores", "classes", "match"), [
    (np.zeros((3, 4)), np.zeros(2), np.zeros(3), "scores must have shape"),
    (np.zeros((3, 4)), np.zeros(3), np.zeros(4), "classes must have shape"),
    (np.zeros((3, 5)), np.zeros(3), np.zeros(3), r"boxes must have shape \(N, 4\)"),
    (np.zeros(4), np.zeros(1), np.zeros(1), r"boxes must have shape \(N, 4\)"),
    ([["a", "b", "c", "d"]], [0.5], [0], "not numeric"),
    ([[0, 0, 1]], [0.5], [0], "boxes must have shape|not numeric"),
])
def test_malformed_arrays_raise_a_clear_error(boxes: object, scores: object, classes: object, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        ByteTracker().update(boxes, scores, classes)  # type: ignore[arg-type]


def test_empty_frames_in_any_shape() -> None:
    t = ByteTracker()
    for b in (np.zeros((0, 4)), np.zeros(0), []):
        out = t.update(b, np.zeros(0), np.zeros(0))
        assert out.shape == (0, 8)
    assert t.update(np.zeros((0, 4)), [], None).shape == (0, 8)


def test_reset_restarts_ids_and_forgets_everything() -> None:
    t = ByteTracker()
    for _ in range(3):
        step(t, [box(100), box(300)], [0.9, 0.9])
    t.reset()
    assert t.active_count == 0 and t.pop_events() == []
    assert ids(step(t, [box(500)], [0.9])) == [1]  # a first frame again: immediate, id 1


def test_instances_share_no_state() -> None:
    a, b = ByteTracker(), ByteTracker()
    step(a, [box(100), box(300)], [0.9, 0.9])
    assert ids(step(b, [box(100)], [0.9])) == [1]
    assert ids(step(a, [box(100), box(300)], [0.9, 0.9])) == [1, 2]


def test_memory_is_bounded_on_a_long_run() -> None:
    t = ByteTracker(track_buffer=10)
    rng = np.random.default_rng(0)
    sizes = []
    for f in range(1500):
        # objects live ~40 frames each, at most 8 at a time, always new ids
        k = f // 40
        xs = [100 + 150 * ((k + j) % 8) + (f % 40) for j in range(8)]
        keep = rng.random(8) > 0.1
        step(t, [box(x) for x, kk in zip(xs, keep, strict=True) if kk], [0.9] * int(keep.sum()))
        sizes.append(t.active_count)
        t.pop_events()
    assert max(sizes) <= 30
    assert max(sizes[-300:]) <= max(sizes[:300]) + 10


def test_from_config_and_parameter_validation() -> None:
    cfg = TrackerConfig(track_thresh=0.6, new_track_thresh=0.7, match_thresh=0.9, track_buffer=60,
                        per_class=True)
    t = ByteTracker.from_config(cfg, 15.0)
    assert (t.track_thresh, t.new_track_thresh, t.match_thresh, t.per_class) == (0.6, 0.7, 0.9, True)
    assert t.max_time_lost == 30
    assert ByteTracker.from_config(TrackerConfig(), None).max_time_lost == 30
    with pytest.raises(ConfigError, match="match_thresh"):
        ByteTracker(match_thresh=1.5)


def test_tracker_does_not_import_torch() -> None:
    code = ("import sys, yolotrack.tracker, yolotrack.tracker.evaluate; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, timeout=60)


def test_expired_track_can_be_refound_one_frame_late_then_vanishes_when_lost_again() -> None:
    # Reference timing: a lost track past its buffer leaves the lost list one frame late (and can
    # be re-found in that frame); after that it is in the reference's removed list, so the next
    # time it is lost it is dropped at once instead of waiting for the buffer.
    t = ByteTracker(frame_rate=30, track_buffer=5)
    for _ in range(3):
        step(t, [box(100)], [0.9])
    for _ in range(6):  # frame - last_seen > 5 on the 6th missed frame: expired, still listed
        step(t, [], [])
    assert ids(step(t, [box(100)], [0.9])) == [1]
    t.pop_events()
    step(t, [], [])
    events = [(e.kind, e.track_id, e.frame_index) for e in t.pop_events()]
    assert events == [("lost", 1, 10), ("removed", 1, 10)]
    assert t.active_count == 0


@pytest.mark.parametrize("per_class", [False, True])
def test_fuzz_never_crashes_and_output_is_consistent(per_class: bool) -> None:
    rng = np.random.default_rng(7)
    t = ByteTracker(per_class=per_class, track_buffer=5)
    seen: set[int] = set()
    for _ in range(400):
        n = int(rng.integers(0, 40))
        xy = rng.uniform(-100, 700, (n, 2))
        wh = rng.choice([rng.uniform(-5, 5), 0.0, 1e-3, 30.0, 150.0], size=(n, 2))
        boxes = np.concatenate([xy, xy + wh], axis=1)
        boxes[rng.random((n, 4)) < 0.02] = np.nan
        boxes[rng.random((n, 4)) < 0.01] = np.inf
        scores = rng.uniform(0, 1, n)
        scores[rng.random(n) < 0.02] = np.nan
        classes = rng.integers(0, 3, n)
        out = t.update(boxes, scores, classes)
        assert out.shape[1] == 8 and np.isfinite(out).all()
        det = out[:, 7].astype(int)
        assert len(set(det.tolist())) == len(det) and np.all((det >= 0) & (det < n))
        assert np.isfinite(boxes[det]).all() and np.all(scores[det] == out[:, 5])
        if per_class:
            assert np.all(classes[det] == out[:, 6])
        tids = out[:, 4].astype(int).tolist()
        assert len(set(tids)) == len(tids) and min(tids, default=1) >= 1
        seen.update(tids)
        t.pop_events()
    assert seen and max(seen) == len(seen)  # ids are consecutive: no gaps from tentative tracks
