"""Bounded hand-over between stage threads.

Live sources must never build up latency, so their queue keeps only the newest frames and counts
what it throws away. Files must never lose a frame, so their queue blocks the producer instead
(backpressure reaches the decoder). Several queues may share one condition so a consumer can wait
on all of them at once (the detector serving several cameras).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class EndOfStream:
    """Marks that one source has no more frames; flows through every stage in order."""

    source_id: str


class FrameQueue:
    """A bounded FIFO with two full-queue policies: drop the oldest (live) or block (lossless)."""

    def __init__(self, maxsize: int, drop_oldest: bool, cond: threading.Condition | None = None) -> None:
        self.maxsize = max(1, int(maxsize))
        self.drop_oldest = drop_oldest
        self.cond = cond or threading.Condition()
        self.dropped = 0
        self._items: deque[Any] = deque()

    def __len__(self) -> int:
        return len(self._items)

    def put(self, item: Any, stop: threading.Event | None = None, force: bool = False) -> bool:
        """Add `item`; returns False if `stop` was set while waiting for room.

        `force` never blocks and never drops: for end-of-stream markers, which must arrive.
        """
        with self.cond:
            if not force:
                if self.drop_oldest:
                    while len(self._items) >= self.maxsize and self._drop_one():
                        pass
                else:
                    while len(self._items) >= self.maxsize:
                        if stop is not None and stop.is_set():
                            return False
                        self.cond.wait(0.05)
            self._items.append(item)
            self.cond.notify_all()
            return True

    def _drop_one(self) -> bool:
        """Drop the oldest frame (never an end-of-stream marker)."""
        for i, old in enumerate(self._items):
            if not isinstance(old, EndOfStream):
                del self._items[i]
                self.dropped += 1
                return True
        return False

    def get_nowait(self) -> Any | None:
        """The oldest item or None; caller must hold `cond` or accept a racy peek."""
        with self.cond:
            if not self._items:
                return None
            item = self._items.popleft()
            self.cond.notify_all()
            return item

    def get(self, stop: threading.Event | None = None, timeout: float | None = None) -> Any | None:
        """Block until an item arrives; None when `stop` is set or `timeout` passes."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self.cond:
            while not self._items:
                if stop is not None and stop.is_set():
                    return None
                wait = 0.05
                if deadline is not None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return None
                    wait = min(wait, left)
                self.cond.wait(wait)
            item = self._items.popleft()
            self.cond.notify_all()
            return item

    def clear(self) -> int:
        with self.cond:
            n = len(self._items)
            self._items.clear()
            self.cond.notify_all()
            return n

    def drop_frames(self) -> int:
        """Discard every waiting frame but keep end-of-stream markers (a source leaving mid-run)."""
        with self.cond:
            kept = deque(i for i in self._items if isinstance(i, EndOfStream))
            n = len(self._items) - len(kept)
            self._items = kept
            self.cond.notify_all()
            return n
