"""Small shared types: frames, detections, config and errors. No heavy imports here."""

from yolotrack.core.detections import Detections
from yolotrack.core.errors import (
    ConfigError,
    InvalidInputError,
    PipelineError,
    SourceError,
    UsageError,
    WeightsError,
    YolotrackError,
)
from yolotrack.core.frame import Frame

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
