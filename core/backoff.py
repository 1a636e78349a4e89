"""The one reconnect back-off: how long to wait before the next attempt after a run of failures.

Camera reconnects (`pipeline/sources.py`), the MQTT sender and the webhook sender all retry the
same way: the first retry after `initial` seconds, each next one twice as long, never longer
than `maximum`, and back to `initial` once an attempt succeeds (the caller counts the failures
in a row and resets them).
"""

from __future__ import annotations


def backoff_delay(attempt: int, initial: float, maximum: float) -> float:
    """Seconds to wait after the `attempt`-th failure in a row (1 for the first)."""
    return min(initial * 2 ** (max(attempt, 1) - 1), maximum)
