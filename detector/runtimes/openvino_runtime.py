"""OpenVINO: the ONNX export converted once to IR, compiled for the CPU in fp32, bf16 or int8.

- fp32: `INFERENCE_PRECISION_HINT=f32`. OpenVINO computes in bf16 by default on CPUs that have it
  (AVX-512 BF16, AMX), which would silently change the outputs; fp32 means fp32 here.
- bf16: the same IR with the bf16 hint, only on CPUs whose OpenVINO device reports BF16.
- int8: the fp32 IR quantized once with NNCF on calibration frames (quantize.py), cached per
  weights, input shape and calibration set.

Frames enter as the letterboxed BGR uint8 batch: OpenVINO's pre-processing (type conversion,
BGR->RGB, /255, NHWC->NCHW) is compiled into the first layer, so Python makes no float copy.
Compiled blobs go to OpenVINO's own cache under the export cache, which makes a warm start's
compile a file read.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from yolotrack.core.errors import ConfigError
from yolotrack.core.files import atomic_write
from yolotrack.detector.runtimes.base import Runtime, RuntimeSpec
from yolotrack.detector.runtimes.cache import export_dir
from yolotrack.detector.runtimes.onnx_export import export_onnx
from yolotrack.detector.runtimes.source import ModelSource
from yolotrack.detector.runtimes.threads import default_threads

log = logging.getLogger(__name__)

HINTS = {"fp32": "f32", "bf16": "bf16"}


def import_ov() -> Any:
    """The openvino module, with its usage telemetry off.

    OpenVINO's model converter and NNCF send usage events to Google Analytics unless the user opted out,
    from a process forked off ours: network at run time, and a fork of a threaded process that can deadlock
    (a first run on a fresh machine, outside CI where they stay quiet, once hung at exit joining it). Both
    use their no-op stub when `openvino_telemetry` cannot be imported, so it is made unimportable before
    openvino is first imported (a program that imported it already keeps it)."""
    sys.modules.setdefault("openvino_telemetry", None)  # type: ignore[assignment]
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


def save_ir(ov: Any, ov_model: Any, xml: Path) -> Path:
    """Write .xml + .bin; the .xml is renamed last, so its presence means complete."""

    def write(tmp_xml: Path) -> None:
        # compress_to_fp16 defaults to True and would change the outputs beyond the agreement bound.
        ov.save_model(ov_model, str(tmp_xml), compress_to_fp16=False)
        os.replace(tmp_xml.with_suffix(".bin"), xml.with_suffix(".bin"))

    return atomic_write(xml, write, ".xml")


def convert_ir(onnx_path: Path, ov: Any) -> Path:
    """ONNX -> IR (.xml + .bin) unless cached."""
    xml = ir_path_for(onnx_path, ov)
    if xml.is_file() and xml.with_suffix(".bin").is_file():
        return xml
    t0 = time.perf_counter()
    save_ir(ov, ov.convert_model(str(onnx_path)), xml)
    log.info("converted %s to OpenVINO IR in %.1f s", onnx_path.name, time.perf_counter() - t0)
    return xml


def cpu_capabilities(core: Any) -> list[str]:
    try:
        return [str(c) for c in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")]
    except Exception:  # an old or odd plugin: assume the minimum
        return ["FP32"]


def supports_bf16(core: Any) -> bool:
    return "BF16" in cpu_capabilities(core)


def check_precision(core: Any, precision: str) -> None:
    """bf16 needs the CPU's support; say which CPU and what it offers when it lacks it."""
    if precision == "bf16" and not supports_bf16(core):
        try:
            cpu = str(core.get_property("CPU", "FULL_DEVICE_NAME"))
        except Exception:
            cpu = "this CPU"
        raise ConfigError(f"model.precision=bf16 needs a CPU with bfloat16 instructions (AVX-512 BF16 or AMX); "
                          f"{cpu} offers {', '.join(cpu_capabilities(core))}; use precision fp32 or int8")


class OpenVinoRuntime(Runtime):
    name = "openvino"

    def __init__(self, source: ModelSource, spec: RuntimeSpec, onnx_path: Path | None = None) -> None:
        super().__init__(spec, source.task)
        if spec.device_type != "cpu":
            raise ConfigError(f"runtime=openvino runs on the CPU here, not {spec.device}; use device=cpu, "
                              "or runtime=torch / onnxruntime for CUDA")
        ov = self.ov = import_ov()
        self.core = ov.Core()  # bf16 support was checked with the request (check_request)
        self.core.set_property({"CACHE_DIR": str(export_dir(spec.cache_dir) / "openvino-compiled")})
        self.ir_path = self.fp32_ir = convert_ir(onnx_path or export_onnx(source, spec.imgsz, spec.batch,
                                                                           spec.cache_dir), ov)
        if spec.precision == "int8":
            from yolotrack.detector.runtimes import quantize

            self.ir_path = quantize.quantized_ir(self.fp32_ir, spec, ov, quantize.FLOAT)
            hint = quantize.FLOAT_PART_HINT if supports_bf16(self.core) else "f32"
        else:
            hint = HINTS[spec.precision]
        self.threads = default_threads(spec.threads)
        self.config = {
            "PERFORMANCE_HINT": "LATENCY",
            "INFERENCE_NUM_THREADS": self.threads,
            "NUM_STREAMS": 1,
            "INFERENCE_PRECISION_HINT": hint,  # fp32 asks for f32: no silent bf16 on CPUs that have it
            "ENABLE_CPU_PINNING": False,  # a shared machine: pinned threads fight the pipeline's
        }
        self.hint = hint
        self._compiled: dict[str, tuple[Any, Any, list[str]]] = {}
        # One infer request per input kind, and a request is not safe to use from two threads at once:
        # a detector shared by two pipelines (or a warmup beside a running camera) takes turns here,
        # while separate detectors, each with its own runtime, still run at once.
        self._busy = threading.Lock()
        self.output_names = self._request("u8")[2]

    def _request(self, kind: str) -> tuple[Any, Any, list[str]]:
        """The compiled model + request for float NCHW input (`run`) or uint8 BGR NHWC frames (`infer`)."""
        hit = self._compiled.get(kind)
        if hit is None:
            ov = self.ov
            model = self.core.read_model(str(self.ir_path))
            if kind == "u8":
                from openvino.preprocess import ColorFormat, PrePostProcessor

                ppp = PrePostProcessor(model)
                inp = ppp.input()
                inp.tensor().set_element_type(ov.Type.u8).set_layout(ov.Layout("NHWC")) \
                    .set_color_format(ColorFormat.BGR)
                inp.model().set_layout(ov.Layout("NCHW"))
                inp.preprocess().convert_element_type(ov.Type.f32).convert_color(ColorFormat.RGB).scale(255.0)
                model = ppp.build()
            t0 = time.perf_counter()
            compiled = self.core.compile_model(model, "CPU", self.config)
            log.debug("compiled %s (%s input) in %.2f s", self.ir_path.name, kind, time.perf_counter() - t0)
            names = [o.get_any_name() for o in compiled.outputs]
            hit = self._compiled[kind] = (compiled, compiled.create_infer_request(), names)
        return hit

    def _outputs(self, request: Any, compiled: Any, names: list[str]) -> dict[str, np.ndarray]:
        return {n: request.get_tensor(o).data.copy() for n, o in zip(names, compiled.outputs, strict=True)}

    def run(self, x: np.ndarray) -> dict[str, np.ndarray]:
        with self._busy:
            compiled, request, names = self._request("f32")
            request.infer({0: np.ascontiguousarray(x, dtype=np.float32)})
            return self._outputs(request, compiled, names)

    def infer(self, frames: np.ndarray) -> dict[str, np.ndarray]:
        self._check(frames.shape, "nhwc")
        with self._busy:
            compiled, request, names = self._request("u8")
            request.infer({0: np.ascontiguousarray(frames)})
            return self._outputs(request, compiled, names)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "threads": self.threads, "ir": self.ir_path.name, "hint": self.hint}
