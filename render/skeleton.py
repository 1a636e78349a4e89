"""Keypoint skeletons: which keypoints are joined by a limb, per keypoint layout."""

from __future__ import annotations

# COCO 17-keypoint person layout (0 nose, 1-4 eyes/ears, 5-10 arms, 11-16 legs), 0-based pairs.
COCO17_LIMBS: tuple[tuple[int, int], ...] = (
    (15, 13), (13, 11), (16, 14), (14, 12), (11, 12),
    (5, 11), (6, 12), (5, 6), (5, 7), (6, 8), (7, 9), (8, 10),
    (1, 2), (0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 6),
)

# Limb colour groups for COCO17 (face, arms, torso, legs) as BGR.
COCO17_LIMB_COLORS: tuple[tuple[int, int, int], ...] = (
    (0, 165, 255),) * 5 + ((255, 128, 0),) * 2 + ((255, 255, 255),) * 5 + ((51, 153, 255),) * 7


def limbs_for(num_keypoints: int) -> tuple[tuple[int, int], ...]:
    """Limbs for a layout; unknown layouts draw points only."""
    return COCO17_LIMBS if num_keypoints == 17 else ()

COCO17_NAMES: tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)


def keypoint_names(num_keypoints: int) -> list[str]:
    return list(COCO17_NAMES) if num_keypoints == 17 else [f"kp{j}" for j in range(num_keypoints)]
