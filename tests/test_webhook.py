"""The webhook sender against a real local `http.server`: failures then recovery, batches, rejected
bodies, Basic auth from the URL without the password reaching a log line."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pipeline_media import wait_for

from yolotrack.core.config import WebhookConfig
from yolotrack.core.errors import ConfigError
from yolotrack.sinks.webhook import WebhookSender


class Hook:
    """A real HTTP server that answers `fail_status` to the first `fail_first` POSTs, then 200."""

    def __init__(self, fail_first: int = 0, fail_status: int = 503) -> None:
        self.fail_first, self.fail_status = fail_first, fail_status
        self.bodies: list = []  # accepted bodies, parsed
        self.headers: list[dict] = []
        self.requests = 0
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.requests += 1
                if hook.requests <= hook.fail_first:
                    self.send_response(hook.fail_status)
                else:
                    hook.bodies.append(json.loads(body))
                    hook.headers.append(dict(self.headers))
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hook"

    def __enter__(self) -> Hook:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def record(i: int) -> str:
    return json.dumps({"type": "event", "event": "new", "id": i, "source": "0"}, separators=(",", ":"))


def test_failing_first_requests_are_retried_in_order_with_back_off(caplog):
    with Hook(fail_first=3) as hook, caplog.at_level(logging.WARNING, logger="yolotrack.sinks.webhook"):
        sender = WebhookSender(WebhookConfig(url=hook.url, max_delay=0.5)).start()
        for i in range(10):
            sender.send("0", record(i))
        assert wait_for(lambda: len(hook.bodies) == 10, 20)
        sender.close()
    assert [b["id"] for b in hook.bodies] == list(range(10))  # one object per POST, in order
    s = sender.stats()
    assert (s.sent, s.retried, s.dropped, s.pending) == (10, 3, 0, 0) and hook.requests == 13
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "HTTP 503" in warnings[0]  # the same failure is logged once


def test_batches_are_json_arrays_and_basic_auth_comes_from_the_url(caplog):
    with Hook(fail_first=1, fail_status=500) as hook:
        url = hook.url.replace("http://", "http://cam:s3cret@")
        with caplog.at_level(logging.INFO):
            sender = WebhookSender(WebhookConfig(url=url, batch=4, max_delay=0.2)).start()
            for i in range(10):
                sender.send("0", record(i))
            assert wait_for(lambda: sum(len(b) for b in hook.bodies) == 10, 20)
            sender.close()
    assert all(isinstance(b, list) and len(b) <= 4 for b in hook.bodies)
    assert [r["id"] for b in hook.bodies for r in b] == list(range(10))
    assert hook.headers[0]["Authorization"] == "Basic Y2FtOnMzY3JldA=="  # cam:s3cret
    assert "s3cret" not in caplog.text and "***@" in sender.display


def test_a_rejected_body_is_dropped_counted_and_logged():
    with Hook(fail_first=2, fail_status=400) as hook:
        sender = WebhookSender(WebhookConfig(url=hook.url)).start()
        for i in range(5):
            sender.send("0", record(i))
        assert wait_for(lambda: sender.stats().pending == 0, 10)
        sender.close()
    assert [b["id"] for b in hook.bodies] == [2, 3, 4]
    assert sender.stats().rejected == 2


def test_an_unreachable_endpoint_queues_bounded_and_says_so_at_exit(caplog):
    with Hook() as hook:
        dead = hook.url
    sender = WebhookSender(WebhookConfig(url=dead, queue_size=3, drain_timeout=0.5)).start()
    with caplog.at_level(logging.WARNING):
        for i in range(5):
            sender.send("7", record(i))
        assert wait_for(lambda: sender.stats().error != "", 10)
        sender.close()
    s = sender.stats()
    assert s.dropped == 2 and s.dropped_by_source == {"7": 2} and s.pending == 3 and "cannot reach" in s.error
    assert "not delivered" in caplog.text and "queue full (3)" in caplog.text


@pytest.mark.parametrize("url", ["ftp://h/x", "http://h:port/x", "http:///x"])
def test_bad_webhook_urls_are_config_errors(url):
    with pytest.raises(ConfigError, match="output.webhook.url"):
        WebhookSender(WebhookConfig(url=url))
