"""`StatusRecord`: a camera went down or came back, in one shape for every output.

The pipeline's source watch (`pipeline/health.py`) raises them; JSON Lines, MQTT (retained, per
camera) and webhooks write `to_record()`, the same object everywhere, and status listeners get
the record itself.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class ConnectionState(enum.StrEnum):
    RECONNECTING = "reconnecting"  # an attempt failed; the next one follows after a back-off
    CONNECTED = "connected"  # frames flow again after an outage


@dataclass(frozen=True, slots=True)
class StatusRecord:
    source: str
    state: ConnectionState
    time: str  # UTC, ISO 8601 to the second
    attempt: int = 0  # reconnecting: failed attempts in a row
    error: str = ""  # reconnecting: why the last attempt failed
    retry_in: float | None = None  # reconnecting: seconds to the next attempt, when known
    reconnects: int = 0  # connected: successful reconnects since the start

    def to_record(self) -> dict[str, Any]:
        """The `status` line: the same object in JSON Lines, MQTT and webhooks."""
        rec: dict[str, Any] = {"type": "status", "source": self.source, "state": str(self.state), "time": self.time}
        if self.state is ConnectionState.RECONNECTING:
            rec["attempt"] = self.attempt
            rec["error"] = self.error
            if self.retry_in is not None:
                rec["retry_in"] = round(self.retry_in, 1)
        else:
            rec["reconnects"] = self.reconnects
        return rec
