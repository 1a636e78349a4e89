"""Keypoint layouts: what each keypoint is called and which pairs a skeleton joins.

A pose checkpoint trained by yolotrack records its layout (`meta["keypoints"]`: names and
skeleton, from the data YAML); others get the COCO person layout for 17 keypoints and bare
names (`kp0`, ...) with no limbs otherwise. The renderer, the GUI and the COCO and CVAT exports
read the one layout the detector reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# COCO 17-keypoint person layout (0 nose, 1-4 eyes/ears, 5-10 arms, 11-16 legs), 0-based pairs.
COCO17_NAMES: tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)
COCO17_LIMBS: tuple[tuple[int, int], ...] = (
    (15, 13), (13, 11), (16, 14), (14, 12), (11, 12),
    (5, 11), (6, 12), (5, 6), (5, 7), (6, 8), (7, 9), (8, 10),
    (1, 2), (0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 6),
)


@dataclass(frozen=True)
class KeypointLayout:
    names: tuple[str, ...]
    limbs: tuple[tuple[int, int], ...] = ()

    @property
    def coco17(self) -> bool:
        return self.names == COCO17_NAMES and self.limbs == COCO17_LIMBS

    def to_meta(self) -> dict[str, Any]:
        return {"names": list(self.names), "skeleton": [list(e) for e in self.limbs]}

    @classmethod
    def default(cls, num_keypoints: int) -> KeypointLayout:
        if num_keypoints == len(COCO17_NAMES):
            return cls(COCO17_NAMES, COCO17_LIMBS)
        return cls(tuple(f"kp{j}" for j in range(num_keypoints)))

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any] | None, num_keypoints: int) -> KeypointLayout:
        """The layout a checkpoint records, checked against its keypoint count; the default otherwise."""
        default = cls.default(num_keypoints)
        if not isinstance(meta, Mapping):
            return default
        names = meta.get("names")
        names = tuple(str(n) for n in names) if isinstance(names, list) and len(names) == num_keypoints \
            else default.names
        raw = meta.get("skeleton")
        limbs = default.limbs
        if isinstance(raw, list) and all(isinstance(e, (list, tuple)) and len(e) == 2 and
                                         all(isinstance(v, int) and 0 <= v < num_keypoints for v in e) for e in raw):
            limbs = tuple((int(a), int(b)) for a, b in raw)
        return cls(names, limbs)
