"""int8 post-training quantization of the OpenVINO IR with NNCF, once per weights, shape and calibration set.

Which parts stay in float was decided by measuring, not by rule: `benchmarks/precision.py --ablation`
quantizes the demo model with each structure below kept in float (and with all of them, and none),
and scores every variant on held-out synthetic scenes with exact ground truth. The findings are in
BENCHMARKS.md ("int8: what stays in float"); `FLOAT` is the set with which int8 kept fp32's
accuracy. The float islands compute in bf16 where the CPU has it (measured harmless there).
Structures are node-name patterns of our ONNX export (`/model.<i>/...`, the head is the last
layer), so they hold for every YOLOv12 scale and task.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from yolotrack.core.errors import ConfigError
from yolotrack.detector.letterbox import letterbox
from yolotrack.detector.runtimes.base import RuntimeSpec, frames_to_float
from yolotrack.detector.runtimes.cache import package_version

log = logging.getLogger(__name__)

QUANT_FORMAT = 1  # bump when FLOAT or the NNCF settings change: older int8 files are then not reused

HEAD = r".*/model\.21/"
# structure -> (node-name regexes, op types) that NNCF leaves unquantized
STRUCTURES: dict[str, tuple[list[str], list[str]]] = {
    # the area-attention products q@k^T and softmax(.)@v (their inputs would be quantized)
    "attention": ([r".*/attn/MatMul(_\d+)?$", r".*/attn/Softmax$", r".*/attn/Mul$"], []),
    # distribution focal loss decode: softmax over 16 bins and the expectation
    "dfl": ([HEAD + r"dfl/.*"], []),
    # anchor arithmetic turning distances into xywh pixels, and the class sigmoid
    "decode": ([HEAD + r"(Add|Sub|Mul|Div)(_\d+)?$"], ["Sigmoid"]),
    # the concats that join box distributions with class logits, and boxes (pixels) with scores (0..1)
    "concat": ([HEAD + r"Concat(_\d+)?$"], []),
    # the last 1x1 convs of the head: raw box distributions, class logits, mask/keypoint coefficients
    "head_out": ([HEAD + r"cv\d\.\d/cv\d\.\d\.2/Conv(/WithoutBiases)?$"], []),
    # the stem conv on the image
    "stem": ([r".*/model\.0/conv/Conv(/WithoutBiases)?$"], []),
}
FLOAT = ("attention", "dfl", "decode", "concat")
BIAS_CORRECTION = False  # NNCF fast bias correction: most of the calibration time, little accuracy (BENCHMARKS.md)
FLOAT_PART_HINT = "bf16"  # what the float structures compute in, on CPUs with bf16 (else f32)


def ignored_scope(structures: tuple[str, ...]) -> Any:
    import nncf

    names: list[str] = []
    types: list[str] = []
    for s in structures:
        if s not in STRUCTURES:
            raise ValueError(f"unknown structure {s!r}; known: {', '.join(STRUCTURES)}")
        names += STRUCTURES[s][0]
        types += STRUCTURES[s][1]
    return nncf.IgnoredScope(patterns=names, types=sorted(set(types)), validate=False)


def calibration_inputs(frames: list[np.ndarray], spec: RuntimeSpec) -> list[np.ndarray]:
    """Letterboxed to the runtime's exact input, as the Detector feeds it; grouped into its batch size."""
    boxed = np.stack([letterbox(f, spec.imgsz)[0] for f in frames])
    b = spec.batch
    usable = (len(boxed) // b) * b or b
    if len(boxed) < b:
        boxed = np.concatenate([boxed] * -(-b // len(boxed)))[:b]
    return [frames_to_float(boxed[i:i + b]) for i in range(0, usable, b)]


def int8_path(fp32_ir: Path, calibration_key: str, structures: tuple[str, ...] = FLOAT) -> Path:
    """The fp32 IR's name with the calibration key, NNCF's version and the float structures in it."""
    kept = "-".join(sorted(structures)) or "none"
    name = fp32_ir.stem.replace("-fp32-", f"-int8c{calibration_key}-", 1)
    bc = "" if BIAS_CORRECTION else "-nobc"
    return fp32_ir.with_name(f"{name}-nncf{package_version('nncf')}-float-{kept}{bc}-q{QUANT_FORMAT}.xml")


def quantize(ov_model: Any, inputs: list[np.ndarray], structures: tuple[str, ...] = FLOAT) -> Any:
    """NNCF post-training quantization (mixed preset: symmetric weights, asymmetric activations)."""
    try:
        import nncf
    except ImportError as e:
        raise ConfigError("model.precision=int8 needs NNCF (pip install 'yolotrack[openvino]'); "
                          "or use precision fp32 / bf16") from e
    from nncf.quantization.advanced_parameters import AdvancedQuantizationParameters

    logging.getLogger("nncf").setLevel(logging.WARNING)
    return nncf.quantize(ov_model, nncf.Dataset(inputs), preset=nncf.QuantizationPreset.MIXED,
                         subset_size=len(inputs), ignored_scope=ignored_scope(structures),
                         advanced_parameters=AdvancedQuantizationParameters(
                             disable_bias_correction=not BIAS_CORRECTION))


def quantized_ir(fp32_ir: Path, spec: RuntimeSpec, ov: Any, structures: tuple[str, ...] = FLOAT) -> Path:
    """The cached int8 IR for this fp32 IR and calibration set, made (with a progress bar) on first use."""
    from yolotrack.detector.runtimes.openvino_runtime import save_ir

    calib = spec.calibration
    if calib is None:
        raise ConfigError("model.precision=int8 needs calibration frames: set model.calibration to an image "
                          "folder or a video (a file source is used by default; a camera or stream is not)")
    dest = int8_path(fp32_ir, calib.key, structures)
    if dest.is_file() and dest.with_suffix(".bin").is_file():
        return dest
    t0 = time.perf_counter()
    frames = calib.frames()
    log.warning("int8: calibrating on %s (%d frames, %dx%d); once, then cached", calib.description, len(frames),
                spec.imgsz[1], spec.imgsz[0])
    inputs = calibration_inputs(frames, spec)
    q = quantize(ov.Core().read_model(str(fp32_ir)), inputs, structures)
    save_ir(ov, q, dest)
    log.warning("int8: model quantized in %.1f s, cached as %s", time.perf_counter() - t0, dest.name)
    return dest
