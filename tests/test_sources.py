"""Sources and queues on real media: PyAV files, image folders, cv2 capture, lavfi synthetic."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from pipeline_media import make_video

from yolotrack.core.config import ReconnectConfig, SourceConfig
from yolotrack.core.errors import SourceError
from yolotrack.pipeline import (
    EndOfStream,
    FileSource,
    FrameQueue,
    ImageSource,
    SourceState,
    StreamSource,
    SyntheticSource,
    TolerantFileSource,
    WebcamSource,
    is_live,
    open_source,
    source_kind,
)


def faststart_noise_video(path: Path, n: int = 30) -> bytes:
    """Noise frames (large packets), index at the front so that a cut or damaged file still opens."""
    with av.open(str(path), "w", options={"movflags": "faststart"}) as c:
        s = c.add_stream("libx264", rate=25)
        s.width, s.height, s.pix_fmt = 160, 120, "yuv420p"
        s.options = {"preset": "ultrafast", "g": "5"}
        rng = np.random.default_rng(0)
        for _ in range(n):
            img = rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)
            for p in s.encode(av.VideoFrame.from_ndarray(img, format="bgr24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path.read_bytes()


def test_file_source_yields_every_frame_with_index_timestamp_and_fps(tmp_path):
    path = make_video(tmp_path / "a.mp4", n=20, fps=25)
    src = open_source(str(path), SourceConfig())
    assert isinstance(src, FileSource) and not is_live(src, SourceConfig())
    with src:
        frames = list(src)
    assert [f.index for f in frames] == list(range(20))
    assert frames[0].image.shape == (120, 160, 3) and frames[0].image.dtype == np.uint8
    assert frames[0].fps == pytest.approx(25.0)
    ts = [f.timestamp for f in frames]
    assert ts[0] == pytest.approx(0.0) and ts[-1] == pytest.approx(19 / 25, abs=1e-3)
    assert src.info.total_frames == 20 and src.status.state is SourceState.ENDED


def test_file_source_loop_keeps_numbering_and_time_increasing(tmp_path):
    path = make_video(tmp_path / "a.mp4", n=10, fps=25)
    cfg = SourceConfig(loop=True)
    src = open_source(str(path), cfg)
    src.start()
    frames = []
    for f in src:
        frames.append(f)
        if len(frames) == 25:
            src.stop()
    src.close()
    assert [f.index for f in frames] == list(range(25))
    assert all(b.timestamp > a.timestamp for a, b in zip(frames, frames[1:], strict=False))


def test_tolerant_file_source_is_the_file_source_on_a_clean_file(tmp_path):
    path = make_video(tmp_path / "a.mp4", n=12, fps=25)
    with open_source(str(path), SourceConfig()) as plain:
        expect = [(f.index, f.timestamp, f.image.tobytes()) for f in plain]
    with TolerantFileSource(str(path), SourceConfig()) as src:
        got = [(f.index, f.timestamp, f.image.tobytes()) for f in src]
    assert got == expect and src.problem is None and src.last_good == 11
    assert src.status.state is SourceState.ENDED


def test_tolerant_file_source_ends_at_a_truncation_and_names_the_last_good_frame(tmp_path):
    data = faststart_noise_video(tmp_path / "good.mp4")
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceError, match="cannot decode"), open_source(str(cut), SourceConfig()) as plain:
        list(plain)
    with TolerantFileSource(str(cut), SourceConfig()) as src:
        frames = list(src)
    assert 3 < len(frames) < 30 and [f.index for f in frames] == list(range(len(frames)))
    assert src.problem is not None and f"only {len(frames)} of 30 frames decodable" in src.problem
    assert src.last_good == len(frames) - 1 and src.status.state is SourceState.ENDED


def test_realtime_file_is_paced_and_live(tmp_path):
    path = make_video(tmp_path / "a.mp4", n=10, fps=25)
    cfg = SourceConfig(realtime=True)
    src = open_source(str(path), cfg)
    assert is_live(src, cfg)
    t0 = time.monotonic()
    with src:
        n = sum(1 for _ in src)
    assert n == 10 and time.monotonic() - t0 >= 9 / 25 * 0.9


def test_image_folder_and_glob_in_name_order_skipping_unreadable(tmp_path):
    for i in (2, 0, 1):
        img = np.full((32, 48, 3), i * 50, np.uint8)
        cv2.imwrite(str(tmp_path / f"img{i}.png"), img)
    (tmp_path / "broken.jpg").write_bytes(b"not an image")
    src = open_source(str(tmp_path), SourceConfig())
    assert isinstance(src, ImageSource)
    with src:
        frames = list(src)
    assert [int(f.image[0, 0, 0]) for f in frames] == [0, 50, 100]
    assert [f.index for f in frames] == [0, 1, 2]
    with open_source(str(tmp_path / "img*.png"), SourceConfig()) as g:
        assert len(list(g)) == 3


def test_webcam_class_reads_through_cv2_capture(tmp_path):
    """No camera exists here: a file opened by the same cv2.VideoCapture path exercises the read loop."""
    path = make_video(tmp_path / "cam.mp4", n=12)
    cfg = SourceConfig(width=160, height=120, reconnect=ReconnectConfig(enabled=False))
    src = WebcamSource(str(path), cfg)
    with src:
        frames = list(src)
    assert len(frames) == 12 and frames[-1].index == 11
    assert frames[0].image.shape == (120, 160, 3)
    assert src.info.fps == pytest.approx(25.0)


class DeadCapture:
    """A camera that opened but never delivers a frame (unplugged after open)."""

    def set(self, *_):
        return True

    def get(self, _):
        return 0.0

    def isOpened(self):  # noqa: N802 - the cv2.VideoCapture name
        return True

    def read(self):
        return False, None

    def release(self):
        pass


def three_quick_attempts(**kw) -> SourceConfig:
    """Reconnects after 0.05, 0.1 and 0.1 s, then give up."""
    return SourceConfig(**kw, reconnect=ReconnectConfig(initial_delay=0.05, max_delay=0.1, max_attempts=3))


def gives_up_after_backoff(src, message: str) -> None:
    t0 = time.monotonic()
    with pytest.raises(SourceError, match=message):
        list(src)
    assert 0.05 + 0.1 + 0.1 <= time.monotonic() - t0 < 10
    assert src.status.attempts == 4 and src.status.state is SourceState.ERROR


def test_webcam_reopens_with_the_same_backoff_as_streams_then_gives_up():
    opened = []
    src = WebcamSource("0", three_quick_attempts(), opener=lambda dev: opened.append(dev) or DeadCapture())
    src.start()
    gives_up_after_backoff(src, "camera 0 stopped delivering frames")
    assert len(opened) == 1 + 3


def test_missing_camera_is_one_clear_error_quickly():
    t0 = time.monotonic()
    src = open_source("/dev/video77", SourceConfig())
    assert isinstance(src, WebcamSource)
    with pytest.raises(SourceError, match="camera /dev/video77 could not be opened"):
        src.start()
    assert time.monotonic() - t0 < 5


def test_synthetic_source_is_paced_like_a_camera():
    src = open_source("synthetic:testsrc2=size=96x64:rate=30:duration=0.5", SourceConfig())
    assert isinstance(src, SyntheticSource) and is_live(src, SourceConfig())
    t0 = time.monotonic()
    with src:
        frames = list(src)
    assert len(frames) == 15 and frames[0].image.shape == (64, 96, 3)
    assert time.monotonic() - t0 >= 14 / 30 * 0.8


@pytest.mark.parametrize(("uri", "message"), [
    ("/no/such/video.mp4", "video file not found"),
    ("ftp://example.com/x.mp4", "unsupported URL scheme"),
    ("", "empty source"),
    ("rtsp://127.0.0.1:99999/x", "malformed stream URL"),
    ("rtsp:///only-a-path", "malformed stream URL"),
])
def test_bad_sources_raise_source_error(uri, message):
    with pytest.raises(SourceError, match=message):
        open_source(uri, SourceConfig()).start()


def test_missing_demo_clip_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr("yolotrack.pipeline.sources.DEMO_VIDEO", tmp_path / "none.mp4")
    with pytest.raises(SourceError, match="demo clip is missing"):
        open_source("demo", SourceConfig())


def test_unreadable_video_is_a_source_error(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 1000)
    with pytest.raises(SourceError, match="cannot open video"):
        open_source(str(bad), SourceConfig()).start()


def test_source_kinds_and_policy():
    assert source_kind("0") == "webcam" and source_kind("/dev/video2") == "webcam"
    assert source_kind("rtsp://u:p@cam/1") == "stream" and source_kind("synthetic") == "synthetic"
    assert source_kind("imgs/*.jpg") == "images" and source_kind("clip.mp4") == "file"
    s = open_source("rtsp://user:secret@127.0.0.1:1/x", SourceConfig(policy="lossless"))
    assert isinstance(s, StreamSource) and not is_live(s, s.cfg) and "secret" not in s.status.uri


def test_stream_refused_with_reconnect_disabled_fails_fast():
    cfg = SourceConfig(timeout=1.0, reconnect=ReconnectConfig(enabled=False))
    src = open_source("rtsp://127.0.0.1:9/none", cfg)
    with pytest.raises(SourceError, match="cannot connect"):
        list(src)
    assert src.status.state is SourceState.ERROR


def test_stream_gives_up_after_max_attempts_with_backoff():
    src = open_source("rtsp://127.0.0.1:9/none", three_quick_attempts(timeout=1.0))  # the discard port: refused
    gives_up_after_backoff(src, "after 3 reconnect attempts")


def test_live_queue_keeps_newest_and_counts_drops():
    q = FrameQueue(1, drop_oldest=True)
    for i in range(5):
        assert q.put(i)
    assert len(q) == 1 and q.get_nowait() == 4 and q.dropped == 4
    q.put(EndOfStream("0"), force=True)
    q.put(7)
    assert isinstance(q.get_nowait(), EndOfStream)  # markers are never dropped


def test_lossless_queue_blocks_producer_until_consumed_or_stopped():
    q = FrameQueue(2, drop_oldest=False)
    q.put(1)
    q.put(2)
    got = []
    t = threading.Thread(target=lambda: got.append(q.put(3)))
    t.start()
    time.sleep(0.15)
    assert t.is_alive() and len(q) == 2
    assert q.get() == 1
    t.join(2)
    assert got == [True] and q.dropped == 0 and [q.get(), q.get()] == [2, 3]
    stop = threading.Event()
    q.put(4)
    q.put(5)
    stop.set()
    assert q.put(6, stop) is False


def test_one_backoff_for_camera_reconnects_and_network_outputs():
    """Cameras, the MQTT sender and the webhook sender wait alike: doubling from the first delay, capped."""
    from yolotrack.core.backoff import backoff_delay

    assert [backoff_delay(n, 0.5, 10.0) for n in range(1, 8)] == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert backoff_delay(0, 0.5, 10.0) == 0.5  # a caller that has not counted yet waits the first delay
