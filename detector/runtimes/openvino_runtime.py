"""OpenVINO: the ONNX export converted once to OpenVINO IR (float32 kept) and compiled for the CPU."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from yolotrack.core.errors import ConfigError
from yolotrack.core.files import atomic_write
from yolotrack.detector.runtimes.base import RawOutput, Runtime, RuntimeSpec
from yolotrack.detector.runtimes.onnx_export import export_onnx
from yolotrack.detector.runtimes.threads import default_threads

log = logging.getLogger(__name__)


def import_ov() -> Any:
    try:
        import openvino
    except ImportError as e:
        raise ConfigError("model.runtime=openvino needs the openvino package "
                          "(pip install 'yolotrack[openvino]'); or use runtime=torch") from e
    return openvino


def ov_version(ov: Any) -> str:
    return str(ov.get_version()).split("-")[0]


def ir_path_for(onnx_path: Path, ov: Any) -> Path:
    """The IR sits beside the ONNX it came from, with the OpenVINO version added to the key."""
    return onnx_path.with_name(f"{onnx_path.stem}-ov{ov_version(ov)}.xml")


def convert_ir(onnx_path: Path, ov: Any) -> Path:
    """ONNX -> IR (.xml + .bin) unless cached; the .xml is renamed last, so its presence means complete."""
    xml = ir_path_for(onnx_path, ov)
    if xml.is_file() and xml.with_suffix(".bin").is_file():
        return xml
    t0 = time.perf_counter()
    ov_model = ov.convert_model(str(onnx_path))

    def write(tmp_xml: Path) -> None:
        # compress_to_fp16 defaults to True and would change the outputs beyond the agreement bound.
        ov.save_model(ov_model, str(tmp_xml), compress_to_fp16=False)
        os.replace(tmp_xml.with_suffix(".bin"), xml.with_suffix(".bin"))

    atomic_write(xml, write, ".xml")
    log.info("converted %s to OpenVINO IR in %.1f s", onnx_path.name, time.perf_counter() - t0)
    return xml


class OpenVinoRuntime(Runtime):
    name = "openvino"

    def __init__(self, model: torch.nn.Module, spec: RuntimeSpec, onnx_path: Path | None = None) -> None:
        super().__init__(spec, getattr(model, "task", "detect"))
        if spec.device.type != "cpu":
            raise ConfigError(f"runtime=openvino runs on the CPU here, not {spec.device}; use device=cpu, "
                              "or runtime=torch / onnxruntime for CUDA")
        ov = import_ov()
        onnx_path = onnx_path or export_onnx(model, spec.imgsz, spec.batch, spec.weights_path, spec.cache_dir)
        self.ir_path = convert_ir(onnx_path, ov)
        self.threads = default_threads(spec.threads)
        core = ov.Core()
        config = {
            "PERFORMANCE_HINT": "LATENCY",
            "INFERENCE_NUM_THREADS": self.threads,
            "NUM_STREAMS": 1,
            "INFERENCE_PRECISION_HINT": "f32",  # no silent bf16 on CPUs that have it
            "ENABLE_CPU_PINNING": False,  # a shared machine: pinned threads fight the pipeline's
        }
        self.compiled = core.compile_model(str(self.ir_path), "CPU", config)
        self.request = self.compiled.create_infer_request()
        self.outputs = list(self.compiled.outputs)

    def forward(self, x: torch.Tensor) -> RawOutput:
        arr = np.ascontiguousarray(x.detach().to("cpu", torch.float32).numpy())
        self.request.infer({0: arr})
        outs = [torch.from_numpy(self.request.get_tensor(o).data.copy()) for o in self.outputs]
        return self.pack(outs)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "threads": self.threads, "ir": self.ir_path.name}
