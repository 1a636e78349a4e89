"""Outputs: JSONL, MOT, CVAT, COCO-video, annotated video. Each finalizes atomically."""

from yolotrack.sinks.base import AtomicFile, FileSink, Sink, StreamInfo

__all__ = ["AtomicFile", "FileSink", "Sink", "StreamInfo"]
