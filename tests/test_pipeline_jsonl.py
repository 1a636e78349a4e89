"""The JSONL sink: line schema, events routing, stats lines, per-frame flush, atomic mode."""

from __future__ import annotations

import json

import numpy as np

from yolotrack.core.detections import Detections
from yolotrack.core.events import TrackEvent
from yolotrack.core.frame import Frame
from yolotrack.pipeline import PipelineStats, SourceState, SourceStatus
from yolotrack.sinks.base import StreamInfo
from yolotrack.sinks.jsonl import JsonlSink


def frame(i: int, sid: str = "0") -> Frame:
    return Frame(np.zeros((4, 6, 3), np.uint8), i, i / 10, sid, 10.0)


DETS = Detections(np.array([[1.234, 2, 3, 4]]), np.array([0.91234]), np.array([2]), {2: "car"}, track_ids=[7])
EVENT = TrackEvent("new", 7, 0, 2, (1.0, 2.0, 3.0, 4.0), 0.9)


def info(sid: str = "0") -> StreamInfo:
    return StreamInfo(sid, "cam.mp4", 6, 4, 10.0, {2: "car"})


def lines(path) -> list[dict]:
    return [json.loads(s) for s in path.read_text().splitlines()]


def test_frame_event_and_stats_lines_are_flushed_as_written(tmp_path):
    out = tmp_path / "t.jsonl"
    sink = JsonlSink(out)
    sink.open(info())
    sink.write(frame(0), DETS, [EVENT])
    recs = lines(out)  # readable before close: flushed per frame
    assert recs[0] == {"type": "stream", "source": "0", "uri": "cam.mp4", "width": 6, "height": 4, "fps": 10.0,
                       "task": "detect", "names": {"2": "car"}}
    assert recs[1] == {"type": "frame", "source": "0", "frame": 0, "ts": 0.0,
                       "tracks": [{"id": 7, "class_id": 2, "class": "car", "score": 0.9123,
                                   "box": [1.23, 2.0, 3.0, 4.0]}]}
    assert recs[2]["type"] == "event" and recs[2]["event"] == "new" and recs[2]["id"] == 7
    stats = PipelineStats(frames=1, fps=9.87654,
                          sources={"0": SourceStatus("0", "cam", "stream", SourceState.RECONNECTING, retry_in=1.234)})
    sink.write_stats(stats)
    rec = lines(out)[-1]
    assert rec["type"] == "stats" and rec["fps"] == 9.88 and rec["sources"]["0"]["state"] == "reconnecting"
    assert sink.close() == [out]


def test_events_to_their_own_file_and_several_streams(tmp_path):
    out, ev = tmp_path / "t.jsonl", tmp_path / "e.jsonl"
    sink = JsonlSink(out, events=ev)
    sink.open(info("0"))
    sink.open(info("1"))
    sink.write(frame(0, "0"), DETS, [EVENT])
    sink.write(frame(0, "1"), DETS[[]], [])
    assert sink.close() == []  # still open for the other stream
    sink.write(frame(1, "1"), DETS, [])
    assert sorted(sink.close()) == sorted([out, ev])
    recs = lines(out)
    assert [(r["source"], r["frame"]) for r in recs if r["type"] == "frame"] == [("0", 0), ("1", 0), ("1", 1)]
    assert [r["type"] for r in lines(ev)] == ["event"]


def test_atomic_mode_renames_on_close_and_discards_on_abort(tmp_path):
    out = tmp_path / "export.jsonl"
    sink = JsonlSink(out, atomic=True, stats=False)
    sink.open(info())
    sink.write(frame(0), DETS, [])
    assert not out.exists()
    assert sink.close() == [out] and len(lines(out)) == 2
    other = tmp_path / "aborted.jsonl"
    sink = JsonlSink(other, atomic=True)
    sink.open(info())
    sink.write(frame(0), DETS, [])
    sink.abort()
    assert not other.exists() and list(tmp_path.glob(".aborted*")) == []


def test_stdout_default(capsys):
    sink = JsonlSink()
    sink.open(info())
    sink.write(frame(3), DETS, [])
    sink.close()
    out = capsys.readouterr().out.splitlines()
    assert json.loads(out[1])["frame"] == 3


def test_tracker_and_analytics_events_share_one_flat_record():
    from yolotrack.core.events import TrackEvent

    lifecycle = TrackEvent("lost", 7, 12, 2, (1.0, 2.0, 3.0, 4.0), 0.9, "cam", timestamp=0.4, class_name="car")
    crossing = TrackEvent("line_cross", 7, 13, 2, (1.0, 2.0, 3.0, 4.0), 0.9, "cam", timestamp=0.433,
                          class_name="car", attrs={"line": "door", "direction": "in"})
    assert lifecycle.to_record() == {"event": "lost", "id": 7, "frame": 12, "ts": 0.4, "class_id": 2, "class": "car",
                                     "score": 0.9, "box": [1.0, 2.0, 3.0, 4.0], "source": "cam"}
    rec = crossing.to_record()
    assert rec["event"] == "line_cross" and rec["line"] == "door" and rec["direction"] == "in" and rec["ts"] == 0.433
    assert set(lifecycle.to_record()) < set(rec)
