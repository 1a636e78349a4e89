"""Time one YOLOv12 training step on CPU, split into data, forward, loss (with assignment), backward, optimizer.

    .venv/bin/python -m benchmarks.train_step [--scale n] [--imgsz 320] [--batch 16] [--steps 5] [--threads 2]

Prints ms per stage and images per second; uses synthetic scenes so it needs no files.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from yolotrack.detector import build_model
from yolotrack.train.augment import augment_hsv, random_affine
from yolotrack.train.losses import DetectionLoss
from yolotrack.train.synth import CLASS_NAMES, SceneConfig, SceneGenerator


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--scale", default="n")
    p.add_argument("--imgsz", type=int, default=320)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    nc = len(CLASS_NAMES)
    frames = list(SceneGenerator(0, SceneConfig(frames=args.batch)))
    rng = np.random.default_rng(0)
    model = build_model(scale=args.scale, task="detect", nc=nc)
    model.train()
    loss_fn = DetectionLoss(nc, [8, 16, 32])
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    times: dict[str, list[float]] = {k: [] for k in ("data", "forward", "loss", "backward", "optimizer")}
    for step in range(args.steps + 1):
        t0 = time.perf_counter()
        imgs, idx, cls, boxes = [], [], [], []
        for i, f in enumerate(frames):
            b = np.array([o.xyxy for o in f.objects], np.float32).reshape(-1, 4)
            c = np.array([o.cls for o in f.objects], np.int64)
            img, b, keep = random_affine(f.image, b, args.imgsz, rng, view_size=640)
            imgs.append(augment_hsv(img, rng))
            idx += [i] * len(b)
            cls.append(c[keep])
            boxes.append(np.concatenate([(b[:, :2] + b[:, 2:]) / 2, b[:, 2:] - b[:, :2]], 1))
        x = torch.from_numpy(np.stack(imgs)[..., ::-1].transpose(0, 3, 1, 2).copy()).float() / 255
        t1 = time.perf_counter()
        feats = model(x)
        t2 = time.perf_counter()
        loss, _ = loss_fn(feats, torch.tensor(idx), torch.from_numpy(np.concatenate(cls)),
                          torch.from_numpy(np.concatenate(boxes)))
        t3 = time.perf_counter()
        opt.zero_grad()
        loss.backward()
        t4 = time.perf_counter()
        opt.step()
        t5 = time.perf_counter()
        if step:  # first step warms up allocators
            for k, v in zip(times, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4), strict=True):
                times[k].append(v * 1000)
    total = sum(np.mean(v) for v in times.values())
    print(f"YOLOv12-{args.scale} train step, batch {args.batch}, imgsz {args.imgsz}, {args.threads} threads, "
          f"torch {torch.__version__}")
    for k, v in times.items():
        print(f"  {k:<10} {np.mean(v):8.1f} ms")
    print(f"  {'total':<10} {total:8.1f} ms  ({args.batch / total * 1000:.1f} img/s)")


if __name__ == "__main__":
    main()
