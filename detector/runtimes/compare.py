"""How far a runtime's raw output is from the torch float32 output, in one number per check.

A single max|a-b|/max|b| over the whole output would let box coordinates (hundreds of pixels)
hide score errors (0..1), so the error is taken per group of channels with a common scale:
boxes, class scores, then mask coefficients / prototypes or keypoint xy / visibility.
"""

from __future__ import annotations

import torch

from yolotrack.detector.runtimes.base import RawOutput


def _groups(y: torch.Tensor, nc: int, task: str) -> dict[str, torch.Tensor]:
    g = {"boxes": y[:, :4], "scores": y[:, 4:4 + nc]}
    extra = y[:, 4 + nc:]
    if task == "pose" and extra.shape[1] % 3 == 0 and extra.shape[1]:
        k = extra.reshape(extra.shape[0], -1, 3, extra.shape[-1])
        g["kpt_xy"], g["kpt_vis"] = k[:, :, :2], k[:, :, 2]
    elif extra.shape[1]:
        g["mask_coeffs" if task == "segment" else "extra"] = extra
    return g


def relative_errors(out: RawOutput, ref: RawOutput, nc: int, task: str = "detect") -> dict[str, float]:
    """max|out-ref| / max|ref| per channel group (shapes must match)."""
    outs = out if isinstance(out, tuple) else (out,)
    refs = ref if isinstance(ref, tuple) else (ref,)
    if len(outs) != len(refs):
        raise ValueError(f"{len(outs)} outputs vs {len(refs)} reference outputs")
    pairs: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
    a_groups, b_groups = _groups(outs[0].float(), nc, task), _groups(refs[0].float(), nc, task)
    for name in b_groups:
        pairs[name] = (a_groups[name], b_groups[name])
    for i, (a, b) in enumerate(zip(outs[1:], refs[1:], strict=True), start=1):
        pairs["protos" if task == "segment" and i == 1 else f"out{i}"] = (a.float(), b.float())
    errors = {}
    for name, (a, b) in pairs.items():
        if a.shape != b.shape:
            raise ValueError(f"{name}: shape {tuple(a.shape)} vs reference {tuple(b.shape)}")
        a, b = a.detach().cpu(), b.detach().cpu()
        scale = b.abs().max().clamp_min(1e-6)
        errors[name] = float((a - b).abs().max() / scale)
    return errors


def max_relative_error(out: RawOutput, ref: RawOutput, nc: int, task: str = "detect") -> float:
    return max(relative_errors(out, ref, nc, task).values())
