"""One human line per source from its counts: what `yolotrack run` logs periodically."""

from __future__ import annotations

from yolotrack.analytics.tally import CountSnapshot


def counts_line(snap: CountSnapshot) -> str:
    """`source 0 (door cam): door in 3 out 2; bay 2 inside (max 3, 5 entries, mean dwell 4.2 s)`."""
    parts = [f"{c.name} in {c.in_count} out {c.out_count}" for c in snap.lines]
    for z in snap.zones:
        dwell = f", mean dwell {z.mean_dwell_s:.1f} s" if z.mean_dwell_s is not None else ""
        parts.append(f"{z.name} {z.occupancy} inside (max {z.max_occupancy}, {z.entries} entries{dwell})")
    who = f"source {snap.source}" + (f" ({snap.camera})" if snap.camera else "")
    return f"{who}: {'; '.join(parts) if parts else 'no lines or zones'}"
