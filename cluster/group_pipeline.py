"""One camera group as one `Pipeline`: the same stages as `run`, one detector batched over the group.

Used as it is by `run --cameras` in one process, and inside each Ray actor. Each camera keeps its
own source settings, thresholds and tracker (`CameraTracker`); a camera given a `Resume` goes on
from the driver's commit point instead of from the start.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from yolotrack.cluster.camera_tracker import CameraTracker, CheckpointFn, checkpoint_period
from yolotrack.cluster.groups import CameraGroup
from yolotrack.cluster.records import Resume
from yolotrack.core.classes import resolve_classes
from yolotrack.pipeline.contracts import DetectorLike, Result
from yolotrack.pipeline.runner import Pipeline
from yolotrack.pipeline.sources import Source, open_source
from yolotrack.pipeline.stages import SinkFactory
from yolotrack.pipeline.stats import SourceKind

REPLAYABLE = (SourceKind.FILE, SourceKind.IMAGES)  # sources that can go back to a frame; the others resume live


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
        from yolotrack.detector import Detector
        from yolotrack.tracker import wants_embeddings

        # int8 calibrates on the group's files when model.calibration is empty; the embeddings are
        # pooled when any camera's tracker matches on appearance (the others ignore them) or for global ids
        embeddings = group.config.global_ids.enabled or any(wants_embeddings(c.tracker) for c in group.configs.values())
        detector = Detector.from_config(group.config.model, source=[c.source for c in group.cameras],
                                        embeddings=embeddings)
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
