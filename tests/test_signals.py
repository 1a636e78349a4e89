"""The one SIGINT/SIGTERM helper: a graceful stop for `run`, an immediate marked one for `export`.

The tests that raise real signals do so in a fresh interpreter: twice in CI the pytest process,
which by then holds OpenVINO, ONNX Runtime, torch, Qt and Ray from earlier tests, died with SIGSEGV
on `raise_signal` here, with no fault dump. The CLI's own signal paths are exercised end to end in
subprocesses elsewhere (`run --cameras` SIGTERM drain, export interrupted).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

from yolotrack.pipeline.signals import signal_handlers

PRELUDE = """
import signal, threading
from yolotrack.pipeline import stop_on_signals

class StopRecorder:
    def __init__(self):
        self.stops = []

    def stop(self, drain=True):
        self.stops.append(drain)
"""


def run_fresh(body: str) -> None:
    """Run PRELUDE + `body` in a new Python; its assertions must hold."""
    p = subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(body) + "\nprint('ok')\n"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and p.stdout.strip().endswith("ok"), p.stderr[-3000:]


def test_run_drains_on_the_first_signal_and_halts_on_the_second() -> None:
    run_fresh("""
        pipe = StopRecorder()
        before = signal.getsignal(signal.SIGINT)
        with stop_on_signals(pipe):
            signal.raise_signal(signal.SIGTERM)
            signal.raise_signal(signal.SIGINT)
        assert pipe.stops == [True, False], pipe.stops
        assert signal.getsignal(signal.SIGINT) is before  # the previous handler is back
    """)


def test_export_halts_at_once_and_is_marked_interrupted() -> None:
    run_fresh("""
        pipe, flag = StopRecorder(), threading.Event()
        with stop_on_signals(pipe, drain=False, interrupted=flag):
            assert not flag.is_set()
            signal.raise_signal(signal.SIGINT)
        assert pipe.stops == [False] and flag.is_set(), pipe.stops
    """)


def test_outside_the_main_thread_nothing_is_installed() -> None:
    seen: list[bool] = []

    def worker() -> None:
        with signal_handlers(lambda *_: None) as installed:
            seen.append(installed)

    t = threading.Thread(target=worker)
    t.start()
    t.join(5)
    assert seen == [False]
