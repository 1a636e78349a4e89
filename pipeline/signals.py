"""SIGINT/SIGTERM -> pipeline stop, for every command that runs one (`run`, `export`)."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from yolotrack.pipeline.runner import Pipeline

log = logging.getLogger(__name__)

DEFAULT_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def signal_handlers(handler: Callable[[int, FrameType | None], object],
                    signals: tuple[int, ...] = DEFAULT_SIGNALS) -> Iterator[bool]:
    """Install `handler` for `signals` within the block; the previous handlers are back after it.

    Only the main thread may install handlers: elsewhere (a GUI worker, a test thread) this
    installs nothing and yields False, so the caller can skip whatever else it would set up.
    """
    if threading.current_thread() is not threading.main_thread():
        yield False
        return
    previous = {s: signal.signal(s, handler) for s in signals}
    try:
        yield True
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


@contextmanager
def stop_on_signals(pipeline: Pipeline, signals: tuple[int, ...] = DEFAULT_SIGNALS, *,
                    drain: bool = True, interrupted: threading.Event | None = None) -> Iterator[None]:
    """Within the block, the first signal stops the pipeline and a second one halts it at once.

    `drain` (for `run`): the first stop lets frames in flight reach the sinks, which then close
    normally (exit 0). Without it (for `export`, whose outputs are all or nothing) the first
    signal already halts. `interrupted` is set before the stop, so a sink wrapper can tell an
    interruption from a normal end when the pipeline closes it. Outside the main thread (a GUI
    worker) this does nothing.
    """
    count = 0

    def handler(signum: int, _frame: FrameType | None) -> None:
        nonlocal count
        count += 1
        name = signal.Signals(signum).name
        if interrupted is not None:
            interrupted.set()
        if count == 1 and drain:
            log.info("%s: stopping capture, draining frames in flight", name)
            pipeline.stop(drain=True)
            return
        if count == 1:
            log.info("%s: stopping now", name)
        else:
            log.warning("%s again: stopping now", name)
        pipeline.stop(drain=False)

    with signal_handlers(handler, signals):
        yield
