"""One human line per source from a counts snapshot: what `yolotrack run` logs periodically."""

from __future__ import annotations

from typing import Any


def counts_line(snap: dict[str, Any]) -> str:
    """`source 0 (door cam): door in 3 out 2; bay 2 inside (max 3, 5 entries, mean dwell 4.2 s)`."""
    parts = [f"{name} in {c['in']} out {c['out']}" for name, c in snap.get("lines", {}).items()]
    for name, z in snap.get("zones", {}).items():
        dwell = f", mean dwell {z['mean_dwell_s']:.1f} s" if z.get("mean_dwell_s") is not None else ""
        parts.append(f"{name} {z['occupancy']} inside (max {z['max_occupancy']}, {z['entries']} entries{dwell})")
    who = f"source {snap.get('source', '?')}" + (f" ({snap['camera']})" if snap.get("camera") else "")
    return f"{who}: {'; '.join(parts) if parts else 'no lines or zones'}"
