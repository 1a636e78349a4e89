"""The PyTorch runtime: the model itself, run the fastest way torch offers on the device.

CPU: float32, inference_mode, channels_last when measured faster. CUDA: fp16 (FlashAttention is
chosen by the model's attention setting), channels_last, and optionally a captured CUDA graph for
small fixed batches, which removes the per-kernel launch cost that dominates n/s models.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from yolotrack.detector.runtimes.base import RawOutput, Runtime, RuntimeSpec, frames_to_float
from yolotrack.detector.runtimes.onnx_export import output_names

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TorchPlan:
    """The settings for a device type; pure data so CPU tests can check the CUDA choices."""

    dtype: torch.dtype
    channels_last: bool
    cuda_graph: bool
    compile: bool
    set_threads: bool


def plan_for(device: torch.device, channels_last: bool | None = None, cuda_graph: bool | None = None,
             compile: bool = False) -> TorchPlan:
    """CPU defaults follow the BENCHMARKS.md measurement (channels_last was not faster for n at 640)."""
    if device.type == "cuda":
        return TorchPlan(dtype=torch.float16, channels_last=True if channels_last is None else channels_last,
                         cuda_graph=True if cuda_graph is None else cuda_graph, compile=compile, set_threads=False)
    return TorchPlan(dtype=torch.float32, channels_last=bool(channels_last), cuda_graph=False, compile=compile,
                     set_threads=True)


def to_layout(x: torch.Tensor, plan: TorchPlan, device: torch.device) -> torch.Tensor:
    """Move/convert one input batch to what the model expects (non-blocking from pinned memory)."""
    x = x.to(device, dtype=plan.dtype, non_blocking=True)
    if plan.channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    return x


class TorchRuntime(Runtime):
    name = "torch"

    def __init__(self, model: torch.nn.Module, spec: RuntimeSpec, channels_last: bool | None = None,
                 cuda_graph: bool | None = None, compile: bool = False) -> None:
        super().__init__(spec, getattr(model, "task", "detect"))
        self.device = torch.device(spec.device)
        self.output_names = output_names(self.task, getattr(model, "return_features", False))
        self.plan = plan_for(self.device, channels_last, cuda_graph, compile)
        if self.plan.set_threads and spec.threads is not None:
            torch.set_num_threads(spec.threads)
        model = model.to(self.device, dtype=self.plan.dtype).eval()
        if self.plan.channels_last:
            model = model.to(memory_format=torch.channels_last)
        self.model: Any = torch.compile(model, dynamic=False) if self.plan.compile else model
        self._graph: Any = None
        self._static_in: torch.Tensor | None = None
        self._static_out: RawOutput | None = None

    @torch.inference_mode()
    def forward(self, x: torch.Tensor) -> RawOutput:
        x = to_layout(x, self.plan, self.device)
        if self.plan.cuda_graph:
            return self._graphed(x)
        return self.model(x)

    def infer(self, frames: np.ndarray) -> dict[str, np.ndarray]:
        self._check(frames.shape, "nhwc")
        out = self.forward(torch.from_numpy(frames_to_float(frames)))
        outs = out if isinstance(out, tuple) else (out,)
        return {n: o.float().cpu().numpy() for n, o in zip(self.output_names, outs, strict=True)}

    def _graphed(self, x: torch.Tensor) -> RawOutput:
        """Capture once (after a warm-up on a side stream, as CUDA graphs require), then replay."""
        if self._graph is None:
            self._static_in = x.clone()
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                for _ in range(2):
                    self.model(self._static_in)
            torch.cuda.current_stream().wait_stream(side)
            self._graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(self._graph):
                self._static_out = self.model(self._static_in)
        assert self._static_in is not None and self._static_out is not None
        self._static_in.copy_(x)
        self._graph.replay()
        out = self._static_out
        return tuple(t.clone() for t in out) if isinstance(out, tuple) else out.clone()

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "dtype": str(self.plan.dtype).replace("torch.", ""),
                "channels_last": self.plan.channels_last, "cuda_graph": self.plan.cuda_graph,
                "compile": self.plan.compile, "threads": torch.get_num_threads()}
