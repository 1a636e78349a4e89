"""`load_model`: any supported checkpoint or name -> a native YOLOv12 ready to run (or to fine-tune)."""

from __future__ import annotations

import logging
import os
from typing import Any

import torch

from yolotrack.core.errors import WeightsError
from yolotrack.detector.attention import resolve_backend
from yolotrack.detector.checkpoint import read_checkpoint
from yolotrack.detector.device import select_device
from yolotrack.detector.hub import resolve_weights
from yolotrack.detector.model import YOLOv12, default_names
from yolotrack.detector.spec import infer_spec

log = logging.getLogger(__name__)


def _names(meta: dict[str, Any], nc: int) -> dict[int, str]:
    raw = meta.get("names")
    if isinstance(raw, dict) and raw:
        names = {int(k): str(v) for k, v in raw.items()}
        if len(names) == nc:
            return names
        log.warning("checkpoint has %d class names for %d classes; using generic names", len(names), nc)
    return default_names(nc)


def build_from_state(sd: dict[str, torch.Tensor], meta: dict[str, Any], source: str = "checkpoint") -> YOLOv12:
    """Infer the architecture from tensor shapes and load the weights strictly (float32, unfused)."""
    spec = infer_spec(sd, meta)
    model = YOLOv12(spec, _names(meta, spec.nc))
    own = model.state_dict()
    missing = [k for k in own if k not in sd and not k.endswith("num_batches_tracked")]
    unexpected = [k for k in sd if k not in own]
    wrong = [k for k in own if k in sd and tuple(sd[k].shape) != tuple(own[k].shape)]
    if missing or unexpected or wrong:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing tensors (e.g. {missing[0]})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected tensors (e.g. {unexpected[0]})")
        if wrong:
            k = wrong[0]
            parts.append(f"{len(wrong)} tensors of the wrong shape (e.g. {k} {tuple(sd[k].shape)} vs "
                         f"{tuple(own[k].shape)})")
        raise WeightsError(f"{source} does not match the YOLOv12 architecture: {'; '.join(parts)}")
    bad = [k for k, v in sd.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:
        raise WeightsError(f"{source} holds non-finite values (e.g. in {bad[0]}); the file is corrupt")
    with torch.no_grad():
        for k, t in own.items():
            if k in sd:
                t.copy_(sd[k].to(t.dtype))
    model.meta = {k: v for k, v in (meta.get("meta") or {}).items()} if isinstance(meta.get("meta"), dict) else {}
    if spec.scale:
        model.meta.setdefault("scale", spec.scale)
    model.meta["source_format"] = meta.get("format", "unknown")
    return model


def load_model(path_or_name: str | os.PathLike[str], device: str | torch.device = "cpu", attention: str = "auto",
               fuse: bool = True) -> YOLOv12:
    """Load any supported checkpoint or release name.

    `fuse=True` (default): eval mode, Conv+BN folded, no gradients: for inference.
    `fuse=False`: unfused float32 model with gradients enabled, for fine-tuning (call `.train()`).
    """
    dev = select_device(device)
    path = resolve_weights(path_or_name)
    sd, meta = read_checkpoint(path)
    model = build_from_state(sd, meta, source=str(path))
    model.float()
    if fuse:
        model.fuse()
        model.requires_grad_(False)
    else:
        model.requires_grad_(True)
        model.head.dfl.requires_grad_(False)
    model.eval()
    model.to(dev)
    dtype = torch.float16 if dev.type == "cuda" else torch.float32
    backend = resolve_backend(attention, dev, dtype)
    model.set_attention(backend)
    log.info("loaded %s (%s %s, %d classes) on %s, attention=%s%s", path, model.family, model.task, model.nc,
             dev, backend, " (auto)" if attention == "auto" else "")
    return model
