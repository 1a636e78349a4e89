"""The YOLOv12 network: 21 body/neck layers + a head at index 21, keyed like upstream (`model.N...`)."""

from __future__ import annotations

import dataclasses
import logging
import math
from typing import Any

import torch
import torch.nn as nn

from yolotrack.core.keypoints import KeypointLayout
from yolotrack.detector.attention import FlashFn
from yolotrack.detector.modules import A2C2f, AAttn, C3k2, Concat, Conv, Detect, Pose, Segment
from yolotrack.detector.spec import ModelSpec, spec_for_scale

log = logging.getLogger(__name__)

COCO_NAMES = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic_light",
    "fire_hydrant", "stop_sign", "parking_meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
    "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
    "skis", "snowboard", "sports_ball", "kite", "baseball_bat", "baseball_glove", "skateboard", "surfboard",
    "tennis_racket", "bottle", "wine_glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple",
    "sandwich", "orange", "broccoli", "carrot", "hot_dog", "pizza", "donut", "cake", "chair", "couch",
    "potted_plant", "bed", "dining_table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard",
    "cell_phone", "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors",
    "teddy_bear", "hair_drier", "toothbrush",
)


def default_names(nc: int) -> dict[int, str]:
    if nc == len(COCO_NAMES):
        return {i: n.replace("_", " ") for i, n in enumerate(COCO_NAMES)}
    return {i: f"class{i}" for i in range(nc)}


class YOLOv12(nn.Module):
    """Fixed YOLOv12 routing (no SPPF/C2PSA); widths and flags come from `spec`."""

    def __init__(self, spec: ModelSpec, names: dict[int, str] | None = None) -> None:
        super().__init__()
        self.spec = spec
        c, n, hid = spec.c, spec.n, spec.hidden
        fused_qkv = spec.family == "v1"

        def attn_layer(i: int, c_in: int) -> A2C2f:
            return A2C2f(c_in, c[i], hid[i], n[i], True, spec.area[i], spec.mlp[i], spec.gamma[i],
                         fused_qkv, spec.pe_k, spec.pe_bias)

        layers: list[nn.Module] = [
            Conv(3, c[0], 3, 2),
            Conv(c[0], c[1], 3, 2, g=spec.groups[1]),
            C3k2(c[1], c[2], hid[2], n[2], spec.c3k[2]),
            Conv(c[2], c[3], 3, 2, g=spec.groups[3]),
            C3k2(c[3], c[4], hid[4], n[4], spec.c3k[4]),
            Conv(c[4], c[5], 3, 2),
            attn_layer(6, c[5]),
            Conv(c[6], c[7], 3, 2),
            attn_layer(8, c[7]),
            nn.Upsample(None, 2, "nearest"),
            Concat(1),
            A2C2f(c[8] + c[6], c[11], hid[11], n[11], False),
            nn.Upsample(None, 2, "nearest"),
            Concat(1),
            A2C2f(c[11] + c[4], c[14], hid[14], n[14], False),
            Conv(c[14], c[15], 3, 2),
            Concat(1),
            A2C2f(c[15] + c[11], c[17], hid[17], n[17], False),
            Conv(c[17], c[18], 3, 2),
            Concat(1),
            C3k2(c[18] + c[8], c[20], hid[20], n[20], spec.c3k[20]),
        ]
        ch = (c[14], c[17], c[20])
        task = spec.task
        if task == "segment":
            assert spec.nm is not None and spec.npr is not None and spec.c_mask is not None
            head: Detect = Segment(spec.nc, ch, spec.c_box, spec.c_cls, spec.nm, spec.npr, spec.c_mask, spec.reg_max)
        elif task == "pose":
            assert spec.kpt_shape is not None and spec.c_kpt is not None
            head = Pose(spec.nc, ch, spec.c_box, spec.c_cls, spec.kpt_shape, spec.c_kpt, spec.reg_max)
        else:
            head = Detect(spec.nc, ch, spec.c_box, spec.c_cls, spec.reg_max)
        layers.append(head)
        self.model = nn.ModuleList(layers)
        self.task: str = task
        self.nc: int = spec.nc
        self.family: str = spec.family
        self.names: dict[int, str] = dict(names) if names else default_names(self.nc)
        self.kpt_shape: tuple[int, int] | None = spec.kpt_shape if task == "pose" else None
        self.stride = torch.tensor([8.0, 16.0, 32.0])
        self.fused = False
        self.attention = "sdpa"
        self.meta: dict[str, Any] = {}
        # Also return the finest neck feature map the head reads (P3, stride 8) after the head's own
        # outputs: appearance embeddings for the tracker are pooled from it (postprocess_np.py).
        self.return_features = False

    @property
    def keypoint_layout(self) -> KeypointLayout | None:
        """Names and skeleton of a pose model's keypoints (recorded by training, else the defaults)."""
        if self.kpt_shape is None:
            return None
        return KeypointLayout.from_meta(self.meta.get("keypoints"), self.kpt_shape[0])

    @property
    def head(self) -> Detect:
        return self.model[21]  # type: ignore[return-value]

    def forward(self, x: torch.Tensor):
        m = self.model
        x = m[1](m[0](x))
        x4 = m[4](m[3](m[2](x)))
        x6 = m[6](m[5](x4))
        x8 = m[8](m[7](x6))
        x11 = m[11](m[10]([m[9](x8), x6]))
        x14 = m[14](m[13]([m[12](x11), x4]))
        x17 = m[17](m[16]([m[15](x14), x11]))
        x20 = m[20](m[19]([m[18](x17), x8]))
        out = m[21]([x14, x17, x20])
        if self.return_features and not self.training:
            return (*(out if isinstance(out, tuple) else (out,)), x14)
        return out

    def fuse(self) -> YOLOv12:
        """Fold every BatchNorm into its conv (inference only; the result is not trainable)."""
        for mod in self.modules():
            if isinstance(mod, Conv):
                mod.fuse()
        self.fused = True
        return self

    def set_attention(self, backend: str, flash_fn: FlashFn | None = None) -> None:
        """Switch every attention block to a resolved backend (`flash`, `sdpa` or `eager`)."""
        for mod in self.modules():
            if isinstance(mod, AAttn):
                mod.backend = backend
                mod.flash_fn = flash_fn
        self.attention = backend

    def area(self) -> dict[int, int]:
        return dict(self.spec.area)


def init_weights(model: YOLOv12) -> None:
    """Upstream training init: BN eps/momentum, and head biases primed for ~5 objects per 640 image."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eps = 1e-3
            m.momentum = 0.03
    head = model.head
    for a, b, s in zip(head.cv2, head.cv3, head.stride.tolist(), strict=True):
        a[-1].bias.data[:] = 1.0
        b[-1].bias.data[: head.nc] = math.log(5 / head.nc / (640 / s) ** 2)


def build_model(scale: str = "n", task: str = "detect", nc: int = 80, family: str = "turbo",
                kpt_shape: tuple[int, int] | None = None, names: dict[int, str] | None = None) -> YOLOv12:
    """A fresh, unfused, trainable model laid out exactly like the upstream family at `scale`."""
    spec = spec_for_scale(scale, task, nc, family, kpt_shape)
    model = YOLOv12(spec, names)
    init_weights(model)
    model.meta = {"scale": scale}
    return model


def reset_head(model: YOLOv12, nc: int, names: dict[int, str] | None = None) -> YOLOv12:
    """Replace the head with a freshly initialised one for `nc` classes (fine-tuning on new labels).

    Only the class-dependent widths change; box, mask and keypoint branches are rebuilt too, since
    upstream ties their first width to the class branch input.
    """
    if model.fused:
        raise ValueError("reset_head needs an unfused model; load it with fuse=False")
    spec = dataclasses.replace(model.spec, nc=nc, c_cls=max(model.spec.c[14], min(nc, 100)))
    fresh = YOLOv12(spec, names or default_names(nc))
    init_weights(fresh)
    body = {k: v for k, v in model.state_dict().items() if not k.startswith("model.21.")}
    fresh.load_state_dict(body, strict=False)
    fresh.meta = dict(model.meta)
    model_device = next(model.parameters()).device
    return fresh.to(model_device)


def adapt_model(model: YOLOv12, task: str, nc: int, names: dict[int, str] | None = None,
                kpt_shape: tuple[int, int] | None = None) -> tuple[YOLOv12, list[str]]:
    """A trainable model for `task` and `nc` classes that starts from `model`'s weights.

    Every tensor whose name and shape still fit is kept: the body always; the box branch, the mask
    prototypes and coefficients or the keypoint branch when the task allows; the class branch only for
    the same class count. What has no counterpart (a new class branch, a mask or keypoint branch the
    source lacks) starts freshly initialised. Returns the model and the names of the new head tensors
    that start fresh (empty: nothing changed).
    """
    if model.fused:
        raise ValueError("adapt_model needs an unfused model; load it with fuse=False")
    old = model.spec
    c0 = old.c[14]
    kw: dict[str, Any] = {"task": task, "nc": nc, "c_cls": old.c_cls if nc == old.nc else max(c0, min(nc, 100)),
                          "nm": None, "npr": None, "c_mask": None, "kpt_shape": None, "c_kpt": None}
    if task == "segment":
        same = old.task == "segment"
        kw.update(nm=old.nm if same else 32, npr=old.npr if same else c0,
                  c_mask=old.c_mask if same else max(c0 // 4, 32))
    elif task == "pose":
        kpt = tuple(kpt_shape or old.kpt_shape or (17, 3))
        kw.update(kpt_shape=(int(kpt[0]), int(kpt[1])),
                  c_kpt=old.c_kpt if old.task == "pose" and old.kpt_shape == kpt else max(c0 // 4, kpt[0] * kpt[1]))
    spec = dataclasses.replace(old, **kw)
    fresh = YOLOv12(spec, names or default_names(nc))
    init_weights(fresh)
    src = model.state_dict()
    keep = {k: v for k, v in src.items() if k in fresh.state_dict() and fresh.state_dict()[k].shape == v.shape}
    fresh.load_state_dict(keep, strict=False)
    fresh.meta = dict(model.meta)
    started = [k for k in fresh.state_dict() if k not in keep and k.startswith("model.21.")]
    return fresh.to(next(model.parameters()).device), started
