"""The MQTT publisher against a real Debian mosquitto: broker restarts, a broker that is not there
yet, wrong credentials, retained state and availability. A real persistent-session subscriber
receives what is published."""

from __future__ import annotations

import json
import logging
import time

import pytest
from mosquitto import Broker, Subscriber, free_port, make_certs, require_mosquitto
from pipeline_media import wait_for

from yolotrack.core.config import MqttConfig
from yolotrack.core.errors import YolotrackError
from yolotrack.sinks.mqtt import MqttPublisher


@pytest.fixture(autouse=True)
def _mosquitto():
    require_mosquitto()


def numbers(sub: Subscriber, topic: str) -> list[int]:
    return [json.loads(p)["n"] for p in sub.on(topic)]


def test_nothing_lost_and_order_kept_across_a_broker_restart(tmp_path, caplog):
    broker = Broker(tmp_path / "b").start()
    sub = Subscriber(broker.port, ["yolotrack/#"]).start()
    pub = MqttPublisher(MqttConfig(url=broker.url)).start()
    try:
        assert wait_for(lambda: pub.stats().connected, 10)
        n = 0
        with caplog.at_level(logging.INFO, logger="yolotrack.sinks.mqtt"):
            for phase in ("up", "down", "up again"):
                t_end = time.monotonic() + 1.5
                while time.monotonic() < t_end:
                    pub.send("cam", "events", json.dumps({"n": n}).encode())
                    n += 1
                    time.sleep(0.01)
                if phase == "up":
                    broker.stop()  # SIGTERM: it saves the subscriber's session and exits
                elif phase == "down":
                    assert len(pub.outbox) > 0 and not pub.stats().connected
                    broker.start()
            assert wait_for(lambda: pub.stats().pending == 0, 20)
        assert wait_for(lambda: len(set(numbers(sub, "yolotrack/cam/events"))) == n, 20)
        got = numbers(sub, "yolotrack/cam/events")
        first_seen = list(dict.fromkeys(got))
        assert first_seen == list(range(n))  # all of them, in the order they were queued
        s = pub.stats()
        assert s.sent >= n and s.dropped == 0
        logs = " ".join(r.getMessage() for r in caplog.records)
        assert "connection refused" in logs and "sending" in logs and "queued message(s)" in logs
    finally:
        pub.close()
        sub.stop()
        broker.stop()


def test_a_broker_that_comes_up_later_gets_everything_and_state_is_retained(tmp_path):
    port = free_port()
    pub = MqttPublisher(MqttConfig(url=f"mqtt://127.0.0.1:{port}/site")).start()
    broker = Broker(tmp_path / "b", port=port)
    try:
        for i in range(20):
            pub.send("door", "events", json.dumps({"n": i}).encode())
        pub.send("door", "counts", b'{"total":1}', retain=True, key="counts/door", kind="counts")
        pub.send("door", "counts", b'{"total":2}', retain=True, key="counts/door", kind="counts")
        time.sleep(0.7)
        assert pub.stats().pending == 21 and pub.stats().replaced == 1 and "refused" in pub.stats().error
        broker.start()
        assert wait_for(lambda: pub.stats().pending == 0, 20)
        with Subscriber(broker.port, ["site/#"], client_id="late") as late:  # retained state, fresh session
            assert wait_for(lambda: late.on("site/door/counts") and late.on("site/availability"), 10)
            assert late.on("site/door/counts") == [b'{"total":2}']
            assert late.on("site/availability") == [b"online"]
            assert late.on("site/door/events") == []  # events are not retained
        pub.close()
        with Subscriber(broker.port, ["site/availability"], client_id="after") as after:
            assert wait_for(lambda: after.on("site/availability"), 10)
            assert after.on("site/availability") == [b"offline"]
    finally:
        pub.close()
        broker.stop()


def test_overflow_while_the_broker_is_away_is_bounded_and_counted(tmp_path, caplog):
    port = free_port()
    pub = MqttPublisher(MqttConfig(url=f"mqtt://127.0.0.1:{port}", queue_size=50, drain_timeout=10)).start()
    broker = Broker(tmp_path / "b", port=port)
    try:
        with caplog.at_level(logging.WARNING, logger="yolotrack.sinks.outbox"):
            for i in range(80):
                pub.send("0", "events", json.dumps({"n": i}).encode())
        s = pub.stats()
        assert (s.pending, s.dropped, s.dropped_by_source) == (50, 30, {"0": 30})
        assert any("queue full (50)" in r.getMessage() for r in caplog.records)
        with Subscriber(broker.start().port, ["yolotrack/#"]) as sub:
            assert wait_for(lambda: len(sub.on("yolotrack/0/events")) == 50, 20)
            assert numbers(sub, "yolotrack/0/events") == list(range(30, 80))  # the newest 50, in order
    finally:
        pub.close()
        broker.stop()


def test_required_broker_errors_are_one_sentence(tmp_path):
    with Broker(tmp_path / "auth", users={"cam": "right"}) as broker:
        bad = f"mqtt://cam:wrong@127.0.0.1:{broker.port}"
        with pytest.raises(YolotrackError) as info:
            MqttPublisher(MqttConfig(url=bad, required=True)).start()
        msg = str(info.value)
        assert "refused the connection" in msg and "user name and password" in msg and "wrong" not in msg
        assert "\n" not in msg and "required" in msg
        good = MqttPublisher(MqttConfig(url=f"mqtt://cam:right@127.0.0.1:{broker.port}", required=True)).start()
        assert good.stats().connected
        good.close()
    with pytest.raises(YolotrackError, match=r"connection refused by 127.0.0.1:\d+ \(is the broker running"):
        MqttPublisher(MqttConfig(url=f"mqtt://127.0.0.1:{free_port()}", required=True)).start()


def test_without_required_a_refusing_broker_is_retried_and_logged_once(tmp_path, caplog):
    with Broker(tmp_path / "auth", users={"cam": "right"}) as broker, \
            caplog.at_level(logging.WARNING, logger="yolotrack.sinks.mqtt"):
        pub = MqttPublisher(MqttConfig(url=f"mqtt://cam:wrong@127.0.0.1:{broker.port}", drain_timeout=0)).start()
        pub.send("0", "events", b"{}")
        time.sleep(2.0)  # three or more attempts with back-off
        pub.close()
    refused = [r.getMessage() for r in caplog.records if "refused the connection" in r.getMessage()
               and "retrying" in r.getMessage()]
    assert len(refused) == 1 and "wrong" not in refused[0]
    assert any("not delivered" in r.getMessage() for r in caplog.records)


def test_mqtts_verifies_the_broker_with_the_given_ca(tmp_path):
    ca, cert, key = make_certs(tmp_path / "certs")
    with Broker(tmp_path / "tls", tls=(ca, cert, key)) as broker:
        url = f"mqtts://127.0.0.1:{broker.port}"
        pub = MqttPublisher(MqttConfig(url=url, ca_file=str(ca), required=True)).start()
        pub.send("0", "events", b'{"n":1}')
        assert wait_for(lambda: pub.stats().sent == 1, 10)
        pub.close()
        with pytest.raises(YolotrackError, match="TLS handshake .* failed"):  # the system CAs do not know it
            MqttPublisher(MqttConfig(url=url, required=True)).start()
        with pytest.raises(YolotrackError, match="closed the connection|no MQTT answer"):  # plain MQTT to TLS
            MqttPublisher(MqttConfig(url=f"mqtt://127.0.0.1:{broker.port}", required=True)).start()
