"""Reaching Ray: the optional import with an install hint, the connection with a clear error, and what
`yolotrack info --ray` prints about the cluster."""

from __future__ import annotations

import logging
import socket
from typing import Any

from yolotrack.core.errors import UsageError, YolotrackError

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0  # seconds for the head's port to answer


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise UsageError("Ray is not installed: pip install 'yolotrack[cluster]' (ray[default])") from None
    return ray


def connect(ray: Any, address: str, namespace: str | None = None) -> None:
    """`auto` (the cluster this machine belongs to), `host:port` of the head, `ray://host:port`
    (Ray Client) or `local` (start a throwaway Ray on this machine). The driver's own log lines are
    enough: worker output stays in the cluster's logs (`-vv` forwards it). `namespace`: where named
    actors are found again (a run's next link finds its actors there)."""
    if ray.is_initialized():
        return
    _check_reachable(address)
    verbose = logging.getLogger().getEffectiveLevel() <= logging.DEBUG
    kwargs: dict[str, Any] = {"log_to_driver": verbose, "logging_level": logging.INFO if verbose else logging.WARNING,
                              "configure_logging": verbose}
    if namespace:
        kwargs["namespace"] = namespace
    try:
        if address == "local":
            ray.init(**kwargs)
        else:
            ray.init(address=address, **kwargs)
    except (ConnectionError, RuntimeError, ValueError) as e:
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise YolotrackError(f"cannot reach the Ray cluster at '{address}': {msg}") from None


def _check_reachable(address: str) -> None:
    """Fail in seconds on a head that does not answer: Ray itself retries for minutes."""
    host, sep, port = address.rpartition(":")
    if not sep or "://" in address or not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT).close()
    except OSError as e:
        raise YolotrackError(f"cannot reach the Ray cluster at '{address}': {e.strerror or e} "
                             "(is `ray start --head` running there, and the port open?)") from None


def cluster_lines(address: str) -> list[tuple[str, str]]:
    """(label, value) lines: the cluster's totals, then one line per node with its resources."""
    ray = import_ray()
    connect(ray, address)
    total, free = ray.cluster_resources(), ray.available_resources()

    def res(r: dict[str, float]) -> str:
        parts = [f"{r.get('CPU', 0):g} CPU", f"{r.get('GPU', 0):g} GPU"]
        if r.get("memory"):
            parts.append(f"{r['memory'] / 2**30:.1f} GiB memory")
        return ", ".join(parts)

    lines = [("ray", str(ray.__version__)), ("ray cluster", address),
             ("cluster resources", f"{res(total)} (free: {res(free)})")]
    for i, node in enumerate(sorted(ray.nodes(), key=lambda n: not n.get("Alive"))):
        state = "alive" if node.get("Alive") else "dead"
        head = " head" if node.get("Resources", {}).get("node:__internal_head__") else ""
        where = f"{node.get('NodeManagerAddress', '?')} {state}{head}"
        lines.append((f"node {i}", f"{where}: {res(node.get('Resources', {}))}"))
    return lines
