"""`InferenceSpec`: how a `Detector` runs, as one frozen value, checked once.

The `model` config section reached the detector as loose keywords, was packed again for the
runtime and the compiled runtime instance, and checked on the way in several places. Now the
spec is built once (from a `ModelConfig`, or from keywords in code and tests), checked when it
is built (`check_request`: precision, runtime and device together, before any export), and
handed down unchanged. Its defaults are the config's, so a `Detector` made in code runs like one
made from a config file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from yolotrack.core.config import ModelConfig
from yolotrack.core.errors import ConfigError

_DEFAULTS = ModelConfig()


@dataclasses.dataclass(frozen=True, kw_only=True)
class InferenceSpec:
    """Everything a `Detector` is built with; keyword-only, frozen.

    `weights` is a name (`demo`, `yolov12n`...), a path, or a torch module; `calibration` what int8
    calibrates on (a folder, a video, frames, a `CalibrationSet`); `embeddings` makes every
    `Detections` carry appearance features (trackers that match on appearance).
    """

    weights: Any = "demo"
    imgsz: int = _DEFAULTS.imgsz
    conf: float = _DEFAULTS.conf
    iou: float = _DEFAULTS.iou
    classes: Sequence[int | str] | None = None
    max_det: int = _DEFAULTS.max_det
    agnostic_nms: bool = _DEFAULTS.agnostic_nms
    device: Any = _DEFAULTS.device
    half: bool | None = _DEFAULTS.half
    attention: str = _DEFAULTS.attention
    runtime: str = _DEFAULTS.runtime
    threads: int | None = None
    precision: str = _DEFAULTS.precision
    calibration: Any = None
    calibration_frames: int = _DEFAULTS.calibration_frames
    embeddings: bool = False

    def __post_init__(self) -> None:
        """The one check of a detector request (before any model is loaded or exported)."""
        if self.imgsz < 32:
            raise ConfigError(f"imgsz must be at least 32, got {self.imgsz}")
        from yolotrack.detector.runtimes import check_request

        check_request(self.runtime, self.precision, self.device)

    @classmethod
    def from_config(cls, cfg: ModelConfig, source: str | Sequence[str] | None = None,
                    embeddings: bool = False) -> InferenceSpec:
        """From the `model` section. `source` (the pipeline's `source.uri`) is what int8 calibrates on
        when `model.calibration` is empty and the source is a file, a folder or the demo."""
        from yolotrack.detector.hub import weights_name

        calibration: Any = cfg.calibration
        if cfg.precision == "int8" and not calibration and source is not None:
            from yolotrack.detector.calibration import fallback_source

            calibration = fallback_source(source if isinstance(source, str) else list(source))
        return cls(weights=cfg.weights or weights_name(cfg.scale, cfg.task), imgsz=cfg.imgsz, conf=cfg.conf,
                   iou=cfg.iou, classes=cfg.classes, max_det=cfg.max_det, agnostic_nms=cfg.agnostic_nms,
                   device=cfg.device, half=cfg.half, attention=cfg.attention, runtime=cfg.runtime,
                   precision=cfg.precision, calibration=calibration or None,
                   calibration_frames=cfg.calibration_frames, embeddings=embeddings)

