"""Ultralytics `model.track()` fps on a clip: the reference side of `benchmarks/e2e.py --ultralytics-python`.

Runs only in a separate venv that has `ultralytics` (never a dependency of this project):

    python -m venv /tmp/ulv && /tmp/ulv/bin/pip install torch==2.14.1 torchvision==0.29.1 ultralytics lap
    /tmp/ulv/bin/python benchmarks/ultralytics_track.py WEIGHTS.pt CLIP.mp4 --imgsz 640 --threads 2

Prints one JSON line: frames, seconds, fps, versions.
"""

from __future__ import annotations

import argparse
import json
import platform
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("weights")
    ap.add_argument("clip")
    ap.add_argument("--imgsz", type=int, default=640)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    import torch
    import ultralytics
    from ultralytics import YOLO

    torch.set_num_threads(args.threads)
    model = YOLO(args.weights)
    # warm-up on the first frames, outside the timed run (as ours builds its model before timing)
    for i, _ in enumerate(model.track(source=args.clip, imgsz=args.imgsz, tracker="bytetrack.yaml", stream=True,
                                      verbose=False, device="cpu")):
        if i == 2:
            break
    model = YOLO(args.weights)
    t0 = time.perf_counter()
    frames = sum(1 for _ in model.track(source=args.clip, imgsz=args.imgsz, tracker="bytetrack.yaml", stream=True,
                                        verbose=False, device="cpu"))
    secs = time.perf_counter() - t0
    print(json.dumps({"frames": frames, "seconds": secs, "fps": frames / secs, "ultralytics": ultralytics.__version__,
                      "torch": torch.__version__, "threads": torch.get_num_threads(),
                      "python": platform.python_version()}))


if __name__ == "__main__":
    main()
