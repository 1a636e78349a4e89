"""ONNX Runtime: the cached ONNX export run by ORT's CPU (or CUDA / TensorRT) execution provider."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from yolotrack.core.errors import ConfigError
from yolotrack.detector.runtimes.base import RawOutput, Runtime, RuntimeSpec, device_type
from yolotrack.detector.runtimes.onnx_export import export_onnx
from yolotrack.detector.runtimes.source import ModelSource
from yolotrack.detector.runtimes.threads import default_threads

log = logging.getLogger(__name__)


def import_ort() -> Any:
    try:
        import onnxruntime
    except ImportError as e:
        raise ConfigError("model.runtime=onnxruntime needs the onnxruntime package "
                          "(pip install 'yolotrack[ort]'); or use runtime=torch") from e
    return onnxruntime


def providers_for(device: Any, available: list[str], tensorrt: bool = False) -> list[Any]:
    """Provider list in priority order; CPU is always last so unsupported ops still run."""
    if device_type(device) == "cuda":
        idx = getattr(device, "index", None) or 0
        chosen: list[Any] = []
        if tensorrt and "TensorrtExecutionProvider" in available:
            chosen.append(("TensorrtExecutionProvider", {"device_id": idx, "trt_fp16_enable": True,
                                                         "trt_engine_cache_enable": True}))
        if "CUDAExecutionProvider" not in available:
            raise ConfigError("device is CUDA but this onnxruntime has no CUDA provider; install "
                              "onnxruntime-gpu or use runtime=torch")
        chosen.append(("CUDAExecutionProvider", {"device_id": idx}))
        return [*chosen, "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


class OrtRuntime(Runtime):
    name = "onnxruntime"

    def __init__(self, source: ModelSource, spec: RuntimeSpec, onnx_path: Path | None = None,
                 tensorrt: bool = False) -> None:
        super().__init__(spec, source.task)  # fp32 only: precision requests were checked (check_request)
        ort = import_ort()
        self.onnx_path = onnx_path or export_onnx(source, spec.imgsz, spec.batch, spec.cache_dir)
        self.threads = default_threads(spec.threads)
        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.intra_op_num_threads = self.threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        # Spinning workers burn the core that decode/encode threads need between calls.
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
        so.log_severity_level = 3
        providers = providers_for(spec.device, ort.get_available_providers(), tensorrt)
        self.session = ort.InferenceSession(str(self.onnx_path), so, providers=providers)
        self.input_name = self.session.get_inputs()[0].name
        self.output_names = [o.name for o in self.session.get_outputs()]
        self.output_shapes = [tuple(o.shape) for o in self.session.get_outputs()]
        self._cuda = spec.device_type == "cuda"

    def forward(self, x: Any) -> RawOutput:
        if self._cuda:
            return self.pack(self._run_cuda(x))
        return super().forward(x)

    def run(self, x: np.ndarray) -> dict[str, np.ndarray]:
        outs = self.session.run(self.output_names, {self.input_name: x})
        return {n: np.ascontiguousarray(o) for n, o in zip(self.output_names, outs, strict=True)}

    def _run_cuda(self, x: Any) -> list[Any]:
        """IO binding: ORT reads and writes torch's CUDA buffers directly (no host round trip)."""
        import torch

        x = x.to(self.spec.device, torch.float32).contiguous()
        idx = torch.device(self.spec.device).index or 0
        binding = self.session.io_binding()
        binding.bind_input(self.input_name, "cuda", idx, np.float32, tuple(x.shape), x.data_ptr())
        outs = [torch.empty(s, dtype=torch.float32, device=self.spec.device) for s in self.output_shapes]
        for name, t in zip(self.output_names, outs, strict=True):
            binding.bind_output(name, "cuda", idx, np.float32, tuple(t.shape), t.data_ptr())
        self.session.run_with_iobinding(binding)
        return outs

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "threads": self.threads, "providers": self.session.get_providers(),
                "onnx": self.onnx_path.name}
