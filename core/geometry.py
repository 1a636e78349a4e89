"""Checks on user-drawn shapes (counting lines, zone polygons), in plain Python.

The config loader rejects a shape that cannot be counted against before any camera starts: a
line must have two distinct end points, a polygon at least three corners, an area, and edges
that do not cross each other (a bow-tie has no well-defined inside). The numpy code that counts
(`analytics/`) relies on these guarantees and does not check them again.
"""

from __future__ import annotations

from collections.abc import Sequence

Point = Sequence[float]


def cross(o: Point, a: Point, b: Point) -> float:
    """z of (a - o) x (b - o): > 0 when b is to the right of o->a in image coordinates (y down)."""
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def polygon_area(poly: Sequence[Point]) -> float:
    """Unsigned area (shoelace)."""
    s = 0.0
    for i in range(len(poly)):
        x1, y1 = poly[i][0], poly[i][1]
        x2, y2 = poly[(i + 1) % len(poly)][0], poly[(i + 1) % len(poly)][1]
        s += x1 * y2 - x2 * y1
    return abs(s) / 2.0


def _on_segment(p: Point, a: Point, b: Point) -> bool:
    return min(a[0], b[0]) <= p[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= p[1] <= max(a[1], b[1])


def segments_intersect(p1: Point, p2: Point, q1: Point, q2: Point) -> bool:
    """True when the closed segments p1-p2 and q1-q2 share a point (touching counts)."""
    d1, d2 = cross(q1, q2, p1), cross(q1, q2, p2)
    d3, d4 = cross(p1, p2, q1), cross(p1, p2, q2)
    if ((d1 > 0 > d2) or (d1 < 0 < d2)) and ((d3 > 0 > d4) or (d3 < 0 < d4)):
        return True
    return ((d1 == 0 and _on_segment(p1, q1, q2)) or (d2 == 0 and _on_segment(p2, q1, q2))
            or (d3 == 0 and _on_segment(q1, p1, p2)) or (d4 == 0 and _on_segment(q2, p1, p2)))


def line_problem(points: Sequence[Point]) -> str | None:
    """Why `points` cannot be a counting line, or None when it can."""
    if len(points) != 2:
        return f"a line needs exactly 2 points [[x1, y1], [x2, y2]], got {len(points)}"
    bad = _bad_point(points)
    if bad:
        return bad
    (x1, y1), (x2, y2) = points[0][:2], points[1][:2]
    if x1 == x2 and y1 == y2:
        return f"the line has zero length (both points are [{x1:g}, {y1:g}])"
    return None


def polygon_problem(points: Sequence[Point]) -> str | None:
    """Why `points` cannot be a zone, or None when it can (a simple polygon with an area)."""
    if len(points) < 3:
        return f"a polygon needs at least 3 points, got {len(points)}"
    bad = _bad_point(points)
    if bad:
        return bad
    n = len(points)
    for i in range(n):
        if points[i][0] == points[(i + 1) % n][0] and points[i][1] == points[(i + 1) % n][1]:
            return f"points {i + 1} and {(i + 1) % n + 1} are the same, [{points[i][0]:g}, {points[i][1]:g}]"
    if polygon_area(points) <= 1e-9:
        return "the polygon has zero area (its points lie on one line)"
    for i in range(n):
        a1, a2 = points[i], points[(i + 1) % n]
        for j in range(i + 1, n):
            if j == i or (j + 1) % n == i or j == (i + 1) % n:
                continue  # neighbouring edges share a corner
            b1, b2 = points[j], points[(j + 1) % n]
            if segments_intersect(a1, a2, b1, b2):
                return (f"the polygon crosses itself (edge {i + 1}-{(i + 1) % n + 1} meets edge "
                        f"{j + 1}-{(j + 1) % n + 1}); list the corners in order around the zone")
    return None


def _bad_point(points: Sequence[Point]) -> str | None:
    for k, p in enumerate(points):
        if len(p) != 2:
            return f"point {k + 1} must be [x, y], got {list(p)}"
        if any(v != v or v in (float("inf"), float("-inf")) for v in p):
            return f"point {k + 1} is not finite: {list(p)}"
    return None
