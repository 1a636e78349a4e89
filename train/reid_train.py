"""Trains the demo ReID network (`tracker/reid_model.py`) on crops of synthetic multi-camera scenes.

    .venv/bin/python -m yolotrack.train.reid_train --out assets/demo/yolotrack-reid-demo.onnx

Why these data: identity in `synth --cameras` worlds is an object's own colour, texture scale and
phase and size, seen by cameras with their own background, lighting and noise; the detector's
pooled features blur exactly that. The crops are cut by `tracker.reid_model.crops` (what runs at
inference) from the ground-truth boxes jittered like a detector's boxes, so partly visible objects
at a frame's edge and partly hidden ones are in the data. The labels are the world's object ids:
the same object seen by two cameras is one class, which is what teaches invariance to the camera.
Scenes come from seeds `--seeds` (default 5000..5239), far from the benchmark's tuning (100s) and
held-out (200s, 300s) seeds. Loss: a cosine-margin softmax over the identities (CosFace). The
network is small on purpose (about 85k weights): it runs per tracked box on the frame path.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np

SIZE = (32, 32)
DIM = 64
CHUNK = 120  # seeds per `collect` call (each with its own jitter stream: the demo's data was made in two)


def collect(seeds: list[int], frames: int = 300, every: int = 5, min_vis: float = 0.35,
            rng_seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Crops (N, 3, H, W) uint8 RGB, identity labels (N,) and camera index (N,) from the scenes."""
    from yolotrack.tracker.reid_model import crops
    from yolotrack.train.synth import SceneConfig
    from yolotrack.train.synth_cameras import MultiCameraScene

    rng = np.random.default_rng(rng_seed)
    xs, ys, cs = [], [], []
    base = 0
    for seed in seeds:
        n_cams = int(rng.choice([1, 2, 3, 3]))
        scene = MultiCameraScene(seed, n_cams, SceneConfig(frames=frames))
        top = 0
        for i in range(frames):
            if i % every:
                scene._step()  # only sampled frames are drawn: drawing is most of the time
                continue
            views = [gen._render(i) for gen in scene.placed()]
            scene._step()
            for k, f in enumerate(views):
                objs = [o for o in f.objects if o.visibility >= min_vis
                        and o.xyxy[2] - o.xyxy[0] >= 6 and o.xyxy[3] - o.xyxy[1] >= 6]
                if not objs:
                    continue
                b = np.asarray([o.xyxy for o in objs], np.float64)
                w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
                cx = (b[:, 0] + b[:, 2]) / 2 + rng.normal(0, 0.05, len(b)) * w
                cy = (b[:, 1] + b[:, 3]) / 2 + rng.normal(0, 0.05, len(b)) * h
                w, h = w * rng.normal(1, 0.07, len(b)), h * rng.normal(1, 0.07, len(b))
                jit = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1)
                xs.append((crops(f.image, jit, SIZE) * 255).round().astype(np.uint8))
                ys += [base + o.track_id for o in objs]
                cs += [k] * len(objs)
                top = max(top, *(o.track_id for o in objs))
        base += top + 1
    return np.concatenate(xs), np.asarray(ys, np.int64), np.asarray(cs, np.int64)


def build_net(dim: int = DIM):  # noqa: ANN201 - torch is imported lazily
    import torch.nn as nn

    def block(a: int, b: int, pool: bool) -> list[nn.Module]:
        layers: list[nn.Module] = [nn.Conv2d(a, b, 3, padding=1, bias=False), nn.BatchNorm2d(b), nn.ReLU(inplace=True)]
        return [*layers, nn.MaxPool2d(2)] if pool else layers

    return nn.Sequential(*block(3, 16, True), *block(16, 32, True), *block(32, 64, True), *block(64, 96, False),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(96, dim))


def train(x: np.ndarray, y: np.ndarray, epochs: int, batch: int = 256, lr: float = 3e-3, seed: int = 0,
          log_every: int = 100):  # noqa: ANN201
    import torch
    import torch.nn.functional as F

    torch.manual_seed(seed)
    labels, y = np.unique(y, return_inverse=True)
    net = build_net()
    weight = torch.nn.Parameter(torch.randn(len(labels), DIM) * 0.01)
    opt = torch.optim.AdamW([*net.parameters(), weight], lr=lr, weight_decay=5e-4)
    steps = epochs * math.ceil(len(x) / batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=steps, pct_start=0.1)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    gen = torch.Generator().manual_seed(seed)
    step, t0 = 0, time.time()
    s, m = 16.0, 0.2
    for ep in range(epochs):
        net.train()
        perm = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), batch):
            idx = perm[i:i + batch]
            xb = xt[idx].float() / 255.0
            n = len(xb)
            xb = xb * (0.7 + 0.6 * torch.rand(n, 1, 1, 1, generator=gen))  # lighting gain
            xb = xb + torch.randn(xb.shape, generator=gen) * (0.02 * torch.rand(n, 1, 1, 1, generator=gen))
            k = int(torch.randint(0, 4, (1,), generator=gen))
            xb = torch.rot90(xb, k, (2, 3))  # objects spin: any orientation
            if torch.rand(1, generator=gen) < 0.5:
                xb = xb.flip(3)
            emb = F.normalize(net(xb.clamp(0, 1)), dim=1)
            cos = emb @ F.normalize(weight, dim=1).T
            onehot = F.one_hot(yt[idx], len(labels)).float()
            loss = F.cross_entropy(s * (cos - m * onehot), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            if step % log_every == 0:
                print(f"epoch {ep} step {step}/{steps} loss {loss.item():.3f} ({time.time() - t0:.0f} s)", flush=True)
    net.eval()
    return net


def export(net, out: Path) -> None:  # noqa: ANN001
    import torch

    out.parent.mkdir(parents=True, exist_ok=True)
    x = torch.zeros(1, 3, *SIZE)
    torch.onnx.export(net, (x,), str(out), opset_version=17, input_names=["crops"], output_names=["embeddings"],
                      dynamic_axes={"crops": {0: "n"}, "embeddings": {0: "n"}}, dynamo=False)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seeds", type=int, nargs=2, default=[5000, 5240], metavar=("FIRST", "END"))
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--data", type=Path, default=None, help="cache of the collected crops (.npz)")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(2)
    t0 = time.time()
    if args.data is not None and args.data.is_file():
        d = np.load(args.data)
        x, y = d["x"], d["y"]
    else:
        parts = [collect(list(range(a, min(a + CHUNK, args.seeds[1]))), rng_seed=a)
                 for a in range(args.seeds[0], args.seeds[1], CHUNK)]
        offsets = np.cumsum([0] + [int(p[1].max()) + 1 for p in parts[:-1]])
        x = np.concatenate([p[0] for p in parts])
        y = np.concatenate([p[1] + o for p, o in zip(parts, offsets, strict=True)])
        c = np.concatenate([p[2] for p in parts])
        if args.data is not None:
            np.savez(args.data, x=x, y=y, c=c)
    print(f"{len(x)} crops of {len(np.unique(y))} objects ({time.time() - t0:.0f} s)", flush=True)
    net = train(x, y, args.epochs)
    export(net, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KB, {time.time() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
