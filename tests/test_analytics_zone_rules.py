"""Zone rules operators ask for: `inertia`, `min_area`/`max_area`, class filters, `loitering_s`, each with
the exact events it must give; a bad rule is one line and exit 2 through the real CLI."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest
from test_analytics_config import cli, one_error_line, write

from yolotrack.analytics import Analytics, SourceAnalytics
from yolotrack.analytics.shapes import Zone
from yolotrack.core.config import AnalyticsConfig, ZoneConfig, load_config
from yolotrack.core.detections import Detections
from yolotrack.core.errors import ConfigError

NAMES = {0: "person", 1: "car"}
BAY = Zone("bay", ((100.0, 100.0), (300.0, 100.0), (300.0, 200.0), (100.0, 200.0)), None, "center", None)
FPS = 10.0


def frame(tracks: dict[int, tuple[float, float, float]], cls: dict[int, int] | None = None) -> Detections:
    """tracks: id -> (centre x, centre y, box side)."""
    ids = list(tracks)
    xyxy = [[x - s / 2, y - s / 2, x + s / 2, y + s / 2] for x, y, s in tracks.values()]
    return Detections(xyxy=np.array(xyxy, np.float32).reshape(-1, 4), scores=np.full(len(ids), 0.8),
                      class_ids=[(cls or {}).get(t, 0) for t in ids], names=NAMES, track_ids=ids)


def events(zone: Zone, path, cls=None) -> tuple[list[tuple[str, int, int, float | None]], SourceAnalytics]:
    src = SourceAnalytics("0", [], [zone], names=NAMES)
    out = []
    for f, tracks in enumerate(path):
        out += [(str(e.kind), e.track_id, e.frame_index, e.attrs.get("dwell_s"))
                for e in src.update(f, f / FPS, frame(tracks, cls))]
    return out, src


def across(track: int = 1, side: float = 20.0, y: float = 150.0) -> list[dict[int, tuple[float, float, float]]]:
    """Left to right through the bay, 10 px a frame: x = 50 ... 350."""
    return [{track: (50.0 + 10 * f, y, side)} for f in range(31)]


def test_inertia_delays_enter_and_exit_by_its_frames():
    # without inertia: in at x = 110 (frame 6: past the 4 px band), out at x = 310 (frame 26)
    assert events(BAY, across())[0] == [("zone_enter", 1, 6, None), ("zone_exit", 1, 26, 2.0)]
    slow = dataclasses.replace(BAY, inertia=3)  # three frames in a row on the new side: frames 6, 7, 8
    assert events(slow, across())[0] == [("zone_enter", 1, 8, None), ("zone_exit", 1, 28, 2.0)]


def test_inertia_ignores_a_blip_shorter_than_its_frames():
    blip = [{1: (80.0, 150.0, 20.0)}] * 3 + [{1: (150.0, 150.0, 20.0)}] * 2 + [{1: (80.0, 150.0, 20.0)}] * 5
    assert events(BAY, blip)[0] == [("zone_enter", 1, 3, None), ("zone_exit", 1, 5, 0.2)]
    got, src = events(dataclasses.replace(BAY, inertia=3), blip)
    assert got == []
    z = src.counts().zone("bay")
    assert z is not None and (z.entries, z.exits, z.occupancy) == (0, 0, 0)
    # a streak that is broken starts again: in 2 frames, out 1, in 3 -> one entry, at the third frame in
    broken = ([{1: (80.0, 150.0, 20.0)}] * 2 + [{1: (150.0, 150.0, 20.0)}] * 2 + [{1: (80.0, 150.0, 20.0)}]
              + [{1: (150.0, 150.0, 20.0)}] * 3)
    assert events(dataclasses.replace(BAY, inertia=3), broken)[0] == [("zone_enter", 1, 7, None)]


def test_area_limits_follow_only_boxes_of_that_size():
    # a 20 px box has an area of 400, a 30 px box 900
    path = [{**a, **b} for a, b in zip(across(1, 20.0, 130.0), across(2, 30.0, 170.0), strict=True)]
    assert {t for _, t, _, _ in events(BAY, path)[0]} == {1, 2}
    big = events(dataclasses.replace(BAY, min_area=500.0), path)[0]
    assert [(k, t, f) for k, t, f, _ in big] == [("zone_enter", 2, 6), ("zone_exit", 2, 26)]
    small = events(dataclasses.replace(BAY, max_area=500.0), path)[0]
    assert [(k, t, f) for k, t, f, _ in small] == [("zone_enter", 1, 6), ("zone_exit", 1, 26)]
    assert events(dataclasses.replace(BAY, min_area=500.0, max_area=800.0), path)[0] == []


def test_class_filter_of_a_zone():
    path = [{**a, **b} for a, b in zip(across(1, 20.0, 130.0), across(2, 20.0, 170.0), strict=True)]
    cars = events(dataclasses.replace(BAY, classes=frozenset({1})), path, cls={1: 0, 2: 1})[0]
    assert [(k, t, f) for k, t, f, _ in cars] == [("zone_enter", 2, 6), ("zone_exit", 2, 26)]


def test_loitering_once_per_visit_when_it_lasts_long_enough():
    """In at frame 6 (0.6 s); `loitering_s` 1.5: at 2.1 s (frame 21) one `loitering`, with the dwell so far;
    a second visit that lasts as long gets its own; a short visit none."""
    stay = [{1: (50.0 + 10 * f, 150.0, 20.0)} for f in range(10)] + [{1: (140.0, 150.0, 20.0)}] * 20
    leave = [{1: (80.0, 150.0, 20.0)}] * 3
    again = [{1: (150.0, 150.0, 20.0)}] * 16
    short = leave + [{1: (150.0, 150.0, 20.0)}] * 5 + leave
    zone = dataclasses.replace(BAY, loitering_s=1.5)
    got, src = events(zone, stay + leave + again + short)
    assert got == [("zone_enter", 1, 6, None), ("loitering", 1, 21, 1.5), ("zone_exit", 1, 30, 2.4),
                   ("zone_enter", 1, 33, None), ("loitering", 1, 48, 1.5), ("zone_exit", 1, 49, 1.6),
                   ("zone_enter", 1, 52, None), ("zone_exit", 1, 57, 0.5)]
    z = src.counts().zone("bay")
    assert z is not None and (z.entries, z.exits, z.loitering) == (3, 3, 2)
    assert src.counts().to_record()["zones"]["bay"]["loitering"] == 2


def test_rules_from_the_config_reach_the_counters():
    cfg = AnalyticsConfig(zones=[ZoneConfig(name="bay", polygon=[[100, 100], [300, 100], [300, 200], [100, 200]],
                                            classes=["car"], inertia=3, loitering_s=1.5, min_area=100.0,
                                            max_area=2000.0)])
    an = Analytics(cfg, names=NAMES)
    (zone,) = an.source("0").zones
    assert (zone.classes, zone.inertia, zone.loitering_s, zone.min_area, zone.max_area) == (
        frozenset({1}), 3, 1.5, 100.0, 2000.0)


BAD_RULES = [
    ({"inertia": 0}, r"analytics.zones\[0\].inertia: 0 is out of range"),
    ({"loitering_s": -2}, r"analytics.zones\[0\].loitering_s: -2.0 is out of range"),
    ({"min_area": 900, "max_area": 400}, r"analytics.zones\[0\] \(bay\): min_area 900 is larger than max_area 400"),
    ({"max_area": "big"}, r"analytics.zones\[0\].max_area: expected a number or null, got 'big'"),
    ({"inertia": 1.5}, r"analytics.zones\[0\].inertia: expected an integer, got 1.5"),
]
BAY_CFG = {"name": "bay", "polygon": [[10, 10], [100, 10], [100, 80], [10, 80]]}


@pytest.mark.parametrize("rule, message", BAD_RULES)
def test_bad_rules_are_config_errors(tmp_path, rule, message):
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, {"zones": [dict(BAY_CFG, **rule)]}))


def test_a_bad_rule_through_the_cli_is_one_line_and_exit_2(tmp_path):
    for rule, message in (BAD_RULES[0], BAD_RULES[2]):
        proc = cli("export", "demo", "--out", str(tmp_path / "out"), "--config",
                   str(write(tmp_path, {"zones": [dict(BAY_CFG, **rule)]})))
        assert proc.returncode == 2
        assert re.search(message, one_error_line(proc))
