"""The service outputs of a headless run (MQTT, webhook, snapshots), built once from the config.

The connections (one MQTT publisher, one webhook sender, each with its outbox and thread) belong
to the process; `sinks()` makes the pipeline-side sinks that feed them, for all sources at once
or called once per camera. The owner starts the connections before the pipeline and closes them
after it, so whatever the last frames produced is still delivered (within the drain timeouts).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from yolotrack.core.config import Config
from yolotrack.core.errors import ConfigError
from yolotrack.sinks.outbox import OutboxStats

log = logging.getLogger(__name__)


class ServiceOutputs:
    def __init__(self, cfg: Config) -> None:
        """Checks every URL now: a malformed one is a `ConfigError` before anything starts."""
        self.cfg = cfg
        out = cfg.output
        self.mqtt: Any = None
        self.webhook: Any = None
        self._snapshots: list[Any] = []
        if out.mqtt.url:
            from yolotrack.sinks.mqtt import MqttPublisher

            self.mqtt = MqttPublisher(out.mqtt)
        if out.webhook.url:
            from yolotrack.sinks.webhook import WebhookSender

            self.webhook = WebhookSender(out.webhook)
        if out.snapshots.mqtt and self.mqtt is None:
            raise ConfigError("output.snapshots.mqtt publishes to the MQTT broker: set output.mqtt.url too")

    @property
    def enabled(self) -> bool:
        return bool(self.mqtt or self.webhook or self.cfg.output.snapshots.dir or self.cfg.output.snapshots.mqtt)

    def start(self) -> ServiceOutputs:
        """Connect in the background; with `output.mqtt.required` wait for the broker (raises if it fails)."""
        if self.webhook is not None:
            self.webhook.start()
        if self.mqtt is not None:
            try:
                self.mqtt.start()
            except BaseException:
                self.close(drain=False)
                raise
        return self

    def sinks(self) -> list[Any]:
        """New pipeline sinks feeding these outputs (shareable by several sources)."""
        out: list[Any] = []
        if self.mqtt is not None:
            from yolotrack.sinks.mqtt import MqttSink

            out.append(MqttSink(self.mqtt, self.cfg))
        if self.webhook is not None:
            from yolotrack.sinks.webhook import WebhookSink

            out.append(WebhookSink(self.webhook))
        snaps = self.cfg.output.snapshots
        if snaps.dir or snaps.mqtt:
            from yolotrack.sinks.snapshots import SnapshotSink

            sink = SnapshotSink(snaps, self.cfg.render, self.mqtt)
            self._snapshots.append(sink)
            out.append(sink)
        return out

    def outbox_stats(self) -> dict[str, Callable[[], OutboxStats]]:
        """Output name -> its counters, for /metrics, /healthz and the stats log line."""
        stats: dict[str, Callable[[], OutboxStats]] = {}
        if self.mqtt is not None:
            stats["mqtt"] = self.mqtt.stats
        if self.webhook is not None:
            stats["webhook"] = self.webhook.stats
        return stats

    def snapshot_stats(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for s in self._snapshots:
            for k, v in s.stats().items():
                total[k] = total.get(k, 0) + v
        return total

    def describe(self) -> str:
        """One log line of the output counters."""
        parts = []
        for name, fn in self.outbox_stats().items():
            s = fn()
            state = "connected" if s.connected else f"down ({s.error})" if s.error else "not connected"
            parts.append(f"{name} {state}, backlog {s.pending}, sent {s.sent}, dropped {s.dropped}"
                         + (f", rejected {s.rejected}" if s.rejected else ""))
        if self._snapshots:
            s = self.snapshot_stats()
            parts.append(f"snapshots {s.get('written', 0) or s.get('published', 0)}, skipped {s.get('skipped', 0)}")
        return "; ".join(parts)

    def close(self, drain: bool = True) -> None:
        """After the pipeline: deliver what is queued (up to each drain timeout), then disconnect."""
        for conn in (self.webhook, self.mqtt):
            if conn is not None:
                conn.close(drain=drain)
