"""The threaded pipeline: sources -> detector -> tracker -> sinks.

Public API (other packages import only from here):

    from yolotrack.pipeline import Pipeline, Result, PipelineStats, SourceState, open_source
    from yolotrack.pipeline import DetectorLike, TrackerLike   # what a stand-in detector / tracker offers

    pipe = Pipeline(cfg, sinks=[...], on_result=callback, progress=callback)
    pipe.start()          # SourceError / WeightsError at once for a missing file, camera or checkpoint
    pipe.wait(timeout)    # True when finished; raises PipelineError(stage, msg) if a stage failed
    pipe.run()            # start() + wait(), returns the final PipelineStats
    pipe.stop()           # graceful: stop capture, drain, close sinks; stop(drain=False): at once
    pipe.pause(); pipe.resume(); pipe.step()       # GUI controls
    pipe.set_thresholds(conf=0.4, iou=0.6)         # forwarded to Detector.set_thresholds
    pipe.stats() -> PipelineStats                  # fps, inference_ms, latency, track_count, dropped,
                                                   #   per-stage StageStats, per-source SourceStatus
    pipe.latest() -> Result | None                 # newest (frame, detections, events, trails, latency)
    pipe.add_stats_listener(fn)                    # fn(PipelineStats) every pipeline.stats_interval s
    pipe.add_status_listener(fn)                   # fn(StatusRecord) per camera down / back
    pipe.health() -> Health                        # ok + reason: every source live with recent frames

`on_result(Result)` runs in the sink thread once per processed frame, in order; `Result.trails`
(with `want_trails`, the default when `on_result` is given) holds `render.trail_length` recent
box centres per track id for drawing. Sinks follow `sinks.base.Sink`; a sink may also define
`write_stats(PipelineStats)` for the periodic stats.

Policies: live sources (cameras, RTSP, synthetic, `source.realtime` files) keep only the newest
frame (stale ones are dropped and counted in `stats().dropped`); files and image folders never
drop: the decoder waits (backpressure). `source.policy` forces one or the other.

Sources on their own (e.g. a GUI preview):

    src = open_source("rtsp://cam/stream", cfg.source)   # or 0, /dev/video0, file, folder, glob, synthetic
    src.start()
    for frame in src: ...          # core.Frame; src.status is a live SourceStatus
    src.stop(); src.close()

Wrap a run in `stop_on_signals(pipe)` to turn SIGINT/SIGTERM into a graceful stop, or with
`drain=False, interrupted=event` into an immediate one that marks the run interrupted (`export`).
"""

from yolotrack.pipeline.contracts import DetectorLike, Result, ResumableTracker, TrackerLike
from yolotrack.pipeline.queues import EndOfStream, FrameQueue
from yolotrack.pipeline.runner import Pipeline
from yolotrack.pipeline.signals import stop_on_signals
from yolotrack.pipeline.sources import (
    FileSource,
    ImageSource,
    Source,
    SourceInfo,
    StreamSource,
    SyntheticSource,
    TolerantFileSource,
    WebcamSource,
    is_live,
    open_source,
    source_kind,
    source_uris,
)
from yolotrack.pipeline.stats import PipelineStats, SourceKind, SourceState, SourceStatus, StageStats

__all__ = [
    "DetectorLike",
    "EndOfStream",
    "FileSource",
    "FrameQueue",
    "ImageSource",
    "Pipeline",
    "PipelineStats",
    "Result",
    "ResumableTracker",
    "Source",
    "SourceInfo",
    "SourceKind",
    "SourceState",
    "SourceStatus",
    "StageStats",
    "StreamSource",
    "SyntheticSource",
    "TolerantFileSource",
    "TrackerLike",
    "WebcamSource",
    "is_live",
    "open_source",
    "source_kind",
    "source_uris",
    "stop_on_signals",
]
