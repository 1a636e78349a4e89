"""`CameraGroupActor`: one camera group's pipeline inside a Ray actor.

Ray creates it on a node with the resources the group asks for and, after the process dies,
creates it again (same constructor arguments, `max_restarts` times). The constructor therefore
starts nothing: the driver calls `start(resume)` with its commit points, on the first start and
after every restart alike, then long-polls `poll(acks)` for results. Three calls may run at once
(a poll waiting for results must not hold back `stop`).
"""

from __future__ import annotations

import logging
import os
import threading

from yolotrack.cluster.group_pipeline import build_group_pipeline
from yolotrack.cluster.groups import CameraGroup
from yolotrack.cluster.records import Reply, Resume, StartInfo
from yolotrack.cluster.unacked import UnackedRecords
from yolotrack.core.errors import YolotrackError
from yolotrack.pipeline.runner import Pipeline

log = logging.getLogger(__name__)

CONCURRENCY = 4  # Ray's max_concurrency for the actor: start, poll and stop may overlap


class CameraGroupActor:
    def __init__(self, group: CameraGroup, checkpoint_every: int, outbox: int, log_level: int = logging.INFO) -> None:
        logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.group = group
        self.checkpoint_every = checkpoint_every
        self.capacity = outbox
        self._lock = threading.Lock()
        self._pipe: Pipeline | None = None
        self._outbox: UnackedRecords | None = None

    def _where(self, **kw: object) -> StartInfo:
        import ray

        node = f"{ray.util.get_node_ip_address()} ({ray.get_runtime_context().get_node_id()[:8]})"
        return StartInfo(pid=os.getpid(), node=node, **kw)  # type: ignore[arg-type]

    def start(self, resume: dict[str, Resume], images: set[str]) -> StartInfo:
        """Build and start the group's pipeline, its cameras going on after `resume` (a no-op,
        reported as such, when this incarnation already runs it)."""
        with self._lock:
            if self._pipe is not None:
                return self._where(already_running=True)
            outbox = UnackedRecords(self.capacity, {name: r.after for name, r in resume.items()}, images)
            try:
                pipe = build_group_pipeline(self.group, outbox.sinks, resume=resume,
                                            checkpoint_every=self.checkpoint_every, on_checkpoint=outbox.checkpoint)
                pipe.add_stats_listener(outbox.set_stats)
                pipe.start()
            except YolotrackError as e:
                return self._where(error=str(e), exit_code=e.exit_code)
            self._pipe, self._outbox = pipe, outbox
            log.info("%s started: cameras %s%s", self.group.name, ", ".join(self.group.names),
                     f" (resumed: {', '.join(sorted(resume))})" if resume else "")
            return self._where()

    def poll(self, acks: dict[str, int], timeout: float = 1.0) -> Reply:
        """Results the driver has not acknowledged yet (`acks`: its last written frame per camera)."""
        pipe, outbox = self._pipe, self._outbox
        if pipe is None or outbox is None:
            return Reply()
        records = outbox.poll(acks, timeout, finished=lambda: not pipe.running)
        reply = Reply(records, stats=outbox.take_stats())
        if not records and not pipe.running:
            try:
                pipe.wait(0)
                reply.done = True
            except YolotrackError as e:
                reply.error, reply.exit_code = str(e), e.exit_code
        return reply

    def stop(self, drain: bool = True) -> None:
        """Graceful (`drain`): capture stops, frames in flight still reach the driver. Else at once."""
        pipe, outbox = self._pipe, self._outbox
        if pipe is not None:
            pipe.stop(drain=drain)
        if not drain and outbox is not None:
            outbox.close()
