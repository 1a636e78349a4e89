"""The one count model (`analytics.tally.CountTally`, from the analytics events): what `SourceAnalytics.counts()`,
`Pipeline.counts()` and the MQTT counts message say."""

from __future__ import annotations

import dataclasses
from collections import Counter

import numpy as np
import pytest

from yolotrack.analytics import SourceAnalytics
from yolotrack.analytics.shapes import Line, Zone
from yolotrack.analytics.summary import counts_line
from yolotrack.analytics.tally import ClassCrossings, ClassVisits, CountSnapshot, CountTally, LineCount, ZoneCount
from yolotrack.core.config import AnalyticsConfig, Config, LineConfig, ZoneConfig
from yolotrack.core.detections import Detections
from yolotrack.core.events import EventKind, TrackEvent
from yolotrack.core.frame import Frame
from yolotrack.sinks.counts import Counts

NAMES = {0: "person", 1: "car"}


def scenario(seed: int, frames: int = 400, n: int = 20):
    """Tracks bouncing around a 400 x 300 frame, changing class now and then, some removed for good."""
    rng = np.random.default_rng(seed)
    pos = rng.uniform(0, 400, (n, 2)) * [1, 0.75]
    vel = rng.normal(0, 3, (n, 2))
    cls = rng.integers(0, 2, n)
    alive = np.ones(n, bool)
    for f in range(frames):
        pos += vel + rng.normal(0, 1, (n, 2))
        for k, lim in enumerate((400, 300)):  # bounce off the borders
            out = (pos[:, k] < 0) | (pos[:, k] > lim)
            vel[out, k] *= -1
            pos[:, k] = np.clip(pos[:, k], 0, lim)
        cls = np.where(rng.random(n) < 0.01, 1 - cls, cls)
        gone = [int(t) for t in np.flatnonzero(alive & (rng.random(n) < 0.004))]
        alive[gone] = False
        ids = np.flatnonzero(alive & (rng.random(n) > 0.05))
        xyxy = np.concatenate([pos[ids] - 15, pos[ids] + 15], 1)
        dets = Detections(xyxy=xyxy, scores=np.full(len(ids), 0.9), class_ids=cls[ids], names=NAMES, track_ids=ids)
        yield f, dets, [TrackEvent(EventKind.REMOVED, t, f, 0, (0, 0, 0, 0)) for t in gone]


CFG = AnalyticsConfig(
    lines=[LineConfig(name="a", points=[[200, 0], [200, 300]]), LineConfig(name="b", points=[[0, 150], [400, 150]],
                                                                            classes=[1])],
    zones=[ZoneConfig(name="z", polygon=[[50, 50], [250, 60], [220, 250], [60, 200]]),
           ZoneConfig(name="w", polygon=[[250, 100], [390, 100], [390, 290]], source="5")])


@pytest.mark.parametrize("seed", range(3))
def test_one_count_model_from_the_events_for_every_output(seed):
    """The counts are a `CountTally` of the analytics events: per line, per zone and per class they say what
    the events say, occupancy is who the zone counter holds inside, and a tally of the same events kept
    elsewhere (the MQTT sink's, also on the Ray driver) gives the same record as the source's own."""
    lines = [Line(c.name, tuple(c.points[0]), tuple(c.points[1]), frozenset(c.classes) if c.classes else None,
                  c.anchor, c.source) for c in CFG.lines]
    zones = [Zone(c.name, tuple(map(tuple, c.polygon)), None, c.anchor, c.source) for c in CFG.zones[:1]]
    src = SourceAnalytics("0", lines, zones, names=NAMES)
    mqtt = Counts(Config(analytics=CFG), NAMES, "0")
    image = np.zeros((300, 400, 3), np.uint8)
    events: list[TrackEvent] = []
    for f, dets, removed in scenario(seed):
        ev = src.update(f, f / 25, dets, removed, size=(400, 300))
        events += ev
        mqtt.update(Frame(image, f, f / 25, "0"), dets, removed + ev)
    assert len(events) > 30
    snap = src.counts()
    assert (snap.source, snap.frame, snap.ts) == ("0", f, f / 25)
    crossings = Counter((e.attrs["line"], e.attrs["direction"], e.class_name) for e in events
                        if e.kind is EventKind.LINE_CROSS)
    for ln in snap.lines:
        mine = {(d, c): n for (name, d, c), n in crossings.items() if name == ln.name}
        assert (ln.in_count, ln.out_count) == (sum(n for (d, _), n in mine.items() if d == "in"),
                                               sum(n for (d, _), n in mine.items() if d == "out"))
        assert {c: (v.in_count, v.out_count) for c, v in ln.by_class} == {
            c: (mine.get(("in", c), 0), mine.get(("out", c), 0)) for _, c in mine}
    (z,) = snap.zones  # "w" belongs to source 5
    enters = [e for e in events if e.kind is EventKind.ZONE_ENTER]
    exits = [e for e in events if e.kind is EventKind.ZONE_EXIT]
    assert (z.entries, z.exits) == (len(enters), len(exits)) and z.entries > 0
    assert z.occupancy == z.entries - z.exits == int(src._zones.inside[:, 0].sum())
    assert z.max_occupancy >= z.occupancy
    assert z.mean_dwell_s == round(sum(e.attrs["dwell_s"] for e in exits) / len(exits), 3)
    assert sum(v.entries for _, v in z.by_class) == z.entries and sum(v.occupancy for _, v in z.by_class) == z.occupancy
    assert [c for c, _ in z.by_class] == [NAMES[i] for i in sorted(NAMES) if NAMES[i] in dict(z.by_class)]
    rec = mqtt.record()
    assert {"lines": rec["lines"], "zones": rec["zones"]} == {k: snap.to_record()[k] for k in ("lines", "zones")}
    with pytest.raises(dataclasses.FrozenInstanceError):
        z.occupancy = 0  # type: ignore[misc]


def test_replaced_shapes_keep_their_counts_only_when_unchanged():
    tally = CountTally("0", ["a", "b"], ["z"], NAMES)
    cross = TrackEvent(EventKind.LINE_CROSS, 1, 0, 0, (0.0, 0.0, 1.0, 1.0), attrs={"line": "a", "direction": "in"})
    enter = TrackEvent(EventKind.ZONE_ENTER, 1, 0, 1, (0.0, 0.0, 1.0, 1.0), attrs={"zone": "z"})
    tally.add(0, 0.0, [cross, dataclasses.replace(cross, attrs={"line": "b", "direction": "out"}), enter])
    tally.reshape(["b", "a", "c"], ["z"], keep={"a", "z"})
    snap = tally.snapshot()
    assert [(v.name, v.in_count, v.out_count) for v in snap.lines] == [("b", 0, 0), ("a", 1, 0), ("c", 0, 0)]
    assert snap.zone("z") == ZoneCount("z", 1, 1, 0, 1, 0.0, (("car", ClassVisits(1, 1, 0, 0.0)),))
    assert snap.line("a").by_class == (("person", ClassCrossings(1, 0)),)


def test_the_mqtt_counts_message_carries_lines_and_zones():
    cfg = Config(analytics=CFG)
    counts = Counts(cfg, NAMES, "0")
    image = np.zeros((300, 400, 3), np.uint8)
    src = SourceAnalytics("0", [Line("a", (200.0, 0.0), (200.0, 300.0), None, "center", None)], [], names=NAMES)
    for f in range(30):
        dets = Detections(xyxy=[[170 + 4 * f, 100, 190 + 4 * f, 120]], scores=[0.9], class_ids=[0], names=NAMES,
                          track_ids=[1])
        counts.update(Frame(image, f, f / 25, "0"), dets, src.update(f, f / 25, dets))
    rec = counts.record()
    assert rec["type"] == "counts" and rec["active"] == {"person": 1} and rec["total"] == 1
    assert rec["lines"]["a"] == {"in": 0, "out": 1, "by_class": {"person": {"in": 0, "out": 1}}}
    assert rec["lines"]["b"] == {"in": 0, "out": 0, "by_class": {}}  # listed before its first crossing
    assert rec["zones"]["z"]["occupancy"] == 0 and "w" not in rec["zones"]
    empty = Counts(Config(), NAMES, "0")
    empty.update(Frame(image, 0, 0.0, "0"), Detections.empty(NAMES), [])
    assert "lines" not in empty.record()  # no analytics section: the message is as before


def test_counts_line_reads_well():
    snap = CountSnapshot("0", 10, 1.0, (LineCount("door", 3, 2),), (ZoneCount("bay", 2, 5, 3, 3, 12.72),), "door cam")
    assert counts_line(snap) == ("source 0 (door cam): door in 3 out 2; bay 2 inside (max 3, 5 entries, "
                                 "mean dwell 4.2 s)")
