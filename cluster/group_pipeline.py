"""One camera group as one `Pipeline`: the same stages as `run`, one detector batched over the group.

Used as it is by `run --cameras` in one process, and inside each Ray actor. Each camera keeps its
own source settings, thresholds and tracker (`CameraTracker`); a camera given a `Resume` goes on
from the driver's commit point instead of from the start.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from yolotrack.cluster.camera_tracker import CameraTracker, CheckpointFn, checkpoint_period
from yolotrack.cluster.groups import CameraGroup
from yolotrack.cluster.records import Resume
from yolotrack.core.classes import resolve_classes
from yolotrack.pipeline.contracts import DetectorLike, Result
from yolotrack.pipeline.runner import Pipeline
from yolotrack.pipeline.sources import Source, file_frame_size, open_source
from yolotrack.pipeline.stages import SinkFactory
from yolotrack.pipeline.stats import SourceKind

log = logging.getLogger(__name__)

REPLAYABLE = (SourceKind.FILE, SourceKind.IMAGES)  # sources that can go back to a frame; the others resume live


def pools_embeddings(group: CameraGroup) -> bool:
    """Whether the group's detector pools appearance features: for global ids (unless a ReID network
    gives them), or when any camera's tracker matches on appearance (the others ignore them)."""
    from yolotrack.tracker import wants_embeddings
    from yolotrack.tracker.reid_model import reid_for

    g = group.config.global_ids
    on_pooled = g.enabled and reid_for(g, [group.config.model.weights]) is None
    return on_pooled or any(wants_embeddings(c.tracker) for c in group.configs.values())


def warm_key(group: CameraGroup) -> str:
    """Equal for groups whose detectors are interchangeable (a warm actor's detector serves either)."""
    return repr((group.config.model, pools_embeddings(group)))


def group_detector(group: CameraGroup, threads: int | None = None) -> DetectorLike:
    """The group's one detector, its runtime built (export, int8 calibration, compile) before the
    first frame, for the frame size of its files when they share one. `threads`: the group's share
    of the cores (exported runtimes; several groups in one process run their forwards at once)."""
    import dataclasses

    from yolotrack.detector import Detector
    from yolotrack.detector.inference import InferenceSpec

    # int8 calibrates on the group's files when model.calibration is empty
    spec = InferenceSpec.from_config(group.config.model, [c.source for c in group.cameras], pools_embeddings(group))
    det = Detector(spec=dataclasses.replace(spec, threads=threads) if threads else spec)
    if det.task != group.config.model.task:
        log.info("config says task=%s but the weights are a %s model; using %s", group.config.model.task, det.task,
                 det.task)
    sizes = {file_frame_size(c.source) for c in group.cameras}
    det.warmup([s for s in sizes if s is not None] if len(sizes) == 1 else [], batch=len(group.cameras))
    return det


def build_group_pipeline(group: CameraGroup, sinks: SinkFactory, *, detector: DetectorLike | None = None,
                         resume: Mapping[str, Resume] | None = None, checkpoint_every: int = 0,
                         on_checkpoint: CheckpointFn | None = None,
                         annotate: Callable[[Result], None] | None = None) -> Pipeline:
    """The group's pipeline, built and not started (the detector is loaded here unless given).

    `resume`: cameras that go on after the given commit points. A file or image folder re-decodes
    from its tracker checkpoint so its tracker is rebuilt exactly (the caller drops the frames up
    to `Resume.after`, written before); a live source goes on live with its saved tracker.
    `annotate`: the `Pipeline` hook (global ids). With `global_ids.enabled` the detector pools
    appearance features for them (on Ray they travel to the driver, which labels the results).
    """
    resume = dict(resume or {})
    if detector is None:
        detector = group_detector(group)
    class_ids = {name: resolve_classes(cfg.model.classes, dict(detector.names)) for name, cfg in group.configs.items()}
    sources: list[Source] = []
    for cam in group.cameras:
        cfg = group.configs[cam.name]
        src = open_source(cam.source, cfg.source, cam.name)
        r = resume.get(cam.name)
        if r is not None:
            if src.kind in REPLAYABLE:
                src.resume_after(r.replay_from(cfg.tracker.enabled) - 1, r.timestamp)
            else:
                src.resume_after(r.after, r.timestamp)
        sources.append(src)
    kinds = {s.info.source_id: s.kind for s in sources}
    period = checkpoint_period(checkpoint_every, group.config.pipeline.detect_every) if checkpoint_every else 0

    def tracker_for(camera: str, fps: float) -> CameraTracker:
        r = resume.get(camera)
        replay = r is not None and kinds[camera] in REPLAYABLE
        return CameraTracker(
            camera, group.configs[camera], class_ids[camera], fps,
            state=r.state if r is not None else None,
            next_id=r.next_id if r is not None else 1,
            id_floor_from=(r.after + 1) if replay and r is not None else 0,
            checkpoint_every=period, on_checkpoint=on_checkpoint)

    return Pipeline(group.config, sinks=sinks, detector=detector, sources=sources, tracker_for=tracker_for,
                    annotate=annotate)
