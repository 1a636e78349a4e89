"""The attention backends agree: eager vs SDPA, and the flash path through an SDPA stand-in."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from yolotrack.core.errors import ConfigError
from yolotrack.detector import load_model, torch_thread
from yolotrack.detector.attention import attend, flash_available, resolve_backend


class FlashStandin:
    """flash_attn_func's contract: contiguous (B, N, H, D) in, (B, N, H, D) out; computed with SDPA."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, ...]] = []

    def __call__(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        assert q.dim() == 4 and q.shape[-1] == 32 and q.is_contiguous() and k.is_contiguous() and v.is_contiguous()
        self.calls.append(tuple(q.shape))
        out = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2))
        return out.transpose(1, 2)


@pytest.fixture(autouse=True)
def _threads():
    old = torch.get_num_threads()
    torch_thread.set_threads(1)
    yield
    torch_thread.set_threads(old)


def test_kernels_agree_on_random_tensors() -> None:
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(3, 2, 50, 32, generator=g) for _ in range(3))
    e = attend(q, k, v, "eager")
    strided_q = q.transpose(2, 3).contiguous().transpose(2, 3)
    assert (e - attend(strided_q, k, v, "sdpa")).abs().max() <= 1e-5
    fn = FlashStandin()
    assert (e - attend(q, k, v, "flash", fn)).abs().max() <= 1e-5
    assert fn.calls == [(3, 50, 2, 32)]  # (B, N, H, D)


@pytest.mark.parametrize("name", ["ultralytics_yolo12n", "official_yolov12n"])
def test_model_backends_agree(fixtures_dir: Path, name: str) -> None:
    model = load_model(fixtures_dir / f"{name}.pt", attention="eager")
    x = torch.rand(1, 3, 128, 192, generator=torch.Generator().manual_seed(1))
    outs = {}
    fn = FlashStandin()
    for backend in ("eager", "sdpa", "flash"):
        model.set_attention(backend, flash_fn=fn if backend == "flash" else None)
        with torch.inference_mode():
            outs[backend] = model(x)
    ref = outs["eager"]
    scale = 1 + ref.abs().max()
    assert (outs["sdpa"] - ref).abs().max() / scale <= 1e-5
    assert (outs["flash"] - ref).abs().max() / scale <= 1e-5
    assert len(fn.calls) == 8  # 4 ABlocks in each of layers 6 and 8
    assert fn.calls[0] == (4, (128 // 16) * (192 // 16) // 4, 2, 32)  # area 4 splits P4 tokens into 4 rows of the batch


def test_resolve_backend() -> None:
    cpu = torch.device("cpu")
    assert resolve_backend("auto", cpu) == "sdpa"
    assert resolve_backend("eager", cpu) == "eager"
    assert resolve_backend("sdpa", cpu, torch.float32) == "sdpa"
    assert flash_available() is (torch.cuda.is_available() and flash_available())
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="flash-attn"):
            resolve_backend("flash", cpu)
    with pytest.raises(ConfigError, match="unknown attention"):
        resolve_backend("fast", cpu)
