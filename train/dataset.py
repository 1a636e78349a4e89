"""YOLO-format datasets: a data YAML naming image folders, with `labels/` mirroring `images/`.

Label rows are normalised to the image size, one object per row, in the format of the task:
detect `class cx cy w h`; segment `class x1 y1 x2 y2 ...` (the outline; the box is its extent);
pose `class cx cy w h` then `x y [v]` per keypoint (`kpt_shape` in the data YAML). Missing label
files mean "no objects"; a malformed row is a `LabelError` naming the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
import yaml

from yolotrack.core.errors import ConfigError, InvalidInputError, LabelError
from yolotrack.train.augment import affine_matrix, apply_affine, augment_hsv, hflip, letterbox
from yolotrack.train.polygons import clip_to_rect, fill_polygons

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


@dataclass
class DataSpec:
    """What a data YAML says: image folders per split and the class names."""

    train: list[Path]
    val: list[Path]
    names: dict[int, str]
    task: str | None = None  # what the YAML says its labels are, when it says
    kpt_shape: tuple[int, int] | None = None
    flip_idx: list[int] | None = None
    kpt_names: list[str] | None = None
    skeleton: list[tuple[int, int]] | None = None
    kpt_sigmas: list[float] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def nc(self) -> int:
        return len(self.names)


def load_data_yaml(path: str | Path) -> DataSpec:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"data file {path} does not exist")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        raise ConfigError(f"data file {path} is not valid YAML: {e}") from e
    if not isinstance(raw, dict) or "names" not in raw or "train" not in raw:
        raise ConfigError(f"data file {path} needs at least 'train' and 'names'")
    root = Path(raw.get("path") or path.parent)
    if not root.is_absolute():
        root = (path.parent / root).resolve()
    names = raw["names"]
    if isinstance(names, list):
        names = dict(enumerate(names))
    if not isinstance(names, dict) or not names:
        raise ConfigError(f"'names' in {path} must be a non-empty list or mapping")
    names = {int(k): str(v) for k, v in names.items()}
    if sorted(names) != list(range(len(names))):
        raise ConfigError(f"class ids in {path} must be 0..{len(names) - 1}")

    def dirs(key: str) -> list[Path]:
        value = raw.get(key)
        if value is None:
            return []
        items = value if isinstance(value, list) else [value]
        out = [p if p.is_absolute() else root / p for p in map(Path, items)]
        for p in out:
            if not p.exists():
                raise ConfigError(f"{key} images {p} (from {path}) do not exist")
        return out

    task = raw.get("task")
    if task is not None and task not in ("detect", "segment", "pose"):
        raise ConfigError(f"'task' in {path} must be detect, segment or pose, got {task!r}")
    kpt = raw.get("kpt_shape")
    kpt_shape = None
    if kpt is not None:
        if not (isinstance(kpt, list) and len(kpt) == 2 and all(isinstance(v, int) for v in kpt)
                and kpt[0] >= 1 and kpt[1] in (2, 3)):
            raise ConfigError(f"'kpt_shape' in {path} must be [keypoints, 2 or 3], got {kpt!r}")
        kpt_shape = (int(kpt[0]), int(kpt[1]))
    k = kpt_shape[0] if kpt_shape else 0

    def per_keypoint(key: str, kind: type) -> list[Any] | None:
        value = raw.get(key)
        if value is None:
            return None
        if not kpt_shape or not isinstance(value, list) or len(value) != k:
            raise ConfigError(f"'{key}' in {path} needs 'kpt_shape' and one entry per keypoint ({k})")
        try:
            return [kind(v) for v in value]
        except (TypeError, ValueError):
            raise ConfigError(f"'{key}' in {path} must be a list of {kind.__name__}") from None

    flip_idx = per_keypoint("flip_idx", int)
    if flip_idx is not None and sorted(flip_idx) != list(range(k)):
        raise ConfigError(f"'flip_idx' in {path} must be a permutation of 0..{k - 1}")
    sigmas = per_keypoint("kpt_sigmas", float)
    if sigmas is not None and min(sigmas) <= 0:
        raise ConfigError(f"'kpt_sigmas' in {path} must be positive")
    skeleton = raw.get("skeleton")
    if skeleton is not None:
        if not (kpt_shape and isinstance(skeleton, list) and all(
                isinstance(e, list) and len(e) == 2 and all(isinstance(v, int) and 0 <= v < k for v in e)
                for e in skeleton)):
            raise ConfigError(f"'skeleton' in {path} must be pairs of keypoint indices 0..{k - 1}")
        skeleton = [(int(a), int(b)) for a, b in skeleton]
    return DataSpec(train=dirs("train"), val=dirs("val"), names=names, task=task, kpt_shape=kpt_shape,
                    flip_idx=flip_idx, kpt_names=per_keypoint("kpt_names", str), skeleton=skeleton,
                    kpt_sigmas=sigmas)


def label_path(image: Path) -> Path:
    """images/.../x.jpg -> labels/.../x.txt (last 'images' path component swapped)."""
    parts = list(image.parts)
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] == "images":
            parts[i] = "labels"
            break
    return Path(*parts).with_suffix(".txt")


@dataclass
class Labels:
    """One image's objects, normalised to the image size."""

    cls: np.ndarray  # (N,) int64
    boxes: np.ndarray  # (N,4) float32 cx cy w h
    segments: list[np.ndarray] | None = None  # segment: per object (P,2) float32 x y
    keypoints: np.ndarray | None = None  # pose: (N,K,3) float32 x y visibility (2 when the file gives none)

    def __len__(self) -> int:
        return len(self.cls)


def read_labels(path: Path, nc: int) -> np.ndarray:
    """(N,5) float32 rows class cx cy w h (normalised); empty when the file is missing."""
    lab = read_label_file(path, nc)
    return np.concatenate([lab.cls[:, None].astype(np.float32), lab.boxes], 1).reshape(-1, 5)


def _row_error(path: Path, n: int, task: str, nc: int, kpt_shape: tuple[int, int] | None, why: str) -> LabelError:
    fmt = {"detect": "class cx cy w h", "segment": "class x1 y1 x2 y2 x3 y3 ... (at least 3 points)",
           "pose": f"class cx cy w h + {kpt_shape[0] if kpt_shape else 'K'} keypoints of "
                   f"{kpt_shape[1] if kpt_shape else 'D'} values"}[task]
    return LabelError(f"{path}:{n}: {why}; expected '{fmt}' with class in 0..{nc - 1}")


def read_label_file(path: Path, nc: int, task: str = "detect", kpt_shape: tuple[int, int] | None = None) -> Labels:
    """The objects of one label file in the format of `task`; no objects when the file is missing."""
    k, d = kpt_shape or (0, 3)
    empty = Labels(np.zeros(0, np.int64), np.zeros((0, 4), np.float32),
                   [] if task == "segment" else None,
                   np.zeros((0, k, 3), np.float32) if task == "pose" else None)
    if not path.exists():
        return empty
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as e:
        raise LabelError(f"{path}: cannot read the label file: {e}") from None
    cls_list, boxes, segments, kpts = [], [], [], []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            vals = np.array([float(v) for v in line.split()], np.float64)
        except ValueError:
            raise _row_error(path, n, task, nc, kpt_shape, "a value is not a number") from None
        if not np.isfinite(vals).all():
            raise _row_error(path, n, task, nc, kpt_shape, "a value is not finite")
        if len(vals) == 0 or not 0 <= vals[0] < nc or vals[0] != int(vals[0]):
            raise _row_error(path, n, task, nc, kpt_shape, "the class is not an id")
        if task == "segment":
            if len(vals) < 7 or len(vals) % 2 == 0:
                raise _row_error(path, n, task, nc, kpt_shape, f"{len(vals) - 1} coordinates")
            xy = vals[1:].reshape(-1, 2)
            if xy.min() < -0.01 or xy.max() > 1.01:
                raise _row_error(path, n, task, nc, kpt_shape, "a point is outside the image (0..1)")
            xy = xy.clip(0, 1)
            lo, hi = xy.min(0), xy.max(0)
            if min(hi - lo) <= 0:
                raise _row_error(path, n, task, nc, kpt_shape, "the outline has no area")
            segments.append(xy.astype(np.float32))
            box = np.concatenate([(lo + hi) / 2, hi - lo])
        else:
            want = 5 + (k * d if task == "pose" else 0)
            if len(vals) != want:
                raise _row_error(path, n, task, nc, kpt_shape, f"{len(vals)} values instead of {want}")
            box = vals[1:5]
            if min(box[2:4]) <= 0:
                raise _row_error(path, n, task, nc, kpt_shape, "the box has no width or height")
            if task == "pose":
                kp = vals[5:].reshape(k, d)
                kp3 = np.concatenate([kp[:, :2], kp[:, 2:3] if d == 3 else np.full((k, 1), 2.0)], 1)
                if d == 3 and ((kp[:, 2] < 0) | (kp[:, 2] > 2)).any():
                    raise _row_error(path, n, task, nc, kpt_shape, "a keypoint visibility is not in 0..2")
                kpts.append(kp3.astype(np.float32))
        cls_list.append(int(vals[0]))
        boxes.append(box.astype(np.float32))
    if not cls_list:
        return empty
    return Labels(np.array(cls_list, np.int64), np.array(boxes, np.float32).reshape(-1, 4),
                  segments if task == "segment" else None,
                  np.array(kpts, np.float32).reshape(-1, k, 3) if task == "pose" else None)


class YoloDataset(torch.utils.data.Dataset):
    """Images + labels; training samples are random crops/scales/flips, validation ones letterboxed.

    A sample is `(image, target)`: image (3,S,S) uint8 RGB, target (N, 5) rows class cx cy w h in
    sample pixels, for pose followed by K*3 keypoint values (x, y in sample pixels, visibility);
    segment samples add a third item, the objects' masks (N, S/mask_ratio, S/mask_ratio) uint8.
    """

    def __init__(self, folders: list[Path], nc: int, imgsz: int, augment: bool, seed: int = 0,
                 view_size: int | None = None, scale: tuple[float, float] = (0.6, 1.4), task: str = "detect",
                 kpt_shape: tuple[int, int] | None = None, flip_idx: list[int] | None = None,
                 mask_ratio: int = 4, min_keep: float = 0.35) -> None:
        self.files = sorted(p for d in folders for p in (d.rglob("*") if d.is_dir() else [d])
                            if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self.files:
            raise ConfigError(f"no images found in {', '.join(map(str, folders))}")
        if task == "pose" and kpt_shape is None:
            raise ConfigError("pose datasets need 'kpt_shape' in the data YAML")
        self.nc, self.imgsz, self.augment, self.seed = nc, imgsz, augment, seed
        self.view_size, self.scale = view_size, scale
        self.min_keep = min_keep  # a box cut by the crop keeps its label while this share of it is left
        self.task, self.kpt_shape, self.flip_idx, self.mask_ratio = task, kpt_shape, flip_idx, mask_ratio
        self.items = [read_label_file(label_path(f), nc, task, kpt_shape) for f in self.files]
        self.labels = [np.concatenate([lab.cls[:, None].astype(np.float32), lab.boxes], 1).reshape(-1, 5)
                       for lab in self.items]
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.files)

    def _image(self, i: int) -> np.ndarray:
        img = cv2.imread(str(self.files[i]), cv2.IMREAD_COLOR)
        if img is None:
            raise InvalidInputError(f"cannot read image {self.files[i]}")
        return img

    def load(self, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Image (BGR), classes (N,), boxes (N,4) xyxy pixels."""
        img = self._image(i)
        h, w = img.shape[:2]
        lab = self.labels[i]
        cxcy, wh = lab[:, 1:3] * (w, h), lab[:, 3:5] * (w, h)
        boxes = np.concatenate([cxcy - wh / 2, cxcy + wh / 2], 1).astype(np.float32)
        return img, lab[:, 0].astype(np.int64), boxes

    def __getitem__(self, i: int) -> tuple[torch.Tensor, ...]:
        img, cls, boxes = self.load(i)
        h, w = img.shape[:2]
        lab = self.items[i]
        polys = [p.astype(np.float64) * (w, h) for p in lab.segments] if lab.segments is not None else None
        kpts = lab.keypoints.astype(np.float64) * (w, h, 1) if lab.keypoints is not None else None
        size = self.imgsz
        if self.augment:
            rng = np.random.default_rng((self.seed, self.epoch, i))
            m = affine_matrix(img.shape[:2], boxes, size, rng, self.scale, view_size=self.view_size)
            img, boxes, keep = apply_affine(img, boxes, m, size, self.min_keep)
            cls = cls[keep]
            s, t = float(m[0, 0]), (float(m[0, 2]), float(m[1, 2]))
            img = augment_hsv(img, rng)
            flip = rng.random() < 0.5 and (self.task != "pose" or self.flip_idx is not None)
            if flip:
                img, boxes = hflip(img, boxes)
        else:
            img, boxes, s, t = letterbox(img, size, boxes, scaleup=True)
            keep = np.ones(len(cls), bool)
            flip = False
        assert boxes is not None
        if polys is not None:
            polys = [p * s + t for p, k in zip(polys, keep, strict=True) if k]
            if flip:
                polys = [np.column_stack([size - p[:, 0], p[:, 1]]) for p in polys]
            # the box of an outline cut by the canvas edge is the extent of what is left of it
            for j, p in enumerate(polys):
                c = clip_to_rect(p, 0, 0, size, size)
                if len(c) >= 3:
                    boxes[j] = np.concatenate([c.min(0), c.max(0)])
        if kpts is not None:
            kpts = kpts[keep]
            kpts[..., :2] = kpts[..., :2] * s + t
            if flip:
                assert self.flip_idx is not None
                kpts[..., 0] = size - kpts[..., 0]
                kpts = kpts[:, self.flip_idx]
            outside = (kpts[..., 0] < 0) | (kpts[..., 1] < 0) | (kpts[..., 0] >= size) | (kpts[..., 1] >= size)
            kpts[..., 2] = np.where(outside, 0.0, kpts[..., 2])
        xywh = np.concatenate([(boxes[:, :2] + boxes[:, 2:]) / 2, boxes[:, 2:] - boxes[:, :2]], 1)
        target = np.concatenate([cls[:, None].astype(np.float32), xywh.astype(np.float32)], 1).reshape(-1, 5)
        if kpts is not None:
            target = np.concatenate([target, kpts.reshape(len(kpts), kpts.shape[1] * 3).astype(np.float32)], 1)
        tensor = torch.from_numpy(np.ascontiguousarray(img[:, :, ::-1].transpose(2, 0, 1)))
        if polys is None:
            return tensor, torch.from_numpy(target)
        ms = size // self.mask_ratio
        masks = np.zeros((len(polys), ms, ms), np.uint8)
        for j, p in enumerate(polys):
            fill_polygons(masks[j], [p], 1, 1 / self.mask_ratio)
        return tensor, torch.from_numpy(target), torch.from_numpy(masks)


def collate(batch: list[tuple[torch.Tensor, ...]]) -> dict[str, torch.Tensor]:
    """Stack images (uint8) and flatten labels with their image index (pixels, xywh); pose adds
    `keypoints` (N,K,3), segment `masks` (N,h,w)."""
    images = torch.stack([b[0] for b in batch])
    idx = torch.cat([torch.full((len(b[1]),), i, dtype=torch.long) for i, b in enumerate(batch)])
    labels = torch.cat([b[1] for b in batch]) if batch else torch.zeros(0, 5)
    out = {"images": images, "batch_idx": idx, "cls": labels[:, 0].long(), "bboxes": labels[:, 1:5]}
    if labels.shape[1] > 5:
        out["keypoints"] = labels[:, 5:].reshape(len(labels), -1, 3)
    if batch and len(batch[0]) > 2:
        out["masks"] = torch.cat([b[2] for b in batch])
    return out
