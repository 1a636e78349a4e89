"""`Detections`: the one result type every stage after the detector speaks.

Parallel arrays, one row per object, boxes in original frame pixels. Optional parts (masks,
keypoints, track ids, appearance embeddings) are `None` when the task or stage does not produce
them. Selecting rows (`dets[keep]`) slices every array together, so masks, keypoints and
embeddings follow their boxes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from yolotrack.core.errors import InvalidInputError


def class_name(names: Mapping[int, str], class_id: int) -> str:
    """The display name of a class id: its name when the model has one, else the id as text."""
    return names.get(int(class_id)) or str(int(class_id))


@dataclass(eq=False)
class Detections:
    xyxy: np.ndarray  # (N, 4) float32, x1 y1 x2 y2 in frame pixels
    scores: np.ndarray  # (N,) float32
    class_ids: np.ndarray  # (N,) int64
    names: Mapping[int, str] = field(default_factory=dict)
    masks: np.ndarray | None = None  # (N, H, W) bool at frame size
    keypoints: np.ndarray | None = None  # (N, K, 3) float32: x, y in frame pixels, visibility
    track_ids: np.ndarray | None = None  # (N,) int64, set by the tracker
    embeddings: np.ndarray | None = None  # (N, D) float32 appearance features, for trackers that match on them
    global_ids: np.ndarray | None = None  # (N,) int64 identities across cameras (`tracker.global_ids`), -1: none

    def __post_init__(self) -> None:
        self.xyxy = np.asarray(self.xyxy, dtype=np.float32).reshape(-1, 4)
        self.scores = np.asarray(self.scores, dtype=np.float32).reshape(-1)
        self.class_ids = np.asarray(self.class_ids, dtype=np.int64).reshape(-1)
        n = len(self.xyxy)
        parts: dict[str, Any] = {"scores": self.scores, "class_ids": self.class_ids}
        if self.masks is not None:
            parts["masks"] = self.masks
        if self.keypoints is not None:
            parts["keypoints"] = self.keypoints
        if self.track_ids is not None:
            self.track_ids = np.asarray(self.track_ids, dtype=np.int64).reshape(-1)
            parts["track_ids"] = self.track_ids
        if self.embeddings is not None:
            self.embeddings = np.asarray(self.embeddings, dtype=np.float32)
            if self.embeddings.ndim != 2:
                raise InvalidInputError(f"Detections.embeddings must be (N, D), got shape {self.embeddings.shape}")
            parts["embeddings"] = self.embeddings
        if self.global_ids is not None:
            self.global_ids = np.asarray(self.global_ids, dtype=np.int64).reshape(-1)
            parts["global_ids"] = self.global_ids
        for name, arr in parts.items():
            if len(arr) != n:
                raise InvalidInputError(f"Detections.{name} has {len(arr)} rows but xyxy has {n}")

    @classmethod
    def empty(
        cls,
        names: Mapping[int, str] | None = None,
        mask_shape: tuple[int, int] | None = None,
        kpt_shape: tuple[int, int] | None = None,
    ) -> Detections:
        """No objects, with optional parts shaped for the task so sinks never special-case."""
        masks = None if mask_shape is None else np.zeros((0, *mask_shape), dtype=bool)
        kpts = None if kpt_shape is None else np.zeros((0, *kpt_shape), dtype=np.float32)
        return cls(
            xyxy=np.zeros((0, 4), np.float32),
            scores=np.zeros(0, np.float32),
            class_ids=np.zeros(0, np.int64),
            names=dict(names or {}),
            masks=masks,
            keypoints=kpts,
        )

    def __len__(self) -> int:
        return len(self.xyxy)

    def __getitem__(self, index: Any) -> Detections:
        """Rows by int, slice, index array or boolean mask; always returns `Detections`."""
        if isinstance(index, (int, np.integer)):
            index = [int(index)]
        elif isinstance(index, np.ndarray) and index.dtype == bool and len(index) != len(self):
            raise InvalidInputError(f"boolean index of length {len(index)} for {len(self)} detections")

        def take(arr: np.ndarray | None) -> np.ndarray | None:
            return None if arr is None else arr[index]

        return Detections(
            xyxy=self.xyxy[index],
            scores=self.scores[index],
            class_ids=self.class_ids[index],
            names=self.names,
            masks=take(self.masks),
            keypoints=take(self.keypoints),
            track_ids=take(self.track_ids),
            embeddings=take(self.embeddings),
            global_ids=take(self.global_ids),
        )

    def take(self, index: np.ndarray) -> Detections:
        """Rows by index like `dets[index]`, where -1 gives a blank row: zero box, score and class, an
        empty mask, invisible keypoints, a zero embedding (an object a tracker reports without a
        detection in this frame; the caller sets its box)."""
        index = np.asarray(index, dtype=np.int64).reshape(-1)
        if (index >= 0).all():
            return self[index]
        real = index >= 0

        def take(arr: np.ndarray) -> np.ndarray:
            out = np.zeros((len(index), *arr.shape[1:]), dtype=arr.dtype)
            out[real] = arr[index[real]]
            return out

        def maybe(arr: np.ndarray | None) -> np.ndarray | None:
            return None if arr is None else take(arr)

        return Detections(xyxy=take(self.xyxy), scores=take(self.scores), class_ids=take(self.class_ids),
                          names=self.names, masks=maybe(self.masks), keypoints=maybe(self.keypoints),
                          track_ids=maybe(self.track_ids), embeddings=maybe(self.embeddings),
                          global_ids=maybe(self.global_ids))

    def with_tracks(self, track_ids: np.ndarray, xyxy: np.ndarray | None = None) -> Detections:
        """A copy carrying track ids (and, optionally, the tracker's smoothed boxes)."""
        return replace(
            self,
            track_ids=np.asarray(track_ids, dtype=np.int64),
            xyxy=self.xyxy if xyxy is None else np.asarray(xyxy, dtype=np.float32),
        )

    @property
    def class_names(self) -> list[str]:
        return [class_name(self.names, c) for c in self.class_ids.tolist()]

    @property
    def is_tracked(self) -> bool:
        return self.track_ids is not None

    def to_records(self, ndigits: int = 2) -> list[dict[str, Any]]:
        """JSON-ready rows: the schema of `yolotrack run` JSONL and the export JSONL."""
        rows = []
        for i in range(len(self)):
            row: dict[str, Any] = {}
            if self.track_ids is not None:
                row["id"] = int(self.track_ids[i])
            if self.global_ids is not None and self.global_ids[i] >= 0:
                row["global_id"] = int(self.global_ids[i])
            c = int(self.class_ids[i])
            row["class_id"] = c
            row["class"] = class_name(self.names, c)
            row["score"] = round(float(self.scores[i]), 4)
            row["box"] = [round(float(v), ndigits) for v in self.xyxy[i]]
            if self.keypoints is not None:
                row["keypoints"] = [[round(float(v), ndigits) for v in kp] for kp in self.keypoints[i]]
            rows.append(row)
        return rows
