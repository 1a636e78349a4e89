"""`CameraGroupActor`: one camera group's pipeline inside a Ray actor.

The link (`link.py`) creates actors itself and never asks Ray to restart one: a restart is a new
actor (or a warm spare) started with the driver's commit points, whatever ended the old one. The
actors are detached and named, so a link that dies leaves them running for the next one (a lease
ends them when no link calls any more). So
the constructor starts nothing. `warm(group)` imports the heavy modules and builds the group's
detector before any frame needs it (what a spare does while it waits); `start(group, resume)` then
runs the group's pipeline, on the warm detector when it fits, and the link long-polls `poll(acks)`
for results. Three calls may run at once (a poll waiting for results must not hold back `stop`).
"""

from __future__ import annotations

import logging
import os
import threading
import time

from yolotrack.cluster.group_pipeline import build_group_pipeline, group_detector, warm_key
from yolotrack.cluster.groups import CameraGroup
from yolotrack.cluster.records import Reply, Resume, StartInfo
from yolotrack.cluster.unacked import UnackedRecords
from yolotrack.core.errors import YolotrackError
from yolotrack.pipeline.contracts import DetectorLike
from yolotrack.pipeline.runner import Pipeline

log = logging.getLogger(__name__)

CONCURRENCY = 4  # Ray's max_concurrency for the actor: start, poll and stop may overlap


class CameraGroupActor:
    def __init__(self, checkpoint_every: int, outbox: int, log_level: int = logging.INFO, lease: float = 0.0) -> None:
        """`lease`: seconds without any call from the driver's link after which the actor ends itself
        (0 = never). The actors outlive a link that dies (they are detached), so the next link finds
        them running; a driver that is gone for good must not leave them holding the cluster."""
        logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.checkpoint_every = checkpoint_every
        self.capacity = outbox
        self._lock = threading.Lock()
        self._group: CameraGroup | None = None
        self._pipe: Pipeline | None = None
        self._outbox: UnackedRecords | None = None
        self._warm: tuple[str, DetectorLike] | None = None
        self._contact = time.monotonic()
        if lease > 0:
            threading.Thread(target=self._watch_lease, args=(lease,), name="yolotrack-lease", daemon=True).start()

    def _watch_lease(self, lease: float) -> None:
        while time.monotonic() - self._contact < lease:
            time.sleep(min(5.0, lease / 4))
        log.warning("no call from the driver for %.0f s: it is gone; this actor ends", lease)
        pipe = self._pipe
        if pipe is not None:
            pipe.stop(drain=False)
        os._exit(0)

    def keepalive(self) -> None:
        """The link calls this on idle spares (every other call counts as contact too)."""
        self._contact = time.monotonic()

    def _where(self, **kw: object) -> StartInfo:
        import ray

        node = f"{ray.util.get_node_ip_address()} ({ray.get_runtime_context().get_node_id()[:8]})"
        return StartInfo(pid=os.getpid(), node=node, **kw)  # type: ignore[arg-type]

    def warm(self, group: CameraGroup) -> StartInfo:
        """Build `group`'s detector now, so a later `start` of a group with the same model skips it."""
        self._contact = time.monotonic()
        with self._lock:
            if self._warm is None and self._pipe is None:
                try:
                    self._warm = (warm_key(group), group_detector(group))
                except YolotrackError as e:
                    return self._where(error=str(e), exit_code=e.exit_code)
            return self._where()

    def start(self, group: CameraGroup, resume: dict[str, Resume], images: set[str]) -> StartInfo:
        """Build and start `group`'s pipeline, its cameras going on after `resume` (a no-op,
        reported as such, when this actor already runs it)."""
        self._contact = time.monotonic()
        with self._lock:
            if self._pipe is not None:
                return self._where(already_running=True)
            warm, self._warm = self._warm, None
            detector = warm[1] if warm is not None and warm[0] == warm_key(group) else None
            outbox = UnackedRecords(self.capacity, {name: r.after for name, r in resume.items()}, images)
            try:
                pipe = build_group_pipeline(group, outbox.sinks, detector=detector, resume=resume,
                                            checkpoint_every=self.checkpoint_every, on_checkpoint=outbox.checkpoint)
                pipe.add_stats_listener(outbox.set_stats)
                pipe.start()
            except YolotrackError as e:
                return self._where(error=str(e), exit_code=e.exit_code)
            self._group, self._pipe, self._outbox = group, pipe, outbox
            log.info("%s started: cameras %s%s%s", group.name, ", ".join(group.names),
                     f" (resumed: {', '.join(sorted(resume))})" if resume else "",
                     " on a warm detector" if detector is not None else "")
            return self._where()

    def poll(self, acks: dict[str, int], timeout: float = 1.0) -> Reply:
        """Results the driver has not acknowledged yet (`acks`: its last written frame per camera)."""
        self._contact = time.monotonic()
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
