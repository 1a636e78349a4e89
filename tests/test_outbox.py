"""The shared outbox of the network outputs: order, ack-before-drop, bounded with counted overflow,
state entries replacing each other; and the config forms of the service outputs."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from yolotrack.core.config import load_config, read_yaml
from yolotrack.core.errors import ConfigError
from yolotrack.sinks.outbox import Entry, Outbox


def entries(n, source="0", start=0):
    return [Entry(str(i).encode(), source=source) for i in range(start, start + n)]


def payloads(es):
    return [int(e.payload) for e in es]


def test_an_entry_leaves_only_on_ack_and_failed_sends_go_back_in_order():
    box = Outbox("t", 100)
    for e in entries(10):
        box.put(e)
    first = box.take(4)
    assert payloads(first) == [0, 1, 2, 3] and len(box) == 10 and box.stats().inflight == 4
    box.ack(first[:2])
    assert len(box) == 8
    box.requeue()  # the connection dropped: 2 and 3 were never acknowledged
    assert payloads(box.take(100)) == list(range(2, 10))
    s = box.stats()
    assert (s.sent, s.retried, s.pending, s.dropped) == (2, 2, 8, 0)


def test_overflow_drops_the_oldest_waiting_counts_per_source_and_warns(caplog):
    box = Outbox("t", 5)
    assert box.take(1, timeout=0) == []
    for e in entries(3, "a"):
        box.put(e)
    sent = box.take(2)  # 0 and 1 of source a are in flight: never dropped
    with caplog.at_level(logging.WARNING, logger="yolotrack.sinks.outbox"):
        for e in entries(6, "b", start=100):
            box.put(e)
    s = box.stats()
    assert len(box) == 5 and s.dropped == 4 and s.dropped_by_source == {"a": 1, "b": 3}
    assert s.pending_by_source == {"a": 2, "b": 3}
    assert payloads(sent) == [0, 1] and payloads(box.take(10)) == [103, 104, 105]
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "queue full (5)" in warnings[0]  # rate-limited, never silent


def test_state_entries_replace_older_pending_values():
    box = Outbox("t", 10)
    box.put(Entry(b"e1"))
    box.put(Entry(b"c1", key="counts/0", kind="counts"))
    box.put(Entry(b"e2"))
    box.put(Entry(b"c2", key="counts/0", kind="counts"))
    assert [e.payload for e in box.take(10)] == [b"e1", b"e2", b"c2"]
    assert box.stats().replaced == 1 and len(box) == 3


def test_a_blocked_sender_wakes_on_put_and_wait_empty_sees_the_acks():
    box = Outbox("t", 10)
    got = []

    def sender():
        batch = box.take(10, timeout=5)
        got.extend(batch)
        time.sleep(0.05)
        box.ack(batch)

    t = threading.Thread(target=sender)
    t.start()
    time.sleep(0.05)
    t0 = time.monotonic()
    box.put(Entry(b"x"))
    assert box.wait_empty(5) and time.monotonic() - t0 < 1
    t.join()
    assert [e.payload for e in got] == [b"x"] and box.stats().sent == 1


def test_service_sections_take_a_plain_url_or_a_mapping(tmp_path):
    cfg = load_config(None, ["output.mqtt.required=true", "output.mqtt=mqtts://u:p@broker/site",
                             "output.webhook=http://h/hook", "output.snapshots=/tmp/s"])
    assert cfg.output.mqtt.url == "mqtts://u:p@broker/site" and cfg.output.mqtt.required is True  # kept
    assert cfg.output.webhook.url == "http://h/hook" and cfg.output.snapshots.dir == "/tmp/s"
    p = tmp_path / "c.yaml"
    p.write_text("output:\n  mqtt: mqtt://broker\n  webhook:\n    url: http://h/x\n    batch: 10\n")
    cfg = load_config(p)
    assert cfg.output.mqtt.url == "mqtt://broker" and cfg.output.mqtt.queue_size == 10000
    assert cfg.output.webhook.batch == 10
    with pytest.raises(ConfigError, match=r"output.mqtt.qos: 3 is not allowed"):
        load_config(None, ["output.mqtt.qos=3"])
    with pytest.raises(ConfigError, match=r"output.snapshots.dir: expected a string or null, got \[1\]"):
        load_config(None, ["output.snapshots=[1]"])
    assert read_yaml(p)["output"]["mqtt"] == "mqtt://broker"


@pytest.mark.parametrize(("url", "message"), [
    ("http://broker", "must start with mqtt:// or mqtts://"),
    ("mqtt://u:secret@broker:99999", "bad port"),
    ("mqtt://u:secret@broker:abc", "bad port"),
    ("mqtt:///prefix", "no host"),
    ("mqtt://broker/a/+/b", r"may not contain \+, #"),
])
def test_bad_mqtt_urls_are_one_config_error_without_the_password(url, message):
    from yolotrack.core.config import MqttConfig
    from yolotrack.sinks.mqtt import MqttPublisher

    with pytest.raises(ConfigError, match=message) as info:
        MqttPublisher(MqttConfig(url=url))
    assert "secret" not in str(info.value)


def test_mqtt_url_parts():
    from yolotrack.sinks.mqtt import MqttTarget

    t = MqttTarget.parse("mqtts://us%40r:p%3Ass@broker.lan/site/a")
    assert (t.host, t.port, t.tls, t.prefix, t.username, t.password) == \
        ("broker.lan", 8883, True, "site/a", "us@r", "p:ss")
    assert "p:ss" not in t.display and MqttTarget.parse("mqtt://h").prefix == "yolotrack"
    assert MqttTarget.parse("mqtt://h:1999").port == 1999
