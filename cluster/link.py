"""The driver's connection to Ray, in a process of its own: the group actors, their polls, restarts, warm spares.

Why a process: Ray ends a driver whose node's raylet dies, from C++ and without a Python exception
(its object-store connection breaks and the core worker exits the process). A raylet dies with
its agents (SIGKILL of `ray::DashboardAgent` takes it along) and when the GCS declares its node
dead (missed heartbeats on a loaded machine). The sinks and the commit points therefore live in
the parent (`driver.py`); when a link dies, the parent starts another, whose new actors go on
from the commit points, so nothing is lost or written twice.

Inside a link, any Ray error on a group's call (actor died, worker crashed, node dead, object
lost) and a poll left unanswered for `cluster.hang_timeout` seconds mean "this group is lost": the
old actor is killed and a warm spare (an actor that has already imported everything and built the
detector, `cluster.spares` of them) or a new actor starts the group again from the commit points,
up to `cluster.max_restarts` times. Actors are never restarted by Ray itself (`max_restarts=0`): one
path for every kind of loss.

The actors are detached and named in the run's namespace: a link that dies leaves them running,
and the next link finds them by name (`ray.get_actor`) and goes on polling them, so losing the
link costs only the seconds a new one needs to connect. An actor ends itself when no link has
called it for a while (its lease), so a driver gone for good leaves nothing behind.

Messages, parent -> link: ("ack", group, {camera: Commit}) after writing a reply, ("stop", drain).
Link -> parent: ("connected",), ("reply", group, Reply), ("lost", group, reason, restarts),
("gone", group, message, exit code) (restarts used up, not placed, or the group itself failed),
("actor", group, name), ("spares", [names]), ("finished",).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from yolotrack.cluster.groups import CameraGroup
from yolotrack.cluster.records import Commit, Reply, StartInfo
from yolotrack.core.config import ClusterConfig
from yolotrack.core.errors import YolotrackError

log = logging.getLogger("yolotrack.cluster.driver")

POLL_TIMEOUT = 0.5  # seconds an actor holds a poll open waiting for results
WAIT_STEP = 0.05  # seconds between looks at the parent's messages while calls are out
SPARE_FAILURES = 3  # spares that may die before the link stops replacing them
KEEPALIVE = 10.0  # seconds between calls that tell an idle spare its driver is still there
PROBE_EVERY = 2.0  # seconds between liveness calls to an actor whose start is still running


@dataclass
class LinkPlan:
    """Everything a link needs, from the parent (picklable: the link is a spawned process)."""

    address: str
    groups: list[CameraGroup]
    cluster: ClusterConfig
    commits: dict[str, Commit]
    live: set[str]  # cameras that resume live (not replayable)
    images: set[str]  # cameras whose records carry the image
    restarts: dict[str, int]  # group -> restarts so far (across links)
    done: set[str]  # groups that need nothing more
    stops: int = 0  # stop signals the parent has had
    level: int = logging.INFO
    namespace: str = ""  # the run's Ray namespace: where its named actors are found again
    actors: dict[str, str] = field(default_factory=dict)  # group -> its actor's name (from an earlier link)
    spares: list[str] = field(default_factory=list)  # names of warm spares an earlier link made


@dataclass
class _Slot:
    group: CameraGroup
    restarts: int
    actor: Any = None
    ref: Any = None  # the one outstanding call
    call: str = ""  # start | poll
    state: str = "starting"  # starting | running | waiting (for the parent's ack) | done
    since: float = field(default_factory=time.monotonic)  # of the current start, or of the outstanding poll
    stop_sent: bool = False
    placed: bool = False  # its actor was running before this start (found by name, or a ready spare)
    probe: Any = None  # an outstanding liveness call (`keepalive`) while the start runs
    probe_at: float = 0.0  # when it was sent
    answered: bool = False  # the actor answered a liveness call during this start: it was placed and lives

    @property
    def label(self) -> str:
        return group_label(self.group)


@dataclass
class _Spare:
    actor: Any
    name: str
    ref: Any  # its `warm` (or `keepalive`) call; None once it answered
    ready: bool = False  # it answered
    warmed: bool = False  # it answered `warm`: its detector is built, a start is quick
    pinged: float = field(default_factory=time.monotonic)


def group_label(group: CameraGroup) -> str:
    return f"{group.name} (cameras {', '.join(group.names)})"


def first_line(err: BaseException | str) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def link_main(conn: Any, plan: LinkPlan) -> None:
    """The link process: stop signals come from the parent only (a terminal's Ctrl-C reaches both)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=plan.level, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        datefmt="%H:%M:%S", stream=sys.stderr, force=True)
    try:
        _Link(conn, plan).run()
    except (EOFError, BrokenPipeError):  # the parent is gone: so is the run
        return
    except YolotrackError as e:
        conn.send(("fatal", str(e), e.exit_code))
    except Exception as e:  # noqa: BLE001 - one line for the parent, which decides what it means
        conn.send(("fatal", f"{type(e).__name__}: {first_line(e)}", 1))


class _Link:
    def __init__(self, conn: Any, plan: LinkPlan) -> None:
        self.conn = conn
        self.plan = plan
        self.c = plan.cluster
        self.commits = dict(plan.commits)
        self.stops = plan.stops
        self.slots = [_Slot(g, plan.restarts.get(g.name, 0)) for g in plan.groups if g.name not in plan.done]
        self.spares: list[_Spare] = []
        self.spare_failures = 0
        self.ray: Any = None
        self.actor_cls: Any = None

    # ------------------------------------------------------------------ the loop

    def run(self) -> None:
        from yolotrack.cluster.actor import CameraGroupActor
        from yolotrack.cluster.ray_connect import connect, import_ray

        self.ray = ray = import_ray()
        connect(ray, self.plan.address, self.plan.namespace or None)
        self.conn.send(("connected",))
        self.actor_cls = ray.remote(CameraGroupActor)
        for name in self.plan.spares:
            found = self._find(name)
            if found is not None:
                self.spares.append(_Spare(found[0], name, found[0].keepalive.remote()))
        self._spares_changed()
        for slot in self.slots:
            name = self.plan.actors.get(slot.group.name)
            found = self._find(name) if name else None
            if name and found is None:  # it died with the link's node, or while no link was there
                self._lost(slot, "its actor was gone when the driver reconnected")
                continue
            self._assign(slot, found or self._new_actor(), placed=found is not None)
            self._start(slot)
        while any(s.state != "done" for s in self.slots):
            while self.conn.poll(0):
                self._on_message(self.conn.recv())
            self._top_up_spares()
            self._ping_spares()
            self._probe_starts()
            refs = {s.ref: s for s in self.slots if s.ref is not None}
            refs.update({sp.ref: sp for sp in self.spares if sp.ref is not None})
            probes = {s.probe: s for s in self.slots if s.probe is not None}
            refs.update(probes)
            if not refs:
                self.conn.poll(WAIT_STEP)
            else:
                ready, _ = ray.wait(list(refs), num_returns=1, timeout=WAIT_STEP)
                if ready:
                    rest = [r for r in refs if r not in ready]
                    more, _ = ray.wait(rest, num_returns=len(rest), timeout=0) if rest else ([], [])
                    for ref in ready + more:
                        if ref in probes:
                            self._on_probe(probes[ref], ref)
                        else:
                            self._on_ready(refs[ref], ref)
            self._check_deadlines()
        for sp in self.spares:
            self._kill(sp.actor)
        self.spares = []
        self._spares_changed()
        self.conn.send(("finished",))

    def _on_message(self, msg: tuple) -> None:
        if msg[0] == "ack":
            _, name, commits = msg
            self.commits.update(commits)
            slot = next((s for s in self.slots if s.group.name == name), None)
            if slot is not None and slot.state == "waiting":
                self._poll(slot)
        elif msg[0] == "stop":
            self.stops += 1
            for slot in self.slots:
                self._send_stop(slot, drain=msg[1])
            for sp in self.spares:
                self._kill(sp.actor)
            self.spares = []
            self._spares_changed()

    def _on_ready(self, owner: _Slot | _Spare, ref: Any) -> None:
        if isinstance(owner, _Spare):
            owner.ref = None
            try:
                info: StartInfo | None = self.ray.get(ref)  # warm: StartInfo; keepalive: None
                owner.ready = info is None or info.error is None
                owner.warmed = owner.warmed or (info is not None and info.error is None)
            except Exception as e:  # noqa: BLE001 - any Ray error: this spare is no good
                log.info("a warm spare actor was lost (%s)", first_line(e))
                owner.ready = False
            if not owner.ready and owner in self.spares:  # (a spare taken for a group is the group's now)
                self.spare_failures += 1
                self._kill(owner.actor)
                self.spares.remove(owner)
                self._spares_changed()
            return
        owner.ref = None
        try:
            value = self.ray.get(ref)
        except Exception as e:  # noqa: BLE001 - every Ray error of a group's call: the group is lost
            if self.stops > 1:  # stopping at once: a group that is gone is done
                owner.state = "done"
                self._kill(owner.actor)
                return
            self._lost(owner, first_line(e))
            return
        if owner.call == "start":
            self._on_start(owner, value)
        else:
            self._on_poll(owner, value)

    # ------------------------------------------------------------------ starts and restarts

    def _new_actor(self) -> tuple[Any, str]:
        from yolotrack.cluster.actor import CONCURRENCY

        name = f"yolotrack-{uuid.uuid4().hex[:12]}"
        lease = max(60.0, 2 * self.c.hang_timeout)
        actor = self.actor_cls.options(
            name=name, lifetime="detached", num_cpus=self.c.num_cpus, num_gpus=self.c.num_gpus, max_restarts=0,
            max_task_retries=0, max_concurrency=CONCURRENCY, scheduling_strategy="SPREAD").remote(
            self.c.checkpoint_every, self.c.outbox, self.plan.level, lease)
        return actor, name

    def _find(self, name: str) -> tuple[Any, str] | None:
        """A named actor of this run that an earlier link made, if it is still alive."""
        try:
            return self.ray.get_actor(name), name
        except Exception:  # noqa: BLE001 - gone (ValueError), or its node is
            return None

    def _assign(self, slot: _Slot, actor: tuple[Any, str], placed: bool = False) -> None:
        slot.actor, name = actor
        slot.placed = placed
        self.conn.send(("actor", slot.group.name, name))

    def _spares_changed(self) -> None:
        self.conn.send(("spares", [sp.name for sp in self.spares]))

    def _ping_spares(self) -> None:
        now = time.monotonic()
        for sp in self.spares:
            if sp.ref is None and now - sp.pinged > KEEPALIVE:
                sp.ref, sp.pinged = sp.actor.keepalive.remote(), now

    def _probe_starts(self) -> None:
        """A start builds the pipeline (imports, detector) and may take long; a liveness call beside it
        tells a slow start from an actor whose node stopped answering (only the latter is a loss)."""
        now = time.monotonic()
        for slot in self.slots:
            if slot.state == "starting" and slot.probe is None and now - slot.probe_at > PROBE_EVERY:
                slot.probe, slot.probe_at = slot.actor.keepalive.remote(), now

    def _on_probe(self, slot: _Slot, ref: Any) -> None:
        slot.probe = None
        try:
            self.ray.get(ref)
            slot.answered = True
        except Exception:  # noqa: BLE001 - the start call reports the actor's loss itself
            pass

    def _top_up_spares(self) -> None:
        """Spares are made once no group is starting (they would compete with it for the CPU)."""
        if self.stops or any(s.state == "starting" for s in self.slots) or self.spare_failures >= SPARE_FAILURES:
            return
        groups = [s.group for s in self.slots if s.state != "done"]
        if groups and len(self.spares) < self.c.spares:
            while len(self.spares) < self.c.spares:
                actor, name = self._new_actor()
                self.spares.append(_Spare(actor, name, actor.warm.remote(groups[0])))
            self._spares_changed()

    def _take_spare(self) -> _Spare | None:
        if not self.spares:
            return None
        self.spares.sort(key=lambda sp: (not sp.warmed, not sp.ready))
        sp = self.spares.pop(0)
        self._spares_changed()
        return sp

    def _start(self, slot: _Slot) -> None:
        now = time.monotonic()
        names = slot.group.names
        resume = {n: self.commits[n].resume(n in self.plan.live, now) for n in names if self.commits[n].started}
        images = {n for n in names if n in self.plan.images}
        slot.state, slot.since, slot.stop_sent = "starting", now, False
        # the first liveness call goes with the start: it is answered as soon as the actor exists
        slot.probe, slot.probe_at, slot.answered = slot.actor.keepalive.remote(), now, False
        slot.ref, slot.call = slot.actor.start.remote(slot.group, resume, images), "start"

    def _on_start(self, slot: _Slot, info: StartInfo) -> None:
        if info.error is not None:
            self._gone(slot, f"{slot.group.name}: {info.error}", info.exit_code)
            return
        if not info.already_running:
            log.info("%s running on node %s, pid %d%s", slot.label, info.node, info.pid,
                     f" (restart {slot.restarts})" if slot.restarts else "")
        slot.state = "running"
        if self.stops:
            self._send_stop(slot, drain=self.stops == 1)
        self._poll(slot)

    def _lost(self, slot: _Slot, reason: str) -> None:
        """Kill what is left of the actor and start the group again on a spare or a new actor."""
        self._kill(slot.actor)
        limit = self.c.max_restarts
        if limit >= 0 and slot.restarts >= limit:
            self._gone(slot, f"{slot.label} died and cannot be restarted (cluster.max_restarts={limit}, "
                             f"restarted {slot.restarts} time(s)): {reason}")
            return
        slot.restarts += 1
        self.conn.send(("lost", slot.group.name, reason, slot.restarts))
        if self.stops:  # stopping: what it had not delivered is not waited for
            slot.state = "done"
            return
        spare = self._take_spare()
        self._assign(slot, (spare.actor, spare.name) if spare else self._new_actor(), bool(spare and spare.warmed))
        self._start(slot)

    def _gone(self, slot: _Slot, message: str, exit_code: int = 1) -> None:
        self._kill(slot.actor)
        slot.state, slot.ref = "done", None
        self.conn.send(("gone", slot.group.name, message, exit_code))

    def _kill(self, actor: Any) -> None:
        with contextlib.suppress(Exception):  # already dead, or its node is: nothing left to end
            self.ray.kill(actor, no_restart=True)

    def _check_deadlines(self) -> None:
        now = time.monotonic()
        for slot in self.slots:
            if slot.state == "starting" and self.c.hang_timeout and (
                    (slot.placed and now - slot.since > POLL_TIMEOUT + self.c.hang_timeout)
                    or (slot.answered and slot.probe is not None
                        and now - slot.probe_at > POLL_TIMEOUT + self.c.hang_timeout)):
                # a running actor answers a start at once, and a starting one its liveness calls: its node
                # stopped answering (or is gone, though Ray has not said so yet)
                self._lost(slot, f"its actor did not answer for {self.c.hang_timeout:g} s (cluster.hang_timeout)")
            elif slot.state == "starting" and self.c.start_timeout and now - slot.since > self.c.start_timeout:
                c = self.c
                self._gone(slot, f"{slot.label} was not placed or restarted within {c.start_timeout:g} s: no node "
                                 f"has {c.num_cpus:g} CPU and {c.num_gpus:g} GPU free, or the cluster is unreachable "
                                 "(`ray status` shows what is free; see cluster.num_cpus, cluster.num_gpus)")
            elif (slot.state == "running" and slot.call == "poll" and slot.ref is not None and self.c.hang_timeout
                  and now - slot.since > POLL_TIMEOUT + self.c.hang_timeout):
                self._lost(slot, f"its actor did not answer for {self.c.hang_timeout:g} s (cluster.hang_timeout)")

    # ------------------------------------------------------------------ results

    def _poll(self, slot: _Slot) -> None:
        acks = {name: self.commits[name].after for name in slot.group.names}
        slot.state, slot.since = "running", time.monotonic()
        slot.ref, slot.call = slot.actor.poll.remote(acks, POLL_TIMEOUT), "poll"

    def _on_poll(self, slot: _Slot, reply: Reply) -> None:
        self.conn.send(("reply", slot.group.name, reply))
        if reply.error is not None:
            self._gone(slot, f"{slot.group.name}: {reply.error}", reply.exit_code)
        elif reply.done:
            slot.state = "done"
            self._kill(slot.actor)
        else:
            slot.state = "waiting"  # polled again once the parent has written this reply

    def _send_stop(self, slot: _Slot, drain: bool) -> None:
        if slot.state in ("running", "waiting") and (not slot.stop_sent or not drain):
            slot.actor.stop.remote(drain)
            slot.stop_sent = True
