"""Sources joining and leaving a running pipeline (the GUI's grid adds and removes cameras this way)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from pipeline_media import RtspServer, fixture_detector, make_video, require_gst, wait_for

from yolotrack.core.config import Config, SourceConfig, set_values
from yolotrack.core.errors import PipelineError, SourceError
from yolotrack.pipeline import Pipeline, open_source

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def detector(fixtures_dir):
    return fixture_detector(fixtures_dir, imgsz=64)


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return make_video(tmp_path_factory.mktemp("add") / "clip.mp4", n=20, size=(160, 120))


def looping(uri: str, name: str):
    return open_source(uri, SourceConfig(loop=True), name)


class Seen:
    """`on_result`: the frame indexes each source delivered, in order."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.frames: dict[str, list[int]] = {}

    def __call__(self, r) -> None:
        with self.lock:
            self.frames.setdefault(r.frame.source_id, []).append(r.frame.index)

    def count(self, sid: str) -> int:
        with self.lock:
            return len(self.frames.get(sid, []))


@pytest.mark.parametrize("track_thread", [False, True], ids=["inline-tracker", "tracker-thread"])
def test_a_source_joins_and_leaves_while_the_others_go_on(detector, clip, track_thread):
    seen = Seen()
    cfg = set_values(Config(), {"pipeline.stats_interval": 0})
    pipe = Pipeline(cfg, detector=detector, sources=[looping(str(clip), "a")], on_result=seen,
                    track_thread=track_thread)
    pipe.start()
    try:
        assert wait_for(lambda: seen.count("a") >= 5, 60)
        pipe.add_source(looping(str(clip), "b"))
        assert wait_for(lambda: seen.count("b") >= 5, 60)
        assert set(pipe.stats().sources) == {"a", "b"}
        assert seen.frames["b"][:5] == [0, 1, 2, 3, 4]  # a new stream, from its first frame, in order

        with pytest.raises(PipelineError, match="still running"):
            pipe.add_source(looping(str(clip), "b"))
        with pytest.raises(SourceError, match="not found"):
            pipe.add_source(open_source(str(clip) + ".missing", SourceConfig(), "c"))
        assert set(pipe.stats().sources) == {"a", "b"}  # a source that cannot open changes nothing

        a_before = seen.count("a")
        assert pipe.remove_source("b", timeout=30)
        b_after = seen.count("b")
        assert set(pipe.stats().sources) == {"a"}
        assert wait_for(lambda: seen.count("a") >= a_before + 10, 60)  # "a" never stopped
        assert seen.count("b") == b_after

        pipe.add_source(looping(str(clip), "b"))  # the same name again: a fresh stream and tracker
        assert wait_for(lambda: seen.count("b") >= b_after + 3, 60)
        assert seen.frames["b"][b_after] == 0
        assert pipe.running
    finally:
        pipe.stop(drain=False)
        pipe.wait(30)
    assert not pipe.running


def test_the_last_source_leaving_ends_the_pipeline_and_then_nothing_joins(detector, clip):
    cfg = set_values(Config(), {"pipeline.stats_interval": 0})
    seen = Seen()
    pipe = Pipeline(cfg, detector=detector, sources=[looping(str(clip), "a")], on_result=seen)
    pipe.start()
    assert wait_for(lambda: seen.count("a") >= 2, 60)
    assert pipe.remove_source("a", timeout=30)
    assert pipe.wait(30)  # finished cleanly, no error
    with pytest.raises(RuntimeError, match="ended"):
        pipe.add_source(looping(str(clip), "b"))


def test_with_isolated_sources_a_failing_stream_ends_alone(detector, clip):
    """A stream that refuses the first connect (a wrong path) stops only itself; its status says why."""
    require_gst()
    cfg = set_values(Config(), {"pipeline.stats_interval": 0})
    seen = Seen()
    with RtspServer() as server:
        bad = open_source(server.url.replace("/test", "/wrong"), SourceConfig(), "bad")
        pipe = Pipeline(cfg, detector=detector, sources=[looping(str(clip), "a"), bad], on_result=seen,
                        isolate_sources=True)
        pipe.start()
        try:
            assert wait_for(lambda: pipe.stats().sources["bad"].state.value == "error", 60)
            before = seen.count("a")
            assert wait_for(lambda: seen.count("a") >= before + 10, 60)  # "a" goes on
            assert pipe.running and pipe.error is None
            assert "cannot connect" in pipe.stats().sources["bad"].message
        finally:
            pipe.stop(drain=False)
            pipe.wait(30)
