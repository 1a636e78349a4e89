"""Accuracy and speed of each `model.precision` (and, with --ablation, of each int8 float/quantized split).

For every variant, in its own process:
- mAP50, mAP50-95 (detector at conf 0.001) and IDF1 / MOTA / HOTA (the app's tracker at its defaults)
  on held-out synthetic scenes with exact ground truth (the demo model never saw seeds >= 1000);
- box agreement with fp32 on real frames (`--real VIDEO` with `--real-weights`, e.g. vtest.avi and the
  helmet YOLOv12m; by default the demo clip with the demo model): the share of fp32 boxes found again
  (same class, IoU >= 0.5) and of boxes that have an fp32 twin, the mean IoU of the pairs and the mean
  absolute score difference, at `--real-conf` (the app's 0.25 by default);
- the bare forward (letterboxed uint8 batch in, raw outputs out), median ms, and the one-time
  calibration + quantization seconds.

    .venv/bin/python benchmarks/precision.py                       # fp32, bf16, int8
    .venv/bin/python benchmarks/precision.py --ablation            # + int8 with each structure in float

Variants: `fp32`, `bf16`, `int8` (the shipped float set, quantize.FLOAT), `int8:none` (everything
quantized), `int8:a,b` (structures a and b in float), `int8:all`; a `+nobc` suffix skips NNCF's bias correction.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import make_scenes

from yolotrack.core.assets import DEMO_VIDEO, DEMO_WEIGHTS
from yolotrack.train.metrics import iou_matrix


def parse_variant(v: str) -> tuple[str, tuple[str, ...] | None]:
    from yolotrack.detector.runtimes.quantize import STRUCTURES

    if ":" not in v:
        return v.removesuffix("+nobc"), None
    precision, rest = v.removesuffix("+nobc").split(":", 1)
    if rest == "none":
        return precision, ()
    if rest == "all":
        return precision, tuple(STRUCTURES)
    return precision, tuple(s for s in rest.split(",") if s)


def real_frames(video: str, n: int, step: int) -> list[np.ndarray]:
    from yolotrack.train.demo import decode_frames

    out = []
    for i, f in enumerate(decode_frames(video)):
        if i % step == 0:
            out.append(f)
        if len(out) >= n:
            break
    return out


def held_out_frames(video: str, start: int, n: int, out: Path, step: int = 6) -> Path:
    """`n` frames of `video` from frame `start` on, every `step`-th, as PNGs (a calibration folder)."""
    import cv2

    from yolotrack.train.demo import decode_frames

    out.mkdir(parents=True, exist_ok=True)
    kept = 0
    for i, f in enumerate(decode_frames(video)):
        if i >= start and (i - start) % step == 0:
            cv2.imwrite(str(out / f"{i:06d}.png"), f)
            kept += 1
            if kept >= n:
                break
    if kept == 0:  # a short clip: calibrate on what there is
        return Path(video)
    return out


def bare_forward_ms(det, frame: np.ndarray, runs: int) -> float:
    from yolotrack.detector import torch_thread

    batch, _ = det.preprocess([frame])
    det.model.infer(batch)
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        torch_thread.run(det.model.infer, batch)
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts) * 1e3)


def child(args: argparse.Namespace) -> dict:
    from yolotrack.detector import Detector, torch_thread
    from yolotrack.detector.runtimes import quantize
    from yolotrack.train.demo import evaluate_clip

    torch_thread.set_threads(args.threads)
    precision, structures = parse_variant(args.variant)
    if structures is not None:
        quantize.FLOAT = structures
    if args.variant.endswith("+nobc"):
        quantize.BIAS_CORRECTION = False
    common = dict(device="cpu", runtime="openvino", threads=args.threads, precision=precision,
                  calibration=args.calibration if precision == "int8" else None,
                  calibration_frames=args.calibration_frames)
    t0 = time.perf_counter()
    det = Detector(args.weights, imgsz=args.imgsz, conf=0.001, **common)
    scenes = json.loads(args.scenes)
    first = next(iter(real_frames(scenes[0][0], 1, 1)))
    det([first])  # builds (and for int8 calibrates) the runtime
    build_s = time.perf_counter() - t0
    per_scene = [evaluate_clip(args.weights, v, g, detector=det) for v, g in scenes]
    keys = ("mAP50", "mAP50-95", "IDF1", "MOTA", "HOTA")
    result = {k: float(np.mean([r[k] for r in per_scene])) for k in keys}
    result["IDSW"] = int(sum(r["IDSW"] for r in per_scene))
    result["forward_ms"] = bare_forward_ms(det, first, args.runs)
    result["build_s"] = build_s
    real = Detector(args.real_weights, imgsz=args.imgsz, conf=args.real_conf, **{
        **common, "calibration": (args.real_calibration or args.real) if precision == "int8" else None})
    dets = []
    for f in real_frames(args.real, args.real_frames, args.real_step):
        d = real([f])[0]
        dets.append({"xyxy": d.xyxy.tolist(), "scores": d.scores.tolist(), "cls": d.class_ids.tolist()})
    result["real"] = dets
    result["real_forward_ms"] = bare_forward_ms(real, real_frames(args.real, 1, 1)[0], max(5, args.runs // 3))
    return result


def agreement(ref: list[dict], got: list[dict]) -> dict[str, float]:
    """Per-box matching (same class, IoU >= 0.5, greedy by IoU) of `got` against the fp32 `ref`."""
    n_ref = n_got = n_pair = 0
    ious, dscore = [], []
    for r, g in zip(ref, got, strict=True):
        rb, gb = np.asarray(r["xyxy"]).reshape(-1, 4), np.asarray(g["xyxy"]).reshape(-1, 4)
        n_ref, n_got = n_ref + len(rb), n_got + len(gb)
        if not len(rb) or not len(gb):
            continue
        iou = iou_matrix(rb, gb)
        iou[np.asarray(r["cls"])[:, None] != np.asarray(g["cls"])[None, :]] = 0
        while True:
            i, j = np.unravel_index(np.argmax(iou), iou.shape)
            if iou[i, j] < 0.5:
                break
            n_pair += 1
            ious.append(iou[i, j])
            dscore.append(abs(r["scores"][i] - g["scores"][j]))
            iou[i, :] = 0
            iou[:, j] = 0
    return {"recall_vs_fp32": n_pair / max(n_ref, 1), "precision_vs_fp32": n_pair / max(n_got, 1),
            "mean_iou": float(np.mean(ious)) if ious else float("nan"),
            "mean_abs_dscore": float(np.mean(dscore)) if dscore else float("nan"), "boxes": n_got}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", default=str(DEMO_WEIGHTS))
    ap.add_argument("--variants", nargs="+", default=["fp32", "bf16", "int8"])
    ap.add_argument("--ablation", action="store_true", help="add int8 with none / each one / all structures in float")
    ap.add_argument("--imgsz", type=int, default=640)
    ap.add_argument("--scenes", type=int, default=3, help="held-out synthetic scenes (seeds 1001...)")
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--size", default="640x384")
    ap.add_argument("--calibration", default=str(DEMO_VIDEO), help="int8 calibration for the scenes "
                    "(default: the demo clip, seed 1000, not among the test scenes)")
    ap.add_argument("--calibration-frames", type=int, default=64)
    ap.add_argument("--real", default=str(DEMO_VIDEO), help="real video for the agreement with fp32")
    ap.add_argument("--real-weights", default=str(DEMO_WEIGHTS))
    ap.add_argument("--real-calibration", help="int8 calibration for --real (default: frames of --real after the "
                    "compared ones, every 6th, written to a temp folder)")
    ap.add_argument("--real-frames", type=int, default=40)
    ap.add_argument("--real-conf", type=float, default=0.25, help="confidence threshold for the agreement")
    ap.add_argument("--real-step", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=30, help="timed bare forwards per variant")
    ap.add_argument("--cache", help="XDG cache for the exports (default: a temp dir, so calibration is timed)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--variant", help=argparse.SUPPRESS)
    ap.add_argument("--scene-list", dest="scene_list", help=argparse.SUPPRESS)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    if args.child:
        args.scenes = args.scene_list
        print(json.dumps(child(args)))
        return 0
    from yolotrack.detector.runtimes.quantize import FLOAT, STRUCTURES

    variants = list(args.variants)
    if args.ablation:
        every = list(STRUCTURES)
        variants += ["int8:none", *(f"int8:{s}" for s in every), "int8:all"]
    tmp = tempfile.TemporaryDirectory()
    cache = args.cache or str(Path(tmp.name) / "xdg")
    w, h = (int(v) for v in args.size.lower().split("x"))
    t0 = time.perf_counter()
    scenes = make_scenes(Path(tmp.name) / "scenes", args.scenes, 1001, w, h, args.frames)
    import openvino

    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.machine()}, python "
          f"{platform.python_version()}, openvino {openvino.get_version()}, nncf "
          f"{__import__('importlib.metadata').metadata.version('nncf')}; {args.threads} threads; "
          f"{args.scenes} scenes x {args.frames} frames {args.size} (made in {time.perf_counter() - t0:.0f} s); "
          f"real: {Path(args.real).name} x {args.real_frames} with {Path(args.real_weights).name}; "
          f"shipped float set {','.join(FLOAT)}", flush=True)
    if not args.real_calibration:
        args.real_calibration = str(held_out_frames(args.real, args.real_frames * args.real_step,
                                                    args.calibration_frames, Path(tmp.name) / "real-calib"))
    env = {**__import__("os").environ, "XDG_CACHE_HOME": cache}
    rows = {}
    for v in dict.fromkeys(variants):
        cmd = [sys.executable, __file__, "--child", "--variant", v, "--scene-list",
               json.dumps([[str(a), str(b)] for a, b in scenes]), "--weights", args.weights,
               "--imgsz", str(args.imgsz), "--calibration", args.calibration,
               "--calibration-frames", str(args.calibration_frames), "--real", args.real,
               "--real-weights", args.real_weights, "--real-frames", str(args.real_frames),
               "--real-step", str(args.real_step), "--real-conf", str(args.real_conf), "--threads", str(args.threads),
               "--runs", str(args.runs)]
        if args.real_calibration:
            cmd += ["--real-calibration", args.real_calibration]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=3600)
        if proc.returncode:
            print(f"{v}: failed\n{proc.stderr[-3000:]}", flush=True)
            continue
        rows[v] = json.loads(proc.stdout.strip().splitlines()[-1])
        r = rows[v]
        print(f"  {v:40s} mAP50 {r['mAP50']:.4f} mAP50-95 {r['mAP50-95']:.4f} IDF1 {r['IDF1']:.4f} "
              f"MOTA {r['MOTA']:.4f} HOTA {r['HOTA']:.4f} IDSW {r['IDSW']} forward {r['forward_ms']:.1f} ms "
              f"(real {r['real_forward_ms']:.1f} ms) build {r['build_s']:.1f} s", flush=True)
    ref = rows.get("fp32")
    print(f"{'variant':40s} {'mAP50':>7s} {'d':>7s} {'mAP50-95':>8s} {'d':>7s} {'IDF1':>6s} {'d':>7s} "
          f"{'fwd ms':>7s} {'real recall':>11s} {'real prec':>9s} {'mean IoU':>8s} {'|dscore|':>8s}")
    for v, r in rows.items():
        a = agreement(ref["real"], r["real"]) if ref else {}
        def d(k: str, r: dict = r) -> float:
            return r[k] - ref[k] if ref else float("nan")

        print(f"{v:40s} {r['mAP50']:7.4f} {d('mAP50'):+7.4f} {r['mAP50-95']:8.4f} {d('mAP50-95'):+7.4f} "
              f"{r['IDF1']:6.4f} {d('IDF1'):+7.4f} {r['forward_ms']:7.1f} {a.get('recall_vs_fp32', np.nan):11.4f} "
              f"{a.get('precision_vs_fp32', np.nan):9.4f} {a.get('mean_iou', np.nan):8.4f} "
              f"{a.get('mean_abs_dscore', np.nan):8.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
