"""`yolotrack run`: headless tracking for RTSP cameras, webcams and files, writing JSON Lines.

Runs until every source ends (files) or forever (live streams reconnect), and stops cleanly on
SIGINT/SIGTERM: capture stops, frames in flight are finished, outputs are flushed, exit code 0.
As a service it also publishes to MQTT, posts webhooks, writes snapshots (`sinks/service.py`)
and serves `/metrics` and `/healthz` (`pipeline/metrics.py`).
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import replace
from typing import Any

from yolotrack.commands.common import add_model_flags, config_from_args
from yolotrack.core.config import Config, set_value
from yolotrack.core.errors import UsageError

log = logging.getLogger(__name__)


def configure(p: argparse.ArgumentParser) -> None:
    add_model_flags(p)
    p.add_argument("-o", "--output", metavar="PATH", help="per-frame tracks as JSON Lines to PATH ('-' = stdout)")
    p.add_argument("--events", metavar="PATH", help="track lifecycle events to PATH (default: in the main stream)")
    p.add_argument("--record", metavar="MP4", help="also record an annotated video (one source only)")
    p.add_argument("--no-track", action="store_true", help="detections only, no tracker")
    p.add_argument("--cameras", metavar="FILE", help="run every camera of a cameras file (name, source, overrides) "
                   "instead of --source, writing DIR/<name>.jsonl per camera (needs --out)")
    p.add_argument("--out", metavar="DIR", help="with --cameras: the folder for the per-camera outputs")
    p.add_argument("--ray", metavar="ADDRESS", help="with --cameras: run the camera groups as actors on a Ray cluster: "
                   "auto, host:port of the head, ray://host:10001, or local (sets cluster.address)")
    p.add_argument("--mqtt", metavar="URL", help="publish events, counts and camera status to "
                   "mqtt://[user:pass@]host[:port][/prefix] (= output.mqtt.url)")
    p.add_argument("--webhook", metavar="URL", help="POST each event as JSON to URL (= output.webhook.url)")
    p.add_argument("--snapshots", metavar="DIR", help="JPEG of each new track / analytics event into DIR "
                   "(= output.snapshots.dir)")
    p.add_argument("--metrics", metavar="HOST:PORT", help="serve /metrics (Prometheus) and /healthz, "
                   "e.g. 127.0.0.1:9108 (= pipeline.metrics)")
    p.epilog = ("Examples: yolotrack run -c rtsp_headless --source rtsp://cam/stream -o tracks.jsonl "
                "--mqtt mqtt://broker --metrics 127.0.0.1:9108\n"
                "          yolotrack run --cameras cameras.yaml --out runs/site --ray auto")


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
    for flag, key in (("mqtt", "output.mqtt.url"), ("webhook", "output.webhook.url"),
                      ("snapshots", "output.snapshots.dir"), ("metrics", "pipeline.metrics")):
        if getattr(args, flag, None) is not None:
            cfg = set_value(cfg, key.split("."), getattr(args, flag))
    if getattr(args, "cameras", None) or getattr(args, "out", None) or getattr(args, "ray", None):
        return run_cameras(args, cfg)
    output = cfg.output
    if args.output is not None:
        output = replace(output, jsonl=args.output)
    if args.events is not None:
        output = replace(output, events=args.events)
    if args.record is not None:
        output = replace(output, video=args.record)
    cfg = replace(cfg, output=output)
    if args.no_track:
        cfg = replace(cfg, tracker=replace(cfg.tracker, enabled=False))

    from yolotrack.pipeline import Pipeline, stop_on_signals
    from yolotrack.sinks.service import ServiceOutputs

    service = ServiceOutputs(cfg)  # malformed URLs fail here, before anything starts
    pipe = Pipeline(cfg, sinks=build_sinks(cfg) + service.sinks())
    pipe.add_stats_listener(lambda _stats: log_counts(pipe))
    metrics = None
    if cfg.pipeline.metrics:
        from yolotrack.pipeline.metrics import MetricsServer

        metrics = MetricsServer(cfg.pipeline.metrics, pipe.stats, pipe.health, service.outbox_stats(),
                                {"snapshots": service.snapshot_stats} if cfg.output.snapshots.dir
                                or cfg.output.snapshots.mqtt else None)
    if service.enabled:
        pipe.add_stats_listener(lambda _s: log.info("outputs: %s", service.describe()))
    try:
        service.start()  # with output.mqtt.required, an unreachable or refusing broker ends the run here
        if metrics is not None:
            metrics.start()
        with stop_on_signals(pipe):
            pipe.start()
            while not pipe.wait(0.25):
                pass
    finally:
        if metrics is not None:
            metrics.close()
        service.close()  # what the frames produced is still delivered, up to the drain timeouts
    stats = pipe.stats()
    log.info("done: %d frames, %d dropped", stats.frames, stats.dropped)
    log_counts(pipe)
    if service.enabled:
        log.info("outputs: %s", service.describe())
    return 0


def log_counts(pipe: Any) -> None:
    """One `counts:` line per source with lines or zones (every pipeline.stats_interval and at the end)."""
    from yolotrack.analytics.summary import counts_line

    for snap in pipe.counts().values():
        log.info("counts: %s", counts_line(snap))


def run_cameras(args: argparse.Namespace, cfg: Config) -> int:
    """`--cameras FILE --out DIR [--ray ADDRESS]`: every camera here or on a Ray cluster (cluster/)."""
    if not args.cameras:
        raise UsageError("--out and --ray go with --cameras FILE (a cameras file: name, source, overrides)")
    if not args.out:
        raise UsageError("--cameras needs --out DIR: each camera writes DIR/<name>.jsonl")
    for flag, value in (("--source", args.source), ("-o/--output", args.output), ("--events", args.events),
                        ("--record", args.record)):
        if value is not None:
            raise UsageError(f"{flag} does not go with --cameras: sources come from the cameras file and each camera "
                             "writes its frames and events to DIR/<name>.jsonl")
    if args.no_track:
        cfg = replace(cfg, tracker=replace(cfg.tracker, enabled=False))
    if args.ray is not None:
        cfg = replace(cfg, cluster=replace(cfg.cluster, address=args.ray))
    from yolotrack.cluster import run_cameras as run_all
    from yolotrack.core.cameras import load_site

    site = load_site(args.cameras)
    return run_all(site.cameras, cfg, args.out, links=site.links)
