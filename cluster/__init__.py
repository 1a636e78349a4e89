"""Many cameras: camera groups in this process, or as Ray actors across a cluster.

    from yolotrack.cluster import run_cameras
    site = load_site("cameras.yaml")
    run_cameras(site.cameras, cfg, "out/", links=site.links)  # cfg.cluster.address: None = here, else Ray

A camera group (`groups.py`) is the cameras that share one batched detector; it runs as one
`Pipeline` (`group_pipeline.py`) with a `CameraTracker` per camera (its thresholds, tracker and
checkpoints). In one process (`local.py`) every group writes its cameras' sinks directly. On Ray,
each group is a `CameraGroupActor` (`actor.py`) whose results wait in an `UnackedRecords` until the
driver (`driver.py`) has written them to its sinks and acknowledged them: those commit points,
with the tracker checkpoints, let a restarted actor go on exactly-once. Global ids across cameras
(`tracker.global_ids.GlobalIds`) come from one gallery in this process: the sink threads of every
group here, the driver on Ray (so a restarted actor never hands out an id again). Ray itself is
imported only when a cluster is used (extra `cluster`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from yolotrack.cluster.groups import CameraGroup, plan_groups
from yolotrack.core.cameras import Camera, Link
from yolotrack.core.config import Config
from yolotrack.core.errors import UsageError

if TYPE_CHECKING:
    from yolotrack.tracker.global_ids import GlobalIds


def run_cameras(cameras: Sequence[Camera], cfg: Config, out_dir: str | Path,
                links: Sequence[Link] | None = None) -> int:
    """Run every camera until the files end (exit code 0) or a stop signal; on Ray when
    `cfg.cluster.address` is set. Outputs: `out_dir/<camera>.jsonl` and the other camera sinks,
    plus the service outputs of `cfg.output` (MQTT, webhook, snapshots), which belong to this
    process (the driver on Ray) and are shared by every camera. `links`: the cameras file's, for
    global ids (None: every pair of cameras)."""
    from yolotrack.sinks.service import ServiceOutputs

    if cfg.pipeline.metrics and cfg.cluster.address:
        raise UsageError("pipeline.metrics (--metrics) with a Ray cluster: the pipelines run inside Ray actors; "
                         "use Ray's dashboard and metrics, or run the cameras without --ray")
    if len(cameras) < 2 and cfg.global_ids.enabled:  # one camera: its track ids are all there is
        cfg = dataclasses.replace(cfg, global_ids=dataclasses.replace(cfg.global_ids, enabled=False))
    if cfg.global_ids.enabled:  # `reid: auto` decided once, by every camera's model: one gallery, one kind of feature
        from yolotrack.detector.auto_weights import choose_weights
        from yolotrack.tracker.reid_model import resolve_reid

        reid = resolve_reid(cfg.global_ids.reid, [choose_weights(c.config(cfg).model, [c.source]).weights
                                                   for c in cameras])
        cfg = dataclasses.replace(cfg, global_ids=dataclasses.replace(cfg.global_ids, reid=reid))
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    service = ServiceOutputs(cfg)  # malformed URLs fail here, before anything starts
    try:
        service.start()  # with output.mqtt.required, an unreachable or refusing broker ends the run here
        gallery = global_ids(cameras, cfg, links)
        if cfg.cluster.address:
            from yolotrack.cluster.driver import ClusterRun

            return ClusterRun(plan_groups(cameras, cfg), cfg, out_dir, service, global_ids=gallery).run()
        from yolotrack.cluster.local import run_local

        return run_local(plan_groups(cameras, cfg, group_size=len(cameras)), out_dir, service, cfg.pipeline.metrics,
                         global_ids=gallery)
    finally:
        service.close()  # what the cameras produced is still delivered, up to the drain timeouts


def global_ids(cameras: Sequence[Camera], cfg: Config, links: Sequence[Link] | None = None) -> GlobalIds | None:
    """The run's one global-id gallery, or None with `global_ids.enabled: false`."""
    from yolotrack.tracker.global_ids import GlobalIds

    g = cfg.global_ids
    if not g.enabled:
        return None
    return GlobalIds.from_config([c.name for c in cameras], links, g)


__all__ = ["CameraGroup", "global_ids", "plan_groups", "run_cameras"]
