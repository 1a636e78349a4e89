"""Small shared types: frames, detections, config and errors. No heavy imports here."""

from core.detections import Detections
from core.errors import (
    ConfigError,
    InvalidInputError,
    PipelineError,
    SourceError,
    UsageError,
    WeightsError,
    YolotrackError,
)
from core.frame import Frame

__all__ = [
    "ConfigError",
    "Detections",
    "Frame",
    "InvalidInputError",
    "PipelineError",
    "SourceError",
    "UsageError",
    "WeightsError",
    "YolotrackError",
]
