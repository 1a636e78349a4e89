"""supervision `LineZone` / `PolygonZone` fed given tracks: the reference side of `benchmarks/counting.py`.

Runs only in a separate venv that has `supervision` (never a dependency of this project), e.g.
`/work/venvs/anchors/bin/python benchmarks/counting_supervision.py tracks.npz`. The npz holds
`lines` (L, 4) and, per track set `k`, `k_frame`, `k_id`, `k_xyxy`, `k_cls` (one row per box);
`--speed` times 10 lines + 10 zones per frame instead (`frames` (F, N, 4), `zones_*`).

Prints one JSON object: per track set, per line, the `in`/`out` counts in yolotrack's convention
(`in` = crossing from the left of p1->p2 to its right, y down). Which LineZone counter that is
gets measured per line with one unambiguous crossing, not assumed.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np


def calibrate(sv, start, end) -> str:
    """The LineZone counter ('in' or 'out') that a crossing from our left to our right increments."""
    a, b = np.array(start, float), np.array(end, float)
    d = b - a
    normal = np.array([-d[1], d[0]]) / np.hypot(*d)  # towards our right (y down)
    mid = (a + b) / 2
    zone = sv.LineZone(start=sv.Point(*a), end=sv.Point(*b))
    for k in range(11):
        c = mid + normal * (-30 + 6 * k)
        det = sv.Detections(xyxy=np.array([[c[0] - 2, c[1] - 2, c[0] + 2, c[1] + 2]]), tracker_id=np.array([1]),
                            class_id=np.array([0]))
        zone.trigger(det)
    assert zone.in_count + zone.out_count == 1, "calibration crossing not counted"
    return "in" if zone.in_count == 1 else "out"


def count(sv, lines, frames, ids, xyxy, cls, anchors) -> list[dict[str, int]]:
    zones = [sv.LineZone(start=sv.Point(x1, y1), end=sv.Point(x2, y2), triggering_anchors=anchors)
             for x1, y1, x2, y2 in lines]
    order = np.argsort(frames, kind="stable")
    frames, ids, xyxy, cls = frames[order], ids[order], xyxy[order], cls[order]
    bounds = np.flatnonzero(np.diff(frames)) + 1
    for sl in np.split(np.arange(len(frames)), bounds):
        if len(sl) == 0:
            continue
        det = sv.Detections(xyxy=xyxy[sl].astype(float), tracker_id=ids[sl].astype(int), class_id=cls[sl].astype(int))
        for z in zones:
            z.trigger(det)
    out = []
    for z, (x1, y1, x2, y2) in zip(zones, lines, strict=True):
        ours_in = calibrate(sv, (x1, y1), (x2, y2))
        ours_out = "out" if ours_in == "in" else "in"
        c = {"in": z.in_count, "out": z.out_count}
        out.append({"in": c[ours_in], "out": c[ours_out]})
    return out


def speed(sv, data, rounds: int) -> dict[str, float]:
    frames = data["frames"]
    lines = [sv.LineZone(start=sv.Point(x1, y1), end=sv.Point(x2, y2)) for x1, y1, x2, y2 in data["lines"]]
    polys = [sv.PolygonZone(polygon=data[f"zone_{k}"].astype(int)) for k in range(int(data["n_zones"]))]
    n = frames.shape[1]
    ids = np.arange(n)
    cls = np.zeros(n, int)
    wall = cpu = float("inf")
    for _ in range(rounds):
        t0, c0 = time.perf_counter(), time.process_time()
        for f in range(len(frames)):
            det = sv.Detections(xyxy=frames[f].astype(float), tracker_id=ids, class_id=cls)
            for z in lines:
                z.trigger(det)
            for p in polys:
                p.trigger(det)
        wall = min(wall, (time.perf_counter() - t0) / len(frames))
        cpu = min(cpu, (time.process_time() - c0) / len(frames))
    return {"ms_per_frame": wall * 1000, "cpu_ms_per_frame": cpu * 1000}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("npz")
    ap.add_argument("--speed", action="store_true")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    import supervision as sv

    data = np.load(args.npz)
    if args.speed:
        print(json.dumps({"supervision": sv.__version__, **speed(sv, data, args.rounds)}))
        return
    lines = data["lines"].tolist()
    sets = sorted({k.rsplit("_", 1)[0] for k in data.files if k.endswith("_frame")})
    out: dict = {"supervision": sv.__version__}
    for s in sets:
        args_ = (data[f"{s}_frame"], data[f"{s}_id"], data[f"{s}_xyxy"], data[f"{s}_cls"])
        out[s] = {"corners": count(sv, lines, *args_, anchors=[sv.Position.TOP_LEFT, sv.Position.TOP_RIGHT,
                                                                 sv.Position.BOTTOM_LEFT, sv.Position.BOTTOM_RIGHT]),
                  "center": count(sv, lines, *args_, anchors=[sv.Position.CENTER])}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
