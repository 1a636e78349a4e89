"""`<stem>_heatmap.png`: where tracks spent time, blended over the scene.

Presence is accumulated per frame (`analytics.HeatmapAccumulator`, at `analytics.heatmap.anchor`
of every track); the background is the per-pixel median of a few frames spread over the video,
so passing objects fade out of it. The picture is made once at `close()` and written under a
temporary name, then renamed; `abort()` leaves nothing.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path

import cv2
import numpy as np

from yolotrack.analytics.heatmap import HeatmapAccumulator
from yolotrack.core.config import HeatmapConfig
from yolotrack.core.detections import Detections
from yolotrack.core.errors import PipelineError
from yolotrack.core.events import TrackEvent
from yolotrack.core.frame import Frame
from yolotrack.render.heatmap import blend_heatmap
from yolotrack.sinks.base import FileSink, StreamInfo

BACKGROUND_SAMPLES = 7
MAX_WIDTH = 1920  # wider videos give a picture this wide (the background samples are kept at this size)


class HeatmapSink(FileSink):
    name = "heatmap"
    mode = "wb"

    def __init__(self, path: str | Path, cfg: HeatmapConfig | None = None) -> None:
        super().__init__(path)
        self.cfg = cfg or HeatmapConfig()
        self._acc: HeatmapAccumulator | None = None
        self._samples: deque[np.ndarray] = deque(maxlen=BACKGROUND_SAMPLES)
        self._every = 60
        self._seen = 0
        self._fps: float | None = None

    def _begin(self, info: StreamInfo) -> None:
        self._acc = HeatmapAccumulator(info.width, info.height, cell=4, anchor=self.cfg.anchor)
        self._samples.clear()
        self._seen = 0
        self._fps = info.fps
        total = info.total_frames
        self._every = max(1, total // BACKGROUND_SAMPLES) if total else max(1, int(2 * (info.fps or 30)))

    def write(self, frame: Frame, dets: Detections, events: list[TrackEvent]) -> None:
        if self._acc is None:
            raise PipelineError("heatmap", "write() before open()")
        xyxy = dets.xyxy if dets.track_ids is not None else dets.xyxy[:0]
        self._acc.add(xyxy, frame.timestamp, self._fps)
        if self._seen % self._every == 0 or not self._samples:
            self._samples.append(_fit(frame.image))
        self._seen += 1

    def _finish(self) -> bool:
        if self._acc is None or not self._samples:
            return False
        background = np.median(np.stack(list(self._samples)), axis=0).astype(np.uint8)
        picture = blend_heatmap(background, self._acc.seconds(), self.cfg.radius, self.cfg.opacity)
        ok, png = cv2.imencode(".png", picture)
        if not ok:
            raise PipelineError("heatmap", "PNG encoding failed")
        assert self._file is not None
        self._file.file.write(png.tobytes())
        return True

    def _release(self) -> None:
        self._samples.clear()
        self._acc = None


def _fit(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    if w <= MAX_WIDTH:
        return image.copy()
    return cv2.resize(image, (MAX_WIDTH, int(round(h * MAX_WIDTH / w))), interpolation=cv2.INTER_AREA)
