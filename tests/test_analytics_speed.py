"""Speed zones on synthetic perspective scenes whose true speeds are known: a road 8 m wide and 40 m long
seen from above at an angle (a trapezoid in the image), vehicles driving through at constant speeds with
detector-like box jitter. The median error of the speed on their `zone_exit` is at most 5 %; `speeding`
fires once for exactly the vehicles over the limit; JSONL tracks and the overlay labels carry the speed."""

from __future__ import annotations

import json

import numpy as np
import pytest

from yolotrack.analytics import SourceAnalytics
from yolotrack.analytics.shapes import Zone
from yolotrack.analytics.speed import ground_size, homography
from yolotrack.core.config import ZoneConfig, load_config
from yolotrack.core.detections import Detections
from yolotrack.core.errors import ConfigError
from yolotrack.core.frame import Frame
from yolotrack.render import Renderer
from yolotrack.sinks.base import StreamInfo
from yolotrack.sinks.jsonl import JsonlSink

FPS = 30.0
ROAD = ((260.0, 100.0), (380.0, 100.0), (600.0, 460.0), (40.0, 460.0))  # far edge on top
DIST = (8.0, 40.0, 8.0, 40.0)  # metres: 1-2 across the far end, 2-3 along the road, ...
W, L = ground_size(DIST)
TO_IMAGE = homography([(0.0, 0.0), (W, 0.0), (W, L), (0.0, L)], ROAD)


def zone(**kw) -> Zone:
    return Zone("road", ROAD, None, "bottom_center", None, distances=DIST, **kw)


def to_image(x: float, y: float) -> tuple[float, float]:
    p = TO_IMAGE @ np.array([x, y, 1.0])
    return p[0] / p[2], p[1] / p[2]


def drive(vehicles: list[tuple[float, float, float]], jitter: float, seed: int = 0):
    """vehicles: (lane x in metres, speed km/h, start time s), driving from 5 m before the far end to 5 m past
    the near end. Yields (frame, Detections) with boxes standing on the ground point (1.8 m wide in the
    image's local scale), every coordinate jittered by `jitter` box widths."""
    rng = np.random.default_rng(seed)
    frames: dict[int, list[tuple[int, list[float]]]] = {}
    for tid, (lane, kmh, start) in enumerate(vehicles, 1):
        v = kmh / 3.6
        f0 = int(round(start * FPS))
        for k in range(int((L + 10.0) / v * FPS) + 1):
            y = -5.0 + v * k / FPS
            bx, by = to_image(lane, y)
            half = (to_image(lane + 0.9, y)[0] - to_image(lane - 0.9, y)[0]) / 2
            box = np.array([bx - half, by - 1.6 * half, bx + half, by]) + rng.normal(0, jitter * 2 * half, 4)
            frames.setdefault(f0 + k, []).append((tid, box.tolist()))
    for f in range(max(frames) + 1):
        items = frames.get(f, [])
        yield f, Detections(xyxy=np.array([b for _, b in items], np.float32).reshape(-1, 4),
                            scores=np.full(len(items), 0.9), class_ids=np.full(len(items), 2),
                            track_ids=[t for t, _ in items])


def run(z: Zone, vehicles, jitter: float, seed: int = 0):
    src = SourceAnalytics("0", [], [z], names={2: "car"})
    events, speeds_seen = [], {}
    for f, d in drive(vehicles, jitter, seed):
        events += src.update(f, f / FPS, d)
        speeds_seen.update({v.track_id: v.speed for v in src.overlay().speeds})
    return src, events, speeds_seen


def test_homography_maps_the_corners_and_back():
    h = homography(ROAD, [(0.0, 0.0), (W, 0.0), (W, L), (0.0, L)])
    for (x, y), want in zip(ROAD, [(0, 0), (W, 0), (W, L), (0, L)], strict=True):
        p = h @ np.array([x, y, 1.0])
        assert p[:2] / p[2] == pytest.approx(want, abs=1e-6)


def test_median_speed_error_within_5_percent_on_synthetic_perspective_scenes():
    rng = np.random.default_rng(11)
    errors = []
    for scene in range(4):
        vehicles = [(float(rng.uniform(1.0, 7.0)), float(rng.uniform(20.0, 110.0)), 0.7 * k) for k in range(12)]
        _, events, _ = run(zone(), vehicles, jitter=0.02, seed=scene)
        exits = {e.track_id: e for e in events if e.kind == "zone_exit"}
        assert sorted(exits) == list(range(1, 13))  # every vehicle drove through and left the zone
        for tid, (_, kmh, _) in enumerate(vehicles, 1):
            e = exits[tid]
            assert e.attrs["speed_unit"] == "km/h"
            errors.append(abs(e.attrs["speed"] - kmh) / kmh)
    assert np.median(errors) <= 0.05, f"median speed error {np.median(errors):.3f}"
    assert np.percentile(errors, 90) <= 0.10


def test_speeding_once_for_exactly_the_vehicles_over_the_limit_in_the_unit_asked():
    vehicles = [(2.0, 40.0, 0.0), (4.0, 80.0, 0.5), (6.0, 55.0, 1.0), (3.0, 100.0, 1.5)]
    src, events, seen = run(zone(speed_limit=60.0 / 3.6, speed_unit="m/s"), vehicles, jitter=0.01)
    speeding = [e for e in events if e.kind == "speeding"]
    assert sorted(e.track_id for e in speeding) == [2, 4]
    for e in speeding:
        assert e.attrs["zone"] == "road" and e.attrs["speed_unit"] == "m/s"
        assert e.attrs["speed"] > e.attrs["speed_limit"] == pytest.approx(16.667, abs=1e-3)
    z = src.counts().zone("road")
    assert z is not None and z.speeding == 2 and z.entries == z.exits == 4
    for tid, (_, kmh, _) in enumerate(vehicles, 1):
        assert seen[tid] == pytest.approx(kmh / 3.6, rel=0.1)  # the per-track speed the overlay shows


def test_jsonl_tracks_and_overlay_labels_carry_the_speed(tmp_path):
    src = SourceAnalytics("0", [], [zone()], names={2: "car"})
    sink = JsonlSink(tmp_path / "t.jsonl", stats=False)
    sink.open(StreamInfo(source_id="0", uri="x", width=640, height=480, fps=FPS, names={2: "car"}, task="detect",
                         analytics=src))
    img = np.zeros((480, 640, 3), np.uint8)
    shown = None
    for f, d in drive([(4.0, 72.0, 0.0)], jitter=0.0):
        src.update(f, f / FPS, d)
        sink.write(Frame(img, f, f / FPS), d, [])
        if f == 40:
            shown = Renderer().draw(img, d, analytics=src.overlay())
            label = f"#1 car 0.90 {src.overlay().speeds[0].text}"
    sink.close()
    rows = [json.loads(s) for s in (tmp_path / "t.jsonl").read_text().splitlines() if '"frame"' in s]
    with_speed = [t for r in rows for t in r["tracks"] if "speed" in t]
    assert with_speed and all(t["speed_unit"] == "km/h" for t in with_speed)
    assert np.median([t["speed"] for t in with_speed]) == pytest.approx(72.0, rel=0.01)
    assert rows[0]["tracks"] and "speed" not in rows[0]["tracks"][0]  # before the zone: no speed
    assert label.endswith("72 km/h")
    assert shown is not None and shown.any()


BAD = [
    ({"distances": [8, 40, 8]}, r"analytics.zones\[0\].distances \(road\): give the 4 edges' real lengths"),
    ({"distances": [8, 0, 8, 40]}, r"each above 0, got \[8.0, 0.0, 8.0, 40.0\]"),
    ({"speed_limit": 50}, r"analytics.zones\[0\] \(road\): speed_limit needs distances"),
    ({"distances": [8, 40, 8, 40], "speed_unit": "knots"}, r"speed_unit: 'knots' is not allowed"),
    ({"distances": [8, 40, 8, 40], "polygon": [[0, 0], [10, 0], [10, 10]]},
     r"a speed zone \(distances\) needs exactly 4 corners, got 3"),
]


@pytest.mark.parametrize("extra, message", BAD)
def test_bad_speed_zones_are_config_errors(tmp_path, extra, message):
    item = {"name": "road", "polygon": [list(p) for p in ROAD], **extra}
    with pytest.raises(ConfigError, match=message):
        load_config(None, [f"analytics.zones={json.dumps([item])}"])


def test_config_speed_zone_resolves():
    cfg = load_config(None, ['analytics.zones=[{"name": "road", "polygon": [[260, 100], [380, 100], [600, 460], '
                             '[40, 460]], "anchor": "bottom_center", "distances": [8, 40, 8, 40], '
                             '"speed_limit": 50}]'])
    assert cfg.analytics.zones[0] == ZoneConfig(name="road", polygon=[list(p) for p in ROAD], anchor="bottom_center",
                                                distances=list(DIST), speed_limit=50.0)
