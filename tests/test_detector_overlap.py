"""Detectors overlap: exported runtimes run on the caller's thread, so two camera groups in one process
run their forwards at the same time; only torch work goes through the one torch thread."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from pipeline_media import FIXTURE_WEIGHTS, make_video

from yolotrack.cluster.group_pipeline import build_group_pipeline, group_detector
from yolotrack.cluster.groups import plan_groups
from yolotrack.cluster.local import group_threads
from yolotrack.core.cameras import Camera
from yolotrack.core.config import Config, set_values
from yolotrack.detector import Detector, torch_thread


def _ort_config(fixtures_dir, imgsz: int = 160, **extra) -> Config:
    return set_values(Config(), {"model.weights": str(fixtures_dir / FIXTURE_WEIGHTS), "model.imgsz": imgsz,
                                 "model.runtime": "onnxruntime", "source.policy": "lossless", **extra})


def test_two_local_groups_run_their_forwards_at_once(fixtures_dir, tmp_path) -> None:
    pytest.importorskip("onnxruntime")
    clips = [make_video(tmp_path / f"{n}.mp4", n=40) for n in ("a", "b")]
    # a different imgsz per camera: two groups, each with its own detector (as `run --cameras` plans them)
    cams = [Camera("a", str(clips[0])), Camera("b", str(clips[1]), {"model.imgsz": 192})]
    groups = plan_groups(cams, _ort_config(fixtures_dir), group_size=2)
    assert len(groups) == 2 and group_threads(groups) >= 1
    spans: dict[str, list[tuple[float, float, int]]] = {g.name: [] for g in groups}
    pipes = []
    for g in groups:
        det = group_detector(g, group_threads(groups))
        assert isinstance(det, Detector) and det._numpy  # the exported runtime, not torch
        infer = det.model.infer

        def timed(batch, infer=infer, out=spans[g.name]):  # the forward itself, timed where it runs
            t0 = time.perf_counter()
            res = infer(batch)
            time.sleep(0.005)  # widen each forward a little: overlap must not hinge on a race of microseconds
            out.append((t0, time.perf_counter(), threading.get_ident()))
            return res

        det.model.infer = timed
        pipes.append(build_group_pipeline(g, lambda info: [], detector=det))
    for p in pipes:
        p.start()
    for p in pipes:
        assert p.wait(120)
    a, b = spans.values()
    assert len(a) >= 10 and len(b) >= 10
    overlaps = sum(1 for s0, e0, _ in a for s1, e1, _ in b if s0 < e1 and s1 < e0)
    assert overlaps > 0, "the two groups' forwards never ran at the same time"
    torch_ident = torch_thread._ident
    assert all(t != torch_ident for *_, t in a + b), "an exported runtime ran on the torch thread"
    assert {t for *_, t in a}.isdisjoint({t for *_, t in b}), "both groups' forwards ran on one thread"


def test_warmup_builds_the_runtime_for_the_expected_frames_before_the_first_frame(fixtures_dir) -> None:
    pytest.importorskip("onnxruntime")
    det = Detector(str(fixtures_dir / FIXTURE_WEIGHTS), imgsz=160, runtime="onnxruntime")
    assert not det.model._runtimes
    assert det.warmup([(120, 160)], batch=2) > 0
    (key,) = det.model._runtimes  # (batch, 3, H, W) of the letterboxed input for 160x120 frames
    assert key[0] == 2 and key[2:] == (128, 160)
    t0 = time.perf_counter()
    out = det([np.zeros((120, 160, 3), np.uint8)] * 2)
    assert len(out) == 2 and len(det.model._runtimes) == 1  # nothing new was built on the frame path
    assert time.perf_counter() - t0 < 30
