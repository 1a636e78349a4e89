"""MQTT output: events, counts and camera status to a broker, the Home Assistant convention.

Topics (`<camera>` is the source id: a camera's name from a cameras file, else its index):

- `<prefix>/<camera>/events`: one message per event; the payload is exactly the event's JSON Lines
  object (`sinks.jsonl.event_line`).
- `<prefix>/<camera>/counts`: retained, every `counts_interval` s: `sinks.counts.Counts.record()`.
- `<prefix>/<camera>/status`: retained: the camera's latest `status` record (down, back, failed).
- `<prefix>/<camera>/snapshot`: retained JPEG of the latest snapshot (`output.snapshots.mqtt`).
- `<prefix>/availability`: retained `online` / `offline`, with `offline` as the last will.

Why not hand messages to paho and let it retry: a plain paho publisher loses what it publishes
while the broker restarts. Here every message goes through one bounded `Outbox`, the sender
thread owns a fresh paho client per connection (so no half-state of an old connection is
replayed twice), and a message leaves the outbox only when its PUBACK arrives. After an outage
the outbox is resent from its oldest unacknowledged message, in order. QoS 1 means at least once:
a message whose PUBACK was lost with the connection is sent again.
"""

from __future__ import annotations

import logging
import os
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from yolotrack.core.backoff import backoff_delay
from yolotrack.core.config import Config, MqttConfig
from yolotrack.core.detections import Detections
from yolotrack.core.errors import ConfigError, YolotrackError
from yolotrack.core.events import TrackEvent
from yolotrack.core.frame import Frame
from yolotrack.core.status import StatusRecord
from yolotrack.core.urls import redact
from yolotrack.sinks.base import StreamInfo
from yolotrack.sinks.counts import Counts
from yolotrack.sinks.jsonl import dumps, event_line
from yolotrack.sinks.outbox import Entry, Outbox, OutboxStats

log = logging.getLogger(__name__)

DEFAULT_PREFIX = "yolotrack"
WINDOW = 64  # messages in flight (published, PUBACK not yet back) at once
IDLE_WAIT = 0.25  # seconds an idle sender waits for work (a new message wakes it at once)
CONNECT_TIMEOUT = 5.0  # seconds for the TCP connect, and again for the broker's CONNACK
BACKOFF_START, BACKOFF_MAX = 0.5, 10.0
MIN_UPTIME = 2.0  # seconds a connection must last before the back-off starts over


@dataclass(frozen=True)
class MqttTarget:
    """A parsed `mqtt://[user:pass@]host[:port][/prefix]` (or `mqtts://`)."""

    host: str
    port: int
    tls: bool
    prefix: str
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> MqttTarget:
        shown = redact(url)
        parts = urlsplit(url.strip())
        if parts.scheme not in ("mqtt", "mqtts"):
            raise ConfigError(f"output.mqtt.url: '{shown}' must start with mqtt:// or mqtts:// (TLS)")
        try:
            port = parts.port
        except ValueError:
            raise ConfigError(f"output.mqtt.url: bad port in '{shown}' (a number 1-65535)") from None
        if not parts.hostname:
            raise ConfigError(f"output.mqtt.url: no host in '{shown}' (expected mqtt://host[:port][/prefix])")
        if port == 0:
            raise ConfigError(f"output.mqtt.url: bad port in '{shown}' (a number 1-65535)")
        prefix = parts.path.strip("/") or DEFAULT_PREFIX
        if any(c in prefix for c in "+#\0") or "//" in prefix:
            raise ConfigError(f"output.mqtt.url: the topic prefix '{prefix}' may not contain +, # or empty levels")
        tls = parts.scheme == "mqtts"
        return cls(host=parts.hostname, port=port or (8883 if tls else 1883), tls=tls, prefix=prefix,
                   username=unquote(parts.username) if parts.username is not None else None,
                   password=unquote(parts.password) if parts.password is not None else None)

    @property
    def display(self) -> str:
        """The broker for messages: never the password."""
        user = f"{self.username}@" if self.username else ""
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{self.host}:{self.port}"


def topic_level(name: str) -> str:
    """A source id as one topic level (camera names are safe already; this guards the rest)."""
    return "".join("_" if c in "+#/\0" else c for c in str(name)) or "_"


def _describe(err: BaseException, target: MqttTarget) -> str:
    if isinstance(err, socket.gaierror):
        return f"cannot resolve host '{target.host}'"
    if isinstance(err, ConnectionRefusedError):
        return f"connection refused by {target.host}:{target.port} (is the broker running there?)"
    if isinstance(err, (TimeoutError, socket.timeout)):
        return f"no answer from {target.host}:{target.port} within {CONNECT_TIMEOUT:.0f} s"
    if isinstance(err, ssl.SSLError):
        return f"TLS handshake with {target.host}:{target.port} failed: {err.reason or err}"
    if isinstance(err, OSError):
        return f"cannot connect to {target.host}:{target.port}: {err.strerror or err}"
    return f"{type(err).__name__}: {err}"


class MqttPublisher:
    """One broker connection for the whole process: its outbox, and the thread that sends it.

    `send()` is all the frame path calls (never blocks). `start()` connects in the background;
    with `required` it waits for the first connection and raises one clear error if the broker
    is unreachable or refuses. `close()` gives queued messages `drain_timeout` seconds, then
    publishes `offline` and disconnects.
    """

    def __init__(self, cfg: MqttConfig) -> None:
        if not cfg.url:
            raise ConfigError("output.mqtt.url is not set")
        self.cfg = cfg
        self.target = MqttTarget.parse(cfg.url)
        self.prefix = self.target.prefix
        self.outbox = Outbox(f"MQTT {self.target.display}", cfg.queue_size)
        self.availability_topic = f"{self.prefix}/availability"
        self.client_id = cfg.client_id or f"yolotrack-{socket.gethostname()}-{os.getpid()}"
        self._closing = threading.Event()  # drain what is queued, then stop
        self._halt = threading.Event()  # stop now
        self._first = threading.Event()  # the first connection attempt has an outcome
        self._thread: threading.Thread | None = None
        self._connack: Any = None
        self._lost = False
        self._acked: list[int] = []
        self._last_error = ""
        self.connects = 0
        self.first_error = ""

    # ------------------------------------------------------------ API

    def topic(self, camera: str, leaf: str) -> str:
        return f"{self.prefix}/{topic_level(camera)}/{leaf}"

    def send(self, camera: str, leaf: str, payload: bytes, *, retain: bool = False, key: str | None = None,
             kind: str = "event") -> None:
        self.outbox.put(Entry(payload, source=camera, topic=self.topic(camera, leaf), retain=retain, key=key,
                              kind=kind))

    def start(self) -> MqttPublisher:
        self._thread = threading.Thread(target=self._run, name="yolotrack-mqtt", daemon=True)
        self._thread.start()
        if self.cfg.required:
            self._first.wait(2 * CONNECT_TIMEOUT + 1)
            if self.connects == 0:
                why = self.first_error or f"no connection within {2 * CONNECT_TIMEOUT:.0f} s"
                self.close(drain=False)
                raise YolotrackError(f"MQTT broker {self.target.display}: {why} (output.mqtt.required is true)")
        return self

    def close(self, drain: bool = True) -> None:
        """Deliver what is queued (up to `drain_timeout` s), say `offline`, disconnect."""
        self._closing.set()
        if drain and self.cfg.drain_timeout > 0:
            self.outbox.wait_empty(self.cfg.drain_timeout)
        self._halt.set()
        self.outbox.wake()
        if self._thread is not None:
            self._thread.join(CONNECT_TIMEOUT + 3)
        left = self.outbox.stats()
        if left.pending:
            log.warning("MQTT: %d message(s) not delivered to %s at exit (%s)", left.pending, self.target.display,
                        self._last_error or "not acknowledged in time")

    def stats(self) -> OutboxStats:
        return self.outbox.stats()

    # ------------------------------------------------------------ sender thread

    def _client(self) -> Any:
        import paho.mqtt.client as mqtt

        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,  # pyright: ignore[reportPrivateImportUsage]
                        client_id=self.client_id, clean_session=True,
                        protocol=mqtt.MQTTv311)
        c.connect_timeout = CONNECT_TIMEOUT
        c.max_inflight_messages_set(WINDOW)
        if self.target.username is not None:
            c.username_pw_set(self.target.username, self.target.password)
        if self.target.tls:
            c.tls_set(ca_certs=self.cfg.ca_file)
        c.will_set(self.availability_topic, "offline", qos=1, retain=True)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_publish = self._on_publish
        return c

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        self._connack = reason

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        self._lost = True

    def _on_publish(self, client: Any, userdata: Any, mid: int, reason: Any, properties: Any) -> None:
        self._acked.append(mid)

    def _run(self) -> None:
        attempt = 0
        while not self._halt.is_set():
            client = self._client()
            err = self._connect(client)
            if err is None:
                self.connects += 1
                self._first.set()
                t_up = time.monotonic()
                self._serve(client)
                if time.monotonic() - t_up > MIN_UPTIME or self._halt.is_set():
                    attempt = 0
                    continue
                # dropped right after connecting (e.g. another client took over our client id):
                # back off like a failed attempt instead of reconnecting in a tight loop
                err = self._last_error or "the broker dropped the connection right after accepting it"
            attempt += 1
            if not self.first_error:
                self.first_error = err
            self._first.set()
            if not (self.cfg.required and self.connects == 0):  # else start() reports it, as the error
                self._note_error(err, attempt)
            delay = backoff_delay(attempt, BACKOFF_START, BACKOFF_MAX)
            if self._halt.wait(delay):
                break
            if self._closing.is_set() and not len(self.outbox):
                break

    def _connect(self, client: Any) -> str | None:
        """None once the broker accepted the connection, else why not (one sentence)."""
        import paho.mqtt.client as mqtt

        self._connack, self._lost, self._acked = None, False, []
        try:
            client.connect(self.target.host, self.target.port, keepalive=self.cfg.keepalive)
        except (OSError, ValueError) as e:
            return _describe(e, self.target)
        deadline = time.monotonic() + CONNECT_TIMEOUT
        try:
            while self._connack is None and not self._lost and time.monotonic() < deadline:
                if self._halt.is_set():
                    return "stopped"
                if client.loop(0.05) != mqtt.MQTT_ERR_SUCCESS:
                    break
        except (OSError, ValueError) as e:
            return _describe(e, self.target)
        reason = self._connack
        if reason is None:
            _close_socket(client)
            if self._lost:
                return (f"{self.target.host}:{self.target.port} closed the connection "
                        "(not an MQTT broker, or a TLS mismatch?)")
            return f"no MQTT answer from {self.target.host}:{self.target.port} within {CONNECT_TIMEOUT:.0f} s"
        if reason.is_failure:
            _close_socket(client)
            hint = ""
            if reason.value in (4, 5, 134, 135):
                hint = " (check the user name and password in output.mqtt.url)"
            return f"the broker refused the connection: {reason}{hint}"
        return None

    def _note_error(self, err: str, attempt: int) -> None:
        self.outbox.error = err
        if err != self._last_error:
            log.warning("MQTT %s: %s; retrying with back-off, %d message(s) queued", self.target.display, err,
                        len(self.outbox))
        else:
            log.debug("MQTT %s: %s (attempt %d)", self.target.display, err, attempt)
        self._last_error = err

    def _serve(self, client: Any) -> None:
        """Send the outbox over one live connection until it drops or `close()` is done."""
        import paho.mqtt.client as mqtt

        box = self.outbox
        box.connected, box.error = True, ""
        if self._last_error:
            log.info("MQTT %s: connected; sending %d queued message(s)", self.target.display, len(box))
        else:
            log.info("MQTT %s: connected", self.target.display)
        self._last_error = ""
        client.publish(self.availability_topic, "online", qos=1, retain=True)
        inflight: dict[int, Entry] = {}
        qos = self.cfg.qos
        try:
            while not self._halt.is_set() and not self._lost:
                room = WINDOW - len(inflight)
                if room > 0:
                    batch = box.take(room, timeout=0 if inflight else IDLE_WAIT)
                    for i, e in enumerate(batch):
                        info = client.publish(e.topic, e.payload, qos=qos, retain=e.retain)
                        if info.rc != mqtt.MQTT_ERR_SUCCESS:
                            box.requeue(batch[i:])
                            self._lost = True
                            break
                        inflight[info.mid] = e
                rc = client.loop(0.005 if inflight else 0)
                if self._acked:
                    done, self._acked = self._acked, []
                    box.ack([inflight.pop(m) for m in done if m in inflight])
                if rc != mqtt.MQTT_ERR_SUCCESS:
                    self._lost = True
        except (OSError, ValueError) as e:
            self._lost = True
            self._last_error = _describe(e, self.target)
        box.requeue([e for e in inflight.values()])
        box.connected = False
        if self._halt.is_set() and not self._lost:
            self._say_offline(client)
        else:
            _close_socket(client)
            err = self._last_error or f"lost the connection to {self.target.host}:{self.target.port}"
            self._note_error(err, 0)

    def _say_offline(self, client: Any) -> None:
        """Clean exit: retained `offline` (the will only fires on an unclean end), then disconnect."""
        import paho.mqtt.client as mqtt

        try:
            info = client.publish(self.availability_topic, "offline", qos=1, retain=True)
            deadline = time.monotonic() + 1.0
            while info.mid not in self._acked and time.monotonic() < deadline:
                if client.loop(0.02) != mqtt.MQTT_ERR_SUCCESS:
                    break
            client.disconnect()
            client.loop(0.05)
        except (OSError, ValueError):
            log.debug("MQTT: offline message not sent", exc_info=True)
        _close_socket(client)


def _close_socket(client: Any) -> None:
    try:
        sock = client.socket()
        if sock is not None:
            sock.close()
    except OSError:
        pass


class MqttSink:
    """The pipeline side: events, counts and status of every source it serves, via one publisher.

    May be shared by all sources (each call names its source) or made per camera; the
    publisher is owned by whoever made it and closed by them after the pipeline.
    """

    name = "mqtt"

    def __init__(self, publisher: MqttPublisher, cfg: Config | None = None) -> None:
        self.publisher = publisher
        self.cfg = cfg or Config()
        self.interval = publisher.cfg.counts_interval
        self._counts: dict[str, Counts] = {}
        self._last_counts: dict[str, float] = {}

    def open(self, info: StreamInfo) -> None:
        self._counts[info.source_id] = Counts(self.cfg, info.names, info.source_id)

    def write(self, frame: Frame, dets: Detections, events: list[TrackEvent]) -> None:
        send = self.publisher.send
        for ev in events:
            send(ev.source_id, "events", event_line(ev).encode())
        counts = self._counts.get(frame.source_id)
        if counts is None or self.interval <= 0:
            return
        counts.update(frame, dets, events)
        now = time.monotonic()
        if now - self._last_counts.get(frame.source_id, -1e9) >= self.interval:
            self._last_counts[frame.source_id] = now
            self._send_counts(counts)

    def _send_counts(self, counts: Counts) -> None:
        sid = counts.source_id
        self.publisher.send(sid, "counts", dumps(counts.record()).encode(), retain=True, key=f"counts/{sid}",
                            kind="counts")

    def write_status(self, rec: StatusRecord) -> None:
        sid = rec.source
        self.publisher.send(sid, "status", dumps(rec.to_record()).encode(), retain=True, key=f"status/{sid}",
                            kind="status")

    def close(self) -> list:
        """The final counts of each source (the publisher drains and disconnects when its owner closes it)."""
        if self.interval > 0:
            for counts in self._counts.values():
                if counts.frame is not None:
                    self._send_counts(counts)
        self._counts.clear()
        return []

    def abort(self) -> None:
        self._counts.clear()
