"""`yolotrack run`: headless tracking for RTSP cameras, webcams and files, writing JSON Lines.

Runs until every source ends (files) or forever (live streams reconnect), and stops cleanly on
SIGINT/SIGTERM: capture stops, frames in flight are finished, outputs are flushed, exit code 0.
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

from yolotrack.commands.common import add_model_flags, config_from_args
from yolotrack.core.config import Config
from yolotrack.core.errors import UsageError

log = logging.getLogger(__name__)


def configure(p: argparse.ArgumentParser) -> None:
    add_model_flags(p)
    p.add_argument("-o", "--output", metavar="PATH", help="per-frame tracks as JSON Lines to PATH ('-' = stdout)")
    p.add_argument("--events", metavar="PATH", help="track lifecycle events to PATH (default: in the main stream)")
    p.add_argument("--record", metavar="MP4", help="also record an annotated video (one source only)")
    p.add_argument("--no-track", action="store_true", help="detections only, no tracker")
    p.epilog = "Example: yolotrack run -c rtsp_headless --source rtsp://cam/stream -o tracks.jsonl"


def build_sinks(cfg: Config) -> list:
    from yolotrack.sinks.jsonl import JsonlSink

    sinks: list = [JsonlSink(cfg.output.jsonl, cfg.output.events)]
    if cfg.output.video:
        uris = cfg.source.uri if isinstance(cfg.source.uri, list) else [cfg.source.uri]
        if len(uris) > 1:
            raise UsageError("output.video records one source; run one process per camera to record several")
        try:
            from yolotrack.sinks.video import VideoSink
        except ImportError:
            raise UsageError("annotated recording is not available in this build (sinks.video missing)") from None
        sinks.append(VideoSink.from_config(cfg.output.video, cfg))
    return sinks


def run(args: argparse.Namespace) -> int:
    cfg, _ = config_from_args(args)
    if args.output is not None:
        cfg.output.jsonl = args.output
    if args.events is not None:
        cfg.output.events = args.events
    if args.record is not None:
        cfg.output.video = args.record
    if args.no_track:
        cfg.tracker.enabled = False

    from yolotrack.pipeline import Pipeline, stop_on_signals

    pipe = Pipeline(cfg, sinks=build_sinks(cfg))
    pipe.add_stats_listener(lambda _stats: log_counts(pipe))
    with stop_on_signals(pipe):
        pipe.start()
        while not pipe.wait(0.25):
            pass
    stats = pipe.stats()
    log.info("done: %d frames, %d dropped", stats.frames, stats.dropped)
    log_counts(pipe)
    return 0


def log_counts(pipe: Any) -> None:
    """One `counts:` line per source with lines or zones (every pipeline.stats_interval and at the end)."""
    from yolotrack.analytics.summary import counts_line

    for snap in pipe.counts().values():
        log.info("counts: %s", counts_line(snap))
