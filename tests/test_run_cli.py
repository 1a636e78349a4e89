"""`yolotrack run` as a real subprocess: JSONL output, SIGTERM handling, clear errors."""

from __future__ import annotations

import json
import time

import pytest
from pipeline_media import cli, make_video, model_overrides, sigterm_when, wait_for

from yolotrack.tracker.mot_io import read_jsonl_tracks


@pytest.fixture
def model_args(fixtures_dir):
    return model_overrides(fixtures_dir)


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_run_on_a_file_writes_one_line_per_frame_and_exits_0(tmp_path, model_args):
    video = make_video(tmp_path / "a.mp4", n=15)
    out = tmp_path / "tracks.jsonl"
    proc = cli("run", "--source", str(video), "-o", str(out), *model_args, "pipeline.stats_interval=0")
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    recs = read_jsonl(out)
    frames = [r for r in recs if r["type"] == "frame"]
    assert recs[0]["type"] == "stream" and recs[0]["width"] == 160 and recs[0]["names"]["0"]
    assert [r["frame"] for r in frames] == list(range(15))
    assert all(r["source"] == "0" and isinstance(r["tracks"], list) for r in frames)
    tracks = [t for r in frames for t in r["tracks"]]
    assert tracks and all(len(r["tracks"]) > 0 for r in frames)
    for t in tracks:
        assert set(t) >= {"id", "class", "class_id", "score", "box"} and len(t["box"]) == 4
    assert any(r["type"] == "event" and r["event"] == "new" for r in recs)
    assert stdout == ""  # with -o, stdout stays free


def test_run_to_stdout_with_events_file(tmp_path, model_args):
    video = make_video(tmp_path / "a.mp4", n=8)
    events = tmp_path / "events.jsonl"
    proc = cli("run", "--source", str(video), "--events", str(events), *model_args)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    lines = [json.loads(s) for s in stdout.splitlines()]
    assert [r["frame"] for r in lines if r["type"] == "frame"] == list(range(8))
    assert events.exists() and all(json.loads(s)["type"] == "event" for s in events.read_text().splitlines())


def test_sigterm_flushes_outputs_and_exits_0(tmp_path, model_args):
    out = tmp_path / "live.jsonl"
    proc = cli("run", "--source", "synthetic:testsrc2=size=160x120:rate=15", "-o", str(out), *model_args,
               "pipeline.stats_interval=0.5")

    def ready():
        text = out.read_text() if out.exists() else ""
        return text.count('"type":"frame"') >= 5 and '"type":"stats"' in text

    stderr = sigterm_when(proc, ready, 60)
    assert proc.returncode == 0, stderr
    recs = read_jsonl(out)  # every line complete and valid
    frames = [r["frame"] for r in recs if r["type"] == "frame"]
    assert frames == sorted(frames) and len(frames) >= 5
    assert any(r["type"] == "stats" for r in recs)
    assert "SIGTERM" in stderr


@pytest.mark.parametrize(("source", "message"), [
    ("/no/such/clip.mp4", "video file not found: /no/such/clip.mp4"),
    ("7", "camera 7 could not be opened"),
    ("gopher://cam/1", "unsupported URL scheme"),
])
def test_bad_sources_give_one_line_and_exit_1(tmp_path, source, message, model_args):
    t0 = time.monotonic()
    proc = cli("run", "--source", source, "-q", *model_args)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert stderr.strip() == f"yolotrack: error: {stderr.strip().split('error: ', 1)[1]}"
    assert message in stderr and len(stderr.strip().splitlines()) == 1 and "Traceback" not in stderr
    assert stdout == "" and time.monotonic() - t0 < 30


def test_kill_9_keeps_every_finished_line_and_eval_reads_them(tmp_path, model_args):
    out = tmp_path / "live.jsonl"
    proc = cli("run", "--source", "synthetic:testsrc2=size=160x120:rate=15", "-o", str(out), *model_args)
    try:
        assert wait_for(lambda: out.exists() and out.read_text().count('"type":"frame"') >= 5, 60)
    finally:
        proc.kill()  # SIGKILL: no handler runs, nothing gets flushed at exit
        proc.communicate(timeout=30)
    # Every finished line is whole JSON. A kill in the middle of a long line's write may leave that line's
    # beginning after the last newline (the kernel stops a write between pages for a fatal signal).
    text = out.read_text()
    whole, _, cut = text.rpartition("\n")
    records = [json.loads(line) for line in whole.splitlines()]
    frames = [r["frame"] for r in records if r["type"] == "frame"]
    assert len(frames) >= 5 and frames == sorted(frames)
    assert not cut or cut.startswith('{"type":')
    # ... and it can still be scored: the reader of `eval --cross-camera` takes the whole lines, skips a cut one
    tracked = [(r["frame"] + 1, t["id"]) for r in records if r["type"] == "frame" for t in r["tracks"] if "id" in t]
    rows = read_jsonl_tracks(out)
    assert tracked and [(int(f), int(i)) for f, i in rows[:, :2]] == tracked


def test_record_writes_an_annotated_mp4_beside_the_jsonl(tmp_path, model_args):
    import av

    video = make_video(tmp_path / "a.mp4", n=12)
    out, rec = tmp_path / "t.jsonl", tmp_path / "rec" / "annotated.mp4"
    proc = cli("run", "--source", str(video), "-o", str(out), "--record", str(rec), *model_args)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    with av.open(str(rec)) as c:
        frames = [f.to_ndarray(format="bgr24") for f in c.decode(video=0)]
    assert len(frames) == 12 and frames[0].shape == (120, 160, 3)
    assert len([r for r in read_jsonl(out) if r["type"] == "frame"]) == 12


def test_record_refuses_several_sources(tmp_path):
    proc = cli("run", "source.uri=[a.mp4, b.mp4]", "--record", str(tmp_path / "x.mp4"))
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "output.video records one source" in stderr
