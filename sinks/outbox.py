"""The one bounded outbox every network output (MQTT, webhook) sends from.

The frame path only ever calls `put()`, which never blocks and never touches the network: a
slow or dead receiver costs the pipeline nothing. A sender thread `take()`s entries in order,
and an entry leaves the outbox only when the receiver acknowledged it (`ack()`); a failed send
goes back to the front (`requeue()`), so after an outage delivery resumes in the original order.

The bound is what keeps memory flat through a long outage: when it is full, the oldest entry
that is not in flight is dropped. Drops are counted (per source too) and logged at most every
`LOG_EVERY` seconds, never silently. Entries with a `key` (retained state such as counts, camera
status or the latest snapshot) replace an older pending entry with the same key instead of
queueing behind it, since only the newest value of a state matters.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

LOG_EVERY = 10.0  # seconds between two overflow / rejection warnings of one outbox


@dataclass(eq=False, slots=True)
class Entry:
    """One message: `payload` bytes for `topic` (MQTT) or one record of a batch (webhook)."""

    payload: bytes
    source: str = ""  # the camera it belongs to, for per-source backlog and drop counts
    topic: str = ""
    retain: bool = False
    key: str | None = None  # entries with the same key replace each other while pending
    kind: str = "event"  # event, counts, status, snapshot: only for counters and logs
    t_put: float = 0.0  # time.monotonic() when queued
    seq: int = 0
    dead: bool = False  # replaced by a newer entry with the same key


@dataclass
class OutboxStats:
    """Counters of one outbox; `pending` counts entries waiting and in flight."""

    name: str
    capacity: int
    pending: int = 0
    inflight: int = 0
    queued: int = 0  # entries ever put (replacements included)
    sent: int = 0  # acknowledged by the receiver
    dropped: int = 0  # overflow: the outbox was full
    rejected: int = 0  # the receiver refused them for good (e.g. HTTP 400)
    retried: int = 0  # sends that failed and were queued again
    replaced: int = 0  # pending state entries superseded by a newer value
    pending_by_source: dict[str, int] = field(default_factory=dict)
    dropped_by_source: dict[str, int] = field(default_factory=dict)
    connected: bool = False
    error: str = ""  # the last delivery problem, for logs, /metrics and /healthz


class Outbox:
    """Bounded FIFO with ack-before-drop; thread-safe (any number of producers, one sender)."""

    def __init__(self, name: str, capacity: int) -> None:
        self.name = name
        self.capacity = max(1, int(capacity))
        self._cond = threading.Condition()
        self._waiting: deque[Entry] = deque()  # not handed to the transport yet (may hold dead entries)
        self._live = 0  # entries in _waiting that are not dead
        self._inflight: dict[int, Entry] = {}  # seq -> entry handed to the transport, awaiting its ack
        self._by_key: dict[str, Entry] = {}
        self._seq = itertools.count(1)
        self._pending_src: Counter[str] = Counter()
        self._dropped_src: Counter[str] = Counter()
        self._counts = Counter()  # queued, sent, dropped, rejected, retried, replaced
        self._closed = False
        self._last_warn: dict[str, float] = {}
        self._unwarned: Counter[str] = Counter()
        self.connected = False  # set by the sender
        self.error = ""

    # ------------------------------------------------------------ producer side (the frame path)

    def put(self, entry: Entry) -> None:
        """Queue `entry`; never blocks. When full, the oldest waiting entry is dropped and counted."""
        with self._cond:
            entry.seq = next(self._seq)
            entry.t_put = time.monotonic()
            self._counts["queued"] += 1
            if entry.key is not None:
                old = self._by_key.get(entry.key)
                if old is not None and not old.dead and old.seq not in self._inflight:
                    old.dead = True
                    self._live -= 1
                    self._pending_src[old.source] -= 1
                    self._counts["replaced"] += 1
                self._by_key[entry.key] = entry
            if self._live + len(self._inflight) >= self.capacity and not self._drop_oldest():
                self._drop(entry)  # everything is in flight: the newest gives way
                return
            self._waiting.append(entry)
            self._live += 1
            self._pending_src[entry.source] += 1
            self._cond.notify_all()

    def _drop_oldest(self) -> bool:
        while self._waiting:
            old = self._waiting.popleft()
            if old.dead:
                continue
            self._live -= 1
            self._pending_src[old.source] -= 1
            self._drop(old)
            return True
        return False

    def _drop(self, entry: Entry) -> None:
        entry.dead = True
        self._counts["dropped"] += 1
        self._dropped_src[entry.source] += 1
        self._warn("dropped", f"{self.name}: queue full ({self.capacity}), dropped the oldest {entry.kind}"
                   f" of source {entry.source or '-'}")

    def _warn(self, what: str, message: str) -> None:
        """At most one warning per `LOG_EVERY` s per kind of loss, with how many since the last one."""
        now = time.monotonic()
        self._unwarned[what] += 1
        if now - self._last_warn.get(what, -LOG_EVERY) >= LOG_EVERY:
            n = self._unwarned.pop(what)
            total = self._counts[what]
            log.warning("%s (%d %s since the last warning, %d in total)", message, n, what, total)
            self._last_warn[what] = now

    # ------------------------------------------------------------ sender side

    def take(self, n: int, timeout: float | None = None) -> list[Entry]:
        """Up to `n` waiting entries, oldest first, now in flight; waits up to `timeout` for one."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._live == 0 and not self._closed:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return []
                self._cond.wait(left)
            out: list[Entry] = []
            while self._waiting and len(out) < n:
                e = self._waiting.popleft()
                if e.dead:
                    continue
                self._live -= 1
                self._inflight[e.seq] = e
                out.append(e)
            return out

    def ack(self, entries: list[Entry]) -> None:
        """Delivered: these entries leave the outbox."""
        with self._cond:
            for e in entries:
                if self._inflight.pop(e.seq, None) is None:
                    continue  # already settled (e.g. acked twice after a resend)
                self._pending_src[e.source] -= 1
                self._counts["sent"] += 1
                if e.key is not None and self._by_key.get(e.key) is e:
                    del self._by_key[e.key]
            self._cond.notify_all()

    def reject(self, entries: list[Entry], reason: str) -> None:
        """Refused for good by the receiver: counted, logged, and removed (retrying cannot help)."""
        with self._cond:
            for e in entries:
                if self._inflight.pop(e.seq, None) is None:
                    continue
                self._pending_src[e.source] -= 1
                self._counts["rejected"] += 1
                self._warn("rejected", f"{self.name}: the receiver rejected a {e.kind} of source "
                           f"{e.source or '-'}: {reason}")
            self._cond.notify_all()

    def requeue(self, entries: list[Entry] | None = None) -> int:
        """Failed sends go back to the front, in their original order (None: everything in flight).

        An entry whose key got a newer value meanwhile is dropped as replaced instead.
        """
        with self._cond:
            seqs = sorted(self._inflight) if entries is None else sorted(e.seq for e in entries)
            back = [self._inflight.pop(s) for s in seqs if s in self._inflight]
            for e in reversed(back):
                if e.key is not None and self._by_key.get(e.key) is not e:
                    self._pending_src[e.source] -= 1
                    self._counts["replaced"] += 1
                    continue
                self._waiting.appendleft(e)
                self._live += 1
                self._counts["retried"] += 1
            if back:
                self._cond.notify_all()
            return len(back)

    def wait_empty(self, timeout: float) -> bool:
        """Block until everything was acknowledged (or rejected/dropped); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._live or self._inflight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.1))
            return True

    def wake(self) -> None:
        """Let a sender blocked in `take()` look again (at close)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def __len__(self) -> int:
        with self._cond:
            return self._live + len(self._inflight)

    def stats(self) -> OutboxStats:
        with self._cond:
            c = self._counts
            return OutboxStats(
                name=self.name, capacity=self.capacity, pending=self._live + len(self._inflight),
                inflight=len(self._inflight), queued=c["queued"], sent=c["sent"], dropped=c["dropped"],
                rejected=c["rejected"], retried=c["retried"], replaced=c["replaced"],
                pending_by_source={k: v for k, v in self._pending_src.items() if v},
                dropped_by_source=dict(self._dropped_src), connected=self.connected, error=self.error)
