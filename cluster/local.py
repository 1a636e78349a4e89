"""Every camera of a cameras file in this process: one pipeline per group, all running at once.

Without Ray there is nothing to place or restart, so a group here is every camera that can
share one detector (no `group_size` split): the detector batches the newest frame of each of
them per forward. Cameras whose overrides change the network get a pipeline (and detector) of
their own; with an exported runtime (OpenVINO, ONNX Runtime) those detectors run their forwards
at once, each with its share of the cores (`cluster.cpus_per_group`). Torch detectors share the
process's one torch thread (detector/torch_thread.py). A failure in any group stops the others
and is reported as the one error, as `run` does for its one pipeline; SIGINT/SIGTERM drain every
group and exit 0.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yolotrack.cluster.group_pipeline import build_group_pipeline, group_detector
from yolotrack.cluster.groups import CameraGroup
from yolotrack.core.errors import YolotrackError
from yolotrack.pipeline.runner import Pipeline
from yolotrack.pipeline.signals import stop_on_signals
from yolotrack.sinks.base import Sink, StreamInfo
from yolotrack.sinks.per_camera import camera_sinks

if TYPE_CHECKING:
    from yolotrack.tracker.global_ids import GlobalIds

log = logging.getLogger(__name__)


class _AllPipelines:
    """What `stop_on_signals` stops: every group's pipeline at once."""

    def __init__(self, pipes: list[Pipeline]) -> None:
        self.pipes = pipes

    def stop(self, drain: bool = True) -> None:
        for p in self.pipes:
            p.stop(drain=drain)


def group_threads(groups: list[CameraGroup]) -> int | None:
    """Each group's share of the cores for its detector's runtime (`cluster.cpus_per_group`; 0 = the
    cores divided among the groups): their forwards run at once, and more threads than cores in
    total only make them wait on each other. None with one group (the runtime's own default)."""
    if len(groups) < 2:
        return None
    from yolotrack.detector.runtimes.threads import cpu_count

    return groups[0].config.cluster.cpus_per_group or max(1, cpu_count() // len(groups))


def run_local(groups: list[CameraGroup], out_dir: str | Path, service: Any = None,
              metrics: str | None = None, global_ids: GlobalIds | None = None) -> int:
    """`service`: the process's `ServiceOutputs` (shared by every camera); `metrics`: `HOST:PORT` for
    `/metrics` and `/healthz` over all groups; `global_ids`: the one gallery every group's sink thread
    labels its results with."""
    pipes: list[Pipeline] = []
    threads = group_threads(groups)
    for g in groups:
        sinks = {name: camera_sinks(cfg, name, out_dir, service) for name, cfg in g.configs.items()}

        def factory(info: StreamInfo, sinks: dict[str, list[Sink]] = sinks) -> list[Sink]:
            return sinks[info.source_id]

        pipes.append(build_group_pipeline(g, factory, detector=group_detector(g, threads),
                                          annotate=global_ids.annotate if global_ids else None))
    every = _AllPipelines(pipes)
    started: list[Pipeline] = []
    server = _metrics_server(metrics, groups, pipes, service) if metrics else None
    try:
        with stop_on_signals(every):  # type: ignore[arg-type]
            for g, p in zip(groups, pipes, strict=True):
                p.start()
                started.append(p)
                log.info("%s: cameras %s, one detector", g.name, ", ".join(g.names))
            pending = list(pipes)
            while pending:
                pending = [p for p in pending if not p.wait(0.25)]
    except BaseException:
        for p in started:
            p.stop(drain=False)
        for p in started:
            with contextlib.suppress(YolotrackError):  # the first error is the one reported
                p.wait(30)  # its sinks are closed (or aborted) before the error goes up
        raise
    finally:
        if server is not None:
            server.close()
    return 0


def _metrics_server(address: str, groups: list[CameraGroup], pipes: list[Pipeline], service: Any) -> Any:
    """One `/metrics` + `/healthz` over every group's pipeline (stages named by group), started now."""
    from yolotrack.pipeline.health import merge_health
    from yolotrack.pipeline.metrics import MetricsServer
    from yolotrack.pipeline.stats import merge_stats

    def stats() -> Any:
        return merge_stats({g.name: p.stats() for g, p in zip(groups, pipes, strict=True)})

    def health() -> Any:
        return merge_health([p.health() for p in pipes])

    outputs = service.outbox_stats() if service is not None else None
    server = MetricsServer(address, stats, health, outputs)
    server.start()
    return server
