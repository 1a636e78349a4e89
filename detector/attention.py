"""Attention kernels for the area-attention blocks: FlashAttention-2, torch SDPA, or plain math.

All three compute softmax(q k^T / sqrt(d)) v without mask or dropout. They take and return
tensors in the (B, heads, N, d) layout; the flash path transposes to the (B, N, heads, d) layout
that `flash_attn_func` expects and, like the official code, runs it in fp16 on CUDA.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable

import torch
import torch.nn.functional as F

from yolotrack.core.errors import ConfigError

log = logging.getLogger(__name__)

BACKENDS = ("auto", "flash", "sdpa", "eager")
FlashFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def load_flash_fn() -> FlashFn | None:
    """`flash_attn_func` if the flash-attn package imports cleanly, else None."""
    try:
        mod = importlib.import_module("flash_attn")
        return getattr(mod, "flash_attn_func", None)
    except Exception:  # broken CUDA/ABI installs raise all sorts of errors on import
        return None


def flash_available() -> bool:
    """True when flash-attn imports and a CUDA GPU of compute capability >= 8.0 is present."""
    if not torch.cuda.is_available():
        return False
    try:
        if torch.cuda.get_device_capability()[0] < 8:
            return False
    except Exception:
        return False
    return load_flash_fn() is not None


def resolve_backend(name: str, device: torch.device | str, dtype: torch.dtype = torch.float32) -> str:
    """Pick the concrete backend for `name` on `device`; `auto` prefers flash, then SDPA.

    An explicit `flash` that cannot run here is a config error rather than a silent fallback, so
    users who ask for it learn why they are not getting it.
    """
    name = (name or "auto").lower()
    if name not in BACKENDS:
        raise ConfigError(f"unknown attention backend {name!r}; choose one of {', '.join(BACKENDS)}")
    dev = torch.device(device)
    if name == "auto":
        if dev.type == "cuda" and flash_available():
            return "flash"
        return "sdpa"
    if name == "flash" and not (dev.type == "cuda" and flash_available()):
        raise ConfigError("attention 'flash' needs the flash-attn package and a CUDA GPU with compute "
                          "capability >= 8.0; use attention=auto or sdpa")
    return name


def eager_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Reference math: explicit scores matrix and softmax over keys."""
    scale = q.shape[-1] ** -0.5
    scores = torch.matmul(q, k.transpose(-2, -1)) * scale
    return torch.matmul(scores.softmax(dim=-1), v)


def sdpa_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Torch SDPA; its fused CPU/GPU kernels need unit stride on the head dim, else it falls back to math."""
    return F.scaled_dot_product_attention(q.contiguous(), k.contiguous(), v.contiguous())


def flash_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, fn: FlashFn) -> torch.Tensor:
    """(B, h, N, d) in and out; `fn` sees contiguous (B, N, h, d) tensors like flash-attn.

    On CUDA, fp32 inputs are cast to fp16 for the kernel (flash-attn supports only fp16/bf16) and
    the result cast back, as upstream does. Off CUDA (stand-ins in tests) the dtype is kept.
    """
    dtype = q.dtype
    work = dtype
    if q.device.type == "cuda" and dtype not in (torch.float16, torch.bfloat16):
        work = torch.float16
    qf, kf, vf = (t.transpose(1, 2).contiguous().to(work) for t in (q, k, v))
    out = fn(qf, kf, vf)
    return out.to(dtype).transpose(1, 2)


def attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, backend: str,
           flash_fn: FlashFn | None = None) -> torch.Tensor:
    """Dispatch on a resolved backend name."""
    if backend == "sdpa":
        return sdpa_attention(q, k, v)
    if backend == "eager":
        return eager_attention(q, k, v)
    if backend == "flash":
        fn = flash_fn or load_flash_fn()
        if fn is None:
            raise ConfigError("attention 'flash' was selected but flash_attn_func cannot be imported")
        return flash_attention(q, k, v, fn)
    raise ConfigError(f"unknown attention backend {backend!r}")
