"""End-of-stream flush: crossings still inside the hysteresis band when a file ends, and tracks that
left the picture without the tracker removing them, settled on the last frame through the one event
path, so JSON Lines, the counts export and the MQTT counts (a `CountTally` of the events) agree."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from pipeline_media import make_video

from yolotrack.analytics import SourceAnalytics
from yolotrack.analytics.shapes import Line, Zone
from yolotrack.commands.export import export_video
from yolotrack.core.config import Config, set_values
from yolotrack.core.detections import Detections
from yolotrack.sinks.counts import LineZoneCounts

DOOR = Line("door", (0.0, 100.0), (200.0, 100.0), None, "center", None)  # moving down is `in`
BAY = Zone("bay", ((0.0, 0.0), (60.0, 0.0), (60.0, 200.0), (0.0, 200.0)), None, "center", None)


def dets(tracks: dict[int, tuple[float, float]], size: float = 20.0) -> Detections:
    ids = list(tracks)
    xyxy = [[x - size / 2, y - size / 2, x + size / 2, y + size / 2] for x, y in (tracks[t] for t in ids)]
    return Detections(xyxy=np.array(xyxy, np.float32).reshape(-1, 4), scores=np.full(len(ids), 0.9),
                      class_ids=np.zeros(len(ids), int), track_ids=ids)


def kinds(events) -> list[tuple[str, int, str]]:
    return [(str(e.kind), e.track_id, e.attrs.get("line") or e.attrs.get("zone")) for e in events]


def feed(src: SourceAnalytics, path: list[dict[int, tuple[float, float]]], final: bool) -> list:
    out = []
    for f, tracks in enumerate(path):
        out += src.update(f, f / 30.0, dets(tracks), size=(200, 200), final=final and f == len(path) - 1)
    return out


def test_a_crossing_inside_the_band_counts_only_when_the_stream_ends():
    # the band is 0.2 x 20 px = 4 px: the last centre, 2 px past the line, has not left it
    path = [{1: (100.0, 80.0 + 4 * f)} for f in range(6)] + [{1: (100.0, 102.0)}]  # y 80, 84, ..., 100, 102
    assert feed(SourceAnalytics("0", [DOOR], []), path, final=False) == []
    src = SourceAnalytics("0", [DOOR], [])
    ev = feed(src, path, final=True)
    assert [(e.kind, e.track_id, e.attrs["direction"], e.frame_index) for e in ev] == [("line_cross", 1, "in", 6)]
    assert src.counts().line("door").in_count == 1
    assert src.flush(6, 0.2) == []  # settled once


def test_the_last_position_counts_however_little_it_moved():
    """The centre reaches the line's other side only on the last frame, by less than the minimum
    displacement (0.05 x 20 px = 1 px): the flush still uses it."""
    path = [{1: (100.0, 80.0 + 4 * f)} for f in range(5)] + [{1: (100.0, 99.5)}, {1: (100.0, 100.3)}]
    assert feed(SourceAnalytics("0", [DOOR], []), path, final=False) == []
    ev = feed(SourceAnalytics("0", [DOOR], []), path, final=True)
    assert [(e.kind, e.track_id, e.attrs["direction"], e.frame_index) for e in ev] == [("line_cross", 1, "in", 6)]


def test_a_track_that_stood_on_the_line_and_went_back_is_not_counted():
    path = [{1: (100.0, 80.0 + 4 * f)} for f in range(6)] + [{1: (100.0, 102.0)}, {1: (100.0, 98.0)}]
    assert feed(SourceAnalytics("0", [DOOR], []), path, final=True) == []


def test_tracks_no_longer_seen_leave_their_zones_and_tracks_in_view_stay():
    """Track 2 vanished inside the bay in mid-picture (lost, never removed: the tracker's buffer outlasts the
    clip); track 3 is still in view, inside the bay: it stays there (its visit has not ended)."""
    src = SourceAnalytics("0", [DOOR], [BAY])
    path = [{2: (30.0, 40.0), 3: (30.0, 150.0)}] * 5 + [{3: (30.0, 150.0)}] * 4
    events = feed(src, path, final=True)
    last = [e for e in events if e.frame_index == len(path) - 1]
    assert kinds(last) == [("zone_exit", 2, "bay")]
    assert last[0].attrs["dwell_s"] == round(4 / 30.0, 3)  # up to its last sighting
    z = src.counts().zone("bay")
    assert (z.entries, z.exits, z.occupancy) == (2, 1, 1)


def test_a_track_lost_at_the_edge_inside_the_band_counts_at_the_end():
    src = SourceAnalytics("0", [Line("exit", (190.0, 0.0), (190.0, 200.0), None, "center", None)], [])
    path = [{1: (150.0 + 10 * f, 100.0)} for f in range(5)] + [{1: (192.0, 100.0)}, {}, {}]  # lost at the edge
    ev = feed(src, path, final=True)
    assert [(e.track_id, e.attrs["direction"], e.frame_index) for e in ev] == [(1, "out", 7)]
    assert ev[0].box == (182.0, 90.0, 202.0, 110.0)  # where it was last seen


# ---------------------------------------------------------------- through the pipeline


class SquareDetector:
    """Finds the bright square of `make_video`'s clip in the decoded frame (the one object it shows)."""

    names = {0: "square"}
    task = "detect"
    kpt_shape = None

    def __call__(self, images):
        out = []
        for img in images:
            ys, xs = np.nonzero(img.max(axis=2) > 120)
            if len(xs):
                box = np.array([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]], np.float32)
                out.append(Detections(xyxy=box, scores=np.array([0.9]), class_ids=np.array([0]), names=self.names))
            else:
                out.append(Detections.empty(self.names))
        return out

    def set_thresholds(self, conf=None, iou=None, classes="unchanged") -> None:
        pass


class TallySink:
    """What the MQTT sink does with events: a `LineZoneCounts` provider fed every frame."""

    name = "tally"

    def __init__(self, cfg: Config) -> None:
        self.counts = LineZoneCounts(cfg.analytics)

    def open(self, info) -> None:
        pass

    def write(self, frame, dets, events) -> None:
        self.counts.update(frame, dets, events)

    def close(self):
        return []

    def abort(self) -> None:
        pass


def test_export_jsonl_counts_file_and_mqtt_tally_agree_on_the_flushed_crossing(tmp_path: Path):
    # the square (30 px wide) moves 3 px a frame: its centre is at x = 3 i + 15, 102 on the last frame (29),
    # 2 px past the line at x = 100 (the band is 0.2 x sqrt(30 x 50) = 7.7 px)
    video = make_video(tmp_path / "clip.mp4", n=30)
    cfg = set_values(Config(), {"analytics.lines": [{"name": "gate", "points": [[100, 0], [100, 120]]}],
                                "pipeline.stats_interval": 0.0})
    tally = TallySink(cfg)
    from yolotrack.commands import export as export_cmd

    real_build = export_cmd.build_sinks
    export_cmd.build_sinks = lambda c, f, p: [*real_build(c, f, p), tally]
    try:
        res = export_video(cfg, video, tmp_path / "out", ["jsonl", "counts"], detector=SquareDetector())
    finally:
        export_cmd.build_sinks = real_build
    assert res.frames == 30 and not res.problem
    recs = [json.loads(s) for s in (tmp_path / "out" / "clip.jsonl").read_text().splitlines()]
    cross = [r for r in recs if r["type"] == "event" and r["event"] == "line_cross"]
    assert [(r["frame"], r["line"], r["direction"]) for r in cross] == [(29, "gate", "out")]
    doc = json.loads((tmp_path / "out" / "clip_counts.json").read_text())
    assert (doc["lines"]["gate"]["in"], doc["lines"]["gate"]["out"]) == (0, 1)
    assert tally.counts.counts()["lines"]["gate"]["out"] == 1
