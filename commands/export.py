"""`yolotrack export VIDEO --out DIR`: annotate a recorded video, losslessly, into files other tools open.

Every frame is decoded, detected, tracked, then drawn and encoded in the sink thread (which
overlaps inference). Outputs, named after the video's stem:

    DIR/<stem>_annotated.mp4   H.264, same size/fps/timestamps, input audio copied
    DIR/mot/<stem>.txt         MOT Challenge tracker output (TrackEval / motmetrics)
    DIR/<stem>_cvat.xml        CVAT for video 1.1
    DIR/<stem>_coco.json       COCO-video (CocoVID)
    DIR/<stem>.jsonl           the `yolotrack run` JSON Lines schema
    DIR/<stem>_counts.json     line and zone counts (`--formats counts`, needs analytics lines or zones)
    DIR/<stem>_counts.csv      ... and their per-second time series
    DIR/<stem>_heatmap.png     where tracks spent time, over the scene (`--formats heatmap`)

Each file is written under a temporary name and renamed when complete. Ctrl-C (or SIGTERM)
discards them all, so no partial export stands under a final name. A truncated or partly corrupt
video exports every decodable frame, writes the outputs, names the last good frame and exits 1.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import threading
from pathlib import Path
from typing import Any

from yolotrack.commands.common import add_model_flags, config_from_args
from yolotrack.core.assets import DEMO_VIDEO
from yolotrack.core.config import Config, OutputConfig
from yolotrack.core.errors import SourceError, UsageError, YolotrackError
from yolotrack.sinks.base import Sink

log = logging.getLogger(__name__)

FORMATS = ("video", "mot", "cvat", "coco", "jsonl", "counts", "heatmap")


class ExportInterrupted(YolotrackError):
    """Ctrl-C / SIGTERM during an export; 130 like any shell-interrupted command."""

    exit_code = 130


def configure(p: argparse.ArgumentParser) -> None:
    p.usage = "%(prog)s VIDEO [KEY=VALUE ...] [--out DIR] [--formats video,mot,cvat,coco,jsonl] [model flags]"
    # Optional for argparse so that a missing VIDEO gets our own message; declared before the
    # overrides so that it is listed, and taken, as the first positional.
    p.add_argument("video", nargs="?", metavar="VIDEO", help="the video file to export, or 'demo' (the bundled clip)")
    add_model_flags(p, source=False)
    defaults = OutputConfig()
    p.add_argument("--out", metavar="DIR", help=f"output directory (default: {defaults.dir}, set by output.dir)")
    p.add_argument("--formats", metavar="LIST", help=f"comma-separated subset of {','.join(FORMATS)} "
                   f"(default: {','.join(defaults.formats)}, set by output.formats)")
    p.add_argument("--classes", metavar="LIST", help="keep only these classes (ids or names, comma-separated)")
    p.add_argument("--no-track", action="store_true", help="detections only (MOT ids are -1)")
    p.epilog = ("Config overrides go right after VIDEO. "
                "Example: yolotrack export clip.mp4 model.iou=0.5 --out runs/clip --formats video,mot")


# ---------------------------------------------------------------- building blocks


def output_paths(out_dir: Path, stem: str) -> dict[str, Path]:
    return {"video": out_dir / f"{stem}_annotated.mp4", "mot": out_dir / "mot" / f"{stem}.txt",
            "cvat": out_dir / f"{stem}_cvat.xml", "coco": out_dir / f"{stem}_coco.json",
            "jsonl": out_dir / f"{stem}.jsonl", "counts": out_dir / f"{stem}_counts.json",
            "heatmap": out_dir / f"{stem}_heatmap.png"}


def build_sinks(cfg: Config, formats: list[str], paths: dict[str, Path]) -> list[Sink]:
    from yolotrack.sinks.coco import CocoSink
    from yolotrack.sinks.counts_files import CountsSink
    from yolotrack.sinks.cvat import CvatSink
    from yolotrack.sinks.heatmap import HeatmapSink
    from yolotrack.sinks.jsonl import JsonlSink
    from yolotrack.sinks.mot import MotSink
    from yolotrack.sinks.video import VideoSink

    make = {"video": lambda p: VideoSink(p, cfg.output, cfg.render, in_place=True), "mot": MotSink, "cvat": CvatSink,
            "coco": lambda p: CocoSink(p, masks=cfg.output.coco_masks),
            "jsonl": lambda p: JsonlSink(p, stats=False, atomic=True)}
    make["counts"] = CountsSink
    make["heatmap"] = lambda p: HeatmapSink(p, cfg.analytics.heatmap)
    # the video sink draws on the frame itself: every other sink sees the frame first
    ordered = [f for f in formats if f != "video"] + [f for f in formats if f == "video"]
    return [make[f](paths[f]) for f in ordered]


def parse_formats(text: str | list[str]) -> list[str]:
    items = [f.strip().lower() for f in (text.split(",") if isinstance(text, str) else text) if f.strip()]
    bad = [f for f in items if f not in FORMATS]
    if bad or not items:
        raise UsageError(f"unknown export format(s) {', '.join(bad) or '(none)'}; choose from {','.join(FORMATS)}")
    return list(dict.fromkeys(items))


def resolve_video(arg: str) -> Path:
    if arg == "demo":
        if not DEMO_VIDEO.is_file():
            raise SourceError(f"the demo clip is missing ({DEMO_VIDEO})")
        return DEMO_VIDEO
    path = Path(arg).expanduser()
    if not path.exists():
        raise SourceError(f"video file not found: {path}")
    if not path.is_file():
        raise SourceError(f"{path} is not a video file")
    return path


class Progress:
    """tqdm bar of frames, fps and ETA; silent when stderr is not a terminal or with --quiet.

    The bar starts with the first frame (`begin`), so model loading does not skew fps and ETA.
    """

    def __init__(self, quiet: bool, name: str) -> None:
        self.enabled = not quiet and sys.stderr.isatty()
        self.name = name
        self.bar: Any = None
        self._lock = threading.Lock()

    def begin(self, total: int | None) -> None:
        with self._lock:
            if self.bar is None and self.enabled:
                from tqdm import tqdm

                self.bar = tqdm(total=total, unit="frame", desc=self.name, dynamic_ncols=True)

    def __call__(self, done: int, total: int | None) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            self.begin(total)
        if self.bar is not None:
            self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


# ---------------------------------------------------------------- the command


class ExportResult:
    def __init__(self) -> None:
        self.files: list[Path] = []
        self.frames = 0
        self.interrupted = False
        self.problem: str | None = None
        self.last_good: int | None = None
        self.stats: Any = None
        self.sinks: list[Sink] = []


def export_video(cfg: Config, video: Path, out_dir: Path, formats: list[str], quiet: bool = True,
                 detector: Any = None) -> ExportResult:
    """Run the whole export; returns what was written. Raises `SourceError`/`WeightsError` up front."""
    from tqdm.contrib.logging import logging_redirect_tqdm

    from yolotrack.pipeline import Pipeline, TolerantFileSource, stop_on_signals
    from yolotrack.sinks.interruptible import Interruptible

    # the caller's config stays as it was: the export's own has the video as its lossless source
    cfg = dataclasses.replace(cfg, source=dataclasses.replace(cfg.source, uri=str(video), policy="lossless",
                                                              realtime=False, loop=False))
    result = ExportResult()
    interrupted = threading.Event()
    paths = output_paths(out_dir, video.stem)
    sinks = build_sinks(cfg, formats, paths)
    result.sinks = sinks
    source = TolerantFileSource(str(video), cfg.source)
    progress = Progress(quiet, video.name)
    pipe = Pipeline(cfg, sinks=[Interruptible(s, interrupted) for s in sinks], detector=detector,
                    sources=[source], progress=progress, want_trails=False)
    try:
        with stop_on_signals(pipe, drain=False, interrupted=interrupted), logging_redirect_tqdm():
            pipe.start()  # opens the source: a missing or unreadable file fails here
            progress.begin(source.info.total_frames)
            while not pipe.wait(0.2):
                pass
    except KeyboardInterrupt:
        interrupted.set()
        pipe.stop(drain=False)
        pipe.wait(30)
    finally:
        progress.close()
        source.close()
    result.stats = pipe.stats()
    result.frames = result.stats.frames
    result.files = pipe.files
    result.interrupted = interrupted.is_set()
    result.problem = source.problem
    result.last_good = source.last_good
    return result


def run(args: argparse.Namespace) -> int:
    if args.video is not None:  # VIDEO may also stand after overrides: keep finding it among them
        args.overrides = [args.video, *(args.overrides or [])]
    cfg, rest = config_from_args(args, positional=1)
    if not rest:
        raise UsageError("give the VIDEO to export (a file path or 'demo')")
    video = resolve_video(rest[0])
    formats = parse_formats(args.formats if args.formats is not None else cfg.output.formats)
    if "counts" in formats and not (cfg.analytics.lines or cfg.analytics.zones):
        raise UsageError("the counts format needs lines or zones: add an analytics section (see configs/default.yaml) "
                         "with --config FILE")
    out_dir = Path(args.out if args.out is not None else cfg.output.dir).expanduser()
    if args.classes is not None:
        classes = [int(c) if c.strip().isdigit() else c.strip() for c in args.classes.split(",") if c.strip()]
        cfg = dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, classes=classes))
    if args.no_track:
        cfg = dataclasses.replace(cfg, tracker=dataclasses.replace(cfg.tracker, enabled=False))
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"cannot create the output directory {out_dir}: {e.strerror}") from None

    res = export_video(cfg, video, out_dir, formats, quiet=bool(args.quiet))
    for path in res.files:
        print(path)
    if res.interrupted:
        raise ExportInterrupted(f"export interrupted after {res.frames} frames; no output written "
                                "(temporary files removed)")
    log.info("exported %d frames of %s: %d file(s) in %s", res.frames, video, len(res.files), out_dir)
    if res.problem is not None:
        last = "no frame" if res.last_good is None else f"frame {res.last_good}"
        raise YolotrackError(f"{video}: {res.problem}; exported all {res.frames} decodable frames, the last good "
                             f"one is {last}; outputs written to {out_dir}")
    return 0
