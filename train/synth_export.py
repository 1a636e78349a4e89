"""Write synthetic sequences to disk: H.264 videos, MOT Challenge ground truth, a YOLO dataset.

Sequences, not frames, are split into train and val, so validation never sees a scene it was
trained on. Every file is written to a temp name and renamed, so an interrupted run leaves no
half-written file under a final name.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import av
import cv2
import numpy as np
import yaml

from yolotrack.core.errors import InvalidInputError
from yolotrack.core.files import temp_beside
from yolotrack.sinks.base import AtomicFile
from yolotrack.train.shape_keypoints import KEYPOINT_NAMES, KEYPOINT_SIGMAS, KPT_SHAPE, SKELETON
from yolotrack.train.synth import CLASS_NAMES, GroundTruth, SceneConfig, SceneFrame, SceneGenerator

log = logging.getLogger(__name__)


@dataclass
class SynthPlan:
    """What `yolotrack synth` writes."""

    out: Path
    sequences: int = 4
    seed: int = 0
    scene: SceneConfig = field(default_factory=SceneConfig)
    val_fraction: float = 0.25
    every: int = 5  # keep every Nth frame as a dataset image
    videos: bool = True
    dataset: bool = True
    crf: int = 26
    min_visibility: float = 0.4  # dataset labels skip objects hidden more than this
    # objects cut by the frame's edge are labelled down to this share in view, when nothing else hides them
    edge_visibility: float | None = None
    task: str = "detect"  # label format: detect (boxes), segment (polygons) or pose (boxes + keypoints)


class VideoWriter:
    """H.264 (libx264, yuv420p) MP4 writer that renames into place on `close()`."""

    def __init__(self, path: Path, width: int, height: int, fps: float, crf: int = 26) -> None:
        if width % 2 or height % 2:
            raise InvalidInputError(f"H.264 needs even frame sizes, got {width}x{height}")
        self.path = Path(path)
        self.tmp = temp_beside(self.path, ".mp4")
        self.container = av.open(str(self.tmp), mode="w", format="mp4")
        from fractions import Fraction

        self.stream = self.container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        self.stream.width, self.stream.height = width, height
        self.stream.pix_fmt = "yuv420p"
        self.stream.options = {"crf": str(crf), "preset": "medium"}

    def write(self, image: np.ndarray) -> None:
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")
        for packet in self.stream.encode(frame):
            self.container.mux(packet)

    def close(self) -> Path:
        for packet in self.stream.encode():
            self.container.mux(packet)
        self.container.close()
        os.replace(self.tmp, self.path)
        return self.path

    def abort(self) -> None:
        try:
            self.container.close()
        finally:
            self.tmp.unlink(missing_ok=True)


def mot_rows(frame: SceneFrame) -> list[str]:
    """MOT Challenge gt lines: frame(1-based), id, left, top, w, h, 1, class(1-based), visibility."""
    rows = []
    for o in frame.objects:
        x1, y1, x2, y2 = o.xyxy
        rows.append(f"{frame.index + 1},{o.track_id},{x1:.2f},{y1:.2f},{x2 - x1:.2f},{y2 - y1:.2f},1,"
                    f"{o.cls + 1},{o.visibility:.3f}")
    return rows


def labelled(o: GroundTruth, plan: SynthPlan) -> bool:
    """Whether a dataset label names this object. An object entering or leaving is what a line at the edge
    has to count, so `edge_visibility` lets a detector learn the sliver the frame shows of it; a sliver that
    another object hides stays unlabelled, as do heavily occluded objects."""
    if o.visibility >= plan.min_visibility:
        return True
    edge = plan.edge_visibility
    return edge is not None and o.in_frame < 1.0 and o.visibility >= edge and o.visibility >= 0.9 * o.in_frame


def yolo_rows(frame: SceneFrame, width: int, height: int, min_visibility: float) -> list[str]:
    """YOLO label lines: class cx cy w h, normalised to the image size."""
    rows = []
    for o in frame.objects:
        if o.visibility < min_visibility:
            continue
        x1, y1, x2, y2 = o.xyxy
        rows.append(f"{o.cls} {(x1 + x2) / 2 / width:.6f} {(y1 + y2) / 2 / height:.6f} "
                    f"{(x2 - x1) / width:.6f} {(y2 - y1) / height:.6f}")
    return rows


def segment_rows(frame: SceneFrame, width: int, height: int, min_visibility: float) -> list[str]:
    """YOLO segment label lines: class x1 y1 x2 y2 ..., the visible outline normalised to the image size."""
    rows = []
    for o in frame.objects:
        if o.visibility < min_visibility or len(o.polygon) < 3:
            continue
        xy = (np.asarray(o.polygon, np.float64) / (width, height)).clip(0, 1)
        rows.append(f"{o.cls} " + " ".join(f"{v:.6f}" for v in xy.reshape(-1)))
    return rows


def pose_rows(frame: SceneFrame, width: int, height: int, min_visibility: float) -> list[str]:
    """YOLO pose label lines: class cx cy w h, then x y visibility per keypoint (0 0 0 when unlabelled)."""
    rows = []
    for o, box in zip(frame.objects, yolo_rows(frame, width, height, 0.0), strict=True):
        if o.visibility < min_visibility:
            continue
        kp = []
        for x, y, v in np.asarray(o.keypoints, np.float64):
            kp.append("0 0 0" if v == 0 else f"{x / width:.6f} {y / height:.6f} {int(v)}")
        rows.append(f"{box} {' '.join(kp)}")
    return rows


LABEL_ROWS = {"detect": yolo_rows, "segment": segment_rows, "pose": pose_rows}


def write_sequence(seed: int, name: str, plan: SynthPlan, split: str | None) -> int:
    """Render one sequence and write its video, MOT gt and (for `split`) dataset images."""
    cfg = plan.scene
    writer = VideoWriter(plan.out / "videos" / f"{name}.mp4", cfg.width, cfg.height, cfg.fps, plan.crf) \
        if plan.videos else None
    gt = AtomicFile(plan.out / "mot" / name / "gt" / "gt.txt")
    images = plan.out / "dataset" / "images" / (split or "")
    labels = plan.out / "dataset" / "labels" / (split or "")
    if split:
        images.mkdir(parents=True, exist_ok=True)
        labels.mkdir(parents=True, exist_ok=True)
    n = 0
    try:
        for frame in SceneGenerator(seed, cfg):
            n += 1
            if writer:
                writer.write(frame.image)
            for row in mot_rows(frame):
                gt.file.write(row + "\n")
            if split and plan.dataset and frame.index % plan.every == 0:
                stem = f"{name}_{frame.index:06d}"
                ok, buf = cv2.imencode(".jpg", frame.image, [cv2.IMWRITE_JPEG_QUALITY, 92])
                if not ok:
                    raise InvalidInputError(f"could not encode frame {frame.index} of {name}")
                img_file = AtomicFile(images / f"{stem}.jpg", mode="wb")
                img_file.file.write(buf.tobytes())
                img_file.commit()
                lab = AtomicFile(labels / f"{stem}.txt")
                named = SceneFrame(frame.image, frame.index, [o for o in frame.objects if labelled(o, plan)])
                rows = LABEL_ROWS[plan.task](named, cfg.width, cfg.height, 0.0)
                lab.file.write("".join(r + "\n" for r in rows))
                lab.commit()
    except BaseException:
        gt.discard()
        if writer:
            writer.abort()
        raise
    gt.commit()
    if writer:
        writer.close()
    info = AtomicFile(plan.out / "mot" / name / "seqinfo.ini")
    info.file.write(f"[Sequence]\nname={name}\nimDir=img1\nframeRate={cfg.fps:g}\nseqLength={n}\n"
                    f"imWidth={cfg.width}\nimHeight={cfg.height}\nimExt=.jpg\n")
    info.commit()
    return n


def write_data_yaml(root: Path, task: str = "detect", val: bool = True) -> Path:
    """`val`: False when no sequence was held out (the YAML must not name a folder that does not exist)."""
    data: dict[str, object] = {"path": str(root.resolve()), "train": "images/train"}
    if val:
        data["val"] = "images/val"
    data |= {"nc": len(CLASS_NAMES), "names": dict(enumerate(CLASS_NAMES)), "task": task}
    if task == "pose":  # no flip_idx: see shape_keypoints
        data.update(kpt_shape=list(KPT_SHAPE), kpt_names=list(KEYPOINT_NAMES),
                    skeleton=[list(e) for e in SKELETON], kpt_sigmas=list(KEYPOINT_SIGMAS))
    f = AtomicFile(root / "data.yaml")
    yaml.safe_dump(data, f.file, sort_keys=False)
    return f.commit()


def run_plan(plan: SynthPlan) -> dict[str, list[str]]:
    """Write every sequence; returns the sequence names per split."""
    if plan.task not in LABEL_ROWS:
        raise InvalidInputError(f"unknown label task {plan.task!r}; choose detect, segment or pose")
    if plan.sequences < 1:
        raise InvalidInputError("need at least one sequence")
    n_val = 0 if plan.sequences == 1 else max(1, round(plan.sequences * plan.val_fraction))
    splits: dict[str, list[str]] = {"train": [], "val": []}
    for i in range(plan.sequences):
        split = "val" if i >= plan.sequences - n_val else "train"
        name = f"seq{plan.seed + i:04d}"
        frames = write_sequence(plan.seed + i, name, plan, split if plan.dataset else None)
        splits[split].append(name)
        log.info("wrote %s (%s, %d frames)", name, split, frames)
    if plan.dataset:
        write_data_yaml(plan.out / "dataset", plan.task, val=bool(splits["val"]))
    return splits


def scene_config(**overrides: object) -> SceneConfig:
    """A `SceneConfig` with only the given fields changed."""
    return replace(SceneConfig(), **overrides)  # type: ignore[arg-type]
