"""Thread counts for the runtimes on small machines.

The pipeline runs decode, letterbox, NMS, tracking, drawing and encoding in their own threads,
concurrently with inference, so the detector must not assume it owns every core. The numbers
behind the defaults are in BENCHMARKS.md (2-core shared VM): inference threads = all cores,
because the other stages are mostly GIL-free C (PyAV, OpenCV) that fit in the gaps, and
busy-waiting thread pools are switched off so idle inference threads give the core back.
"""

from __future__ import annotations

import os


def cpu_count() -> int:
    """Cores this process may use (cgroup/affinity aware where the OS tells us)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def default_threads(requested: int | None = None) -> int:
    """Explicit request wins; else every usable core, capped at 8 (more only adds sync cost for n/s)."""
    if requested is not None and requested > 0:
        return int(requested)
    return min(cpu_count(), 8)
