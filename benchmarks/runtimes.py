"""Forward ms per runtime (torch, torch channels_last, ONNX Runtime, OpenVINO) at several input sizes.

Rounds are interleaved (A B C A B C ...) so a noisy neighbour on a shared machine slows every
runtime alike and the ratios stay comparable; the median per runtime is reported.

    .venv/bin/python benchmarks/runtimes.py --weights ../shared/fixtures/ultralytics_yolo12n.pt \
        --sizes 640x640 384x640 --threads 2 --rounds 5 --iters 10
"""

from __future__ import annotations

import argparse
import logging
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

from yolotrack.detector import load_model
from yolotrack.detector.runtimes import create_runtime
from yolotrack.detector.runtimes.base import RuntimeSpec
from yolotrack.detector.runtimes.torch_runtime import TorchRuntime


def parse_size(text: str) -> tuple[int, int]:
    h, _, w = text.lower().partition("x")
    return int(h), int(w or h)


def versions() -> str:
    parts = [f"python {platform.python_version()}", f"torch {torch.__version__}"]
    for mod in ("onnxruntime", "openvino"):
        try:
            m = __import__(mod)
            parts.append(f"{mod} {getattr(m, '__version__', '?')}")
        except ImportError:
            parts.append(f"{mod} missing")
    return ", ".join(parts)


def main() -> int:
    fixture = Path(__file__).resolve().parents[2] / "shared/fixtures/ultralytics_yolo12n.pt"
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", default=str(fixture))
    ap.add_argument("--sizes", nargs="+", default=["640x640", "384x640"])
    ap.add_argument("--runtimes", nargs="+", default=["torch", "torch-cl", "onnxruntime", "openvino"],
                    help="torch, torch-cl (channels_last), torch-compile, onnxruntime, openvino; "
                         "NAME@N runs it with N threads (e.g. openvino@1 openvino@2) in the same interleaved run")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--iters", type=int, default=10, help="forwards per round")
    ap.add_argument("--cache-dir", default=None, help="export cache (default: a temp dir, so exports are timed)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(args.threads)
    cache = Path(args.cache_dir) if args.cache_dir else Path(tempfile.mkdtemp(prefix="yt-rt-"))
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.machine()}, "
          f"{platform.processor() or '?'}, {versions()}, threads {args.threads}, batch {args.batch}")
    for size in args.sizes:
        hw = parse_size(size)
        model = load_model(args.weights, device="cpu")
        x = torch.rand(args.batch, 3, *hw)
        runners = {}
        threads: dict[str, int] = {}
        for name in args.runtimes:
            kind, _, n = name.partition("@")
            threads[name] = int(n) if n else args.threads
            torch.set_num_threads(threads[name])
            t0 = time.perf_counter()
            if kind.startswith("torch-"):
                spec = RuntimeSpec(imgsz=hw, batch=args.batch, threads=threads[name])
                rt = TorchRuntime(load_model(args.weights, device="cpu"), spec,
                                  channels_last=kind == "torch-cl", compile=kind == "torch-compile")
            else:
                rt = create_runtime(model, kind, hw, args.batch, "cpu", args.weights, threads[name], cache)
            for _ in range(3):
                rt(x)  # warm-up (and torch.compile's compilation)
            print(f"{size} {name:12s} build+warm-up {time.perf_counter() - t0:6.1f} s", flush=True)
            runners[name] = rt
        times: dict[str, list[float]] = {n: [] for n in runners}
        for _ in range(args.rounds):
            for name, rt in runners.items():
                torch.set_num_threads(threads[name])  # torch's pool is global; ORT/OpenVINO keep their own
                t0 = time.perf_counter()
                for _ in range(args.iters):
                    rt(x)
                times[name].append((time.perf_counter() - t0) * 1e3 / args.iters)
        base = statistics.median(times[args.runtimes[0]])
        ref = "vs " + args.runtimes[0]
        print(f"{'size':9s} {'runtime':12s} {'median ms':>9s} {'min ms':>8s} {'fps':>6s} {ref:>9s}")
        for name, ts in times.items():
            med = statistics.median(ts)
            print(f"{size:9s} {name:12s} {med:9.1f} {min(ts):8.1f} {1e3 * args.batch / med:6.1f} {base / med:8.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
