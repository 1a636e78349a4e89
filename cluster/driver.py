"""The Ray driver: camera groups as actors, their results into the driver's sinks, restarts exactly-once.

Ray places the group actors (`num_cpus`, `num_gpus`, spread over the nodes) and restarts a dead
one (`max_restarts`). The driver owns what makes a restart lose nothing and repeat nothing: the
sinks, and per camera the commit point (the last frame written), the newest tracker checkpoint
at or before it and the largest track id written. A group whose actor died is started again
with those, so its files go on after the last written frame and its live cameras go on live.
It also owns the global-id gallery, so ids across cameras survive any actor's restart.
"""

from __future__ import annotations

import logging
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from yolotrack.cluster.group_pipeline import REPLAYABLE
from yolotrack.cluster.groups import CameraGroup
from yolotrack.cluster.ray_connect import connect, import_ray
from yolotrack.cluster.records import FrameRecord, Reply, Resume, StartInfo
from yolotrack.core.config import Config
from yolotrack.core.errors import PipelineError, YolotrackError
from yolotrack.pipeline.signals import signal_handlers
from yolotrack.pipeline.sources import redact, source_kind
from yolotrack.sinks.base import Sink
from yolotrack.sinks.per_camera import camera_sinks, needs_images

if TYPE_CHECKING:
    from yolotrack.tracker.global_ids import GlobalIds

log = logging.getLogger(__name__)

POLL_TIMEOUT = 0.5  # seconds an actor holds a poll open waiting for results
RETRY_DELAY = 0.5  # seconds between attempts to reach an actor Ray is still restarting
DRAIN_TIMEOUT = 30.0  # seconds after a stop signal before the driver gives up waiting for the groups


class RemoteError(YolotrackError):
    """A group's failure as its actor reported it, with the exit code it would have locally."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class _Camera:
    """The driver's side of one camera: its sinks and its commit point."""

    name: str
    live: bool
    sinks: list[Sink]
    images: bool
    names: dict[int, str] = field(default_factory=dict)
    opened: bool = False
    after: int = -1
    timestamp: float = 0.0
    written_at: float = 0.0
    checkpoint_index: int = -1
    state: dict[str, Any] | None = None
    max_id: int = 0
    gallery: GlobalIds | None = None  # the run's global ids: the driver labels each record it writes

    def resume(self) -> Resume:
        away = time.monotonic() - self.written_at if self.live and self.written_at else 0.0
        return Resume(after=self.after, timestamp=self.timestamp + away, checkpoint_index=self.checkpoint_index,
                      state=self.state, next_id=self.max_id + 1)

    def write(self, rec: FrameRecord) -> bool:
        """Write `rec` to the sinks unless it is at or before the commit point; True if written."""
        if rec.index <= self.after:
            return False
        if not self.opened:
            if rec.info is None:
                raise PipelineError(f"camera {self.name}", "the first result came without its stream description")
            self.names = dict(rec.info.names)
            for s in self.sinks:
                s.open(rec.info)
            self.opened = True
        dets = rec.detections
        dets.names = self.names
        if self.gallery is not None:  # here, past the commit point: a replayed frame is not seen twice
            rec.events = self.gallery.label(self.name, rec.timestamp, dets, rec.events)
        frame = rec.frame()
        for s in self.sinks:
            s.write(frame, dets, rec.events)
        self.after, self.timestamp, self.written_at = rec.index, rec.timestamp, time.monotonic()
        if dets.track_ids is not None and len(dets.track_ids):
            self.max_id = max(self.max_id, int(dets.track_ids.max()))
        if rec.checkpoint is not None:
            self.checkpoint_index, self.state = rec.index, rec.checkpoint
        return True


@dataclass
class _Group:
    group: CameraGroup
    actor: Any
    state: str = "starting"  # starting, running, done
    ref: Any = None  # the one outstanding call (start or poll)
    call: str = ""
    since: float = field(default_factory=time.monotonic)  # start of the current start/restart
    retry_at: float = 0.0
    restarts: int = 0
    lost_at: float | None = None  # when the actor was found dead (until its cameras are back)
    stop_sent: bool = False

    @property
    def label(self) -> str:
        return f"{self.group.name} (cameras {', '.join(self.group.names)})"


class ClusterRun:
    """Runs `groups` on the Ray cluster at `cfg.cluster.address`, writing each camera's sinks here."""

    def __init__(self, groups: list[CameraGroup], cfg: Config, out_dir: str | Path, service: Any = None,
                 global_ids: GlobalIds | None = None) -> None:
        self.groups = groups
        self.cfg = cfg
        self.out_dir = Path(out_dir)
        self.cameras: dict[str, _Camera] = {}
        for g in groups:
            for cam in g.cameras:
                sinks = camera_sinks(g.configs[cam.name], cam.name, self.out_dir, service)
                self.cameras[cam.name] = _Camera(cam.name, source_kind(cam.source) not in REPLAYABLE, sinks,
                                                 needs_images(sinks), gallery=global_ids)
        self._stops = 0
        self._stop_at: float | None = None
        self._states: list[_Group] = []

    # ------------------------------------------------------------------ the run

    def run(self) -> int:
        ray = import_ray()
        connect(ray, self.cfg.cluster.address or "auto")
        from yolotrack.cluster.actor import CONCURRENCY, CameraGroupActor

        c = self.cfg.cluster
        actor_cls = ray.remote(CameraGroupActor)
        level = logging.getLogger().getEffectiveLevel()
        for g in self.groups:
            actor = actor_cls.options(num_cpus=c.num_cpus, num_gpus=c.num_gpus, max_restarts=c.max_restarts,
                                      max_concurrency=CONCURRENCY, scheduling_strategy="SPREAD").remote(
                g, c.checkpoint_every, c.outbox, level)
            gs = _Group(g, actor)
            self._states.append(gs)
            self._start(gs)
        log.info("cluster: %d camera(s) in %d group(s); each asks for %g CPU, %g GPU", len(self.cameras),
                 len(self.groups), c.num_cpus, c.num_gpus)
        failed: BaseException | None = None
        try:
            with signal_handlers(self._on_signal):
                self._loop(ray)
        except BaseException as e:
            failed = e
            for gs in self._states:
                self._send_stop(gs, drain=False)
            raise
        finally:
            self._finish(failed is not None)
        return 0

    def _loop(self, ray: Any) -> None:
        while any(gs.state != "done" for gs in self._states):
            if self._stop_at is not None and time.monotonic() - self._stop_at > DRAIN_TIMEOUT:
                log.warning("groups still running %.0f s after the stop; leaving them", DRAIN_TIMEOUT)
                return
            now = time.monotonic()
            for gs in self._states:
                if gs.state == "starting" and gs.ref is None and now >= gs.retry_at:
                    self._start(gs)
            refs = {gs.ref: gs for gs in self._states if gs.ref is not None}
            if not refs:
                time.sleep(0.05)
                continue
            ready, _ = ray.wait(list(refs), num_returns=1, timeout=0.25)
            if ready:
                more, _ = ray.wait([r for r in refs if r not in ready], num_returns=len(refs) - len(ready), timeout=0)
                ready = ready + more
            for ref in ready:
                gs = refs[ref]
                gs.ref = None
                if gs.call == "start":
                    self._on_start(ray, gs, ref)
                else:
                    self._on_poll(ray, gs, ref)
            self._check_start_timeouts()

    # ------------------------------------------------------------------ starts and restarts

    def _start(self, gs: _Group) -> None:
        resume = {name: self.cameras[name].resume() for name in gs.group.names if self.cameras[name].after >= 0
                  or self.cameras[name].state is not None}
        images = {name for name in gs.group.names if self.cameras[name].images}
        gs.ref, gs.call = gs.actor.start.remote(resume, images), "start"

    def _on_start(self, ray: Any, gs: _Group, ref: Any) -> None:
        try:
            info: StartInfo = ray.get(ref)
        except ray.exceptions.ActorDiedError as e:
            raise self._gone(gs, e) from None
        except ray.exceptions.RayActorError:  # unavailable for now: Ray is still restarting it
            gs.retry_at = time.monotonic() + RETRY_DELAY
            return
        if info.error is not None:
            raise RemoteError(f"{gs.group.name}: {info.error}", info.exit_code)
        if not info.already_running:
            gs.restarts += gs.lost_at is not None
            log.info("%s running on node %s, pid %d%s", gs.label, info.node, info.pid,
                     f" (restart {gs.restarts})" if gs.restarts else "")
        gs.state = "running"
        if self._stops:
            self._send_stop(gs, drain=self._stops == 1)
        self._poll(gs)

    def _lost(self, gs: _Group, err: BaseException) -> None:
        """The actor died (or cannot be reached): start it again with the commit points; Ray
        queues the call until the actor is back."""
        gs.lost_at = gs.lost_at or time.monotonic()
        gs.state, gs.since, gs.stop_sent = "starting", time.monotonic(), False
        log.warning("%s lost (%s); starting it again after the last written frames", gs.label,
                    _first_line(err))
        self._start(gs)

    def _gone(self, gs: _Group, err: BaseException) -> YolotrackError:
        limit = self.cfg.cluster.max_restarts
        return RemoteError(f"{gs.label} died and cannot be restarted (cluster.max_restarts={limit}, "
                           f"restarted {gs.restarts} time(s)): {_first_line(err)}")

    def _check_start_timeouts(self) -> None:
        limit = self.cfg.cluster.start_timeout
        for gs in self._states:
            if gs.state == "starting" and limit and time.monotonic() - gs.since > limit:
                c = self.cfg.cluster
                raise RemoteError(f"{gs.label} was not placed or restarted within {limit:g} s: no node has "
                                  f"{c.num_cpus:g} CPU and {c.num_gpus:g} GPU free, or the cluster is unreachable "
                                  "(`ray status` shows what is free; see cluster.num_cpus, cluster.num_gpus)")

    # ------------------------------------------------------------------ results

    def _poll(self, gs: _Group) -> None:
        acks = {name: self.cameras[name].after for name in gs.group.names}
        gs.ref, gs.call = gs.actor.poll.remote(acks, POLL_TIMEOUT), "poll"

    def _on_poll(self, ray: Any, gs: _Group, ref: Any) -> None:
        try:
            reply: Reply = ray.get(ref)
        except ray.exceptions.RayActorError as e:
            if self._stops > 1:  # stopping at once: a group that is gone is done
                gs.state = "done"
                return
            self._lost(gs, e)
            return
        written = 0
        for rec in reply.records:
            try:
                written += self.cameras[rec.camera].write(rec)
            except YolotrackError:
                raise
            except Exception as e:
                raise PipelineError(f"sink for camera {rec.camera}", f"{type(e).__name__}: {e}") from e
        if written and gs.lost_at is not None:
            log.info("%s back %.1f s after it was lost", gs.label, time.monotonic() - gs.lost_at)
            gs.lost_at = None
        if reply.stats is not None:
            for name in gs.group.names:
                cam = self.cameras[name]
                if cam.opened:
                    for s in cam.sinks:
                        fn = getattr(s, "write_stats", None)
                        if fn is not None:
                            fn(reply.stats)
        if reply.error is not None:
            raise RemoteError(f"{gs.group.name}: {redact(reply.error)}", reply.exit_code)
        if reply.done:
            gs.state = "done"
            log.info("%s finished", gs.label)
            return
        self._poll(gs)

    # ------------------------------------------------------------------ stopping

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self._stops += 1
        name = signal.Signals(signum).name
        if self._stops == 1:
            log.info("%s: stopping capture, draining frames in flight", name)
            self._stop_at = time.monotonic()
        else:
            log.warning("%s again: stopping now", name)
        for gs in self._states:
            self._send_stop(gs, drain=self._stops == 1)

    def _send_stop(self, gs: _Group, drain: bool) -> None:
        if gs.state == "running" and (not gs.stop_sent or not drain):
            gs.actor.stop.remote(drain)
            gs.stop_sent = True

    def _finish(self, failed: bool) -> None:
        for cam in self.cameras.values():
            if not cam.opened:
                continue
            for s in cam.sinks:
                try:
                    if failed:
                        s.abort()
                    else:
                        s.close()
                except Exception:  # noqa: BLE001 - close the others; the run's outcome is already decided
                    log.exception("closing a sink of camera %s failed", cam.name)


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__
