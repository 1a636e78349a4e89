"""The threaded pipeline end to end with the real detector (fixture checkpoint, small imgsz) and tracker."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from pipeline_media import LOW_THRESHOLDS, fixture_detector, make_video

from yolotrack.core.config import Config, set_values
from yolotrack.core.errors import PipelineError, SourceError
from yolotrack.pipeline import Pipeline, PipelineStats, SourceState
from yolotrack.sinks.jsonl import JsonlSink


@pytest.fixture(scope="module")
def detector(fixtures_dir):
    return fixture_detector(fixtures_dir)


class RecordingSink:
    """A real sink on the Sink protocol that remembers what it saw."""

    def __init__(self, name: str = "rec", fail_at: int | None = None, delay: float = 0.0) -> None:
        self.name = name
        self.fail_at = fail_at
        self.delay = delay
        self.infos = []
        self.frames: list[tuple[str, int]] = []
        self.tracked: list[bool] = []
        self.counts: list[int] = []
        self.events = []
        self.closed = self.aborted = 0

    def open(self, info):
        self.infos.append(info)

    def write(self, frame, dets, events):
        if self.fail_at is not None and frame.index == self.fail_at:
            raise OSError("disk full")
        time.sleep(self.delay)
        self.frames.append((frame.source_id, frame.index))
        self.tracked.append(dets.track_ids is not None)
        self.counts.append(len(dets))
        self.events.extend(events)

    def close(self):
        self.closed += 1
        return []

    def abort(self):
        self.aborted += 1


def cfg_for(uri, **kw) -> Config:
    cfg = set_values(Config(), {"source.uri": uri, "pipeline.stats_interval": 0.0})
    cfg = set_values(cfg, {k: v for k, v in LOW_THRESHOLDS.items() if k.startswith("tracker.")})
    return set_values(cfg, {key.replace("__", "."): value for key, value in kw.items()})


def no_pipeline_threads() -> bool:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if not [t for t in threading.enumerate() if t.name.startswith("yolotrack-")]:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("track_thread", [False, True])
def test_file_yields_exactly_its_frame_count_in_order(tmp_path, detector, track_thread):
    video = make_video(tmp_path / "a.mp4", n=24)
    sink = RecordingSink()
    progress = []
    pipe = Pipeline(cfg_for(str(video)), sinks=[sink], detector=detector, track_thread=track_thread,
                    progress=lambda done, total: progress.append((done, total)))
    stats = pipe.run()
    assert sink.frames == [("0", i) for i in range(24)]
    assert all(sink.tracked) and sink.closed == 1 and sink.aborted == 0
    assert min(sink.counts) > 0 and {e.kind for e in sink.events} >= {"new"}
    info = sink.infos[0]
    assert (info.width, info.height, info.total_frames) == (160, 120, 24) and info.names == detector.names
    assert progress[-1] == (24, 24) and stats.frames == 24 and stats.dropped == 0
    assert stats.sources["0"].state is SourceState.ENDED
    assert stats.stages["detector"].frames == 24 and stats.inference_ms > 0
    assert no_pipeline_threads()


class SlowDetector:
    """The real detector plus a fixed delay: inference slower than the camera."""

    def __init__(self, inner, delay: float) -> None:
        self.inner, self.delay = inner, delay
        self.names, self.task, self.kpt_shape = inner.names, inner.task, inner.kpt_shape

    def __call__(self, images):
        time.sleep(self.delay)
        return self.inner(images)


def test_slow_stage_on_live_source_drops_stale_frames_and_bounds_latency(detector):
    cfg = cfg_for("synthetic:testsrc2=size=160x120:rate=30:duration=2")
    sink = RecordingSink()
    stats = Pipeline(cfg, sinks=[sink], detector=SlowDetector(detector, 0.15)).run()
    indices = [i for _, i in sink.frames]
    assert stats.dropped > 20 and stats.sources["0"].dropped == stats.dropped
    assert len(indices) + stats.dropped == 60  # every frame was either processed or counted as dropped
    assert indices == sorted(indices) and len(indices) < 25
    # a stale-frame backlog would grow to ~2 s; latest-frame keeps it near one inference
    assert stats.latency_p95_ms < 700, stats.latency_p95_ms


def test_lossless_policy_on_the_same_live_source_drops_nothing(detector):
    cfg = cfg_for("synthetic:testsrc2=size=160x120:rate=30:duration=1", source__policy="lossless")
    sink = RecordingSink()
    stats = Pipeline(cfg, sinks=[sink], detector=SlowDetector(detector, 0.05)).run()
    assert [i for _, i in sink.frames] == list(range(30)) and stats.dropped == 0


def test_sink_crash_stops_everything_and_names_the_stage(tmp_path, detector):
    video = make_video(tmp_path / "a.mp4", n=60)
    bad, good = RecordingSink("boom", fail_at=5), RecordingSink("good")
    pipe = Pipeline(cfg_for(str(video)), sinks=[good, bad], detector=detector)
    with pytest.raises(PipelineError, match="sink boom: OSError: disk full") as err:
        pipe.run()
    assert err.value.stage == "sink boom" and err.value.exit_code == 1
    assert bad.aborted == 1 and good.aborted == 1 and good.closed == 0
    assert no_pipeline_threads()


def test_detector_crash_is_one_error_naming_the_detector(tmp_path, detector):
    class Broken(SlowDetector):
        def __call__(self, images):
            raise RuntimeError("CUDA out of memory")

    video = make_video(tmp_path / "a.mp4", n=10)
    with pytest.raises(PipelineError, match="^detector: RuntimeError: CUDA out of memory"):
        Pipeline(cfg_for(str(video)), sinks=[RecordingSink()], detector=Broken(detector, 0)).run()
    assert no_pipeline_threads()


def test_missing_file_fails_at_start(detector):
    with pytest.raises(SourceError, match="video file not found"):
        Pipeline(cfg_for("/nope/x.mp4"), detector=detector).start()


def test_stop_drains_in_flight_frames_and_closes_sinks(detector):
    cfg = cfg_for("synthetic:testsrc2=size=160x120:rate=30")
    sink = RecordingSink()
    results, stats = [], []

    def on_result(result):
        results.append(result)
        stats.append(pipe.stats())  # callers read stats from the pipeline, also from the callback

    pipe = Pipeline(cfg, sinks=[sink], detector=detector, on_result=on_result)
    pipe.start()
    assert pipe.wait(0.0) is False
    time.sleep(1.0)
    pipe.stop()
    assert pipe.wait(10)
    assert sink.closed == 1 and sink.aborted == 0 and len(sink.frames) > 3
    assert pipe.latest() is results[-1] and isinstance(stats[-1], PipelineStats)
    assert stats[-1].sources["0"].state in (SourceState.LIVE, SourceState.STOPPED)
    assert no_pipeline_threads()


def test_pause_step_resume(tmp_path, detector):
    video = make_video(tmp_path / "a.mp4", n=30)
    sink = RecordingSink()
    pipe = Pipeline(cfg_for(str(video)), sinks=[sink], detector=detector)
    pipe.pause()  # before start: nothing to pause yet, harmless
    pipe.start()
    pipe.pause()
    time.sleep(0.3)
    n = len(sink.frames)
    time.sleep(0.3)
    assert len(sink.frames) == n and pipe.paused and pipe.stats().paused
    pipe.step()
    deadline = time.monotonic() + 5
    while len(sink.frames) < n + 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)
    assert len(sink.frames) == n + 1
    pipe.resume()
    assert pipe.wait(30)
    assert [i for _, i in sink.frames] == list(range(30))


def test_several_sources_each_with_their_own_sinks_and_tracker(tmp_path, detector):
    a = make_video(tmp_path / "a.mp4", n=12)
    b = make_video(tmp_path / "b.mp4", n=8, size=(128, 96))
    made: dict[str, RecordingSink] = {}

    def factory(info):
        made[info.source_id] = RecordingSink(f"rec{info.source_id}")
        return [made[info.source_id]]

    shared = JsonlSink(tmp_path / "all.jsonl")
    pipe = Pipeline(cfg_for([str(a), str(b)]), sinks=factory, detector=detector)
    pipe.run()
    assert made["0"].frames == [("0", i) for i in range(12)]
    assert made["1"].frames == [("1", i) for i in range(8)]
    assert made["1"].infos[0].width == 128
    assert len(pipe._tracking.trackers) == 2  # one tracker per source
    pipe2 = Pipeline(cfg_for([str(a), str(b)]), sinks=[shared], detector=detector)
    pipe2.run()
    lines = Path(tmp_path / "all.jsonl").read_text().splitlines()
    assert sum('"type":"frame"' in ln for ln in lines) == 20


def test_tracking_disabled_passes_detections_through(tmp_path, detector):
    video = make_video(tmp_path / "a.mp4", n=5)
    sink = RecordingSink()
    Pipeline(cfg_for(str(video), tracker__enabled=False), sinks=[sink], detector=detector).run()
    assert len(sink.frames) == 5 and not any(sink.tracked)


def test_threshold_changes_reach_the_detector(tmp_path, detector):
    # more frames than the stages and queues hold at once (capture holds one back to mark a file's last)
    video = make_video(tmp_path / "a.mp4", n=24)
    sink = RecordingSink()
    low = LOW_THRESHOLDS["model.conf"]

    def raise_conf(result):
        if result.frame.index == 1:
            pipe.set_thresholds(conf=0.5)  # from the sink thread while the detector thread runs

    pipe = Pipeline(cfg_for(str(video), pipeline__queue_size=1), sinks=[sink], detector=detector,
                    on_result=raise_conf)
    try:
        pipe.run()
        assert sink.counts[0] > 0 and sink.counts[-1] == 0 and detector.conf == pytest.approx(0.5)
    finally:
        detector.set_thresholds(conf=low)


def test_periodic_stats_reach_listeners_and_the_jsonl_sink(tmp_path, detector):
    cfg = cfg_for("synthetic:testsrc2=size=160x120:rate=30:duration=1.2")
    cfg = set_values(cfg, {"pipeline.stats_interval": 0.3})
    seen = []
    out = tmp_path / "o.jsonl"
    pipe = Pipeline(cfg, sinks=[JsonlSink(out)], detector=detector)
    pipe.add_stats_listener(seen.append)
    pipe.run()
    assert len(seen) >= 2 and seen[-1].frames > 0 and "detector" in seen[-1].stages
    assert sum('"type":"stats"' in ln for ln in out.read_text().splitlines()) == len(seen)


def test_source_failure_mid_stream_names_the_source(tmp_path, detector):
    from yolotrack.pipeline import FileSource

    class CorruptAfterFive(FileSource):
        def __iter__(self):
            for frame in super().__iter__():
                if frame.index == 5:
                    raise SourceError(f"cannot decode {self.path} at frame 5: Invalid data")
                yield frame

    video = make_video(tmp_path / "a.mp4", n=20)
    cfg = cfg_for(str(video))
    sink = RecordingSink()
    pipe = Pipeline(cfg, sinks=[sink], detector=detector, sources=[CorruptAfterFive(str(video), cfg.source)])
    with pytest.raises(PipelineError, match=r"^source 0: cannot decode .* at frame 5") as err:
        pipe.run()
    assert err.value.stage == "source 0" and sink.closed == 0
    assert sink.aborted == len(sink.infos)  # aborted if it was opened (a sink opens at its first frame)
    assert no_pipeline_threads()


@pytest.mark.parametrize("track_thread", [False, True])
def test_tracker_failure_names_the_tracker(tmp_path, detector, track_thread):
    class Exploding:
        def update_detections(self, dets, frame_index, image=None):
            raise ValueError("bad box")

    video = make_video(tmp_path / "a.mp4", n=5)
    pipe = Pipeline(cfg_for(str(video)), detector=detector, tracker_factory=lambda fps: Exploding(),
                    track_thread=track_thread)
    with pytest.raises(PipelineError, match="^tracker: ValueError: bad box"):
        pipe.run()
    assert no_pipeline_threads()


def test_an_attached_sink_gets_the_same_path_and_fails_alone(tmp_path, detector):
    """`attach_sink` (the GUI's recordings): the sink is opened with the stream's info and written like the
    others from the next frame on; one that fails is detached and reported, and the run goes on."""

    class FailsOnThird(RecordingSink):
        def write(self, frame, dets, events):
            if len(self.frames) == 2:
                raise OSError("disk full")
            super().write(frame, dets, events)

    video = make_video(tmp_path / "a.mp4", n=45)
    cfg = set_values(cfg_for(str(video)), {"source.realtime": True, "source.policy": "lossless"})  # paced, no drops
    main, extra, broken = RecordingSink("main"), RecordingSink("extra"), FailsOnThird("broken")
    errors: list[BaseException] = []
    pipe = Pipeline(cfg, sinks=[main], detector=detector, on_result=lambda r: None)
    pipe.start()
    pipe.attach_sink("0", extra, errors.append)
    pipe.attach_sink("0", broken, errors.append)
    pipe.attach_sink("0", extra, errors.append)  # attached once
    assert pipe.wait(60)
    assert len(main.frames) == 45 and main.closed == 1
    assert len(extra.frames) >= 3 and extra.frames == main.frames[-len(extra.frames):] and extra.closed == 1
    assert extra.infos[0].source_id == "0" and extra.infos[0].width == main.infos[0].width
    assert [str(e) for e in errors] == ["disk full"] and len(broken.frames) == 2 and broken.closed == 0
