"""`/metrics` (Prometheus) and `/healthz` for a running pipeline: `yolotrack run --metrics HOST:PORT`.

Nothing is counted twice: every scrape reads the snapshot the pipeline already keeps
(`Pipeline.stats()`, `Pipeline.health()`) and the counters of the network outputs, through a
collector on a private registry (no process-wide state). The server is a small threaded
`http.server` on its own daemon threads, so a slow scraper never touches the frame path.

`/healthz` answers 200 while every source is live and delivering frames, else 503; the body is
JSON with a `reason` (e.g. `source 0 reconnecting (attempt 3): cannot connect to rtsp://...`).
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from yolotrack.core.errors import UsageError, YolotrackError
from yolotrack.pipeline.health import Health
from yolotrack.pipeline.stats import PipelineStats, SourceState

log = logging.getLogger(__name__)

# Each output: name -> a function returning its `sinks.outbox.OutboxStats` (MQTT, webhook).
OutputStats = Mapping[str, Callable[[], Any]]


def parse_address(text: str, what: str = "--metrics") -> tuple[str, int]:
    """`HOST:PORT`, `:PORT` or `PORT` (host 127.0.0.1: services stay local unless told otherwise)."""
    s = str(text).strip()
    host, sep, port = s.rpartition(":")
    if not sep:
        host, port = "", s
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise UsageError(f"{what}: '{text}' is not HOST:PORT (e.g. 127.0.0.1:9108)")
    return host, int(port)


class _Collector:
    """Turns the pipeline's snapshot into metric families at each scrape."""

    def __init__(self, stats: Callable[[], PipelineStats], health: Callable[[], Health], outputs: OutputStats,
                 extra: Mapping[str, Callable[[], Mapping[str, int]]]) -> None:
        self.stats, self.health, self.outputs, self.extra = stats, health, outputs, extra

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        s = self.stats()
        h = self.health()

        def gauge(name: str, doc: str, labels: list[str] | None = None) -> Any:
            return GaugeMetricFamily(f"yolotrack_{name}", doc, labels=labels)

        def counter(name: str, doc: str, labels: list[str] | None = None) -> Any:
            return CounterMetricFamily(f"yolotrack_{name}", doc, labels=labels)

        g = gauge("healthy", "1 while every source delivers frames (as /healthz answers 200)")
        g.add_metric([], 1.0 if h.ok else 0.0)
        yield g
        c = counter("frames", "frames that reached the outputs")
        c.add_metric([], s.frames)
        yield c
        g = gauge("fps", "end-to-end output rate, frames per second (recent)")
        g.add_metric([], s.fps)
        yield g
        g = gauge("latency_seconds", "capture-to-output latency per frame", ["quantile"])
        g.add_metric(["0.5"], s.latency_p50_ms / 1000)
        g.add_metric(["0.95"], s.latency_p95_ms / 1000)
        yield g
        g = gauge("inference_seconds", "detector time per batch, median")
        g.add_metric([], s.inference_ms / 1000)
        yield g
        g = gauge("tracks", "tracks in the latest output frame")
        g.add_metric([], s.track_count)
        yield g

        src = {k: gauge(*v) for k, v in {
            "up": ("source_up", "1 while the source is live", ["source"]),
            "state": ("source_state", "the source's state (1 for the current one)", ["source", "state"]),
            "fps": ("source_fps", "frames read per second (recent)", ["source"]),
            "attempts": ("source_reconnect_attempts", "failed (re)connect attempts in a row", ["source"]),
        }.items()}
        srcc = {k: counter(*v) for k, v in {
            "frames": ("source_frames", "frames read from the source", ["source"]),
            "dropped": ("dropped_frames", "frames dropped by the newest-frame policy", ["source"]),
            "reconnects": ("source_reconnects", "successful reconnects since start", ["source"]),
        }.items()}
        for sid, st in s.sources.items():
            src["up"].add_metric([sid], 1.0 if st.state is SourceState.LIVE else 0.0)
            for state in SourceState:
                src["state"].add_metric([sid, state.value], 1.0 if st.state is state else 0.0)
            src["fps"].add_metric([sid], st.fps)
            src["attempts"].add_metric([sid], st.attempts)
            srcc["frames"].add_metric([sid], st.frames)
            srcc["dropped"].add_metric([sid], st.dropped)
            srcc["reconnects"].add_metric([sid], st.reconnects)
        yield from src.values()
        yield from srcc.values()

        depth = gauge("queue_depth", "items waiting in a stage's input queue", ["stage"])
        secs = gauge("stage_seconds", "time per item in a stage", ["stage", "quantile"])
        for name, st in s.stages.items():
            depth.add_metric([name], st.queue_depth)
            secs.add_metric([name, "0.5"], st.p50_ms / 1000)
            secs.add_metric([name, "0.95"], st.p95_ms / 1000)
        yield depth
        yield secs

        if self.outputs:
            yield from self._outputs(list(s.sources), gauge, counter)
        for name, fn in self.extra.items():
            c = counter(name, f"{name} by result", ["result"])
            for result, n in fn().items():
                c.add_metric([result], n)
            yield c

    def _outputs(self, sources: list[str], gauge: Callable, counter: Callable) -> Iterator[Any]:
        up = gauge("output_connected", "1 while the output's receiver takes messages", ["output"])
        cap = gauge("output_capacity", "the output queue's bound (output.*.queue_size)", ["output"])
        backlog = gauge("output_backlog", "messages queued or in flight, not yet acknowledged", ["output", "source"])
        sent = counter("output_sent", "messages acknowledged by the receiver", ["output"])
        dropped = counter("output_dropped", "messages dropped because the queue was full", ["output", "source"])
        rejected = counter("output_rejected", "messages the receiver refused for good", ["output"])
        retried = counter("output_retries", "sends that failed and were queued again", ["output"])
        for name, fn in self.outputs.items():
            o = fn()
            up.add_metric([name], 1.0 if o.connected else 0.0)
            cap.add_metric([name], o.capacity)
            for sid in sorted(set(sources) | set(o.pending_by_source)):
                backlog.add_metric([name, sid], o.pending_by_source.get(sid, 0))
            for sid in sorted(set(sources) | set(o.dropped_by_source)):
                dropped.add_metric([name, sid], o.dropped_by_source.get(sid, 0))
            sent.add_metric([name], o.sent)
            rejected.add_metric([name], o.rejected)
            retried.add_metric([name], o.retried)
        yield from (up, cap, backlog, sent, dropped, rejected, retried)


class _Server(ThreadingHTTPServer):
    """A scraper that gives up mid-answer is routine (its timeout, a restart), and a request that fails
    otherwise is one log line: neither may print a traceback on a service's stderr, as
    `socketserver` does by default."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        e = sys.exc_info()[1]
        if isinstance(e, ConnectionError):
            log.debug("metrics: %s hung up: %s", client_address[0], e)
        else:
            log.warning("metrics: a request from %s failed: %s: %s", client_address[0], type(e).__name__, e)


class MetricsServer:
    """Serves `/metrics` and `/healthz` on `host:port` until `close()`.

    Args:
        address: `HOST:PORT` (see `parse_address`); port 0 picks a free one (`self.port`).
        stats, health: usually `Pipeline.stats` and `Pipeline.health`.
        outputs: output name -> function returning its `OutboxStats`.
        extra: counter name -> function returning {result: count} (e.g. snapshots).
    """

    def __init__(self, address: str, stats: Callable[[], PipelineStats], health: Callable[[], Health],
                 outputs: OutputStats | None = None, extra: Mapping[str, Callable[[], Mapping[str, int]]] | None = None,
                 ) -> None:
        from prometheus_client import CollectorRegistry

        self.host, port = parse_address(address)
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(_Collector(stats, health, dict(outputs or {}), dict(extra or {})))
        self.health = health
        self.outputs = dict(outputs or {})
        try:
            self._server = _Server((self.host, port), self._handler())
        except OSError as e:
            raise YolotrackError(f"--metrics: cannot listen on {self.host}:{port}: {e.strerror or e}") from None
        self.port = int(self._server.server_address[1])
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> MetricsServer:
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="yolotrack-metrics", daemon=True)
        self._thread.start()
        log.info("metrics on %s/metrics, health on %s/healthz", self.url, self.url)
        return self

    def close(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(5)
        self._server.server_close()

    def healthz(self) -> tuple[int, dict[str, Any]]:
        h = self.health()
        body = h.to_record()
        if self.outputs:
            body["outputs"] = {name: {"connected": o.connected, "backlog": o.pending, "dropped": o.dropped,
                                      **({"error": o.error} if o.error else {})}
                               for name, o in ((n, fn()) for n, fn in self.outputs.items())}
        return (200 if h.ok else 503), body

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

                path = self.path.split("?", 1)[0]
                try:
                    if path == "/metrics":
                        self._send(200, generate_latest(server.registry), CONTENT_TYPE_LATEST)
                    elif path in ("/healthz", "/health"):
                        code, body = server.healthz()
                        self._send(code, (json.dumps(body) + "\n").encode(), "application/json")
                    else:
                        self._send(404, b"not found: try /metrics or /healthz\n", "text/plain")
                except ConnectionError:
                    raise  # the scraper left: nothing to answer (`_Server.handle_error`)
                except Exception as e:  # noqa: BLE001 - a scrape must never take the service down
                    log.warning("metrics request %s failed: %s", path, e)
                    self._send(500, f"{type(e).__name__}: {e}\n".encode(), "text/plain")

            def _send(self, code: int, body: bytes, ctype: str) -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, fmt: str, *args: Any) -> None:
                log.debug("metrics: " + fmt, *args)

        return Handler
