"""Line counting: the crossing rule, direction, jitter guards, ID switches, class filters, coasting,
bounded state, live replacement; the vectorized counter against a plain scalar statement of the rule."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from yolotrack.analytics import Analytics, SourceAnalytics
from yolotrack.analytics.lines import SETTLE_BAND, SETTLE_FRAMES
from yolotrack.analytics.shapes import Line
from yolotrack.core.config import AnalyticsConfig, LineConfig, TrackerConfig
from yolotrack.core.detections import Detections
from yolotrack.core.events import ANALYTICS_EVENTS, TrackEvent

NAMES = {0: "person", 1: "car"}
DOOR = Line("door", (0.0, 100.0), (200.0, 100.0), None, "center", None)  # left to right: `in` is moving down


def box(cx: float, cy: float, size: float = 20.0) -> list[float]:
    return [cx - size / 2, cy - size / 2, cx + size / 2, cy + size / 2]


def frame(tracks: dict[int, tuple[float, float]], cls: dict[int, int] | None = None, size: float = 20.0) -> Detections:
    ids = list(tracks)
    return Detections(xyxy=np.array([box(*tracks[t], size) for t in ids], np.float32).reshape(-1, 4),
                      scores=np.full(len(ids), 0.9), class_ids=[(cls or {}).get(t, 0) for t in ids], names=NAMES,
                      track_ids=ids)


def run(src: SourceAnalytics, path: list[dict[int, tuple[float, float]]], cls: dict[int, int] | None = None,
        removed: dict[int, list[int]] | None = None) -> list[TrackEvent]:
    events = []
    for f, tracks in enumerate(path):
        gone = [TrackEvent("removed", t, f, 0, (0, 0, 0, 0)) for t in (removed or {}).get(f, [])]
        events += src.update(f, f / 30.0, frame(tracks, cls), gone)
    return events


def crossings(events: list[TrackEvent]) -> list[tuple[int, str, str]]:
    return [(e.track_id, e.attrs["line"], e.attrs["direction"]) for e in events if e.kind == "line_cross"]


def source(lines=(DOOR,), **kw) -> SourceAnalytics:
    return SourceAnalytics("0", list(lines), [], names=NAMES, **kw)


def test_crossings_in_both_directions_with_the_documented_convention():
    src = source()
    down = [{1: (100.0, 60.0 + 5 * f)} for f in range(17)]  # 60 -> 140: down = left to right of p1->p2 = in
    up = [{2: (50.0, 140.0 - 5 * f)} for f in range(17)]
    ev = run(src, [{**a, **b} for a, b in zip(down, up, strict=True)])
    assert sorted(crossings(ev)) == [(1, "door", "in"), (2, "door", "out")]
    rec = next(e for e in ev if e.track_id == 1).to_record()
    assert rec["event"] == "line_cross" and rec["line"] == "door" and rec["direction"] == "in"
    assert rec["class"] == "person" and rec["id"] == 1 and rec["source"] == "0" and "ts" in rec
    assert all(e.kind in ANALYTICS_EVENTS for e in ev)
    c = src.counts().to_record()["lines"]["door"]
    assert (c["in"], c["out"]) == (1, 1) and c["by_class"] == {"person": {"in": 1, "out": 1}}


def test_reversed_points_swap_the_direction():
    rev = Line("door", (200.0, 100.0), (0.0, 100.0), None, "center", None)
    assert crossings(run(source([rev]), [{1: (100.0, 60.0 + 5 * f)} for f in range(17)])) == [(1, "door", "out")]


def test_outside_the_segment_does_not_count():
    """Crossing the line's extension (beyond p2) is no crossing."""
    src = source()
    assert crossings(run(src, [{1: (260.0, 60.0 + 5 * f)} for f in range(17)])) == []
    # ... and coming back through the segment after that still counts once
    path = [{2: (260.0, 60.0 + 5 * f)} for f in range(17)] + [{2: (100.0, 140.0 - 5 * f)} for f in range(17)]
    assert crossings(run(src, path)) == [(2, "door", "out")]


def test_touch_and_return_does_not_count():
    src = source()
    path = [{1: (100.0, 60.0 + 4 * f)} for f in range(11)]  # reaches y = 100 (on the line)
    path += [{1: (100.0, 99.0)}, {1: (100.0, 101.0)}, {1: (100.0, 100.5)}]  # a hair over and back
    path += [{1: (100.0, 100.0 - 4 * f)} for f in range(11)]
    assert crossings(run(src, path)) == []


def jitter_path(rng: np.random.Generator, amplitude: float, frames: int = 200) -> list[dict[int, tuple[float, float]]]:
    """Walks down to the line, stands on it jittering, then walks on: one true crossing."""
    path = [{1: (100.0, 60.0 + 2 * f)} for f in range(20)]
    path += [{1: (100.0 + rng.normal(0, 1), 100.0 + rng.uniform(-amplitude, amplitude))} for _ in range(frames)]
    path += [{1: (100.0, 100.0 + 2 * f)} for f in range(1, 21)]
    return path


def test_jitter_on_the_line_counts_once_with_the_guards_and_many_times_without():
    rng = np.random.default_rng(0)
    guarded = crossings(run(source(), jitter_path(rng, 3.0)))  # the default guards
    assert guarded == [(1, "door", "in")]
    rng = np.random.default_rng(0)
    raw = crossings(run(source(hysteresis=0.0, min_displacement=0.0), jitter_path(rng, 3.0)))
    assert len(raw) > 20  # the bare rule counts every wobble
    ins = sum(d == "in" for _, _, d in raw)
    assert ins - (len(raw) - ins) == 1  # ... though they cancel out to the one true crossing


def test_a_slow_drift_that_stays_inside_the_band_counts_once_it_has_stayed():
    """Box 20 px: the band is 4 px. The centre drifts 0.25 px a frame from 3 px above the line to 3 px
    below it and stays there: it never leaves the band, but after `SETTLE_FRAMES` sightings below the line,
    beyond half the band, the side is confirmed. Drifting back up the same way counts `out`."""
    assert (SETTLE_FRAMES, SETTLE_BAND) == (10, 0.5)
    down = [{1: (100.0, 60.0 + 4 * f)} for f in range(10)]  # 60 .. 96, confirmed above
    drift = [{1: (100.0, 97.0 + 0.25 * f)} for f in range(25)]  # 97 .. 103
    stay = [{1: (100.0, 103.0)} for _ in range(12)]
    back = [{1: (100.0, 103.0 - 0.25 * f)} for f in range(1, 25)] + [{1: (100.0, 97.0)} for _ in range(12)]
    ev = run(source(), down + drift + stay + back)
    # on the line's right (below) from y = 100 (frame 22: a point on the line counts as right of it); the 10th
    # sighting there, frame 31 at y = 102.25, is beyond 2 px; back above from y = 99.75 (frame 59), 10th: 68
    assert [(e.frame_index, e.attrs["direction"]) for e in ev] == [(31, "in"), (68, "out")]


def test_a_wobble_inside_the_band_is_not_held_long_enough():
    """Standing 3 px past the line but crossing back every 9 sightings: never confirmed."""
    down = [{1: (100.0, 60.0 + 4 * f)} for f in range(10)]
    wobble = [{1: (100.0, 103.0 if (f // 9) % 2 == 0 else 97.0)} for f in range(90)]
    assert crossings(run(source(), down + wobble)) == []


def test_id_switch_mid_crossing_never_double_counts():
    """Track 1 reaches the line and is replaced by track 2 past it: neither alone crossed; later
    crossings of the new id count normally."""
    src = source()
    path = [{1: (100.0, 60.0 + 5 * f)} for f in range(8)]  # 60..95
    path += [{2: (100.0, 105.0 + 5 * f)} for f in range(8)]  # 105..140
    path += [{2: (100.0, 140.0 - 5 * f)} for f in range(17)]  # and back up across
    ev = run(src, path, removed={20: [1]})
    assert crossings(ev) == [(2, "door", "out")]


def test_class_filter():
    cars = Line("cars", (0.0, 100.0), (200.0, 100.0), frozenset({1}), "center", None)
    src = source([DOOR, cars])
    path = [{1: (50.0, 60.0 + 5 * f), 2: (150.0, 60.0 + 5 * f)} for f in range(17)]
    ev = run(src, path, cls={1: 0, 2: 1})
    assert sorted(crossings(ev)) == [(1, "door", "in"), (2, "cars", "in"), (2, "door", "in")]
    counts = src.counts().to_record()["lines"]
    assert counts["cars"]["by_class"] == {"car": {"in": 1, "out": 0}}
    assert counts["door"]["by_class"] == {"person": {"in": 1, "out": 0}, "car": {"in": 1, "out": 0}}


def test_class_names_resolve_against_the_model_and_unknown_names_fail():
    cfg = AnalyticsConfig(lines=[LineConfig(name="door", points=[[0, 100], [200, 100]], classes=["CAR", 0])])
    an = Analytics(cfg, names=NAMES)
    assert an.source("0").lines[0].classes == frozenset({0, 1})
    from yolotrack.core.errors import ConfigError

    cfg = dataclasses.replace(cfg, lines=[dataclasses.replace(cfg.lines[0], classes=["bus"])])
    with pytest.raises(ConfigError, match=r"analytics.lines\[0\] \(door\): unknown class 'bus'.*person, car"):
        Analytics(cfg, names=NAMES)


def test_anchor_bottom_center():
    feet = Line("feet", (0.0, 100.0), (200.0, 100.0), None, "bottom_center", None)
    src = source([DOOR, feet])
    # the centre stops above the line (y <= 96), the feet (centre + 10) cross it
    ev = run(src, [{1: (100.0, 60.0 + 2 * f)} for f in range(19)])
    assert crossings(ev) == [(1, "feet", "in")]


def test_a_track_that_crosses_and_leaves_the_picture_inside_the_band_counts_when_removed():
    """The line runs along the bottom of a 200 x 110 frame: the box walks out of view a hair past it."""
    def feed(path, removed, size=(200, 110)):
        src, ev = source(), []
        for f, tracks in enumerate(path):
            gone = [TrackEvent("removed", t, f, 0, (0, 0, 0, 0)) for t in removed.get(f, [])]
            ev += src.update(f, f / 30.0, frame(tracks), gone, size=size)
        return ev

    path = [{1: (100.0, 60.0 + 5 * f)} for f in range(9)]  # 60 .. 100 (on the line: right of it by the tie-break)
    path += [{1: (100.0, 101.0)}] + [{}] * 5  # a hair past the line (band: 4 px), its box at the frame's edge; gone
    ev = feed(path, {14: [1]})
    assert crossings(ev) == [(1, "door", "in")] and ev[0].frame_index == 14
    assert ev[0].box == pytest.approx(tuple(box(100.0, 101.0)))
    # touching the line and vanishing on the side it came from is no crossing
    ev = feed([{2: (100.0, 60.0 + 5 * f)} for f in range(8)] + [{2: (100.0, 99.0)}, {}], {9: [2]})
    assert crossings(ev) == []
    # the same inside a taller picture (occluded, or the id jumped to another object): not counted
    assert crossings(feed(path, {14: [1]}, size=(200, 400))) == []


def test_a_new_track_takes_the_side_of_its_first_position():
    """Born inside the band (e.g. at the first frame): it still has a side, so leaving across counts."""
    src = source()
    assert crossings(run(src, [{1: (100.0, 99.0 + 4 * f)} for f in range(5)])) == [(1, "door", "in")]


def test_a_lost_track_that_reappears_across_the_line_counts():
    src = source()
    path = [{1: (100.0, 60.0 + 5 * f)} for f in range(6)] + [{}] * 5 + [{1: (100.0, 130.0 + 5 * f)} for f in range(4)]
    assert crossings(run(src, path)) == [(1, "door", "in")]


def test_coasted_frames_count_too():
    """detect_every=3 with the real ByteTracker: the crossing happens (and is counted) on a frame the
    detector skipped, where the track is the tracker's prediction."""
    from yolotrack.tracker import ByteTracker

    tracker = ByteTracker.from_config(TrackerConfig(), 30.0)
    src = source(hysteresis=0.1)  # a 6 px band for this 60 px box
    seen = []
    for f in range(30):
        y = 40.0 + 5 * f  # on the line at frame 12 (a detector frame), past the band (6 px) at 14 (coasted)
        if f % 3 == 0:
            dets = tracker.update_detections(
                Detections(xyxy=[box(100.0, y, 60.0)], scores=[0.9], class_ids=[0], names=NAMES), f)
        else:
            dets = tracker.coast(f, NAMES)
        ev = src.update(f, f / 30.0, dets, tracker.pop_events())
        seen += [(f, e.kind) for e in ev]
    cross = [f for f, k in seen if k == "line_cross"]
    assert cross == [14], seen


def test_state_is_released_when_tracks_are_removed_and_stays_bounded():
    src = source(forget_after=1.0)
    for f in range(2000):  # a new track every 10 frames, each alive for 20 frames, removed 5 later
        tracks = {t: (100.0, 50.0 + (f - 10 * t)) for t in range(max(0, f // 10 - 1), f // 10 + 1)}
        removed = [TrackEvent("removed", t, f, 0, (0, 0, 0, 0)) for t in [f // 10 - 3] if f % 10 == 0 and t >= 0]
        src.update(f, f / 30.0, frame(tracks), removed)
    assert src.tracks <= 4
    assert src._slots.capacity == 64  # rows are reused: never grew past the first allocation
    # a tracker that never reports removal: forgotten after `forget_after` seconds without sightings
    src2 = source(forget_after=1.0)
    for f in range(1000):  # 200 tracks in all
        src2.update(f, f / 30.0, frame({f // 5: (100.0, 50.0)}), [])
    assert src2.tracks <= (128 + 30) // 5 + 1  # checked every 128 frames, forgotten after 30


def test_live_replace_keeps_unchanged_lines_and_resets_changed_ones():
    cfg = AnalyticsConfig(lines=[LineConfig(name="door", points=[[0, 100], [200, 100]]),
                                 LineConfig(name="gate", points=[[0, 150], [200, 150]])])
    an = Analytics(cfg, names=NAMES)
    src = an.source("0")
    run(src, [{1: (100.0, 60.0 + 5 * f)} for f in range(25)])  # crosses both: 60 -> 180
    assert {k: v["in"] for k, v in an.counts()["0"].to_record()["lines"].items()} == {"door": 1, "gate": 1}
    old = an.config
    gate = dataclasses.replace(old.lines[1], points=[[0, 160], [200, 160]])  # gate moved
    an.set_config(dataclasses.replace(old, lines=[old.lines[0], gate,
                                                  LineConfig(name="exit", points=[[0, 300], [200, 300]])]))
    src.update(25, 25 / 30, frame({1: (100.0, 185.0)}), [])
    c = an.counts()["0"].to_record()["lines"]
    assert {k: v["in"] for k, v in c.items()} == {"door": 1, "gate": 0, "exit": 0}
    from yolotrack.core.errors import ConfigError

    with pytest.raises(ConfigError, match="zero length"):
        an.set_config({"lines": [{"name": "x", "points": [[1, 1], [1, 1]]}]})
    assert [ln.name for ln in an.config.lines] == ["door", "gate", "exit"]  # unchanged after a bad edit


def scalar_reference(path: list[dict[int, tuple[float, float, float]]], line: tuple, h: float, m: float) -> list:
    """The documented rule, one track and one line at a time, in plain Python (no shared code)."""
    (ax, ay), (bx, by) = line
    length = ((bx - ax) ** 2 + (by - ay) ** 2) ** 0.5
    state: dict[int, dict] = {}
    out = []
    for f, tracks in enumerate(path):
        for tid, (x, y, size) in tracks.items():
            d = ((bx - ax) * (y - ay) - (by - ay) * (x - ax)) / length
            u = ((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / length ** 2
            st = state.setdefault(tid, {"pos": None, "d": None, "u": None, "side": 0, "ok": False, "raw": 0,
                                        "run": 0})
            raw = 1 if d > 0 else -1
            st["run"] = st["run"] + 1 if raw == st["raw"] else 1  # sightings in a row on this side
            st["raw"] = raw
            first = st["d"] is None
            used = first or ((x - st["pos"][0]) ** 2 + (y - st["pos"][1]) ** 2) ** 0.5 >= m * size
            if used:
                st["pos"] = (x, y)
                if not first and st["d"] * d < 0:
                    t = st["u"] + (u - st["u"]) * st["d"] / (st["d"] - d)
                    st["ok"] = 0 <= t <= 1
                st["d"], st["u"] = d, u
            past_band = used and abs(d) > h * size
            held = st["run"] >= SETTLE_FRAMES and abs(d) > SETTLE_BAND * h * size and st["d"] * d > 0
            if past_band or held or first:  # the track's first position decides its side
                if st["side"] == -raw and st["ok"]:
                    out.append((f, tid, "in" if raw > 0 else "out"))
                st["side"] = raw
    return out


@pytest.mark.parametrize("seed", range(4))
def test_vectorized_counter_matches_the_scalar_rule(seed):
    rng = np.random.default_rng(seed)
    lines = [((float(rng.uniform(0, 300)), float(rng.uniform(0, 300))),
              (float(rng.uniform(0, 300)), float(rng.uniform(0, 300)))) for _ in range(5)]
    n, frames = 25, 150
    pos = rng.uniform(0, 300, (n, 2))
    vel = rng.normal(0, 2.5, (n, 2))
    sizes = rng.uniform(10, 60, n)
    path = []
    for _ in range(frames):
        pos = pos + vel + rng.normal(0, 1.5, (n, 2))
        alive = rng.random(n) > 0.1  # tracks miss frames
        path.append({t: (float(pos[t, 0]), float(pos[t, 1]), float(sizes[t])) for t in range(n) if alive[t]})
    h, m = 0.1, 0.05
    shapes = [Line(f"l{k}", a, b, None, "center", None) for k, (a, b) in enumerate(lines)]
    src = SourceAnalytics("0", shapes, [], hysteresis=h, min_displacement=m)
    got = []
    for f, tracks in enumerate(path):
        ids = list(tracks)
        xyxy = np.array([[x - s / 2, y - s / 2, x + s / 2, y + s / 2] for x, y, s in tracks.values()], np.float64)
        dets = Detections(xyxy=xyxy, scores=np.ones(len(ids)), class_ids=np.zeros(len(ids), int), track_ids=ids)
        got += [(f, e.track_id, e.attrs["line"], e.attrs["direction"]) for e in src.update(f, f / 30, dets)]
    # the counter sees float32 boxes: give the reference the same numbers
    want = []
    for k, line in enumerate(lines):
        p32 = [{t: _f32(v) for t, v in tracks.items()} for tracks in path]
        want += [(f, t, f"l{k}", d) for f, t, d in scalar_reference(p32, line, h, m)]
    assert len(want) > 10
    assert sorted(got) == sorted(want)


def _f32(v: tuple[float, float, float]) -> tuple[float, float, float]:
    x, y, s = v
    b = np.array([x - s / 2, y - s / 2, x + s / 2, y + s / 2], np.float32).astype(np.float64)
    w, hh = b[2] - b[0], b[3] - b[1]
    return (b[0] + w / 2, b[1] + hh / 2, float(np.sqrt(max(w * hh, 1.0))))
