"""Annotated H.264 video written with PyAV, with the input's audio copied through unchanged.

The output keeps the input's resolution, frame rate, video time base and frame timestamps.
Frames are drawn by the shared `render.Renderer` and encoded in the sink thread, so drawing and
encoding overlap inference. The file is written under a temporary name beside the final one and
renamed by `close()`; `abort()` deletes it. Without an input file (a camera, a stream) there is
no audio and timestamps come from the frames, counted from the first recorded frame.

4:2:0 H.264 cannot have odd dimensions, so odd-sized inputs are encoded as 4:4:4 to keep the
exact size (fewer players handle that profile; a warning says so).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import av
import cv2
import numpy as np

from yolotrack.core.config import Config, OutputConfig, RenderConfig
from yolotrack.core.detections import Detections
from yolotrack.core.errors import PipelineError
from yolotrack.core.events import TrackEvent
from yolotrack.core.frame import Frame
from yolotrack.render import Renderer, TrailHistory
from yolotrack.sinks.base import FileSink, StreamInfo

if TYPE_CHECKING:
    from yolotrack.analytics.source import SourceAnalytics

log = logging.getLogger(__name__)

LIVE_TIME_BASE = Fraction(1, 90000)  # the usual RTP/MPEG clock, for sources without a file time base
AUDIO_LEAD = 0.5  # seconds of audio muxed ahead of the current video frame, for interleaving


def _fraction(value: float | Fraction | None, limit: int = 1_000_000) -> Fraction | None:
    if value is None or value <= 0:
        return None
    return Fraction(value).limit_denominator(limit)


class AudioCopier:
    """Re-muxes the audio packets of an input file, in step with the video being written."""

    def __init__(self, path: Path, out: Any) -> None:
        self._in = av.open(str(path))
        src = self._in.streams.audio[0]
        self.out_stream = out.add_stream_from_template(src)
        self._src = src
        self._packets: Iterator[Any] = self._in.demux(src)
        self._pending: Any = None
        self.copied = 0

    def mux_until(self, out: Any, seconds: float | None) -> None:
        """Mux packets with a timestamp up to `seconds` (all of them when None)."""
        try:
            while True:
                pkt = self._pending or next(self._packets, None)
                self._pending = None
                if pkt is None:
                    return
                if pkt.dts is None and pkt.pts is None:  # the demuxer's end-of-stream flush packet
                    continue
                ts = pkt.pts if pkt.pts is not None else pkt.dts
                if seconds is not None and float(ts * pkt.time_base) > seconds:
                    self._pending = pkt
                    return
                pkt.stream = self.out_stream
                out.mux(pkt)
                self.copied += 1
        except av.error.FFmpegError as e:  # pyright: ignore[reportAttributeAccessIssue]
            log.warning("audio copy stopped after %d packets: %s", self.copied, e)
            self._packets = iter(())

    def close(self) -> None:
        self._in.close()


class VideoSink(FileSink):
    """H.264 MP4 of the rendered frames; see the module docstring.

    Args:
        path: the final .mp4 path.
        output: codec, crf and preset (the `output` config section).
        render: what to draw (the `render` config section); `draw=False` writes the frames as they are.
        copy_audio: copy the audio of `StreamInfo.uri` when it is a file with an audio stream.
        threads: x264 threads. One by default: the sink thread already runs beside inference, and
            on a small CPU more encoder threads only compete with the detector (0 = x264's choice).
        in_place: draw on `frame.image` itself (saves a frame copy) when no one else shows the frame.
    """

    name = "video"
    mode = None  # FFmpeg writes the temp file by name

    def __init__(self, path: str | Path, output: OutputConfig | None = None, render: RenderConfig | None = None,
                 draw: bool = True, copy_audio: bool = True, threads: int = 1, in_place: bool = False) -> None:
        super().__init__(path)
        self.output = output or OutputConfig()
        self.render_cfg = render or RenderConfig()
        self.draw = draw
        self.copy_audio = copy_audio
        self.threads = threads
        self.in_place = in_place
        self.frames = 0
        self.draw_seconds = 0.0  # wall time in write(); *_cpu: CPU time of the sink thread
        self.encode_seconds = 0.0
        self.draw_cpu = 0.0
        self.encode_cpu = 0.0
        self._out: Any = None
        self._stream: Any = None
        self._audio: AudioCopier | None = None
        self._renderer: Renderer | None = None
        self._trails: TrailHistory | None = None
        self._analytics: SourceAnalytics | None = None  # the stream's lines, zones and live counters
        self._tb = LIVE_TIME_BASE
        self._start_pts = 0
        self._last_pts = -1
        self._fps: float | None = None
        self._rebase = False
        self._t_first: float | None = None

    @classmethod
    def from_config(cls, path: str | Path, cfg: Config) -> VideoSink:
        """The sink `run --record` and the GUI use: output and render sections of `cfg`."""
        return cls(path, cfg.output, cfg.render)

    # ------------------------------------------------------------ FileSink hooks and write()

    def _begin(self, info: StreamInfo) -> None:
        assert self._file is not None
        src = Path(info.uri).expanduser() if info.uri else None
        in_file = src is not None and src.is_file()
        tb = _fraction(info.time_base) if in_file else None
        fps = _fraction(info.fps, 100_000) or Fraction(30)
        start_pts = 0
        has_audio = False
        if in_file:
            assert src is not None
            try:
                with av.open(str(src)) as probe:
                    if probe.streams.video:
                        vs = probe.streams.video[0]
                        tb = vs.time_base or tb
                        start_pts = int(vs.start_time or 0)
                        fps = vs.average_rate or vs.guessed_rate or fps
                    has_audio = bool(probe.streams.audio)
            except av.error.FFmpegError as e:  # pyright: ignore[reportAttributeAccessIssue]
                log.warning("cannot probe %s for timing and audio (%s); using the frame timestamps", src, e)
        self._tb = tb or LIVE_TIME_BASE
        self._start_pts = start_pts
        self._rebase = not in_file  # live timestamps may be wall-clock: the recording starts at 0
        self._fps = float(fps)

        out = self._out = av.open(str(self._file.tmp_path), "w", format="mp4")
        stream: Any = out.add_stream(self.output.codec, rate=fps)  # a video stream (the stubs give a union)
        stream.width, stream.height = info.width, info.height
        odd = info.width % 2 or info.height % 2
        stream.pix_fmt = "yuv444p" if odd else "yuv420p"
        if odd:
            log.warning("%dx%d is odd-sized: encoding 4:4:4 H.264 to keep the exact size", info.width, info.height)
        stream.time_base = self._tb
        stream.codec_context.time_base = self._tb
        stream.options = {"crf": str(self.output.crf), "preset": self.output.preset}
        if self.threads:
            stream.codec_context.thread_count = self.threads
        self._stream = stream
        if self.copy_audio and has_audio and src is not None:
            try:
                self._audio = AudioCopier(src, out)
            except (av.error.FFmpegError, ValueError) as e:  # pyright: ignore[reportAttributeAccessIssue]
                log.warning("cannot copy the audio of %s: %s", src, e)
        if self.draw:
            self._renderer = Renderer(self.render_cfg, info.names, info.task, info.keypoints)
            self._trails = TrailHistory(self.render_cfg.trail_length)
            self._analytics = info.analytics
        log.info("video sink %s: %dx%d @ %.3f fps, time base %s, audio %s", self.path, info.width, info.height,
                 self._fps, self._tb, "copied" if self._audio else "none")

    def write(self, frame: Frame, dets: Detections, events: list[TrackEvent]) -> None:
        if self._out is None:
            raise PipelineError("video", "write() before open()")
        t0, c0 = time.perf_counter(), time.thread_time()
        image = frame.image
        if self._renderer is not None and self._trails is not None:
            trails = self._trails.update(dets) if self.render_cfg.trails else None
            overlay = self._analytics.overlay() if self._analytics is not None else None
            image = self._renderer.draw(image, dets, trails, out=image if self.in_place else np.empty_like(image),
                                        analytics=overlay)
        t1, c1 = time.perf_counter(), time.thread_time()
        ts = frame.timestamp
        if self._rebase:
            if self._t_first is None:
                self._t_first = ts
            ts -= self._t_first
        pts = self._start_pts + int(round(ts / float(self._tb)))
        if pts <= self._last_pts:  # rounding or a clock hiccup must never reorder frames
            pts = self._last_pts + 1
        self._last_pts = pts
        vf = self._to_video_frame(image)
        vf.pts = pts
        vf.time_base = self._tb
        for pkt in self._stream.encode(vf):
            self._out.mux(pkt)
        if self._audio is not None:
            self._audio.mux_until(self._out, float(pts * self._tb) + AUDIO_LEAD)
        self.frames += 1
        self.draw_seconds += t1 - t0
        self.encode_seconds += time.perf_counter() - t1
        self.draw_cpu += c1 - c0
        self.encode_cpu += time.thread_time() - c1

    def _to_video_frame(self, image: np.ndarray) -> Any:
        """OpenCV's BGR -> I420 is several times faster than letting the encoder's swscale do it."""
        if self._stream.pix_fmt == "yuv420p":
            i420: np.ndarray = cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420)  # type: ignore[assignment]
            return av.VideoFrame.from_ndarray(i420, format="yuv420p")
        return av.VideoFrame.from_ndarray(image, format="bgr24")

    def _finish(self) -> bool:
        """Flush the encoder and the rest of the audio; a recording without frames is not kept."""
        if self._out is None:
            return False
        for pkt in self._stream.encode():
            self._out.mux(pkt)
        if self._audio is not None:
            self._audio.mux_until(self._out, None)
            self._audio.close()
            self._audio = None
        self._out.close()
        self._out = None
        return self.frames > 0

    def _release(self) -> None:
        for closer in (self._audio, self._out):
            if closer is not None:
                try:
                    closer.close()
                except Exception:  # noqa: BLE001 - discarding anyway
                    log.debug("closing while aborting failed", exc_info=True)
        self._audio = None
        self._out = None
