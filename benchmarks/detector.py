"""Fused CPU/GPU forward time of our YOLOv12 per attention backend, plus Detector per-stage ms.

Usage: python benchmarks/detector.py [--weights PATH|NAME] [--threads 2] [--runs 20]
Prints one line per (backend, layout, input size) with median / min ms and fps.
Reference (issue 9, same machine class, 2 threads): Ultralytics' fused yolo12n forward took
136-160 ms at 640x640 and 64-79 ms at 384x640.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from yolotrack.detector import Detector, load_model, torch_thread
from yolotrack.detector.attention import flash_available

DEFAULT_WEIGHTS = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures" / "ultralytics_yolo12n.pt"
SIZES = ((640, 640), (384, 640))


def time_forward(model: torch.nn.Module, x: torch.Tensor, runs: int, warmup: int = 3) -> list[float]:
    with torch.inference_mode():
        for _ in range(warmup):
            model(x)
        out = []
        for _ in range(runs):
            t = time.perf_counter()
            model(x)
            if x.is_cuda:
                torch.cuda.synchronize()
            out.append((time.perf_counter() - t) * 1e3)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", default=str(DEFAULT_WEIGHTS))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--channels-last", choices=("both", "on", "off"), default="both")
    args = ap.parse_args()
    torch_thread.set_threads(args.threads)
    model = load_model(args.weights, device=args.device, attention="eager")
    dev = next(model.parameters()).device
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, device {dev}, weights {args.weights}")
    backends = ["eager", "sdpa"] + (["flash"] if flash_available() and dev.type == "cuda" else [])
    layouts = {"both": (False, True), "on": (True,), "off": (False,)}[args.channels_last]
    # configurations are interleaved run by run so that load from other processes hits them all alike
    for h, w in SIZES:
        configs = [(b, cl) for b in backends for cl in layouts]
        times: dict[tuple[str, bool], list[float]] = {c: [] for c in configs}
        for i in range(args.runs + 2):
            for backend, cl in configs:
                fmt = torch.channels_last if cl else torch.contiguous_format
                model.set_attention(backend)
                model.to(memory_format=fmt)
                x = torch.rand(1, 3, h, w, device=dev).contiguous(memory_format=fmt)
                ts = time_forward(model, x, 1, warmup=1 if i < 2 else 0)
                if i >= 2:
                    times[(backend, cl)].extend(ts)
        for (backend, cl), ts in times.items():
            med = statistics.median(ts)
            print(f"forward {h}x{w} attention={backend:<5} channels_last={'on ' if cl else 'off'} "
                  f"median {med:7.1f} ms  min {min(ts):7.1f} ms  ({1e3 / med:5.1f} fps)", flush=True)
    model.to(memory_format=torch.contiguous_format)
    model.set_attention("sdpa")
    det = Detector(model, imgsz=640, device=args.device, runtime="torch")
    frame = np.random.default_rng(0).integers(0, 255, (720, 1280, 3), dtype=np.uint8)
    for _ in range(3):
        det([frame])
    stages: dict[str, list[float]] = {"preprocess": [], "inference": [], "postprocess": []}
    for _ in range(args.runs):
        det([frame])
        for k, v in det.last_timing.items():
            stages[k].append(v)
    parts = "  ".join(f"{k} {statistics.median(v):6.1f} ms" for k, v in stages.items())
    total = sum(statistics.median(v) for v in stages.values())
    print(f"Detector 1280x720 frame -> 384x640: {parts}  total {total:.1f} ms ({1e3 / total:.1f} fps)")
    return 0


if __name__ == "__main__":
    raise SystemExit(torch_thread.run(main))  # every torch call on one thread, as a Detector does
