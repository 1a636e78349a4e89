"""Every tracker type behind one interface, and the behaviours that set BoT-SORT and OC-SORT apart."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from yolotrack.core.config import Config, ConfigError, TrackerConfig, apply_override
from yolotrack.core.detections import Detections
from yolotrack.tracker import TRACKERS, BotSortTracker, ByteTracker, OcSortTracker, build_tracker

TYPES = list(TRACKERS)


def box(cx: float, cy: float = 200.0, w: float = 40.0, h: float = 100.0) -> list[float]:
    return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]


def tracker_of(kind: str, *overrides: str, fps: float = 30.0):
    cfg = Config()
    for item in (f"tracker.type={kind}", *overrides):
        cfg = apply_override(cfg, item)
    return build_tracker(cfg.tracker, fps)


def dets(boxes: list[list[float]], scores: list[float] | None = None, classes: list[int] | None = None,
         h: int = 480, w: int = 640) -> Detections:
    """Detections with masks and keypoints that encode their own row, to check they follow their box."""
    n = len(boxes)
    masks = np.zeros((n, h, w), bool)
    kpts = np.zeros((n, 2, 3), np.float32)
    for i, b in enumerate(boxes):
        x1, y1, x2, y2 = (int(round(v)) for v in b)
        masks[i, max(y1, 0):y2, max(x1, 0):x2] = True
        kpts[i, :, 0] = (b[0] + b[2]) / 2
        kpts[i, :, 1] = (b[1] + b[3]) / 2
        kpts[i, :, 2] = 1.0
    return Detections(np.array(boxes, np.float32).reshape(-1, 4), np.array(scores or [0.9] * n, np.float32),
                      np.array(classes or [0] * n), names={0: "a", 5: "b"}, masks=masks, keypoints=kpts)


def test_the_factory_offers_every_configured_type_and_suggests_on_a_typo() -> None:
    choices = next(f.metadata["choices"] for f in TrackerConfig.__dataclass_fields__.values() if f.name == "type")
    assert tuple(TRACKERS) == tuple(choices)
    assert isinstance(tracker_of("bytetrack"), ByteTracker) and not isinstance(tracker_of("bytetrack"), BotSortTracker)
    assert isinstance(tracker_of("botsort"), BotSortTracker) and isinstance(tracker_of("ocsort"), OcSortTracker)
    with pytest.raises(ConfigError, match="'botsrot' is not allowed; did you mean 'botsort'"):
        apply_override(Config(), "tracker.type=botsrot")
    cfg = TrackerConfig(type="ocsrt")  # built around the loader's checks: the factory still names the closest type
    with pytest.raises(ConfigError, match="did you mean 'ocsort'"):
        build_tracker(cfg, 30)


@pytest.mark.parametrize("kind", TYPES)
def test_masks_keypoints_and_events_follow_their_track_in_every_type(kind: str) -> None:
    t = tracker_of(kind, "tracker.report_missed=0")
    seen_ids = set()
    for f in range(12):
        boxes = [box(100 + 3 * f), box(400 - 2 * f)]
        order = [f % 2, 1 - f % 2]  # input order changes every frame
        out = t.update_detections(dets([boxes[k] for k in order]), f)
        if f >= 4:  # every type reports both by then (OC-SORT needs three hits)
            assert len(out) == 2
        for i in range(len(out)):
            x1, y1, x2, y2 = out.xyxy[i]
            kx, ky = out.keypoints[i, 0, :2]
            assert abs(kx - (x1 + x2) / 2) < 4 and abs(ky - (y1 + y2) / 2) < 4
            ys, xs = np.nonzero(out.masks[i])
            assert abs(xs.mean() - (x1 + x2) / 2) < 4
            seen_ids.add(int(out.track_ids[i]))
    assert seen_ids == {1, 2}
    kinds = [(e.kind, e.track_id) for e in t.pop_events()]
    assert sorted(kinds) == [("new", 1), ("new", 2)]
    for _ in range(3):
        t.update_detections(dets([box(136)]), 99)
    events = t.pop_events()
    assert [(e.kind, e.track_id, e.frame_index) for e in events] == [("lost", 2, 99)]


@pytest.mark.parametrize("kind", TYPES)
def test_coast_carries_reported_tracks_without_events(kind: str) -> None:
    t = tracker_of(kind, "tracker.report_missed=0")
    for f in range(6):
        t.update_detections(dets([box(100 + 5 * f), box(400)]), f)
    t.pop_events()
    coasted = t.coast(6, {0: "a"})
    assert sorted(coasted.track_ids.tolist()) == [1, 2]
    moving = coasted.xyxy[np.argmax(coasted.xyxy[:, 0] < 200)]
    assert 100 + 5 * 5 < (moving[0] + moving[2]) / 2 <= 100 + 5 * 6 + 2  # carried along its motion
    assert coasted.masks is None and t.pop_events() == []
    out = t.update_detections(dets([box(100 + 5 * 7), box(400)]), 7)  # the next detector frame re-associates
    assert sorted(out.track_ids.tolist()) == [1, 2]


@pytest.mark.parametrize("kind", TYPES)
def test_per_class_never_matches_across_classes_in_any_type(kind: str) -> None:
    strict = tracker_of(kind, "tracker.per_class=true", "tracker.report_missed=0")
    loose = tracker_of(kind, "tracker.per_class=false", "tracker.report_missed=0")
    for t in (strict, loose):
        for f in range(5):
            t.update_detections(dets([box(100)], classes=[0]), f)
    assert loose.update_detections(dets([box(101)], classes=[5]), 5).track_ids.tolist() == [1]
    assert strict.update_detections(dets([box(101)], classes=[5]), 5).track_ids.tolist() == []


@pytest.mark.parametrize("kind", TYPES)
def test_report_missed_bridges_a_short_gap_in_every_type(kind: str) -> None:
    t = tracker_of(kind, "tracker.report_missed=2")
    for f in range(6):
        t.update_detections(dets([box(100 + 4 * f)]), f)
    t.pop_events()
    gap = [t.update_detections(dets([]), f) for f in (6, 7)]
    for f, out in zip((6, 7), gap, strict=True):
        assert out.track_ids.tolist() == [1]  # still reported, at the prediction, with a blank mask
        assert abs((out.xyxy[0, 0] + out.xyxy[0, 2]) / 2 - (100 + 4 * f)) < 3
        assert not out.masks.any() and out.keypoints[0, :, 2].max() == 0
    back = t.update_detections(dets([box(132)]), 8)
    assert back.track_ids.tolist() == [1] and back.masks.any()
    assert t.pop_events() == []  # never stopped being reported: no lost/refound pair
    for f in (9, 10, 11):
        t.update_detections(dets([]), f)
    assert [(e.kind, e.frame_index) for e in t.pop_events()] == [("lost", 11)]


def test_update_keeps_the_bytetracker_row_interface_for_every_type() -> None:
    for kind in TYPES:
        t = tracker_of(kind, "tracker.report_missed=0")
        for _ in range(4):
            out = t.update(np.array([box(100)]), np.array([0.9]), np.array([3]))
        assert out.shape == (1, 8) and out[0, 4] == 1 and out[0, 6] == 3 and out[0, 7] == 0


def test_ocsort_re_finds_an_object_that_stopped_behind_an_occluder_where_bytetrack_starts_a_new_id() -> None:
    """OCR: the object walks right, stops behind an occluder, reappears where it was last seen.
    ByteTrack's lost track coasts on along its velocity and misses it; OC-SORT matches the last
    observed box."""
    results = {}
    for kind in ("bytetrack", "ocsort"):
        t = tracker_of(kind, "tracker.report_missed=0", "tracker.track_thresh=0.5", "tracker.new_track_thresh=0.5")
        for f in range(20):
            t.update(np.array([box(100 + 6 * f)]), np.array([0.9]))
        for _ in range(15):  # hidden, standing still at x = 214
            t.update(np.zeros((0, 4)), np.zeros(0))
        ids = set()
        for _ in range(6):
            ids |= set(t.update(np.array([box(216)]), np.array([0.9]))[:, 4].astype(int).tolist())
        results[kind] = ids
    assert results["ocsort"] == {1}
    assert results["bytetrack"] == {2}


def test_ocsort_reports_only_after_min_hits_and_its_box_is_the_observation() -> None:
    t = OcSortTracker(min_hits=3)
    for _ in range(5):  # the first min_hits frames report at once
        out = t.update(np.array([box(100)]), np.array([0.9]))
    assert out[:, 4].tolist() == [1] and np.allclose(out[0, :4], box(100))
    seen = [t.update(np.array([box(100), box(400)]), np.array([0.9, 0.9]))[:, 4].tolist() for _ in range(4)]
    assert seen == [[1], [1], [1], [1, 2]]  # born, then three consecutive hits


def shaky_camera(frame: np.ndarray, n: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """A 640x360 view of a real frame that jumps up to +-28 px per frame (a hand-held pan), and the
    boxes of four objects standing still in the scene as that view sees them."""
    rng = np.random.default_rng(seed)
    world = np.array([box(400, 300, 24, 60), box(520, 320, 24, 60), box(700, 280, 24, 60), box(820, 330, 24, 60)])
    x, y = 300.0, 150.0
    views = []
    for i in range(n):
        x += 6.0 + (28.0 if i % 2 else -22.0) * rng.uniform(0.7, 1.0)
        y += rng.uniform(-10, 10)
        m = np.array([[1.0, 0.0, -x], [0.0, 1.0, -y]])
        image = cv2.warpAffine(frame, m, (640, 360), flags=cv2.INTER_LINEAR)
        views.append((image, world - np.array([x, y, x, y])))
    return views


def test_botsort_with_camera_motion_keeps_ids_under_a_shaky_pan_where_bytetrack_loses_them(fixtures_dir) -> None:
    frame = np.load(fixtures_dir / "ultralytics_yolo12n_io.npz")["predict_img"]
    views = shaky_camera(frame, 25)
    ids = {}
    for name, kind, extra in (("bytetrack", "bytetrack", ()), ("botsort", "botsort", ()),
                              ("botsort without gmc", "botsort", ("tracker.botsort.gmc=none",))):
        t = tracker_of(kind, "tracker.report_missed=0", *extra)
        seen: set[int] = set()
        for f, (image, boxes) in enumerate(views):
            out = t.update_detections(Detections(boxes, np.full(4, 0.9), np.zeros(4)), f, image=image)
            seen |= set(out.track_ids.tolist())
        ids[name] = seen
    assert ids["botsort"] == {1, 2, 3, 4}
    assert len(ids["bytetrack"]) > 8 and len(ids["botsort without gmc"]) > 8


@pytest.mark.parametrize("kind", TYPES)
def test_state_restores_every_type_exactly_in_another_tracker(kind: str, fixtures_dir) -> None:
    """What the cluster does after a restart: a pickled state, a new tracker, the same continuation
    (BoT-SORT's camera-motion estimator included: the frames are a shaky pan)."""
    import pickle

    from yolotrack.tracker.simulate import random_walk_scene

    frame = np.load(fixtures_dir / "ultralytics_yolo12n_io.npz")["predict_img"]
    images = [image for image, _ in shaky_camera(frame, 60, seed=1)]
    scene = list(random_walk_scene(12, 60, seed=3, size=(640, 360), dropout=0.15, low_score_fraction=0.2))
    original = tracker_of(kind)
    for f, (boxes, scores) in enumerate(scene[:30]):
        original.update_detections(Detections(boxes, scores, np.zeros(len(scores))), f, image=images[f])
    original.pop_events()  # the pipeline pops every frame; pending events are not state
    saved = pickle.loads(pickle.dumps(original.state()))
    copy = tracker_of(kind)
    copy.restore(saved)
    rows = 0
    for f, (boxes, scores) in enumerate(scene[30:], 30):
        d = Detections(boxes, scores, np.zeros(len(scores)))
        a = original.update_detections(d, f, image=images[f])
        b = copy.update_detections(d, f, image=images[f])
        np.testing.assert_array_equal(a.xyxy, b.xyxy)
        assert a.track_ids.tolist() == b.track_ids.tolist()
        assert original.pop_events() == copy.pop_events()
        rows += len(a)
    assert rows > 200
    other = "ocsort" if kind != "ocsort" else "bytetrack"
    with pytest.raises(ValueError, match="state"):
        tracker_of(other).restore(saved)
