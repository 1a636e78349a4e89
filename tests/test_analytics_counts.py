"""The counts snapshot (`SourceAnalytics.counts()`, `Pipeline.counts()`) and the MQTT counts message, whose
`lines`/`zones` keys are rebuilt from the events alone: both must say the same."""

from __future__ import annotations

import numpy as np
import pytest

from yolotrack.analytics import SourceAnalytics
from yolotrack.analytics.event_counts import LineZoneCounts
from yolotrack.analytics.shapes import Line, Zone
from yolotrack.analytics.summary import counts_line
from yolotrack.core.config import AnalyticsConfig, Config, LineConfig, ZoneConfig
from yolotrack.core.detections import Detections
from yolotrack.core.events import TrackEvent
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
        yield f, dets, [TrackEvent("removed", t, f, 0, (0, 0, 0, 0)) for t in gone]


CFG = AnalyticsConfig(
    lines=[LineConfig(name="a", points=[[200, 0], [200, 300]]), LineConfig(name="b", points=[[0, 150], [400, 150]],
                                                                            classes=[1])],
    zones=[ZoneConfig(name="z", polygon=[[50, 50], [250, 60], [220, 250], [60, 200]]),
           ZoneConfig(name="w", polygon=[[250, 100], [390, 100], [390, 290]], source="5")])


@pytest.mark.parametrize("seed", range(3))
def test_counts_from_events_equal_the_counters(seed):
    lines = [Line(c.name, tuple(c.points[0]), tuple(c.points[1]), frozenset(c.classes) if c.classes else None,
                  c.anchor, c.source) for c in CFG.lines]
    zones = [Zone(c.name, tuple(map(tuple, c.polygon)), None, c.anchor, c.source) for c in CFG.zones[:1]]
    src = SourceAnalytics("0", lines, zones, names=NAMES)
    tally = LineZoneCounts(CFG, NAMES)
    image = np.zeros((300, 400, 3), np.uint8)
    n_events = 0
    for f, dets, removed in scenario(seed):
        ev = src.update(f, f / 25, dets, removed, size=(400, 300))
        n_events += len(ev)
        tally.update(Frame(image, f, f / 25, "0"), dets, removed + ev)
    assert n_events > 30
    want = src.counts()
    got = tally.counts()
    assert got["lines"] == want["lines"]
    assert set(got["zones"]) == {"z"}  # "w" belongs to source 5
    for key in ("occupancy", "entries", "exits", "max_occupancy"):
        assert got["zones"]["z"][key] == want["zones"]["z"][key]
    assert got["zones"]["z"]["mean_dwell_s"] == pytest.approx(want["zones"]["z"]["mean_dwell_s"], abs=1e-3)
    for c, v in want["zones"]["z"]["by_class"].items():
        assert {k: got["zones"]["z"]["by_class"][c][k] for k in ("occupancy", "entries", "exits")} == \
            {k: v[k] for k in ("occupancy", "entries", "exits")}
    assert want["zones"]["z"]["entries"] > 0 and sum(c["in"] + c["out"] for c in want["lines"].values()) > 0


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
    snap = {"source": "0", "camera": "door cam", "lines": {"door": {"in": 3, "out": 2, "by_class": {}}},
            "zones": {"bay": {"occupancy": 2, "entries": 5, "exits": 3, "max_occupancy": 3, "mean_dwell_s": 4.24,
                              "by_class": {}}}}
    assert counts_line(snap) == ("source 0 (door cam): door in 3 out 2; bay 2 inside (max 3, 5 entries, "
                                 "mean dwell 4.2 s)")
