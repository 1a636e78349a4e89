"""Ultralytics `model.track()` fps on a clip: the reference side of `benchmarks/e2e.py` and `benchmarks/cpu_speed.py`.

Runs only in a separate venv that has `ultralytics` (never a dependency of this project):

    python -m venv /tmp/ulv && /tmp/ulv/bin/pip install torch==2.14.1 torchvision==0.29.1 ultralytics lap
    /tmp/ulv/bin/python benchmarks/ultralytics_track.py WEIGHTS.pt CLIP.mp4 --imgsz 640 --threads 2

`--export openvino` / `openvino-int8` first makes Ultralytics' own OpenVINO export of the weights
(`YOLO(w).export(format="openvino", int8=...)`, int8 calibrated by NNCF on `--calib-images`) in
`--export-dir` and prints its path; `WEIGHTS` may then be that exported folder. `--no-warmup` times
nothing itself: the caller times the whole process. Prints one JSON line: frames, seconds, fps, versions.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import time
from pathlib import Path


def export(weights: str, kind: str, imgsz: int, out_dir: Path, calib_images: str | None) -> str:
    from ultralytics import YOLO

    out_dir.mkdir(parents=True, exist_ok=True)
    local = out_dir / Path(weights).name  # Ultralytics writes beside the weights: never beside ours
    shutil.copy(weights, local)
    model = YOLO(str(local))
    kw = {}
    if kind == "openvino-int8":
        if not calib_images:
            raise SystemExit("--calib-images is needed for an int8 export")
        data = out_dir / "calib.yaml"
        names = "\n".join(f"  {i}: '{n}'" for i, n in model.names.items())
        data.write_text(f"path: {Path(calib_images).resolve()}\ntrain: .\nval: .\nnames:\n{names}\n")
        kw = {"int8": True, "data": str(data)}
    return str(model.export(format="openvino", imgsz=imgsz, **kw))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("weights")
    ap.add_argument("clip")
    ap.add_argument("--imgsz", type=int, default=640)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--export", choices=("openvino", "openvino-int8"))
    ap.add_argument("--export-dir", default="ultralytics-exports")
    ap.add_argument("--calib-images")
    ap.add_argument("--no-warmup", action="store_true")
    args = ap.parse_args()

    import torch
    import ultralytics
    from ultralytics import YOLO

    torch.set_num_threads(args.threads)
    if args.export:
        print(json.dumps({"exported": export(args.weights, args.export, args.imgsz, Path(args.export_dir),
                                             args.calib_images)}))
        return
    task = {} if args.weights.endswith(".pt") else {"task": "detect"}
    if not args.no_warmup:
        # warm-up on the first frames, outside the timed run (as ours builds its model before timing)
        model = YOLO(args.weights, **task)
        for i, _ in enumerate(model.track(source=args.clip, imgsz=args.imgsz, tracker="bytetrack.yaml", stream=True,
                                          verbose=False, device="cpu")):
            if i == 2:
                break
    model = YOLO(args.weights, **task)
    t0 = time.perf_counter()
    frames = sum(1 for _ in model.track(source=args.clip, imgsz=args.imgsz, tracker="bytetrack.yaml", stream=True,
                                        verbose=False, device="cpu"))
    secs = time.perf_counter() - t0
    print(json.dumps({"frames": frames, "seconds": secs, "fps": frames / secs, "ultralytics": ultralytics.__version__,
                      "torch": torch.__version__, "threads": torch.get_num_threads(),
                      "python": platform.python_version()}))


if __name__ == "__main__":
    main()
