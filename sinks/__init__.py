"""Outputs: JSONL, MOT, CVAT, COCO-video, annotated video. Files appear complete or not at all
(temp file, then rename); the JSONL of `run` is flushed per line instead."""

from yolotrack.sinks.base import AtomicFile, FileSink, Sink, StreamInfo

__all__ = ["AtomicFile", "FileSink", "Sink", "StreamInfo"]
