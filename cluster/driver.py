"""The Ray driver: camera groups as actors, their results into the driver's sinks, restarts exactly-once.

Ray places the group actors (`num_cpus`, `num_gpus`, spread over the nodes). The driver owns what
makes a restart lose nothing and repeat nothing: the sinks, and per camera the commit point (the
last frame written), the newest tracker checkpoint at or before it and the largest track id
written (`records.Commit`). Ray itself is reached through a link process (`link.py`) that can die
with its node's raylet without taking the run along: the driver then starts another link, and
every group goes on after its last written frames, live cameras live. The driver also owns the
global-id gallery, so ids across cameras survive any actor's restart.

A group that cannot go on (restarts used up, not placed, its own error) stops alone; the others
run to their end, and the run then fails with one line naming every such group.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import signal
import time
import uuid
from dataclasses import dataclass, field
from multiprocessing.connection import wait as wait_any
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from yolotrack.cluster.group_pipeline import REPLAYABLE
from yolotrack.cluster.groups import CameraGroup
from yolotrack.cluster.link import LinkPlan, first_line, group_label, link_main
from yolotrack.cluster.ray_connect import import_ray
from yolotrack.cluster.records import Commit, FrameRecord, Reply
from yolotrack.core.config import Config
from yolotrack.core.errors import PipelineError, YolotrackError
from yolotrack.pipeline.signals import signal_handlers
from yolotrack.pipeline.sources import redact, source_kind
from yolotrack.sinks.base import Sink
from yolotrack.sinks.per_camera import camera_sinks, needs_images

if TYPE_CHECKING:
    from yolotrack.tracker.global_ids import GlobalIds

log = logging.getLogger(__name__)

RELINK_DELAY = 1.0  # seconds before a new link after one died
DRAIN_TIMEOUT = 30.0  # seconds after a stop signal before the driver gives up waiting for the groups
LINK_EXIT_TIMEOUT = 10.0  # seconds a finished link gets to end its Ray session


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
    commit: Commit = field(default_factory=Commit)
    gallery: GlobalIds | None = None  # the run's global ids: the driver labels each record it writes

    def write(self, rec: FrameRecord) -> bool:
        """Write `rec` to the sinks unless it is at or before the commit point; True if written."""
        c = self.commit
        if rec.index <= c.after:
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
        c.after, c.timestamp, c.written_at = rec.index, rec.timestamp, time.monotonic()
        if dets.track_ids is not None and len(dets.track_ids):
            c.max_id = max(c.max_id, int(dets.track_ids.max()))
        if rec.checkpoint is not None:
            c.checkpoint_index, c.state = rec.index, rec.checkpoint
        return True


@dataclass
class _Group:
    group: CameraGroup
    restarts: int = 0
    done: bool = False
    lost_at: float | None = None  # when it was lost (until its cameras write again)
    failure: RemoteError | None = None


@dataclass
class _LinkProc:
    proc: Any
    conn: Any
    connected: bool = False


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
        self._states = {g.name: _Group(g) for g in groups}
        self._link: _LinkProc | None = None
        self._links = 0
        self._relink_at = 0.0
        self._away_since = 0.0  # when the last link that had connected died
        self._lost_cluster: RemoteError | None = None
        self._namespace = f"yolotrack-{uuid.uuid4().hex[:12]}"  # the run's named actors, for every link
        self._actors: dict[str, str] = {}  # group -> its actor's name
        self._spares: list[str] = []

    # ------------------------------------------------------------------ the run

    def run(self) -> int:
        import_ray()  # not installed: one line now, not from the link
        c = self.cfg.cluster
        log.info("cluster: %d camera(s) in %d group(s); each asks for %g CPU, %g GPU", len(self.cameras),
                 len(self.groups), c.num_cpus, c.num_gpus)
        failed = False
        try:
            with signal_handlers(self._on_signal):
                self._loop()
        except BaseException:
            failed = True
            raise
        finally:
            self._end_link()
            self._finish(failed)
        if self._lost_cluster is not None:
            raise self._lost_cluster
        failures = [gs.failure for gs in self._states.values() if gs.failure is not None]
        if failures:
            raise RemoteError("; ".join(str(f) for f in failures), failures[0].exit_code)
        return 0

    def _loop(self) -> None:
        while not all(gs.done for gs in self._states.values()):
            if self._stop_at is not None and time.monotonic() - self._stop_at > DRAIN_TIMEOUT:
                log.warning("groups still running %.0f s after the stop; leaving them", DRAIN_TIMEOUT)
                return
            link = self._link
            if link is None:
                if time.monotonic() >= self._relink_at:
                    self._start_link()
                else:
                    time.sleep(0.05)
                continue
            if not wait_any([link.conn, link.proc.sentinel], timeout=0.25):
                continue
            try:
                while link.conn.poll(0):
                    self._on_message(link, link.conn.recv())
                    if self._link is not link:
                        break
            except (EOFError, OSError):
                pass
            if self._link is link and not link.proc.is_alive():
                self._link_died(link, f"exit code {link.proc.exitcode}")

    # ------------------------------------------------------------------ the link to Ray

    def _start_link(self) -> None:
        ctx = multiprocessing.get_context("spawn")  # a fresh process: no threads or Ray state of ours in it
        parent, child = ctx.Pipe()
        plan = LinkPlan(address=self.cfg.cluster.address or "auto", groups=self.groups, cluster=self.cfg.cluster,
                        commits={n: c.commit for n, c in self.cameras.items()},
                        live={n for n, c in self.cameras.items() if c.live},
                        images={n for n, c in self.cameras.items() if c.images},
                        restarts={n: gs.restarts for n, gs in self._states.items()},
                        done={n for n, gs in self._states.items() if gs.done}, stops=self._stops,
                        level=logging.getLogger().getEffectiveLevel(), namespace=self._namespace,
                        actors=dict(self._actors), spares=list(self._spares))
        proc = ctx.Process(target=link_main, args=(child, plan), name="yolotrack-ray-link", daemon=True)
        proc.start()
        child.close()
        self._link = _LinkProc(proc, parent)
        self._links += 1

    def _link_died(self, link: _LinkProc, why: str) -> None:
        """A new link finds the groups' actors by name and goes on polling them; an actor that died
        too is replaced there from the commit points, and counted as a restart."""
        self._link = None
        link.conn.close()
        link.proc.join(1)
        if self._stops:
            for gs in self._states.values():
                gs.done = True
            return
        now = time.monotonic()
        for gs in self._states.values():
            if not gs.done:
                gs.lost_at = gs.lost_at or now
        if link.connected:
            self._away_since = now
            log.warning("the connection to Ray ended (%s: its node's raylet died?); connecting again", why)
        elif self.cfg.cluster.start_timeout and now - self._away_since > self.cfg.cluster.start_timeout:
            # what was written stays (the sinks are closed, not discarded); the run ends with this line
            self._lost_cluster = RemoteError(f"lost the Ray cluster at '{self.cfg.cluster.address}' and could not "
                                             f"reach it again within {self.cfg.cluster.start_timeout:g} s "
                                             f"(cluster.start_timeout): {why}")
            for gs in self._states.values():
                gs.done = True
        self._relink_at = now + RELINK_DELAY

    def _end_link(self) -> None:
        link, self._link = self._link, None
        if link is None:
            return
        link.proc.join(LINK_EXIT_TIMEOUT if not self._stops else 1)
        if link.proc.is_alive():
            link.proc.kill()  # its actors end with it (Ray ends the actors of a driver that is gone)
            link.proc.join(5)
        link.conn.close()

    def _on_message(self, link: _LinkProc, msg: tuple) -> None:
        kind = msg[0]
        if kind == "connected":
            link.connected = True
        elif kind == "reply":
            self._on_reply(link, self._states[msg[1]], msg[2])
        elif kind == "lost":
            gs = self._states[msg[1]]
            gs.restarts, gs.lost_at = msg[3], gs.lost_at or time.monotonic()
            log.warning("%s lost (%s); starting it again after the last written frames", group_label(gs.group),
                        redact(msg[2]))
        elif kind == "gone":
            self._fail(self._states[msg[1]], RemoteError(redact(msg[2]), msg[3]))
        elif kind == "fatal":
            if not link.connected and self._links == 1:  # the cluster is not there (or Ray refuses us)
                raise RemoteError(msg[1], msg[2])
            self._link_died(link, first_line(msg[1]))
        elif kind == "actor":
            self._actors[msg[1]] = msg[2]
        elif kind == "spares":
            self._spares = list(msg[1])
        elif kind == "finished":
            for gs in self._states.values():
                gs.done = True

    def _fail(self, gs: _Group, err: RemoteError) -> None:
        gs.done, gs.failure = True, err
        if not all(g.done for g in self._states.values()):
            log.warning("%s stopped; the other groups go on", gs.group.name)

    # ------------------------------------------------------------------ results

    def _on_reply(self, link: _LinkProc, gs: _Group, reply: Reply) -> None:
        written = 0
        for rec in reply.records:
            try:
                written += self.cameras[rec.camera].write(rec)
            except YolotrackError:
                raise
            except Exception as e:
                raise PipelineError(f"sink for camera {rec.camera}", f"{type(e).__name__}: {e}") from e
        if written and gs.lost_at is not None:
            # a warning like the loss it ends: under --quiet the two lines say how long it took
            log.warning("%s back %.1f s after it was lost", group_label(gs.group), time.monotonic() - gs.lost_at)
            gs.lost_at = None
        if reply.stats is not None:
            for name in gs.group.names:
                cam = self.cameras[name]
                if cam.opened:
                    for s in cam.sinks:
                        fn = getattr(s, "write_stats", None)
                        if fn is not None:
                            fn(reply.stats)
        if reply.done:
            gs.done = True
            log.info("%s finished", group_label(gs.group))
        with contextlib.suppress(OSError):  # the link is gone: the loop notices
            link.conn.send(("ack", gs.group.name, {n: self.cameras[n].commit for n in gs.group.names}))

    # ------------------------------------------------------------------ stopping

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self._stops += 1
        name = signal.Signals(signum).name
        if self._stops == 1:
            log.info("%s: stopping capture, draining frames in flight", name)
            self._stop_at = time.monotonic()
        else:
            log.warning("%s again: stopping now", name)
        if self._link is not None:
            with contextlib.suppress(OSError):
                self._link.conn.send(("stop", self._stops == 1))

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
