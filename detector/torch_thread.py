"""Every torch call a `Detector` makes runs on one long-lived thread, shared by the process.

Why: libgomp (the OpenMP runtime of torch's CPU wheels) gives every thread that runs a parallel
region its own team of worker threads. Once the process holds more OpenMP threads than cores, it
stops spinning at barriers and puts its workers to sleep at every one, and a model of many small
ops pays a wake-up per op. Loading a model in one thread and running it in another (the
pipeline's detector stage, the GUI's worker) is exactly that: yolov12n at 192x320 on 2 cores took
16 ms from the thread that first used torch and 41-45 ms from a second thread (BENCHMARKS.md).
One thread for all of it keeps a single team. The process-wide executor is deliberate: the
OpenMP limit is process-wide too. Code next to a Detector should do its own torch work through
`run()` as well: one multi-threaded op on another thread (a large tensor's `abs().max()`) creates
that second team again for the life of the thread.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_jobs: queue.SimpleQueue | None = None
_ident: int | None = None


def _loop(jobs: queue.SimpleQueue) -> None:
    global _ident
    _ident = threading.get_ident()
    while True:
        fut, fn, args, kwargs = jobs.get()
        if not fut.set_running_or_notify_cancel():
            continue
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as e:  # noqa: BLE001 - handed to the caller, who re-raises it
            fut.set_exception(e)


def _queue() -> queue.SimpleQueue:
    """Started on first use. A daemon thread, so a process that exits mid-forward is not held up."""
    global _jobs
    with _lock:
        if _jobs is None:
            _jobs = queue.SimpleQueue()
            threading.Thread(target=_loop, args=(_jobs,), name="detector-torch", daemon=True).start()
        return _jobs


def on_torch_thread() -> bool:
    return _ident is not None and threading.get_ident() == _ident


def run(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)` on the torch thread (directly when already there); exceptions propagate."""
    if on_torch_thread():
        return fn(*args, **kwargs)
    fut: Future = Future()
    _queue().put((fut, fn, args, kwargs))
    return fut.result()


def set_threads(n: int) -> None:
    """`torch.set_num_threads(n)` here and on the torch thread: OpenMP's thread count is per thread, and the
    torch thread keeps the count it started with unless told."""
    import torch

    torch.set_num_threads(n)
    if not on_torch_thread():
        run(torch.set_num_threads, n)
