"""Webhook output: events (and camera status records) as JSON POSTs to an HTTP(S) endpoint.

Body: with `batch: 1` the record itself, the same JSON object as its JSON Lines line; with a
larger batch, a JSON array of up to `batch` such objects, oldest first. Delivery goes through the
same bounded `Outbox` as MQTT: a record leaves it only on a 2xx answer. A network error, a
timeout, 408, 429 or a 5xx puts the batch back at the front and the sender waits (0.5 s, doubling
up to `max_delay`) before trying again, so order holds across an outage. Any other 4xx means the
receiver will never take this body: the batch is dropped, counted as rejected and logged.
"""

from __future__ import annotations

import base64
import logging
import threading
import urllib.error
import urllib.request
from urllib.parse import unquote, urlsplit, urlunsplit

from yolotrack.core.backoff import backoff_delay
from yolotrack.core.config import WebhookConfig
from yolotrack.core.detections import Detections
from yolotrack.core.errors import ConfigError
from yolotrack.core.events import TrackEvent
from yolotrack.core.frame import Frame
from yolotrack.core.status import StatusRecord
from yolotrack.core.urls import redact
from yolotrack.sinks.base import StreamInfo
from yolotrack.sinks.jsonl import dumps, event_line
from yolotrack.sinks.outbox import Entry, Outbox, OutboxStats

log = logging.getLogger(__name__)

BACKOFF_START = 0.5
RETRY_STATUS = (408, 425, 429)


def parse_webhook_url(url: str) -> tuple[str, dict[str, str]]:
    """The URL without credentials, and the headers that carry them (Basic auth from user:pass@)."""
    shown = redact(url)
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        raise ConfigError(f"output.webhook.url: '{shown}' must start with http:// or https://")
    try:
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise ConfigError(f"output.webhook.url: bad port in '{shown}' (a number 1-65535)") from None
    if not parts.hostname:
        raise ConfigError(f"output.webhook.url: no host in '{shown}'")
    headers = {"Content-Type": "application/json", "User-Agent": "yolotrack"}
    netloc = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    if parts.port:
        netloc += f":{parts.port}"
    if parts.username is not None:
        cred = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(cred).decode()
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")), headers


class WebhookSender:
    """The outbox and the thread that POSTs it; `send()` is all the frame path calls."""

    def __init__(self, cfg: WebhookConfig) -> None:
        if not cfg.url:
            raise ConfigError("output.webhook.url is not set")
        self.cfg = cfg
        self.url, self.headers = parse_webhook_url(cfg.url)
        self.display = redact(cfg.url)
        self.outbox = Outbox(f"webhook {self.display}", cfg.queue_size)
        self._halt = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_error = ""

    def send(self, source: str, rec_json: str, kind: str = "event") -> None:
        self.outbox.put(Entry(rec_json.encode(), source=source, kind=kind))

    def start(self) -> WebhookSender:
        self._thread = threading.Thread(target=self._run, name="yolotrack-webhook", daemon=True)
        self._thread.start()
        return self

    def close(self, drain: bool = True) -> None:
        if drain and self.cfg.drain_timeout > 0:
            self.outbox.wait_empty(self.cfg.drain_timeout)
        self._halt.set()
        self.outbox.wake()
        if self._thread is not None:
            self._thread.join(self.cfg.timeout + 2)
        left = self.outbox.stats()
        if left.pending:
            log.warning("webhook: %d record(s) not delivered to %s at exit (%s)", left.pending, self.display,
                        self._last_error or "not acknowledged in time")

    def stats(self) -> OutboxStats:
        return self.outbox.stats()

    def _body(self, batch: list[Entry]) -> bytes:
        if self.cfg.batch == 1:
            return batch[0].payload
        return b"[" + b",".join(e.payload for e in batch) + b"]"

    def _run(self) -> None:
        box = self.outbox
        failures = 0
        while not self._halt.is_set():
            batch = box.take(self.cfg.batch, timeout=0.5)
            if not batch:
                continue
            status, err = self._post(self._body(batch))
            if err is None:
                box.ack(batch)
                box.connected, box.error = True, ""
                if failures:
                    log.info("webhook %s: delivering again", self.display)
                failures, self._last_error = 0, ""
                continue
            if status is not None and 400 <= status < 500 and status not in RETRY_STATUS:
                box.reject(batch, err)
                continue
            box.requeue(batch)
            box.connected, box.error = False, err
            failures += 1
            delay = backoff_delay(failures, BACKOFF_START, self.cfg.max_delay)
            if err != self._last_error:
                log.warning("webhook %s: %s; retrying with back-off, %d record(s) queued", self.display, err,
                            len(box))
            self._last_error = err
            self._halt.wait(delay)

    def _post(self, body: bytes) -> tuple[int | None, str | None]:
        """(HTTP status or None, None when delivered else why not)."""
        req = urllib.request.Request(self.url, data=body, headers=self.headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=self.cfg.timeout) as resp:
                resp.read()
                return resp.status, None
        except urllib.error.HTTPError as e:
            return e.code, f"HTTP {e.code} {e.reason}"
        except urllib.error.URLError as e:
            reason = e.reason
            text = getattr(reason, "strerror", None) or str(reason)
            return None, f"cannot reach {self.display}: {text}"
        except (TimeoutError, OSError) as e:
            return None, f"no answer from {self.display} within {self.cfg.timeout:g} s" if isinstance(
                e, TimeoutError) else f"{self.display}: {e}"


class WebhookSink:
    """The pipeline side: each event (and status record) of every source it serves, to the sender."""

    name = "webhook"

    def __init__(self, sender: WebhookSender) -> None:
        self.sender = sender

    def open(self, info: StreamInfo) -> None:
        pass

    def write(self, frame: Frame, dets: Detections, events: list[TrackEvent]) -> None:
        for ev in events:
            self.sender.send(ev.source_id, event_line(ev))

    def write_status(self, rec: StatusRecord) -> None:
        self.sender.send(rec.source, dumps(rec.to_record()), kind="status")

    def close(self) -> list:
        return []

    def abort(self) -> None:
        pass
