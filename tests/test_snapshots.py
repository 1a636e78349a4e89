"""Snapshots: JPEGs with the object's box for new tracks and analytics events, atomic, rate-limited."""

from __future__ import annotations

import cv2
import numpy as np

from yolotrack.core.config import SnapshotConfig
from yolotrack.core.detections import Detections
from yolotrack.core.events import TrackEvent
from yolotrack.core.frame import Frame
from yolotrack.sinks.base import StreamInfo
from yolotrack.sinks.snapshots import SnapshotSink

NAMES = {0: "person", 1: "car"}


def frame(i: int, fps: float = 25.0) -> Frame:
    return Frame(np.full((120, 160, 3), 60, np.uint8), index=i, timestamp=i / fps, source_id="door", fps=fps)


def dets(*tracks: tuple[int, int, tuple[float, float, float, float]]) -> Detections:
    return Detections(xyxy=np.array([t[2] for t in tracks], np.float32).reshape(-1, 4),
                      scores=np.full(len(tracks), 0.9, np.float32), class_ids=np.array([t[1] for t in tracks]),
                      names=NAMES, track_ids=np.array([t[0] for t in tracks]))


def event(kind: str, tid: int, i: int, box=(10.0, 10.0, 60.0, 90.0), **attrs) -> TrackEvent:
    return TrackEvent(kind, tid, i, 0, box, 0.9, "door", i / 25.0, "person", attrs)


def test_new_tracks_and_analytics_events_give_jpegs_with_the_box_rate_limited_per_track(tmp_path):
    sink = SnapshotSink(SnapshotConfig(dir=str(tmp_path / "snaps"), interval=1.0))
    sink.open(StreamInfo("door", "x", 160, 120, 25.0, NAMES))
    one = (1, 0, (10.0, 10.0, 60.0, 90.0))
    two = (2, 1, (90.0, 20.0, 150.0, 70.0))
    sink.write(frame(0), dets(one), [event("new", 1, 0)])
    sink.write(frame(5), dets(one, two), [event("new", 2, 5, two[2]), event("lost", 1, 5)])
    sink.write(frame(10), dets(one, two), [event("line_cross", 1, 10, line="gate", direction="in")])  # 0.4 s
    sink.write(frame(40), dets(one, two), [event("zone_enter", 1, 40, zone="yard")])  # 1.6 s: due again
    sink.close()
    folder = tmp_path / "snaps" / "door"
    files = sorted(p.name for p in folder.iterdir())
    shots = [f for f in files if f != "latest.jpg"]
    assert [f.split("-", 1)[1] for f in shots] == ["f000000-new-1.jpg", "f000005-new-2.jpg",
                                                  "f000040-zone_enter-1.jpg"]
    assert "latest.jpg" in files and not [f for f in files if f.startswith(".")]  # no temp file left
    assert sink.stats()["written"] == 3 and sink.stats()["limited"] == 1
    img = cv2.imread(str(folder / shots[1]))
    assert img.shape == (120, 160, 3)
    edge = img[20:70, 89:92].astype(int)  # the left edge of track 2's box is drawn
    assert np.abs(edge - 60).max() > 40
    assert np.abs(img[100:118, 2:8].astype(int) - 60).max() < 12  # away from the box: the frame as it was
    other = img[30:80, 9:12].astype(int)  # track 1 is not drawn on track 2's snapshot
    assert np.abs(other - 60).max() < 12
    assert (folder / "latest.jpg").read_bytes() == (folder / shots[-1]).read_bytes()


def test_a_track_not_in_the_frame_is_drawn_at_its_event_box(tmp_path):
    sink = SnapshotSink(SnapshotConfig(dir=str(tmp_path), interval=0.0))
    sink.open(StreamInfo("door", "x", 160, 120, 25.0, NAMES))
    sink.write(frame(3), dets(), [event("zone_exit", 9, 3, (20.0, 20.0, 80.0, 80.0), zone="yard", dwell_s=4.2)])
    sink.close()
    (shot,) = [p for p in (tmp_path / "door").iterdir() if p.name != "latest.jpg"]
    img = cv2.imread(str(shot))
    assert np.abs(img[30:70, 19:22].astype(int) - 60).max() > 40
