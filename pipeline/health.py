"""Camera state for the outputs and for monitoring: status records and the health verdict.

A camera that is down produces no frames, so without this a monitor reading the JSON Lines could
not tell "no objects" from "no camera". `SourceWatch` follows every source's `SourceStatus` from
the sink thread (after each frame, and every quarter second while no frame arrives) and turns
changes into `status` records: `reconnecting` for each failed attempt (with the error), and
`connected` when frames flow again. (A source that gives up fails the run: its error is the
run's one error line, not a record.) The same watch answers `/healthz`:
healthy while every source is live and its latest frame is recent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from yolotrack.core.status import ConnectionState, StatusRecord
from yolotrack.pipeline.stats import SourceState, SourceStatus

_DOWN = (SourceState.CONNECTING, SourceState.RECONNECTING)


def utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def status_record(st: SourceStatus, state: ConnectionState, error: str | None = None) -> StatusRecord:
    """The `status` record of one source now."""
    if state is ConnectionState.RECONNECTING:
        return StatusRecord(st.source_id, state, utc_now(), attempt=st.attempts, error=error or st.message,
                            retry_in=st.retry_in)
    return StatusRecord(st.source_id, state, utc_now(), reconnects=st.reconnects)


@dataclass
class Health:
    ok: bool
    reason: str  # empty when ok
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_record(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": "ok" if self.ok else "unhealthy"}
        if not self.ok:
            out["reason"] = self.reason
        out["sources"] = self.sources
        return out


class SourceWatch:
    """Status records from source state changes, and health from frame recency.

    `observe` runs in one thread (the sink thread); `health` may run in any other (the metrics
    server), so the little state they share is under a lock.
    """

    def __init__(self, stale_after: float) -> None:
        self.stale_after = stale_after
        self._lock = threading.Lock()
        self._last: dict[str, tuple[SourceState, int]] = {}
        self._down: set[str] = set()  # sources with a reported outage not yet followed by `connected`
        self._error: dict[str, str] = {}  # the last real error per source (not the "connecting" note)
        self._frames: dict[str, tuple[int, float]] = {}  # frames seen, time.monotonic() they last grew

    def observe(self, statuses: Mapping[str, SourceStatus], now: float | None = None) -> list[StatusRecord]:
        """The status records due since the last call."""
        now = time.monotonic() if now is None else now
        out: list[StatusRecord] = []
        with self._lock:
            for sid, st in statuses.items():
                frames, since = self._frames.get(sid, (-1, now))
                if st.frames != frames:
                    self._frames[sid] = (st.frames, now)
                if st.message and st.message != "connecting":
                    self._error[sid] = st.message
                key = (st.state, st.attempts)
                if self._last.get(sid) == key:
                    continue
                self._last[sid] = key
                if st.state in _DOWN and st.attempts > 0:
                    out.append(status_record(st, ConnectionState.RECONNECTING, self._error.get(sid)))
                    self._down.add(sid)
                elif st.state is SourceState.LIVE and sid in self._down:
                    out.append(status_record(st, ConnectionState.CONNECTED))
                    self._down.discard(sid)
        return out

    def health(self, statuses: Mapping[str, SourceStatus], now: float | None = None) -> Health:
        """Healthy while every source is live and delivered a frame within `stale_after` seconds."""
        now = time.monotonic() if now is None else now
        reasons: list[str] = []
        detail: dict[str, dict[str, Any]] = {}
        with self._lock:
            for sid, st in statuses.items():
                frames, since = self._frames.get(sid, (st.frames, now))
                if st.frames == 0:
                    age = None
                else:  # a frame newer than the last look arrived just now
                    age = now - since if frames == st.frames else 0.0
                detail[sid] = {"state": st.state.value, "frames": st.frames, "fps": round(st.fps, 2),
                               "reconnects": st.reconnects,
                               "last_frame_age_s": None if age is None else round(age, 2)}
                err = self._error.get(sid) or st.message
                if st.state is SourceState.LIVE:
                    if age is not None and age > self.stale_after:
                        reasons.append(f"source {sid}: no frame for {age:.1f} s")
                elif st.state in _DOWN:
                    what = "connecting" if st.state is SourceState.CONNECTING else "reconnecting"
                    attempt = f" (attempt {st.attempts})" if st.attempts else ""
                    why = f": {err}" if err and err != "connecting" else ""
                    reasons.append(f"source {sid} {what}{attempt}{why}")
                elif st.state is SourceState.ERROR:
                    reasons.append(f"source {sid} failed: {err}")
                else:
                    reasons.append(f"source {sid} {st.state.value}")
        return Health(not reasons, "; ".join(reasons), detail)


def merge_health(parts: list[Health]) -> Health:
    """Healthy only while every part is (several pipelines behind one `/healthz`), and not before any
    source has started."""
    reasons = [h.reason for h in parts if not h.ok and h.reason]
    sources = {k: v for h in parts for k, v in h.sources.items()}
    if not sources:
        reasons.append("no source has started yet")
    return Health(ok=not reasons and all(h.ok for h in parts), reason="; ".join(reasons), sources=sources)
