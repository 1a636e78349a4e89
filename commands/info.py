"""`yolotrack info`: versions, device, and what `model.weights`, `model.runtime` and `model.attention: auto` pick.

Given the same `-c`, `--source`, `--weights`, `--cameras` or overrides as `run` or `gui`, the weights
line says which model that command would load, and why (nothing is downloaded here).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import platform
import sys

log = logging.getLogger(__name__)


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", default="auto", help="device to report on (auto, cpu, cuda, cuda:N)")
    p.add_argument("--ray", metavar="ADDRESS", help="also show a Ray cluster's nodes and resources "
                   "(auto, host:port of the head, ray://host:10001)")
    p.add_argument("-c", "--config", help="config file or preset whose model choice to report")
    p.add_argument("--source", help="the source to report the model choice for (as in run and gui)")
    p.add_argument("--weights", help="model.weights to report on (default: the config's, auto)")
    p.add_argument("--cameras", metavar="FILE", help="a cameras file: the model one detector for all of them loads")
    p.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="config overrides, as in run and gui")


def weights_line(args: argparse.Namespace) -> str:
    """What `model.weights` stands for with this config and these sources, and why."""
    from yolotrack.commands.common import config_from_args
    from yolotrack.core.errors import ConfigError
    from yolotrack.detector.auto_weights import choose_weights

    cfg, _ = config_from_args(args)
    uris = cfg.source.uri if isinstance(cfg.source.uri, list) else [cfg.source.uri]
    try:
        if args.cameras:
            from yolotrack.core.cameras import load_cameras

            cams = load_cameras(args.cameras)
            gui = choose_weights(cfg.model, [c.source for c in cams]).describe()
            per: dict[str, list[str]] = {}  # `run --cameras` decides per camera, by its own source
            for c in cams:
                per.setdefault(choose_weights(c.config(cfg).model, [c.source]).describe(), []).append(c.name)
            run = "; ".join(f"{', '.join(names)}: {what}" for what, names in per.items())
            return f"run --cameras: {run}; gui --cameras (one detector): {gui}"
        return choose_weights(cfg.model, [str(u) for u in uris]).describe()
    except ConfigError as e:
        return f"none: {e}"


def _version(module: str) -> str:
    try:
        mod = importlib.import_module(module)
    except Exception as e:  # a broken optional install must not break `info`
        return f"not available ({type(e).__name__})"
    return str(getattr(mod, "__version__", getattr(mod, "VERSION", "installed")))


def _cpu_precisions() -> str:
    """What `model.precision` can be on this CPU (bf16 needs the CPU's bfloat16 instructions)."""
    try:
        from yolotrack.detector.runtimes.openvino_runtime import cpu_capabilities, import_ov

        caps = cpu_capabilities(import_ov().Core())
    except Exception as e:  # no openvino: only fp32, on any runtime
        return f"fp32 (openvino not available: {type(e).__name__})"
    usable = ["fp32", *(["bf16"] if "BF16" in caps else []), *(["int8"] if "INT8" in caps else [])]
    return f"{', '.join(usable)} (OpenVINO CPU capabilities: {', '.join(caps)})"


def run(args: argparse.Namespace) -> int:
    import torch

    from yolotrack.detector.attention import flash_available, resolve_backend
    from yolotrack.detector.device import select_device
    from yolotrack.detector.runtimes.select import auto_candidates

    device = select_device(args.device)
    weights = weights_line(args)
    lines = [
        ("python", platform.python_version()),
        ("platform", platform.platform()),
        ("torch", torch.__version__),
        ("torch threads", str(torch.get_num_threads())),
        ("cuda available", str(torch.cuda.is_available())),
        ("device", str(device)),
        ("numpy", _version("numpy")),
        ("opencv", _version("cv2")),
        ("av (PyAV)", _version("av")),
        ("lap", _version("lap")),
        ("openvino", _version("openvino")),
        ("onnxruntime", _version("onnxruntime")),
        ("PyQt6", _version("PyQt6.QtCore") if _version("PyQt6") else "not installed"),
        ("runtime auto picks", f"{auto_candidates(device.type)[0]} (installed, fastest first: "
                               f"{', '.join(auto_candidates(device.type))})"),
        ("cpu precisions", _cpu_precisions()),
        ("flash_attn importable", str(flash_available())),
        ("attention auto picks", resolve_backend("auto", device, torch.float16 if device.type == "cuda"
                                                 else torch.float32)),
        ("weights", weights),
    ]
    if getattr(args, "ray", None):
        from yolotrack.cluster.ray_connect import cluster_lines

        lines.extend(cluster_lines(args.ray))
    width = max(len(k) for k, _ in lines)
    for k, v in lines:
        sys.stdout.write(f"{k:<{width}}  {v}\n")
    return 0
