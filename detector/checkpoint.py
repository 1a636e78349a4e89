"""Reading every supported checkpoint format into (state_dict, metadata), and writing ours.

Formats read:
* upstream `.pt` (pickled Ultralytics modules, fp16) through the restricted unpickler;
* plain state_dicts saved with `torch.save` (same unpickler);
* `.safetensors`: ours (JSON metadata under the `yolotrack` key) or a plain tensor file.

Our format is a safetensors file holding the unfused state_dict and a JSON header with family,
task, names, kpt_shape, per-layer area, stride, scale, the architecture spec and any extra meta.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from yolotrack.core.errors import WeightsError
from yolotrack.core.files import atomic_write
from yolotrack.detector import unpickle
from yolotrack.detector.spec import spec_to_json

log = logging.getLogger(__name__)

FORMAT_KEY = "yolotrack"
FORMAT_VERSION = 1


def _is_safetensors(path: Path) -> bool:
    with open(path, "rb") as f:
        head = f.read(9)
    if len(head) < 9:
        return False
    n = int.from_bytes(head[:8], "little")
    return head[8:9] == b"{" and 2 <= n <= 100_000_000


def read_safetensors(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file, safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            header = f.metadata() or {}
        sd = load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise WeightsError(f"{path} is not a readable safetensors file ({_short(e)})") from None
    meta: dict[str, Any] = {"format": "safetensors"}
    if FORMAT_KEY in header:
        try:
            meta.update(json.loads(header[FORMAT_KEY]))
        except json.JSONDecodeError:
            raise WeightsError(f"{path} has a corrupt yolotrack metadata header") from None
        meta["format"] = FORMAT_KEY
    return sd, meta


def _short(e: BaseException) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text[:200]


def read_pickled(path: Path) -> Any:
    """torch.load through the allowlist unpickler; never runs code from the file."""
    try:
        return torch.load(str(path), map_location="cpu", weights_only=False, pickle_module=unpickle)
    except pickle.UnpicklingError as e:
        if "refused" in str(e):
            raise WeightsError(f"{path} is unsafe or not a model checkpoint: {e}") from None
        raise WeightsError(f"{path} is corrupt or not a PyTorch checkpoint ({_short(e)})") from None
    except (EOFError, zipfile.BadZipFile, RuntimeError, ValueError, TypeError, AttributeError, KeyError,
            IndexError, OSError, ImportError, UnicodeDecodeError) as e:
        raise WeightsError(f"{path} is truncated, corrupt or not a PyTorch checkpoint ({_short(e)})") from None


def _module_meta(model: torch.nn.Module) -> dict[str, Any]:
    """Attributes upstream keeps outside the state_dict: names, kpt_shape, area, stride, scale."""
    meta: dict[str, Any] = {}
    d = model.__dict__
    names = d.get("names")
    if isinstance(names, Mapping):
        meta["names"] = {int(k): str(v) for k, v in names.items()}
    elif isinstance(names, (list, tuple)):
        meta["names"] = {i: str(v) for i, v in enumerate(names)}
    yaml = d.get("yaml") if isinstance(d.get("yaml"), Mapping) else {}
    kpt = d.get("kpt_shape") or yaml.get("kpt_shape")
    if kpt:
        meta["kpt_shape"] = [int(kpt[0]), int(kpt[1])]
    if yaml.get("scale"):
        meta["scale"] = str(yaml["scale"])
    area: dict[int, int] = {}
    for i, layer in enumerate(yaml.get("backbone", []) or []):
        try:
            if layer[2] == "A2C2f" and len(layer[3]) > 2 and isinstance(layer[3][2], int):
                area[i] = layer[3][2]
        except (IndexError, TypeError):
            continue
    for name, mod in model.named_modules():
        if "area" in mod.__dict__ and name.startswith("model.") and name.split(".")[1].isdigit():
            area[int(name.split(".")[1])] = int(mod.__dict__["area"])
    if area:
        meta["area"] = area
    stride = d.get("stride")
    if isinstance(stride, torch.Tensor):
        meta["stride"] = [float(s) for s in stride.tolist()]
    meta["upstream_class"] = getattr(type(model), "_source", type(model).__name__)
    return meta


def _from_unpickled(obj: Any, path: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    meta: dict[str, Any] = {"format": "pt"}
    model = None
    if isinstance(obj, Mapping):
        model = obj.get("ema") or obj.get("model")
        for key in ("version", "date"):
            if isinstance(obj.get(key), str):
                meta[f"upstream_{key}"] = obj[key]
        if model is None and isinstance(obj.get("state_dict"), Mapping):
            obj = obj["state_dict"]
    elif isinstance(obj, torch.nn.Module):
        model = obj
    if isinstance(model, torch.nn.Module):
        sd = model.state_dict()
        meta.update(_module_meta(model))
        return dict(sd), meta
    if isinstance(model, Mapping):
        obj = model
    if isinstance(obj, Mapping) and obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
        return {str(k): v for k, v in obj.items()}, meta
    raise WeightsError(f"{path} does not contain a model: expected an Ultralytics/YOLOv12 checkpoint or a state_dict")


def read_checkpoint(path: str | os.PathLike[str]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """(state_dict with `model.` keys, metadata) from any supported file; WeightsError otherwise."""
    p = Path(path)
    if not p.is_file():
        raise WeightsError(f"weights file {p} does not exist")
    if p.stat().st_size == 0:
        raise WeightsError(f"weights file {p} is empty")
    if _is_safetensors(p):
        sd, meta = read_safetensors(p)
    else:
        sd, meta = _from_unpickled(read_pickled(p), p)
    if sd and not any(k.startswith("model.") for k in sd) and any(k.split(".")[0].isdigit() for k in sd):
        sd = {f"model.{k}": v for k, v in sd.items()}
    return sd, meta


def save_checkpoint(model: torch.nn.Module, path: str | os.PathLike[str], meta: Mapping[str, Any] | None = None,
                    half: bool = False) -> Path:
    """Write our format atomically: unfused state_dict as safetensors + JSON metadata (no pickle)."""
    from safetensors.torch import save_file

    if getattr(model, "fused", False):
        raise ValueError("save_checkpoint needs an unfused model (BatchNorm present); load with fuse=False")
    spec = getattr(model, "spec", None)
    if spec is None:
        raise ValueError("save_checkpoint expects a detector.YOLOv12 model")
    tensors: dict[str, torch.Tensor] = {}
    for k, v in model.state_dict().items():
        t = v.detach().to("cpu")
        if half and t.is_floating_point():
            t = t.half()
        tensors[k] = t.contiguous().clone()
    header = {
        "version": FORMAT_VERSION,
        "family": model.family,
        "task": model.task,
        "nc": model.nc,
        "names": {str(k): v for k, v in model.names.items()},
        "kpt_shape": list(model.kpt_shape) if model.kpt_shape else None,
        "area": {str(k): v for k, v in spec.area.items()},
        "stride": [float(s) for s in model.stride.tolist()],
        "scale": spec.scale or model.meta.get("scale"),
        "spec": spec_to_json(spec),
        "meta": {**{k: v for k, v in model.meta.items() if k != "scale"}, **dict(meta or {})},
    }
    try:
        text = json.dumps(header, default=str)
    except (TypeError, ValueError) as e:
        raise ValueError(f"checkpoint metadata is not JSON-serialisable: {e}") from None
    dest = atomic_write(Path(path), lambda tmp: save_file(tensors, str(tmp), metadata={FORMAT_KEY: text,
                                                                                          "format": "pt"}))
    log.info("saved %s checkpoint (%s, %d tensors) to %s", model.task, model.family, len(tensors), dest)
    return dest
