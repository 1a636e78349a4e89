"""`yolotrack run` as a service, end to end with real parts: a real mosquitto that is down at start
and restarted (SIGTERM) mid-run, a persistent-session subscriber, a webhook server that fails its
first requests, snapshots, `/metrics` parsed with prometheus_client, `/healthz`, camera status
lines from a real RTSP server that goes away, and the one-line errors of bad service settings."""

from __future__ import annotations

import json
import logging
import signal
import socket
import struct
import threading
import time
import urllib.error
import urllib.request

import pytest
from mosquitto import Broker, Subscriber, free_port, require_mosquitto
from pipeline_media import RtspServer, cli, make_video, model_overrides, require_gst, wait_for
from prometheus_client.parser import text_string_to_metric_families
from test_webhook import Hook


@pytest.fixture
def model_args(fixtures_dir):
    require_mosquitto()
    return [*model_overrides(fixtures_dir), "model.runtime=torch"]


def read_jsonl(path):
    return [json.loads(s) for s in path.read_text().splitlines()] if path.exists() else []


def event_lines(path) -> list[str]:
    """The event lines exactly as written (the MQTT payloads must be these very bytes)."""
    return [s for s in path.read_text().splitlines() if s.startswith('{"type":"event"')] if path.exists() else []


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def metrics(port: int) -> dict[str, list]:
    """/metrics parsed by prometheus_client: family name -> samples."""
    _, text = get(f"http://127.0.0.1:{port}/metrics")
    return {f.name: f.samples for f in text_string_to_metric_families(text)}


def sample(fams, family: str, **labels) -> float:
    (value,) = [s.value for s in fams[family] if all(s.labels.get(k) == v for k, v in labels.items())
                and not s.name.endswith("_created")]
    return value


def test_events_reach_mqtt_and_webhook_across_broker_outages(tmp_path, model_args):
    video = make_video(tmp_path / "cam.mp4", n=250, fps=25)  # 10 s played as a camera (policy live)
    out, snaps = tmp_path / "tracks.jsonl", tmp_path / "snaps"
    broker = Broker(tmp_path / "broker").start()
    sub = Subscriber(broker.port, ["site/#"]).start()  # persistent session, then the broker goes away
    assert wait_for(lambda: sub.client.is_connected(), 10)
    broker.stop()
    mport = free_port()
    with Hook(fail_first=3) as hook:
        proc = cli("run", "--source", str(video), "-o", str(out), *model_args, "source.policy=live",
                   "--mqtt", f"mqtt://127.0.0.1:{broker.port}/site", "--webhook", hook.url,
                   "--snapshots", str(snaps), "output.snapshots.mqtt=true", "output.mqtt.counts_interval=0.5",
                   "output.webhook.max_delay=0.5", "--metrics", f"127.0.0.1:{mport}", "pipeline.stats_interval=1",
                   stderr_path=tmp_path / "stderr.txt")
        try:
            assert wait_for(lambda: event_lines(out), 90), (tmp_path / "stderr.txt").read_text()
            # the broker was unreachable at start: tracking went on, events queued
            fams = metrics(mport)
            assert sample(fams, "yolotrack_output_connected", output="mqtt") == 0
            assert sample(fams, "yolotrack_output_backlog", output="mqtt", source="0") >= 1
            assert sample(fams, "yolotrack_source_up", source="0") == 1
            assert sample(fams, "yolotrack_output_capacity", output="mqtt") == 10000
            assert {"yolotrack_fps", "yolotrack_latency_seconds", "yolotrack_dropped_frames",
                    "yolotrack_queue_depth", "yolotrack_source_reconnects", "yolotrack_snapshots"} <= set(fams)
            code, body = get(f"http://127.0.0.1:{mport}/healthz")
            assert code == 200 and json.loads(body)["outputs"]["mqtt"]["connected"] is False
            broker.start()
            first = list(event_lines(out))
            # the sender may be in a back-off sleep of up to 10 s when the broker returns; a loaded machine adds more
            assert wait_for(lambda: set(first) <= {p.decode() for p in sub.on("site/0/events")}, 45)
            broker.stop()  # SIGTERM mid-run
            time.sleep(1.0)
            broker.start()
            _, _ = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate(timeout=30)
        stderr = (tmp_path / "stderr.txt").read_text()
        assert proc.returncode == 0, stderr
        lines = event_lines(out)
        assert wait_for(lambda: len(hook.bodies) >= len(lines), 10)
    sent = set(lines)
    assert wait_for(lambda: {p.decode() for p in sub.on("site/0/events")} >= sent, 20)
    got = {p.decode() for p in sub.on("site/0/events")}
    sub.stop()
    broker.stop()
    assert got == sent and len(sent) >= 3  # the same JSON objects, none lost, none invented
    # the webhook failed its first 3 requests: everything still arrived once, in order
    assert [json.dumps(b, separators=(",", ":")) for b in hook.bodies] == lines and hook.requests == len(lines) + 3
    recs = read_jsonl(out)
    events = [r for r in recs if r["type"] == "event"]
    assert all("ts" in e and "class" in e and e["source"] == "0" for e in events)
    frames = [r for r in recs if r["type"] == "frame"]
    assert frames[-1]["ts"] >= 9.0  # the whole clip, played at its own rate as a camera would
    counts = [json.loads(p) for p in sub.on("site/0/counts")]
    assert counts and counts[-1]["type"] == "counts" and "active" in counts[-1] and "total" in counts[-1]
    assert sub.on("site/availability")[-1] == b"offline"  # said at the clean exit
    shots = [p for p in (snaps / "0").iterdir() if p.name != "latest.jpg"]
    news = [e for e in events if e["event"] == "new"]
    assert len(shots) == len(news) and (snaps / "0" / "latest.jpg").exists()
    assert sub.on("site/0/snapshot") and sub.on("site/0/snapshot")[-1][:2] == b"\xff\xd8"  # a JPEG
    warned = [s for s in stderr.splitlines() if "connection refused" in s and "retrying" in s]
    assert 1 <= len(warned) <= 2  # once per outage, not once per attempt
    assert "sending" in stderr and "queued message(s)" in stderr


def test_a_camera_that_goes_away_is_visible_in_the_stream_in_health_and_over_mqtt(tmp_path, model_args):
    require_gst()
    out = tmp_path / "live.jsonl"
    mport = free_port()
    with Broker(tmp_path / "broker") as broker, Subscriber(broker.port, ["yolotrack/#"]) as sub:
        server = RtspServer(fps=15).start()
        proc = cli("run", "--source", server.url, "-o", str(out), *model_args, "source.reconnect.initial_delay=0.2",
                   "source.reconnect.max_delay=0.5", "source.timeout=2", "--mqtt", broker.url,
                   "--metrics", f"127.0.0.1:{mport}", stderr_path=tmp_path / "stderr.txt")
        try:
            assert wait_for(lambda: sum(r["type"] == "frame" for r in read_jsonl(out)) >= 5, 90), \
                (tmp_path / "stderr.txt").read_text()
            assert wait_for(lambda: get(f"http://127.0.0.1:{mport}/healthz")[0] == 200, 10)
            server.kill()
            assert wait_for(lambda: any(r["type"] == "status" for r in read_jsonl(out)), 30)
            down = next(r for r in read_jsonl(out) if r["type"] == "status")
            assert down["state"] == "reconnecting" and down["source"] == "0" and down["attempt"] >= 1
            assert "error" in down and "***" not in down["error"]
            code, body = get(f"http://127.0.0.1:{mport}/healthz")
            assert code == 503 and "source 0 reconnecting" in json.loads(body)["reason"]
            assert sample(metrics(mport), "yolotrack_source_up", source="0") == 0
            assert wait_for(lambda: any(json.loads(p)["state"] == "reconnecting"
                                        for p in sub.on("yolotrack/0/status")), 10)
            server = RtspServer(port=server.port, fps=15).start()
            assert wait_for(lambda: any(r.get("state") == "connected" for r in read_jsonl(out)), 60)
            assert wait_for(lambda: get(f"http://127.0.0.1:{mport}/healthz")[0] == 200, 10)
            fams = metrics(mport)
            assert sample(fams, "yolotrack_source_up", source="0") == 1
            assert sample(fams, "yolotrack_source_reconnects", source="0") >= 1
            assert wait_for(lambda: json.loads(sub.on("yolotrack/0/status")[-1])["state"] == "connected", 10)
            recs = read_jsonl(out)
            i_down = next(i for i, r in enumerate(recs) if r["type"] == "status")
            i_up = next(i for i, r in enumerate(recs) if r.get("state") == "connected")
            assert i_down < i_up
            assert wait_for(lambda: any(r["type"] == "frame" for r in read_jsonl(out)[i_up:]), 30)
            proc.kill()  # no clean exit: the broker publishes the last will
            proc.communicate(timeout=30)
            assert wait_for(lambda: sub.on("yolotrack/availability")[-1:] == [b"offline"], 10)
        finally:
            server.kill()
            if proc.poll() is None:
                proc.kill()
                proc.communicate(timeout=30)


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--mqtt", "http://broker"], 2, "output.mqtt.url: 'http://broker' must start with mqtt:// or mqtts://"),
    (["--mqtt", "mqtt://u:secret@broker:70000"], 2, "bad port in 'mqtt://***@broker:70000'"),
    (["--mqtt", "mqtt://127.0.0.1:{free}", "output.mqtt.required=true"], 1,
     "connection refused by 127.0.0.1:{free} (is the broker running there?) (output.mqtt.required is true)"),
    (["--mqtt", "mqtt://cam:wrong@127.0.0.1:{auth}", "output.mqtt.required=true"], 1,
     "the broker refused the connection: Not authorized (check the user name and password"),
    (["--mqtt", "mqtt://127.0.0.1:{http}", "output.mqtt.required=true"], 1,  # a web server, not a broker
     "no MQTT answer from 127.0.0.1:{http} within 5 s"),
    (["--webhook", "ftp://h/x"], 2, "output.webhook.url: 'ftp://h/x' must start with http:// or https://"),
    (["--metrics", "127.0.0.1:nine"], 2, "--metrics: '127.0.0.1:nine' is not HOST:PORT"),
    (["--metrics", "127.0.0.1:{busy}"], 1, "--metrics: cannot listen on 127.0.0.1:{busy}"),
])
def test_bad_service_settings_are_one_line(tmp_path, model_args, args, code, message):
    free = free_port()
    with Broker(tmp_path / "auth", users={"cam": "right"}) as auth, Hook() as http, \
            socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        ports = {"free": free, "auth": auth.port, "http": http.server.server_port, "busy": busy.getsockname()[1]}
        args = [a.format(**ports) for a in args]
        proc = cli("run", "--source", "demo", "-q", *model_args, *args)
        stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == code, stderr
    assert message.format(**ports) in stderr, stderr
    assert len(stderr.strip().splitlines()) == 1 and "Traceback" not in stderr and "secret" not in stderr
    assert "wrong" not in stderr and stdout == ""


def test_a_scraper_that_hangs_up_mid_answer_is_a_debug_line_not_a_traceback(capfd, caplog):
    """A real scrape whose client resets the connection before the answer is written: the service's stderr
    stays clean (socketserver would print a traceback), and the next scrape is answered."""
    from yolotrack.pipeline.health import Health
    from yolotrack.pipeline.metrics import MetricsServer
    from yolotrack.pipeline.stats import PipelineStats

    reset = threading.Event()

    def stats() -> PipelineStats:
        reset.wait(5)  # answer only once the client is gone
        return PipelineStats()

    server = MetricsServer("127.0.0.1:0", stats, lambda: Health(True, "")).start()
    try:
        with caplog.at_level(logging.DEBUG, logger="yolotrack.pipeline.metrics"):
            client = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            client.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.close()  # linger 0: a reset, as a scraper's timeout does
            time.sleep(0.2)
            reset.set()
            assert wait_for(lambda: any("hung up" in r.getMessage() for r in caplog.records), 5)
        assert get(f"{server.url}/metrics")[0] == 200
    finally:
        server.close()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "Traceback" not in capfd.readouterr().err


def test_policy_live_plays_a_file_at_its_frame_rate(tmp_path):
    """A file standing in for a camera is paced, not read as fast as it decodes and mostly dropped."""
    from yolotrack.core.config import SourceConfig
    from yolotrack.pipeline import open_source

    video = make_video(tmp_path / "a.mp4", n=40, fps=20)
    for policy, fast in (("live", False), ("auto", True)):
        src = open_source(str(video), SourceConfig(policy=policy))
        src.start()
        t0 = time.monotonic()
        n = sum(1 for _ in src)
        took = time.monotonic() - t0
        src.close()
        assert n == 40
        assert (took < 1.0) if fast else (1.8 <= took < 4.0), (policy, took)


def test_tracking_fills_in_time_and_class_name_of_events():
    import numpy as np

    from yolotrack.core.detections import Detections
    from yolotrack.core.events import TrackEvent
    from yolotrack.core.frame import Frame
    from yolotrack.pipeline import Result
    from yolotrack.pipeline.stages import Tracking

    class OneEvent:
        def update_detections(self, dets, frame_index, image=None):
            return dets.with_tracks(np.arange(len(dets)))

        def coast(self, frame_index, names, image=None):
            return Detections.empty(names)

        def pop_events(self):
            return [TrackEvent("new", 1, 4, 2, (0, 0, 1, 1), 0.9), TrackEvent("lost", 2, 4, 7, (0, 0, 1, 1), 0.5,
                                                                               class_name="given")]

    tracking = Tracking(lambda sid, fps: OneEvent(), {2: "car"})
    r = Result(Frame(np.zeros((8, 8, 3), np.uint8), 4, 0.16, source_id="door"), Detections.empty({2: "car"}))
    tracking.apply(r)
    assert [(e.source_id, e.timestamp, e.class_name) for e in r.events] == [("door", 0.16, "car"),
                                                                          ("door", 0.16, "given")]


def test_a_camera_unreachable_from_the_start_is_reported_in_the_stream(tmp_path, model_args):
    """Before the first frame there is no stream line yet, but the status lines already say why."""
    out = tmp_path / "live.jsonl"
    url = f"rtsp://user:secret@127.0.0.1:{free_port()}/cam"
    proc = cli("run", "--source", url, "-o", str(out), *model_args, "source.reconnect.initial_delay=0.5",
               "source.reconnect.max_delay=1.0", stderr_path=tmp_path / "stderr.txt")
    try:
        assert wait_for(lambda: sum(r["type"] == "status" for r in read_jsonl(out)) >= 2, 60), \
            (tmp_path / "stderr.txt").read_text()
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)
    assert proc.returncode == 0
    recs = read_jsonl(out)
    assert all(r["type"] == "status" and r["state"] == "reconnecting" for r in recs)
    attempts = [r["attempt"] for r in recs]  # one line per failed attempt (a very late look may merge two)
    assert attempts == sorted(set(attempts)) and attempts[0] in (1, 2) and "cannot connect" in recs[0]["error"]
    assert "secret" not in out.read_text() and "***@127.0.0.1" in recs[0]["error"]


def test_run_cameras_publishes_every_camera_and_serves_one_metrics_endpoint(tmp_path, model_args):
    """`run --cameras` shares the process's MQTT publisher and /metrics among its cameras: each camera's
    events reach `<prefix>/<camera>/events` as its JSON Lines bytes, and /metrics reports both cameras."""
    from yolotrack.core.cameras import Camera, save_cameras

    for name in ("a", "b"):
        make_video(tmp_path / f"{name}.mp4", n=60, fps=25)
    save_cameras(tmp_path / "cams.yaml", [Camera("door", str(tmp_path / "a.mp4")),
                                          Camera("yard", str(tmp_path / "b.mp4"), {"model.imgsz": 192})])
    broker = Broker(tmp_path / "broker").start()
    sub = Subscriber(broker.port, ["site/#"], client_id="cams-sub").start()
    port = free_port()
    out = tmp_path / "out"
    try:
        assert wait_for(lambda: sub.client.is_connected(), 10)
        proc = cli("run", "--cameras", str(tmp_path / "cams.yaml"), "--out", str(out), *model_args,
                   "--mqtt", f"mqtt://127.0.0.1:{broker.port}/site", "--metrics", f"127.0.0.1:{port}",
                   "source.realtime=true", "pipeline.stats_interval=0")
        assert wait_for(lambda: _listening(port) and get(f"http://127.0.0.1:{port}/healthz")[0] == 200, 90)
        up = {s.labels["source"]: s.value for s in metrics(port)["yolotrack_source_up"]}
        assert up == {"door": 1.0, "yard": 1.0}
        _, stderr = proc.communicate(timeout=240)
        assert proc.returncode == 0, stderr
        for cam in ("door", "yard"):
            lines = event_lines(out / f"{cam}.jsonl")
            assert lines, f"{cam} raised no events"
            assert wait_for(lambda cam=cam, lines=lines: len(sub.on(f"site/{cam}/events")) >= len(lines), 20)
            assert sorted(p.decode() for p in sub.on(f"site/{cam}/events")) == sorted(lines)
        assert wait_for(lambda: sub.on("site/availability")[-1:] == [b"offline"], 20)
    finally:
        sub.stop()
        broker.stop()


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0
