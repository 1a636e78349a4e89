"""The one SIGINT/SIGTERM helper: a graceful stop for `run`, an immediate marked one for `export`."""

from __future__ import annotations

import signal
import threading

from yolotrack.pipeline import stop_on_signals
from yolotrack.pipeline.signals import signal_handlers


class StopRecorder:
    def __init__(self) -> None:
        self.stops: list[bool] = []

    def stop(self, drain: bool = True) -> None:
        self.stops.append(drain)


def test_run_drains_on_the_first_signal_and_halts_on_the_second() -> None:
    pipe = StopRecorder()
    before = signal.getsignal(signal.SIGINT)
    with stop_on_signals(pipe):
        signal.raise_signal(signal.SIGTERM)
        signal.raise_signal(signal.SIGINT)
    assert pipe.stops == [True, False]
    assert signal.getsignal(signal.SIGINT) is before  # the previous handler is back


def test_export_halts_at_once_and_is_marked_interrupted() -> None:
    pipe, flag = StopRecorder(), threading.Event()
    with stop_on_signals(pipe, drain=False, interrupted=flag):
        assert not flag.is_set()
        signal.raise_signal(signal.SIGINT)
    assert pipe.stops == [False] and flag.is_set()


def test_outside_the_main_thread_nothing_is_installed() -> None:
    seen: list[bool] = []

    def worker() -> None:
        with signal_handlers(lambda *_: None) as installed:
            seen.append(installed)

    t = threading.Thread(target=worker)
    t.start()
    t.join(5)
    assert seen == [False]
