"""torch -> ONNX for the ONNX Runtime and OpenVINO runtimes, cached per weights / shape / batch.

Static shapes only: one export per (imgsz, batch) lets both runtimes plan every buffer up front,
and the head's anchor grid becomes a constant. The attention is traced through the plain math
path (matmul, softmax): FlashAttention has no ONNX form and the SDPA op has no opset 17 op, while
both runtimes fuse the plain pattern themselves.
"""

from __future__ import annotations

import copy
import logging
import time
import warnings
from pathlib import Path
from typing import Any

from yolotrack.core.errors import WeightsError
from yolotrack.core.files import atomic_write
from yolotrack.detector.runtimes.cache import export_dir, export_name, package_version
from yolotrack.detector.runtimes.source import ModelSource

log = logging.getLogger(__name__)

OPSET = 17


def output_names(task: str, features: bool = False) -> list[str]:
    names = ["output0", "protos"] if task == "segment" else ["output0"]
    return [*names, "feat0"] if features else names


def _export(model: Any, dest: Path, shape: tuple[int, int, int, int]) -> None:
    import torch

    m = copy.deepcopy(model).float().cpu().eval()
    if hasattr(m, "set_attention"):
        m.set_attention("eager")
    x = torch.zeros(shape, dtype=torch.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes on shape-dependent Python in the head
        torch.onnx.export(m, (x,), str(dest), opset_version=OPSET, input_names=["images"],
                          output_names=output_names(getattr(m, "task", "detect"), getattr(m, "return_features", False)),
                          dynamo=False,
                          do_constant_folding=True)


def onnx_path_for(source: ModelSource, imgsz: tuple[int, int], batch: int, cache_dir: Path | None) -> Path:
    """Found by name alone (the torch version from package metadata), so a warm start needs no torch."""
    tool = f"torch{package_version('torch')}-opset{OPSET}"
    key = source.card.key + ("-feats" if source.features else "")
    return export_dir(cache_dir) / export_name(source.stem, key, imgsz, batch, tool, ".onnx")


def export_onnx(source: ModelSource, imgsz: tuple[int, int], batch: int = 1, cache_dir: Path | None = None) -> Path:
    """Path of the cached ONNX file for this model and shape, exporting it on first use."""
    dest = onnx_path_for(source, imgsz, batch, cache_dir)
    if dest.is_file():
        log.debug("reusing ONNX export %s", dest)
        return dest
    log.info("first use of input %dx%d (batch %d): exporting the model once, cached in %s",
             imgsz[0], imgsz[1], batch, dest.parent)
    from yolotrack.detector import torch_thread

    model = torch_thread.run(source.module)
    t0 = time.perf_counter()
    try:  # torch work, so on the torch thread (detector/torch_thread.py)
        atomic_write(dest, lambda tmp: torch_thread.run(_export, model, tmp, (batch, 3, imgsz[0], imgsz[1])),
                     ".onnx")
    except Exception as e:  # the exporter raises many types; the user needs one sentence
        raise WeightsError(f"could not export the model to ONNX ({type(e).__name__}: {e}); "
                           "use model.runtime=torch") from e
    log.info("exported ONNX %s in %.1f s", dest.name, time.perf_counter() - t0)
    return dest
