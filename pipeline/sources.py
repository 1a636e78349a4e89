"""Frame sources: video files, image folders/globs, RTSP and other network streams, webcams, and a
synthetic test pattern. Each yields `core.Frame`s with a continuous index, a timestamp in seconds
and the nominal fps when known.

Network streams treat a clean end of stream and any FFmpeg error alike: as a disconnect, followed by
reconnects with exponential back-off. A hung server is caught by FFmpeg's read timeout (`timeout`
option in microseconds; the older `stimeout` is silently ignored by current FFmpeg and would hang).
"""

from __future__ import annotations

import glob
import logging
import os
import threading
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from yolotrack.core.assets import DEMO_VIDEO
from yolotrack.core.backoff import backoff_delay
from yolotrack.core.config import SourceConfig
from yolotrack.core.errors import SourceError
from yolotrack.core.frame import Frame
from yolotrack.core.urls import redact  # noqa: F401 - re-exported: pipeline code imports it from here
from yolotrack.pipeline.stats import Meter, SourceKind, SourceState, SourceStatus

log = logging.getLogger(__name__)

IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}
NETWORK_SCHEMES = ("rtsp://", "rtsps://", "rtmp://", "rtmps://", "http://", "https://", "udp://", "tcp://",
                   "srt://", "rtp://")
SYNTHETIC_DEFAULT = "testsrc2=size=640x480:rate=30"


@dataclass
class SourceInfo:
    """What is known about a source; width/height/fps of network streams fill in on connect."""

    source_id: str
    uri: str
    kind: SourceKind
    live: bool  # True: latest-frame policy by default (cameras, streams, paced playback)
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    total_frames: int | None = None
    time_base: float | None = None


class Source:
    """Base of every source: `start()` opens (raises `SourceError`), iterating yields frames until
    the source ends or `stop()` is called, `close()` releases it. Iterate from one thread only."""

    kind: SourceKind  # each source class sets its own

    def __init__(self, uri: str, cfg: SourceConfig, source_id: str = "0") -> None:
        self.uri = str(uri)
        self.cfg = cfg
        self.loop = cfg.loop  # files: start again at the end; may change while running (the GUI's checkbox)
        self.info = SourceInfo(source_id=source_id, uri=self.uri, kind=self.kind, live=self.default_live())
        self.status = SourceStatus(source_id=source_id, uri=redact(self.uri), kind=self.kind)
        self._stop = threading.Event()
        self._meter = Meter()
        self._next_index = 0
        self._t0: float | None = None
        self._ts_offset = 0.0  # live sources resumed by another process: timestamps go on from there
        self._skip_until = 0  # files and image folders resumed: frames below this index were delivered

    # -- lifecycle
    def default_live(self) -> bool:
        return True

    def start(self) -> None:
        """Open the source; a missing file or device raises `SourceError` here."""

    def stop(self) -> None:
        """Ask the iterator to finish; safe from any thread. A blocked network read ends within the timeout."""
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def close(self) -> None:
        """Release the underlying handle."""

    def resume_after(self, index: int, timestamp: float) -> None:
        """Go on with a camera another process was reading (a restarted cluster actor); call before
        iterating. Frames up to `index` were delivered there. A live source goes on live, numbering
        from `index + 1` with timestamps after `timestamp`; files and image folders skip what was
        delivered (decoded, never emitted), so each of their frames is delivered exactly once."""
        if self.kind.replayable:
            self._skip_until = index + 1
        else:
            self._next_index = index + 1
            self._ts_offset = float(timestamp)

    def _skipped(self) -> bool:
        """True (and the index advanced) while a resumed file is still before its resume point."""
        if self._next_index < self._skip_until:
            self._next_index += 1
            return True
        return False

    def __enter__(self) -> Source:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self.close()

    def __iter__(self) -> Iterator[Frame]:
        raise NotImplementedError

    # -- helpers
    def _set_state(self, state: SourceState, message: str = "", retry_in: float | None = None) -> None:
        self.status.state = state
        self.status.message = message
        self.status.retry_in = retry_in

    def _emit(self, image: np.ndarray, timestamp: float) -> Frame:
        frame = Frame(image=image, index=self._next_index, timestamp=float(timestamp) + self._ts_offset,
                      source_id=self.info.source_id, fps=self.info.fps)
        self._next_index += 1
        self._meter.tick()
        st = self.status
        st.frames = self._next_index
        st.fps = self._meter.fps()
        st.height, st.width = int(image.shape[0]), int(image.shape[1])
        if self.info.width is None:
            self.info.height, self.info.width = st.height, st.width
        if st.state is not SourceState.LIVE:
            self._set_state(SourceState.LIVE)
        return frame

    def _media_time(self, vf: Any) -> float:
        """A decoded frame's time in seconds; a frame without a pts is placed at the nominal rate."""
        return vf.time if vf.time is not None else self._next_index / (self.info.fps or 30.0)

    def _backoff(self, reason: str, give_up: str | None = None) -> bool:
        """Wait before the next reconnect attempt (exponential back-off); False if stopped meanwhile.

        The wait runs in short slices so `stop()` ends it at once and `status.retry_in` counts down
        for the UI. Once `reconnect.max_attempts` attempts in a row have failed, raises
        `SourceError(give_up)` instead; `status.attempts` is reset by the caller on a good frame.
        """
        rc = self.cfg.reconnect
        self.status.attempts += 1
        n = self.status.attempts
        if rc.max_attempts and n > rc.max_attempts:
            give_up = give_up or f"gave up on {redact(self.uri)} after {rc.max_attempts} reconnect attempts: {reason}"
            self._set_state(SourceState.ERROR, give_up)
            raise SourceError(give_up)
        delay = backoff_delay(n, rc.initial_delay, rc.max_delay)
        log.warning("source %s: %s; reconnect attempt %d in %.1f s", self.info.source_id, reason, n, delay)
        deadline = time.monotonic() + delay
        while not self._stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self._set_state(SourceState.RECONNECTING, reason, retry_in=left)
            self._stop.wait(min(left, 0.1))
        return not self.stopped

    def _pace(self, media_ts: float) -> bool:
        """Sleep until `media_ts` (s since the first frame) is due in wall time; False if stopped."""
        now = time.monotonic()
        if self._t0 is None:
            self._t0 = now - media_ts
            return True
        delay = self._t0 + media_ts - now
        if delay > 1.0:  # a jump in pts (loop, gap): re-anchor instead of stalling
            self._t0 = now - media_ts
            return True
        if delay > 0:
            return not self._stop.wait(delay)
        return not self._stop.is_set()


# ---------------------------------------------------------------- PyAV based


def _import_av() -> Any:
    import av

    return av


def _stream_fps(stream: Any) -> float | None:
    rate = stream.average_rate or stream.base_rate or getattr(stream, "guessed_rate", None)
    try:
        fps = float(rate) if rate else None
    except (TypeError, ZeroDivisionError):
        fps = None
    return fps if fps and 0 < fps < 1000 else None


class _AvSource(Source):
    """A source read through one PyAV container."""

    def __init__(self, uri: str, cfg: SourceConfig, source_id: str = "0") -> None:
        super().__init__(uri, cfg, source_id)
        self._container: Any = None

    def close(self) -> None:
        if self._container is not None:
            try:
                self._container.close()
            except Exception:  # a broken connection may fail to close; nothing left to release
                log.debug("close failed", exc_info=True)
            self._container = None


class FileSource(_AvSource):
    """A video file decoded with PyAV; lossless by default, optionally paced (`realtime`) and looped.

    `_decode()` is the one place that turns the file into video frames; `TolerantFileSource`
    replaces only that, so timing, pacing and looping stay the same for both.
    """

    kind = SourceKind.FILE

    def __init__(self, uri: str, cfg: SourceConfig, source_id: str = "0") -> None:
        super().__init__(uri, cfg, source_id)
        self.path = Path(uri).expanduser()

    def default_live(self) -> bool:
        return bool(self.cfg.realtime)

    @property
    def paced(self) -> bool:
        """Played at the file's own frame rate: asked for (`realtime`), or a file standing in for a
        camera (`policy: live`), which would otherwise be read as fast as it decodes and mostly dropped."""
        return bool(self.cfg.realtime) or self.cfg.policy == "live"

    def start(self) -> None:
        if not self.path.is_file():
            raise SourceError(f"video file not found: {self.path}")
        self._open()

    def _open(self) -> None:
        av = _import_av()
        try:
            self._container = av.open(str(self.path))
        except av.error.FFmpegError as e:
            raise SourceError(f"cannot open video {self.path}: {e.strerror or e}") from None
        if not self._container.streams.video:
            self._container.close()
            raise SourceError(f"{self.path} has no video stream")
        stream = self._container.streams.video[0]
        self.info.fps = _stream_fps(stream)
        self.info.width, self.info.height = stream.codec_context.width or None, stream.codec_context.height or None
        self.info.total_frames = int(stream.frames) or None
        self.info.time_base = float(stream.time_base) if stream.time_base else None

    def __iter__(self) -> Iterator[Frame]:
        if self._container is None:
            self.start()
        offset = 0.0
        last = 0.0
        while not self.stopped:
            first: float | None = None
            with closing(self._decode()) as frames:  # closed at once on a stop, not when collected
                for vf in frames:
                    if self.stopped:
                        return
                    ts = self._media_time(vf)
                    if first is None:
                        first = ts
                    ts = offset + ts - first
                    last = ts
                    if self._skipped():
                        continue
                    if self.paced and not self._pace(ts):
                        return
                    yield self._emit(vf.to_ndarray(format="bgr24"), ts)
            if not self.loop or self._next_index == 0:
                break
            offset = last + 1.0 / (self.info.fps or 30.0)
            self._container.seek(0)  # pyright: ignore[reportOptionalMemberAccess] - opened above
        self._set_state(SourceState.ENDED)

    def _decode(self) -> Generator[Any, None, None]:
        """The video frames of one pass over the file; damage ends the source with a `SourceError`."""
        av = _import_av()
        try:
            yield from self._container.decode(self._container.streams.video[0])
        except av.error.FFmpegError as e:
            raise SourceError(f"cannot decode {self.path} at frame {self._next_index}: {e.strerror or e}") from None


class TolerantFileSource(FileSource):
    """A `FileSource` that keeps every decodable frame of a damaged file, for exports.

    Undecodable packets are skipped and a truncation ends the file instead of failing the source,
    because a recording cut short is still worth annotating. Afterwards `problem` says what was
    wrong (None for a clean file) and `last_good` is the index of the last frame decoded before
    the first problem, so the caller can report both and still fail the command.
    """

    def __init__(self, uri: str, cfg: SourceConfig, source_id: str = "0") -> None:
        super().__init__(uri, cfg, source_id)
        self.problem: str | None = None
        self.last_good: int | None = None
        self.errors = 0

    def _decode(self) -> Generator[Any, None, None]:
        import av.logging

        # Concealed damage raises nothing: the decoder only logs it, so listen to its log.
        level = av.logging.get_level()
        av.logging.set_level(av.logging.ERROR)
        try:
            with av.logging.Capture(local=False) as logs:
                yield from self._packets(logs)
        finally:
            av.logging.set_level(level)
        if self.stopped:
            return
        expected = self.info.total_frames
        if expected and self._next_index < expected:
            why = f" ({self.problem})" if self.problem else ""
            self.problem = f"truncated or damaged: only {self._next_index} of {expected} frames decodable{why}"

    def _packets(self, logs: list) -> Generator[Any, None, None]:
        av = _import_av()
        stream = self._container.streams.video[0]
        decoder = stream.codec_context.name
        packets = self._container.demux(stream)
        seen_logs = 0
        while not self.stopped:
            try:
                pkt = next(packets, None)
            except av.error.FFmpegError as e:
                self._note(f"the file is damaged after frame {self._last()}: {e.strerror or e}")
                break
            if pkt is None:
                break
            try:
                decoded = pkt.decode()
            except av.error.FFmpegError as e:
                self._note(f"undecodable data after frame {self._last()}: {e.strerror or e}")
                continue
            if len(logs) > seen_logs:
                msgs = [m for _lvl, name, m in logs[seen_logs:] if name == decoder]
                seen_logs = len(logs)
                if msgs:
                    self._note(f"damaged data near frame {self._next_index} ({decoder}: {msgs[0].strip()})")
            for vf in decoded:
                if self.stopped:
                    return
                if self.problem is None:
                    self.last_good = self._next_index
                yield vf

    def _last(self) -> str:
        return "none" if self.last_good is None else str(self.last_good)

    def _note(self, msg: str) -> None:
        self.errors += 1
        log.info("%s: %s", self.path.name, msg)  # the caller's final error repeats the first problem
        if self.problem is None:
            self.problem = msg


class SyntheticSource(_AvSource):
    """An FFmpeg lavfi test pattern, paced like a camera: `synthetic` or `synthetic:<lavfi graph>`."""

    kind = SourceKind.SYNTHETIC

    def __init__(self, uri: str, cfg: SourceConfig, source_id: str = "0") -> None:
        super().__init__(uri, cfg, source_id)
        graph = uri.split(":", 1)[1] if ":" in uri else ""
        self.graph = graph or SYNTHETIC_DEFAULT

    def start(self) -> None:
        av = _import_av()
        try:
            self._container = av.open(self.graph, format="lavfi")
        except av.error.FFmpegError as e:
            raise SourceError(f"invalid synthetic source '{self.graph}': {e.strerror or e}") from None
        stream = self._container.streams.video[0]
        self.info.fps = _stream_fps(stream)
        self.info.width, self.info.height = stream.codec_context.width or None, stream.codec_context.height or None

    def __iter__(self) -> Iterator[Frame]:
        if self._container is None:
            self.start()
        for vf in self._container.decode(video=0):  # pyright: ignore[reportOptionalMemberAccess] - start() opened it
            if self.stopped:
                return
            ts = self._media_time(vf)
            if not self._pace(ts):
                return
            yield self._emit(vf.to_ndarray(format="bgr24"), ts)
        self._set_state(SourceState.ENDED)


class StreamSource(_AvSource):
    """RTSP (and other network URLs) with read timeout and reconnect.

    The FFmpeg `timeout` is set to half of `cfg.timeout` because FFmpeg notices a silent peer after
    about two timeouts: a hung server is thus detected in about `cfg.timeout` seconds.
    """

    kind = SourceKind.STREAM

    def __init__(self, uri: str, cfg: SourceConfig, source_id: str = "0") -> None:
        super().__init__(uri, cfg, source_id)
        self._connected_once = False

    def start(self) -> None:
        """Checks the URL only; connecting happens in the iterator (retried there, never fatal later)."""
        parts = urlsplit(self.uri)
        try:
            port = parts.port
        except ValueError:
            port = -1
        if not parts.hostname or port == -1:
            raise SourceError(f"malformed stream URL '{redact(self.uri)}' (expected e.g. rtsp://host:554/path)")

    def _options(self) -> dict[str, str]:
        half_us = str(int(self.cfg.timeout * 1e6 / 2))
        opts = {"timeout": half_us, "fflags": "nobuffer", "flags": "low_delay",
                "analyzeduration": "500000", "probesize": "500000"}
        if self.uri.startswith(("rtsp://", "rtsps://")):
            opts["rtsp_transport"] = self.cfg.transport
        return opts

    def _connect(self) -> None:
        av = _import_av()
        self.close()
        t = self.cfg.timeout
        self._container = av.open(self.uri, options=self._options(), timeout=(t, t / 2))
        if not self._container.streams.video:
            self.close()
            raise SourceError(f"{redact(self.uri)} has no video stream")
        stream = self._container.streams.video[0]
        self.info.fps = _stream_fps(stream) or self.info.fps
        self.info.time_base = float(stream.time_base) if stream.time_base else None

    def _fatal(self, err: Exception) -> bool:
        """Errors retrying cannot fix, when the very first connect fails (wrong path, bad URL)."""
        av = _import_av()
        if self._connected_once:
            return False
        fatal = (av.error.HTTPClientError, av.error.ProtocolNotFoundError, av.error.FileNotFoundError,
                 av.error.PermissionError, av.error.ArgumentError, SourceError)
        return isinstance(err, fatal)

    def __iter__(self) -> Iterator[Frame]:
        av = _import_av()
        anchor: float | None = None  # wall-clock offset that keeps timestamps monotonic across reconnects
        t_start = time.monotonic()
        last_ts = -1.0
        while not self.stopped:
            self._set_state(SourceState.CONNECTING if not self._connected_once else SourceState.RECONNECTING,
                            "connecting")
            try:
                self._connect()
            except (av.error.FFmpegError, OSError, SourceError) as e:
                msg = f"cannot connect to {redact(self.uri)}: {getattr(e, 'strerror', None) or e}"
                if self._fatal(e) or not self.cfg.reconnect.enabled:
                    self._set_state(SourceState.ERROR, msg)
                    raise SourceError(msg) from None
                self._backoff(msg)
                continue
            log.info("source %s: connected to %s", self.info.source_id, redact(self.uri))
            if self._connected_once:
                self.status.reconnects += 1
            self._connected_once = True
            anchor = None
            reason = "end of stream"
            try:
                for vf in self._container.decode(video=0):  # pyright: ignore[reportOptionalMemberAccess] - start() opened it
                    if self.stopped:
                        break
                    media = vf.time
                    now = time.monotonic() - t_start
                    if media is None:
                        ts = now
                    else:
                        if anchor is None or anchor + media <= last_ts:
                            anchor = now - media  # new connection, or pts jumped back (server loop)
                        ts = anchor + media
                    last_ts = ts
                    self.status.attempts = 0
                    yield self._emit(vf.to_ndarray(format="bgr24"), ts)
            except (av.error.FFmpegError, OSError) as e:
                reason = f"stream error: {getattr(e, 'strerror', None) or e}"
            self.close()
            if self.stopped:
                break
            if not self.cfg.reconnect.enabled:
                if reason == "end of stream":
                    break
                self._set_state(SourceState.ERROR, reason)
                raise SourceError(f"{redact(self.uri)}: {reason}")
            self._backoff(f"{redact(self.uri)}: {reason}")
        self._set_state(SourceState.STOPPED if self.stopped else SourceState.ENDED)


# ---------------------------------------------------------------- OpenCV based


def _default_opener(device: int | str) -> Any:
    import cv2

    return cv2.VideoCapture(device)


class WebcamSource(Source):
    """A camera through `cv2.VideoCapture` (index or device path) with requested size/fps/fourcc.

    `opener` builds the capture object; tests pass a file path through the default opener to
    exercise the read path without a camera.
    """

    kind = SourceKind.WEBCAM

    def __init__(self, uri: str, cfg: SourceConfig, source_id: str = "0",
                 opener: Callable[[int | str], Any] | None = None) -> None:
        super().__init__(uri, cfg, source_id)
        self.device: int | str = int(uri) if str(uri).isdigit() else str(uri)
        self._opener = opener or _default_opener
        self._cap: Any = None

    def start(self) -> None:
        import cv2

        cap = self._opener(self.device)
        c = self.cfg
        if c.fourcc:
            fourcc = cv2.VideoWriter_fourcc(*c.fourcc[:4].ljust(4))  # pyright: ignore[reportAttributeAccessIssue]
            cap.set(cv2.CAP_PROP_FOURCC, fourcc)
        if c.width:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, c.width)
        if c.height:
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, c.height)
        if c.fps:
            cap.set(cv2.CAP_PROP_FPS, c.fps)
        if not cap.isOpened():
            cap.release()
            self._set_state(SourceState.ERROR, "cannot open camera")
            raise SourceError(f"camera {self.uri} could not be opened (no such device, or it is busy)")
        self._cap = cap
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.info.fps = fps if 0 < fps < 1000 else c.fps
        w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self.info.width, self.info.height = (w or None), (h or None)

    def __iter__(self) -> Iterator[Frame]:
        if self._cap is None:
            self.start()
        t_start = time.monotonic()
        while not self.stopped:
            ok, img = self._cap.read()  # pyright: ignore[reportOptionalMemberAccess] - start() opened it
            if ok and img is not None:
                self.status.attempts = 0
                yield self._emit(img, time.monotonic() - t_start)
                continue
            if self.stopped or not self.cfg.reconnect.enabled:
                break
            if not self._backoff("camera read failed", f"camera {self.uri} stopped delivering frames"):
                break
            self._cap.release()  # pyright: ignore[reportOptionalMemberAccess]
            try:
                self.start()
            except SourceError:
                self._cap = self._opener(self.device)  # keep a handle; read() fails and we back off again
        self._set_state(SourceState.STOPPED if self.stopped else SourceState.ENDED)

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


class ImageSource(Source):
    """A folder of images, a glob, or one image file, in name order; unreadable files are skipped."""

    kind = SourceKind.IMAGES

    def __init__(self, uri: str, cfg: SourceConfig, source_id: str = "0") -> None:
        super().__init__(uri, cfg, source_id)
        self.files: list[Path] = []

    def default_live(self) -> bool:
        return False

    def start(self) -> None:
        p = Path(self.uri).expanduser()
        if p.is_dir():
            files = [f for f in p.iterdir() if f.suffix.lower() in IMAGE_EXTS]
        elif p.is_file():
            files = [p]
        else:
            files = [Path(f) for f in glob.glob(os.path.expanduser(self.uri), recursive=True)]
            files = [f for f in files if f.suffix.lower() in IMAGE_EXTS and f.is_file()]
        if not files:
            raise SourceError(f"no images found at {self.uri}")
        self.files = sorted(files)
        self.info.total_frames = len(self.files)
        self.info.fps = self.cfg.fps

    def __iter__(self) -> Iterator[Frame]:
        import cv2

        if not self.files:
            self.start()
        fps = self.info.fps or 1.0
        for f in self.files:
            if self.stopped:
                return
            if self._skipped():
                continue
            img = cv2.imread(str(f), cv2.IMREAD_COLOR)
            if img is None:
                log.warning("skipping unreadable image %s", f)
                continue
            yield self._emit(img, self._next_index / fps)
        self._set_state(SourceState.ENDED)


# ---------------------------------------------------------------- choosing a source


def file_frame_size(uri: str) -> tuple[int, int] | None:
    """(height, width) of a video file's frames, from its header; None for anything else."""
    if source_kind(uri) is not SourceKind.FILE or uri == "demo":
        return None
    try:
        import av

        with av.open(uri) as c:
            h, w = int(c.streams.video[0].codec_context.height), int(c.streams.video[0].codec_context.width)
        return (h, w) if h > 0 and w > 0 else None
    except Exception:  # noqa: BLE001 - unknown size: the caller does without
        return None


def source_kind(uri: str) -> SourceKind:
    """Classify a source string without touching the network or the camera."""
    u = str(uri).strip()
    if u.isdigit() or u.startswith("/dev/video"):
        return SourceKind.WEBCAM
    if u.lower().startswith(NETWORK_SCHEMES):
        return SourceKind.STREAM
    if u == "synthetic" or u.startswith(("synthetic:", "lavfi:")):
        return SourceKind.SYNTHETIC
    if u == "demo":
        return SourceKind.FILE
    p = Path(u).expanduser()
    if p.is_dir() or p.suffix.lower() in IMAGE_EXTS or any(ch in u for ch in "*?["):
        return SourceKind.IMAGES
    return SourceKind.FILE


def open_source(uri: str | int, cfg: SourceConfig | None = None, source_id: str = "0") -> Source:
    """Build (not start) the right source for `uri`; `demo` means the bundled clip."""
    cfg = cfg or SourceConfig()
    u = str(uri).strip()
    if not u:
        raise SourceError("empty source; give a webcam index, a file, a folder, a glob or an rtsp:// URL")
    kind = source_kind(u)
    if u == "demo":
        if not DEMO_VIDEO.is_file():
            raise SourceError(f"the demo clip is missing ({DEMO_VIDEO}); pass --source with a video, camera or URL")
        u = str(DEMO_VIDEO)
    if "://" in u and kind is SourceKind.FILE:
        raise SourceError(f"unsupported URL scheme in '{redact(u)}' (supported: {', '.join(NETWORK_SCHEMES)})")
    cls: type[Source] = {SourceKind.WEBCAM: WebcamSource, SourceKind.STREAM: StreamSource,
                         SourceKind.SYNTHETIC: SyntheticSource, SourceKind.IMAGES: ImageSource,
                         SourceKind.FILE: FileSource}[kind]
    return cls(u, cfg, source_id)


def source_uris(cfg: SourceConfig) -> list[str]:
    uris = cfg.uri if isinstance(cfg.uri, list) else [cfg.uri]
    if not uris:
        raise SourceError("source.uri is an empty list")
    return [str(u) for u in uris]


def is_live(source: Source, cfg: SourceConfig) -> bool:
    """The queue policy: `live` drops stale frames, `lossless` applies backpressure."""
    if cfg.policy == "live":
        return True
    if cfg.policy == "lossless":
        return False
    return source.info.live
