"""YOLO-format datasets: a data YAML naming image folders, with `labels/` mirroring `images/`.

Each label file has one `class cx cy w h` row per object, normalised to the image size. Missing
label files mean "no objects"; malformed rows are a clear `InvalidInputError` naming the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
import yaml

from yolotrack.core.errors import ConfigError, InvalidInputError
from yolotrack.train.augment import augment_hsv, hflip, letterbox, random_affine

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


@dataclass
class DataSpec:
    """What a data YAML says: image folders per split and the class names."""

    train: list[Path]
    val: list[Path]
    names: dict[int, str]

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

    return DataSpec(train=dirs("train"), val=dirs("val"), names=names)


def label_path(image: Path) -> Path:
    """images/.../x.jpg -> labels/.../x.txt (last 'images' path component swapped)."""
    parts = list(image.parts)
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] == "images":
            parts[i] = "labels"
            break
    return Path(*parts).with_suffix(".txt")


def read_labels(path: Path, nc: int) -> np.ndarray:
    """(N,5) float32 rows class cx cy w h (normalised); empty when the file is missing."""
    if not path.exists():
        return np.zeros((0, 5), np.float32)
    rows = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        try:
            vals = [float(v) for v in parts[:5]]
        except ValueError:
            vals = []
        if len(vals) != 5 or not 0 <= vals[0] < nc or vals[0] != int(vals[0]) or min(vals[3:5]) <= 0:
            raise InvalidInputError(f"{path}:{n}: expected 'class cx cy w h' with class in 0..{nc - 1}")
        rows.append(vals)
    return np.array(rows, np.float32).reshape(-1, 5)


class YoloDataset(torch.utils.data.Dataset):
    """Images + boxes; training samples are random crops/scales/flips, validation ones letterboxed."""

    def __init__(self, folders: list[Path], nc: int, imgsz: int, augment: bool, seed: int = 0,
                 view_size: int | None = None, scale: tuple[float, float] = (0.6, 1.4)) -> None:
        self.files = sorted(p for d in folders for p in (d.rglob("*") if d.is_dir() else [d])
                            if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self.files:
            raise ConfigError(f"no images found in {', '.join(map(str, folders))}")
        self.nc, self.imgsz, self.augment, self.seed = nc, imgsz, augment, seed
        self.view_size, self.scale = view_size, scale
        self.labels = [read_labels(label_path(f), nc) for f in self.files]
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.files)

    def load(self, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Image (BGR), classes (N,), boxes (N,4) xyxy pixels."""
        img = cv2.imread(str(self.files[i]), cv2.IMREAD_COLOR)
        if img is None:
            raise InvalidInputError(f"cannot read image {self.files[i]}")
        h, w = img.shape[:2]
        lab = self.labels[i]
        cxcy, wh = lab[:, 1:3] * (w, h), lab[:, 3:5] * (w, h)
        boxes = np.concatenate([cxcy - wh / 2, cxcy + wh / 2], 1).astype(np.float32)
        return img, lab[:, 0].astype(np.int64), boxes

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        img, cls, boxes = self.load(i)
        if self.augment:
            rng = np.random.default_rng((self.seed, self.epoch, i))
            img, boxes, keep = random_affine(img, boxes, self.imgsz, rng, scale=self.scale,
                                             view_size=self.view_size)
            cls = cls[keep]
            img = augment_hsv(img, rng)
            if rng.random() < 0.5:
                img, boxes = hflip(img, boxes)
        else:
            img, boxes, _, _ = letterbox(img, self.imgsz, boxes, scaleup=True)
        xywh = np.concatenate([(boxes[:, :2] + boxes[:, 2:]) / 2, boxes[:, 2:] - boxes[:, :2]], 1)
        target = np.concatenate([cls[:, None].astype(np.float32), xywh.astype(np.float32)], 1).reshape(-1, 5)
        tensor = torch.from_numpy(np.ascontiguousarray(img[:, :, ::-1].transpose(2, 0, 1)))
        return tensor, torch.from_numpy(target)


def collate(batch: list[tuple[torch.Tensor, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Stack images (uint8) and flatten labels with their image index (pixels, xywh)."""
    images = torch.stack([b[0] for b in batch])
    idx = torch.cat([torch.full((len(b[1]),), i, dtype=torch.long) for i, b in enumerate(batch)])
    labels = torch.cat([b[1] for b in batch]) if batch else torch.zeros(0, 5)
    return {"images": images, "batch_idx": idx, "cls": labels[:, 0].long(), "bboxes": labels[:, 1:5]}
