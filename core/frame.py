"""The unit that flows from a source into the pipeline."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(slots=True)
class Frame:
    """One decoded image plus where and when it came from.

    `index` is continuous and 0-based per source, also across reconnects, so sinks can rely
    on it for MOT/CVAT frame numbers. `timestamp` is the presentation time in seconds (pts),
    or the capture wall time for sources without pts.
    """

    image: np.ndarray  # (H, W, 3) uint8 BGR
    index: int
    timestamp: float
    source_id: str = "0"
    fps: float | None = None  # the source's nominal frame rate when known

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    @property
    def width(self) -> int:
        return int(self.image.shape[1])
