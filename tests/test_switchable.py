"""SwitchableTracker: the GUI's live tracker checkbox, with the real ByteTracker behind it."""

from __future__ import annotations

import numpy as np

from yolotrack.core.detections import Detections
from yolotrack.tracker import ByteTracker
from yolotrack.tracker.switchable import SwitchableTracker, TrackerSwitch

NAMES = {0: "person"}


def box_at(x: float) -> Detections:
    return Detections(np.array([[x, 10, x + 40, 90]], np.float32), np.array([0.9], np.float32),
                      np.array([0]), NAMES)


def make_switchable(enabled: bool = True) -> tuple[SwitchableTracker, TrackerSwitch, list[ByteTracker]]:
    made: list[ByteTracker] = []

    def make(fps: float) -> ByteTracker:
        made.append(ByteTracker(frame_rate=fps))
        return made[-1]

    switch = TrackerSwitch(enabled)
    return SwitchableTracker(make, 25.0, switch), switch, made


def test_on_it_tracks_like_the_real_tracker_and_forwards_events() -> None:
    sw, _, made = make_switchable()
    ref = ByteTracker(frame_rate=25.0)
    for i in range(5):
        got, want = sw.update_detections(box_at(10 + 3 * i), i), ref.update_detections(box_at(10 + 3 * i), i)
        np.testing.assert_array_equal(got.track_ids, want.track_ids)
        np.testing.assert_allclose(got.xyxy, want.xyxy)
        assert [e.kind for e in sw.pop_events()] == [e.kind for e in ref.pop_events()]
    assert len(made) == 1 and made[0].frame_id == 5
    coasted = sw.coast(5, NAMES)
    np.testing.assert_array_equal(coasted.track_ids, ref.coast(5, NAMES).track_ids)
    assert not hasattr(sw, "trails")  # trails come from the pipeline (Result.trails), not the tracker


def test_off_passes_detections_through_and_on_again_starts_fresh() -> None:
    sw, switch, made = make_switchable()
    for i in range(4):
        first = sw.update_detections(box_at(10 + 3 * i), i)
    assert first.track_ids is not None and len(first) == 1
    old_id = int(first.track_ids[0])
    sw.pop_events()

    switch.enabled = False
    dets = box_at(30)
    assert sw.update_detections(dets, 4) is dets  # untouched: no ids, no tracker work
    assert sw.pop_events() == []
    off_coast = sw.coast(5, NAMES)
    assert len(off_coast) == 0 and off_coast.names == NAMES

    switch.enabled = True
    again = [sw.update_detections(box_at(30 + 3 * i), 6 + i) for i in range(3)]
    assert len(made) == 2 and made[1].frame_id == 3  # a new tracker, not the one from before the gap
    assert again[-1].track_ids is not None and len(again[-1]) == 1
    kinds = [e.kind for e in sw.pop_events()]
    assert kinds == ["new"]  # the old track is not resumed, it started over
    assert int(again[-1].track_ids[0]) == old_id  # ids restart with the tracker


def test_starting_off_builds_no_tracker_until_switched_on() -> None:
    sw, switch, made = make_switchable(enabled=False)
    assert len(sw.coast(0, NAMES)) == 0 and sw.pop_events() == [] and made == []
    switch.enabled = True
    assert len(sw.coast(1, NAMES)) == 0 and len(made) == 1
