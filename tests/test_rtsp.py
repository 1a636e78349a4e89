"""RTSP against a real GStreamer RTSP server on 127.0.0.1: kill, restart, hang, bad URL."""

from __future__ import annotations

import json
import signal
import threading
import time

import pytest
from pipeline_media import RtspServer, cli, model_overrides, require_gst, wait_for

from yolotrack.core.config import ReconnectConfig, SourceConfig
from yolotrack.pipeline import SourceState, open_source


@pytest.fixture(scope="module", autouse=True)
def _gst():
    require_gst()


def frame_lines(path):
    """Every line must parse: the output is flushed line by line even while the stream is down."""
    if not path.exists():
        return []
    text = path.read_text()
    lines = text.splitlines()
    if text and not text.endswith("\n"):
        lines = lines[:-1]  # a line being written right now
    return [r for r in (json.loads(s) for s in lines) if r["type"] == "frame"]


def test_server_killed_and_restarted_run_reconnects_and_keeps_numbering(tmp_path, fixtures_dir):
    server = RtspServer().start()
    out, log = tmp_path / "cam.jsonl", tmp_path / "run.log"
    proc = cli("run", "-c", "rtsp_headless", "--source", server.url, "-o", str(out),
               *model_overrides(fixtures_dir), "source.timeout=2", "source.reconnect.initial_delay=0.2",
               "source.reconnect.max_delay=0.5",
               "pipeline.stats_interval=0.5", stderr_path=log)
    try:
        assert wait_for(lambda: len(frame_lines(out)) >= 10, 90), log.read_text()
        server.kill()
        before = frame_lines(out)
        time.sleep(2.0)  # several reconnect attempts against a closed port
        assert proc.poll() is None, log.read_text()
        server = RtspServer(port=server.port).start()
        n_before = len(frame_lines(out))
        assert wait_for(lambda: len(frame_lines(out)) >= n_before + 10, 60), log.read_text()
        assert proc.poll() is None  # a live service never exits on its own
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
        server.kill()
    assert proc.returncode == 0, log.read_text()
    recs = [json.loads(s) for s in out.read_text().splitlines()]  # all complete, valid JSON
    idx = [r["frame"] for r in recs if r["type"] == "frame"]
    assert idx == sorted(set(idx)), "frame numbers must strictly increase"
    assert idx[-1] >= len(before) + 10 and idx[0] == 0  # numbering continued across the reconnect
    ts = [r["ts"] for r in recs if r["type"] == "frame"]
    assert ts == sorted(ts)
    text = log.read_text()
    assert "reconnect attempt" in text and text.count("connected to") >= 2
    stats = [r for r in recs if r["type"] == "stats"]
    assert stats and any(s["sources"]["0"]["state"] == "reconnecting" for s in stats)


def test_hung_server_read_timeout_fires_and_reconnect_starts_in_time():
    timeout = 1.0
    with RtspServer() as server:
        cfg = SourceConfig(timeout=timeout, reconnect=ReconnectConfig(initial_delay=0.2))
        src = open_source(server.url, cfg)
        frames = []

        def read():
            for f in src:
                frames.append(f)

        t = threading.Thread(target=read, daemon=True)
        t.start()
        try:
            assert wait_for(lambda: len(frames) >= 5, 30)
            server.hang()
            t_hang = time.monotonic()
            assert wait_for(lambda: src.status.state is SourceState.RECONNECTING, timeout + 4.0)
            detected = time.monotonic() - t_hang
            assert "stream error" in src.status.message or "end of stream" in src.status.message
            # FFmpeg notices about two of its (halved) timeouts after the last packet: ~timeout
            assert detected <= timeout * 2 + 1.0, detected
            server.kill()
            n = len(frames)
            server.start()  # same port
            assert wait_for(lambda: len(frames) >= n + 5, 30)
            assert [f.index for f in frames] == list(range(len(frames)))
            assert src.status.reconnects >= 1
        finally:
            src.stop()
            t.join(10)
            src.close()
    assert not t.is_alive()


def test_wrong_rtsp_path_gives_one_line_and_exit_1(fixtures_dir):
    with RtspServer() as server:
        proc = cli("run", "--source", server.url + "-nope", "-q", *model_overrides(fixtures_dir))
        stdout, stderr = proc.communicate(timeout=90)
    assert proc.returncode == 1
    assert stderr.strip().startswith("yolotrack: error: source 0: cannot connect to rtsp://127.0.0.1")
    assert "404" in stderr and len(stderr.strip().splitlines()) == 1 and stdout == ""
