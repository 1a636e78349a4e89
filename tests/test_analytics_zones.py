"""Zones: enter/exit events, a zone entered twice, dwell, occupancy over time, per class, edge jitter,
lost and removed tracks, concave polygons against OpenCV's point-in-polygon test."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from yolotrack.analytics import SourceAnalytics
from yolotrack.analytics.shapes import Zone
from yolotrack.core.detections import Detections
from yolotrack.core.events import TrackEvent

NAMES = {0: "person", 1: "car"}
BAY = Zone("bay", ((100.0, 100.0), (300.0, 100.0), (300.0, 200.0), (100.0, 200.0)), None, "center", None)


def frame(tracks: dict[int, tuple[float, float]], cls: dict[int, int] | None = None, size: float = 20.0) -> Detections:
    ids = list(tracks)
    xyxy = [[x - size / 2, y - size / 2, x + size / 2, y + size / 2] for x, y in tracks.values()]
    return Detections(xyxy=np.array(xyxy, np.float32).reshape(-1, 4), scores=np.full(len(ids), 0.8),
                      class_ids=[(cls or {}).get(t, 0) for t in ids], names=NAMES, track_ids=ids)


def feed(src: SourceAnalytics, path, cls=None, removed=None, fps: float = 10.0):
    events, occupancy = [], []
    for f, tracks in enumerate(path):
        gone = [TrackEvent("removed", t, f, 0, (0, 0, 0, 0)) for t in (removed or {}).get(f, [])]
        events += src.update(f, f / fps, frame(tracks, cls), gone)
        occupancy.append(src.counts().to_record()["zones"]["bay"]["occupancy"])
    return events, occupancy


def kinds(events):
    return [(e.kind, e.track_id, e.attrs.get("zone"), e.attrs.get("dwell_s")) for e in events]


def test_enter_exit_dwell_and_a_zone_entered_twice():
    src = SourceAnalytics("0", [], [BAY], names=NAMES)
    x = [50.0 + 10 * f for f in range(31)]  # 50 -> 350: in at x > 100 + band, out at x > 300 + band
    path = [{7: (v, 150.0)} for v in x] + [{7: (v, 150.0)} for v in reversed(x)]
    events, occ = feed(src, path)
    got = kinds(events)
    assert [k for k, *_ in got] == ["zone_enter", "zone_exit", "zone_enter", "zone_exit"]
    # in at x=110 (frame 6), out at x=310 (frame 26): 2.0 s at 10 fps; back: in at x=290 (37), out at x=90 (57)
    assert [e.frame_index for e in events] == [6, 26, 37, 57]
    assert got[1][3] == pytest.approx(2.0) and got[3][3] == pytest.approx(2.0)
    c = src.counts().to_record()["zones"]["bay"]
    assert (c["entries"], c["exits"], c["occupancy"], c["max_occupancy"]) == (2, 2, 0, 1)
    assert c["mean_dwell_s"] == pytest.approx(2.0)
    assert occ[5] == 0 and occ[6] == 1 and occ[25] == 1 and occ[26] == 0
    rec = events[1].to_record()
    assert rec["event"] == "zone_exit" and rec["zone"] == "bay" and rec["dwell_s"] == pytest.approx(2.0)


def test_occupancy_and_per_class():
    src = SourceAnalytics("0", [], [BAY], names=NAMES)
    path = [{1: (150.0, 150.0), 2: (200.0, 150.0), 3: (250.0, 150.0), 4: (20.0, 20.0)}] * 3
    path += [{1: (150.0, 150.0), 2: (200.0, 150.0), 3: (250.0, 250.0), 4: (20.0, 20.0)}] * 3
    events, occ = feed(src, path, cls={1: 0, 2: 1, 3: 1, 4: 0})
    assert occ == [3, 3, 3, 2, 2, 2]
    c = src.counts().to_record()["zones"]["bay"]
    assert c["by_class"]["car"] == {"occupancy": 1, "entries": 2, "exits": 1, "mean_dwell_s": pytest.approx(0.3)}
    assert c["by_class"]["person"]["occupancy"] == 1
    classes = Zone("cars", BAY.polygon, frozenset({1}), "center", None)
    src2 = SourceAnalytics("0", [], [classes], names=NAMES)
    ev = []
    for f, tracks in enumerate(path):
        ev += src2.update(f, f / 10, frame(tracks, {1: 0, 2: 1, 3: 1, 4: 0}))
    assert {e.track_id for e in ev if e.kind == "zone_enter"} == {2, 3}


def test_edge_jitter_does_not_enter_and_leave_repeatedly():
    rng = np.random.default_rng(1)
    path = [{1: (100.0 + rng.uniform(-1.5, 1.5), 150.0)} for _ in range(200)]  # wobbling on the left edge
    path += [{1: (100.0 + 3 * f, 150.0)} for f in range(1, 30)]  # then walks in
    guarded = SourceAnalytics("0", [], [BAY], hysteresis=0.1)
    events, _ = feed(guarded, path)
    assert [e.kind for e in events] == ["zone_enter"]
    bare = SourceAnalytics("0", [], [BAY], hysteresis=0.0)
    events, _ = feed(bare, path)
    assert len(events) > 20


def test_a_lost_track_stays_inside_until_removed_then_exits_at_its_last_sighting():
    src = SourceAnalytics("0", [], [BAY], names=NAMES)
    path = [{5: (200.0, 150.0)}] * 10 + [{}] * 10  # seen 10 frames, then occluded
    events, occ = feed(src, path, removed={19: [5]})
    assert occ[:19] == [1] * 19 and occ[19] == 0  # still "in the bay" while occluded
    ex = [e for e in events if e.kind == "zone_exit"]
    assert len(ex) == 1 and ex[0].frame_index == 19 and ex[0].attrs["dwell_s"] == pytest.approx(0.9)
    assert ex[0].box == pytest.approx((190.0, 140.0, 210.0, 160.0)) and ex[0].class_name == "person"
    assert src.tracks == 0


def test_a_reappearing_track_continues_its_visit():
    src = SourceAnalytics("0", [], [BAY])
    path = [{5: (200.0, 150.0)}] * 5 + [{}] * 3 + [{5: (210.0, 150.0)}] * 5
    events, occ = feed(src, path)
    assert [e.kind for e in events] == ["zone_enter"] and occ[-1] == 1


@pytest.mark.parametrize("seed", range(3))
def test_inside_test_matches_opencv_on_concave_polygons(seed):
    rng = np.random.default_rng(seed)
    k = 9
    ang = np.sort(rng.uniform(0, 2 * np.pi, k))
    rad = rng.uniform(30, 120, k)  # a star-shaped, usually concave polygon
    poly = tuple((float(200 + r * np.cos(a)), float(200 + r * np.sin(a))) for a, r in zip(ang, rad, strict=True))
    zone = Zone("z", poly, None, "center", None)
    pts = rng.uniform(60, 340, (400, 2))
    dets = frame({i: (float(x), float(y)) for i, (x, y) in enumerate(pts)}, size=2.0)
    src = SourceAnalytics("0", [], [zone], hysteresis=0.0)
    entered = {e.track_id for e in src.update(0, 0.0, dets) if e.kind == "zone_enter"}
    contour = np.array(poly, np.float32).reshape(-1, 1, 2)
    centres = (dets.xyxy[:, :2] + dets.xyxy[:, 2:]) / 2
    cv_inside = {i for i, (x, y) in enumerate(centres.tolist()) if cv2.pointPolygonTest(contour, (x, y), True) > 1e-3}
    cv_outside = {i for i, (x, y) in enumerate(centres.tolist()) if cv2.pointPolygonTest(contour, (x, y), True) < -1e-3}
    assert cv_inside <= entered and not (entered & cv_outside)
    assert len(cv_inside) > 20
