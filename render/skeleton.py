"""Keypoint skeletons as drawn: limb colours for the COCO person layout, and the layout defaults."""

from __future__ import annotations

from yolotrack.core.keypoints import COCO17_LIMBS, COCO17_NAMES, KeypointLayout

__all__ = ["COCO17_LIMBS", "COCO17_LIMB_COLORS", "COCO17_NAMES", "keypoint_names", "limbs_for"]

# Limb colour groups for COCO17 (face, arms, torso, legs) as BGR.
COCO17_LIMB_COLORS: tuple[tuple[int, int, int], ...] = (
    (0, 165, 255),) * 5 + ((255, 128, 0),) * 2 + ((255, 255, 255),) * 5 + ((51, 153, 255),) * 7


def limbs_for(num_keypoints: int) -> tuple[tuple[int, int], ...]:
    """Limbs of the default layout; unknown layouts draw points only."""
    return KeypointLayout.default(num_keypoints).limbs


def keypoint_names(num_keypoints: int) -> list[str]:
    return list(KeypointLayout.default(num_keypoints).names)
