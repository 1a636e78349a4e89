"""Architecture spec: every width and flag the model builder needs, as one frozen `ModelSpec`.

Two sources produce it: the YAML scaling rules (`spec_for_scale`, for fresh models) and the
tensor shapes of a checkpoint (`infer_spec`, so every upstream family/scale loads exactly). It
travels in our checkpoints as JSON (`spec_to_json` / `spec_from_json`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import torch

from yolotrack.core.errors import WeightsError

SCALES: dict[str, tuple[float, float, int]] = {  # depth, width, max_channels
    "n": (0.50, 0.25, 1024),
    "s": (0.50, 0.50, 1024),
    "m": (0.50, 1.00, 512),
    "l": (1.00, 1.00, 512),
    "x": (1.00, 1.50, 512),
}
TASKS = ("detect", "segment", "pose")
FAMILIES = ("turbo", "v1")
CONV_LAYERS = (0, 1, 3, 5, 7, 15, 18)
C3K2_LAYERS = (2, 4, 20)
A2C2F_LAYERS = (6, 8, 11, 14, 17)
ATTN_LAYERS = (6, 8)
DEFAULT_AREA = {6: 4, 8: 1}


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """The layout of one YOLOv12: per-layer widths (`c`), repeats (`n`), hidden widths, flags, and the
    head's widths. Per-layer values are keyed by layer index; a changed spec is a new one
    (`dataclasses.replace`), and the mappings in it are not to be changed either."""

    family: str  # turbo | v1
    task: str  # detect | segment | pose
    nc: int
    reg_max: int
    c: Mapping[int, int]  # output channels per layer
    n: Mapping[int, int]  # block repeats per layer
    hidden: Mapping[int, int]
    c3k: Mapping[int, bool]
    groups: Mapping[int, int]
    mlp: Mapping[int, int]
    gamma: Mapping[int, bool]
    area: Mapping[int, int]
    pe_k: int
    pe_bias: bool
    c_box: int
    c_cls: int
    scale: str | None = None  # n | s | m | l | x, when known
    nm: int | None = None  # segment: mask coefficients
    npr: int | None = None  # segment: prototype channels
    c_mask: int | None = None
    kpt_shape: tuple[int, int] | None = None  # pose: keypoints x (2 | 3)
    c_kpt: int | None = None


def _div8(x: float) -> int:
    return int(math.ceil(x / 8) * 8)


def spec_for_scale(scale: str = "n", task: str = "detect", nc: int = 80, family: str = "turbo",
                   kpt_shape: tuple[int, int] | None = None) -> ModelSpec:
    """Widths that the upstream YAML + parse_model rules give for a scale (see the spec doc §2-§3)."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of n, s, m, l, x")
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; choose turbo or v1")
    depth, width, maxc = SCALES[scale]

    def ch(x: int) -> int:
        return _div8(min(x, maxc) * width)

    def rep(n: int) -> int:
        return max(round(n * depth), 1) if n > 1 else n

    yaml_c = {0: 64, 1: 128, 2: 256, 3: 256, 4: 512, 5: 512, 6: 512, 7: 1024, 8: 1024,
              11: 512, 14: 256, 15: 256, 17: 512, 18: 512, 20: 1024}
    c = {i: ch(v) for i, v in yaml_c.items()}
    n = {2: rep(2), 4: rep(2), 6: rep(4), 8: rep(4), 11: rep(2), 14: rep(2), 17: rep(2), 20: rep(2)}
    hidden = {2: int(c[2] * 0.25), 4: int(c[4] * 0.25), 20: int(c[20] * 0.5)}
    hidden.update({i: int(c[i] * 0.5) for i in A2C2F_LAYERS})
    big = scale in "lx"
    ratio = (1.5 if family == "turbo" else 1.2) if big else 2.0
    gamma = big or (task == "segment" and family == "turbo")
    ch0 = c[14]
    spec: dict[str, Any] = {
        "family": family, "task": task, "nc": nc, "scale": scale, "reg_max": 16,
        "c": c, "n": n, "hidden": hidden,
        "c3k": {2: scale in "mlx", 4: scale in "mlx", 20: True},
        "groups": {1: 2, 3: 4} if family == "turbo" else {1: 1, 3: 1},
        "mlp": {i: int(hidden[i] * ratio) for i in ATTN_LAYERS},
        "gamma": {i: gamma for i in ATTN_LAYERS},
        "area": dict(DEFAULT_AREA),
        "pe_k": 5 if family == "turbo" else 7, "pe_bias": False,
        "c_box": max(16, ch0 // 4, 64), "c_cls": max(ch0, min(nc, 100)),
    }
    if task == "segment":
        spec.update(nm=32, npr=ch(256), c_mask=max(ch0 // 4, 32))
    if task == "pose":
        kpt = tuple(kpt_shape or (17, 3))
        spec.update(kpt_shape=(int(kpt[0]), int(kpt[1])), c_kpt=max(ch0 // 4, kpt[0] * kpt[1]))
    return ModelSpec(**spec)


def _count(sd: Mapping[str, torch.Tensor], prefix: str) -> int:
    """Number of consecutive numbered children `prefix.0`, `prefix.1`, ... present in the keys."""
    found = {int(k[len(prefix):].split(".", 1)[0]) for k in sd if k.startswith(prefix)
             and k[len(prefix):].split(".", 1)[0].isdigit()}
    return len(found)


def infer_spec(sd: Mapping[str, torch.Tensor], meta: Mapping[str, Any] | None = None) -> ModelSpec:
    """Read the architecture off tensor shapes; `meta` supplies what tensors cannot (area, kpt_shape)."""
    meta = meta or {}

    def shape(key: str) -> tuple[int, ...]:
        t = sd.get(key)
        if t is None:
            raise KeyError(key)
        return tuple(t.shape)

    try:
        if any(".attn.qkv." in k for k in sd):
            family = "v1"
        elif any(".attn.qk." in k for k in sd):
            family = "turbo"
        else:
            raise KeyError("model.6.m.0.0.attn.qkv.conv.weight")
        c: dict[int, int] = {}
        groups: dict[int, int] = {}
        for i in CONV_LAYERS:
            c[i] = shape(f"model.{i}.conv.weight")[0]
        n: dict[int, int] = {}
        hidden: dict[int, int] = {}
        c3k: dict[int, bool] = {}
        for i in C3K2_LAYERS + A2C2F_LAYERS:
            c[i] = shape(f"model.{i}.cv2.conv.weight")[0]
            out1 = shape(f"model.{i}.cv1.conv.weight")[0]
            hidden[i] = out1 // 2 if i in C3K2_LAYERS else out1
            n[i] = _count(sd, f"model.{i}.m.")
            if n[i] == 0:
                raise KeyError(f"model.{i}.m.0")
        for i in C3K2_LAYERS:
            c3k[i] = f"model.{i}.m.0.cv3.conv.weight" in sd
        cin = {1: c[0], 3: c[2]}
        for i in (1, 3):
            per_group = shape(f"model.{i}.conv.weight")[1]
            groups[i] = max(cin[i] // per_group, 1)
        mlp, gamma = {}, {}
        for i in ATTN_LAYERS:
            mlp[i] = shape(f"model.{i}.m.0.0.mlp.0.conv.weight")[0]
            gamma[i] = f"model.{i}.gamma" in sd
        pe_key = "model.6.m.0.0.attn.pe.conv"
        pe_k = shape(f"{pe_key}.weight")[-1]
        pe_bias = f"{pe_key}.bias" in sd
        head = "model.21"
        nc = shape(f"{head}.cv3.0.2.weight")[0]
        spec: dict[str, Any] = {
            "family": family, "nc": nc, "reg_max": shape(f"{head}.cv2.0.2.weight")[0] // 4,
            "c": c, "n": n, "hidden": hidden, "c3k": c3k, "groups": groups, "mlp": mlp, "gamma": gamma,
            "pe_k": pe_k, "pe_bias": pe_bias,
            "c_box": shape(f"{head}.cv2.0.0.conv.weight")[0], "c_cls": shape(f"{head}.cv3.0.0.1.conv.weight")[0],
        }
        if f"{head}.proto.cv1.conv.weight" in sd:
            spec.update(task="segment", nm=shape(f"{head}.proto.cv3.conv.weight")[0],
                        npr=shape(f"{head}.proto.cv1.conv.weight")[0],
                        c_mask=shape(f"{head}.cv4.0.0.conv.weight")[0])
        elif f"{head}.cv4.0.2.weight" in sd:
            nk = shape(f"{head}.cv4.0.2.weight")[0]
            kpt = meta.get("kpt_shape")
            if not kpt or int(kpt[0]) * int(kpt[1]) != nk:
                kpt = [nk // 3, 3] if nk % 3 == 0 else [nk // 2, 2]
            spec.update(task="pose", kpt_shape=(int(kpt[0]), int(kpt[1])),
                        c_kpt=shape(f"{head}.cv4.0.0.conv.weight")[0])
        else:
            spec["task"] = "detect"
    except KeyError as e:
        if any(k.startswith("model.9.linear") for k in sd):
            raise WeightsError("this is a YOLOv12 classification checkpoint; only detect, segment and pose "
                               "models are supported") from None
        raise WeightsError(f"not a YOLOv12 detect/segment/pose checkpoint (tensor {e.args[0]} is missing)") from None
    area = dict(DEFAULT_AREA)
    for i, v in (meta.get("area") or {}).items():
        area[int(i)] = int(v)
    spec["area"] = area
    if meta.get("scale"):
        spec["scale"] = meta["scale"]
    return ModelSpec(**spec)


def spec_to_json(spec: ModelSpec) -> dict[str, Any]:
    """JSON turns int keys into strings; keep that explicit and reversible. Unset fields are left out."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(spec):
        val = getattr(spec, f.name)
        if val is None:
            continue
        if isinstance(val, Mapping):
            val = {str(i): v for i, v in val.items()}
        elif isinstance(val, tuple):
            val = list(val)
        out[f.name] = val
    return out


def spec_from_json(data: Mapping[str, Any]) -> ModelSpec:
    names = {f.name for f in dataclasses.fields(ModelSpec)}
    kw: dict[str, Any] = {k: ({int(i): v for i, v in val.items()} if isinstance(val, dict) else val)
                          for k, val in data.items() if k in names}
    if kw.get("kpt_shape") is not None:
        kw["kpt_shape"] = (int(kw["kpt_shape"][0]), int(kw["kpt_shape"][1]))
    return ModelSpec(**kw)
