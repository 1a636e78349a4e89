"""SIGINT/SIGTERM -> graceful pipeline stop; a second signal stops at once."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

log = logging.getLogger(__name__)


@contextmanager
def stop_on_signals(pipeline: Any, signals: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)) -> Iterator[None]:
    """Within the block, the first signal drains and closes (exit 0); the second halts at once.

    Only the main thread may install handlers; elsewhere (a GUI worker) this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    count = 0

    def handler(signum: int, _frame: FrameType | None) -> None:
        nonlocal count
        count += 1
        name = signal.Signals(signum).name
        if count == 1:
            log.info("%s: stopping capture, draining frames in flight", name)
            pipeline.stop(drain=True)
        else:
            log.warning("%s again: stopping now", name)
            pipeline.stop(drain=False)

    previous = {s: signal.signal(s, handler) for s in signals}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
