"""Two camera groups' detectors in one process: forwards at once (each with its share of the cores)
against taking turns on one thread (what every detector call did before: the torch thread).

Each round builds two detectors on the exported CPU runtime and runs `--forwards` forwards of one
frame in each of two threads: "overlap" calls them where they are (as `run --cameras` does now, each
runtime with `cores / 2` threads), "one thread" sends both through `detector/torch_thread.py` (each
runtime with every core, as before). Modes alternate, so load from neighbours hits both alike.

    .venv/bin/python benchmarks/overlap.py --rounds 3 --forwards 60 --stall 2

`--stall`: while one detector runs forwards, a second one is built for a new input shape (export +
compile, what a model load or a new camera size costs); the running one's longest wait is printed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


def run_mode(mode: str, weights: str, imgsz: int, runtime: str, forwards: int) -> float:
    """Forwards per second over both detectors."""
    from yolotrack.detector import Detector, torch_thread
    from yolotrack.detector.runtimes.threads import cpu_count

    threads = max(1, cpu_count() // 2) if mode == "overlap" else None
    dets = [Detector(weights, imgsz=imgsz, runtime=runtime, threads=threads) for _ in range(2)]
    frame = np.random.default_rng(0).integers(0, 255, (480, 640, 3), dtype=np.uint8)
    for d in dets:
        d.warmup([frame.shape[:2]])

    def work(d: Detector) -> None:
        for _ in range(forwards):
            if mode == "overlap":
                d([frame])
            else:
                torch_thread.run(d, [frame])

    t0 = time.perf_counter()
    ts = [threading.Thread(target=work, args=(d,)) for d in dets]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return 2 * forwards / (time.perf_counter() - t0)


def stall(mode: str, weights: str, imgsz: int, runtime: str, size: tuple[int, int]) -> tuple[float, float]:
    """A running detector's longest wait between forwards while a second detector is built for a
    frame size never seen (an ONNX export on the torch thread, then the compile), and that build's
    seconds. "one thread" builds and runs everything on the torch thread, as before."""
    from yolotrack.detector import Detector, torch_thread

    det = Detector(weights, imgsz=imgsz, runtime=runtime)
    frame = np.zeros((480, 640, 3), np.uint8)
    det.warmup([frame.shape[:2]])
    done = threading.Event()
    gaps: list[float] = []

    def forwards() -> None:
        last = time.perf_counter()
        while not done.is_set():
            det([frame]) if mode == "overlap" else torch_thread.run(det, [frame])
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    t = threading.Thread(target=forwards)
    t.start()
    time.sleep(1.0)
    t0 = time.perf_counter()

    def build() -> None:
        Detector(weights, imgsz=imgsz, runtime=runtime).warmup([size])

    if mode == "overlap":
        build()
    else:
        torch_thread.run(build)
    took = time.perf_counter() - t0
    time.sleep(0.5)
    done.set()
    t.join()
    return max(gaps), took


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--forwards", type=int, default=60)
    ap.add_argument("--weights", default=str(REPO.parent / "shared" / "fixtures" / "ultralytics_yolo12n.pt"))
    ap.add_argument("--imgsz", type=int, default=320)
    ap.add_argument("--runtime", default="openvino")
    ap.add_argument("--stall", type=int, default=0, help="rounds of the model-build stall measure (each: both modes)")
    a = ap.parse_args()
    # a cache of this run's own: every shape below is exported and compiled here, none found ready
    cache = tempfile.mkdtemp(prefix="yt-overlap-")
    os.environ["XDG_CACHE_HOME"] = cache
    try:
        return measure(a)
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def measure(a: argparse.Namespace) -> int:
    res: dict[str, list[float]] = {"overlap": [], "one thread": []}
    for r in range(a.rounds):
        order = ["overlap", "one thread"] if r % 2 == 0 else ["one thread", "overlap"]
        for mode in order:
            fps = run_mode(mode, a.weights, a.imgsz, a.runtime, a.forwards)
            res[mode].append(fps)
            print(f"round {r} {mode}: {fps:.1f} forwards/s", flush=True)
    ratio = [o / s for o, s in zip(res["overlap"], res["one thread"], strict=True)]
    if ratio:
        print(f"overlap / one thread, per round: {', '.join(f'{x:.2f}' for x in ratio)} "
              f"(median {statistics.median(ratio):.2f})")
    if a.stall:
        for r, mode in enumerate(["overlap", "one thread", "overlap", "one thread"][: 2 * a.stall]):
            size = [(360, 640), (420, 640), (540, 640), (600, 640)][r]  # an input shape not built before
            gap, took = stall(mode, a.weights, a.imgsz, a.runtime, size)
            print(f"stall {mode}: longest wait between forwards {gap:.2f} s while another detector was "
                  f"built in {took:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
