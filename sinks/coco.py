"""COCO-video JSON in the CocoVID dialect (mmtracking/mmdet), readable by pycocotools.

Top level: `videos`, `images` (one per frame, `frame_id` 0-based), `annotations`, `categories`.
An annotation carries `instance_id` (CocoVID) and `track_id` (ByteTrack's converter) for the
track id, `bbox` as [x, y, w, h], `score`, and for segment models an RLE `segmentation`
(compressed counts string, `area` = mask pixels), for pose models `keypoints` [x, y, v] * K
(v 2 visible, 1 not) with `num_keypoints` and raw `keypoint_scores`, the categories naming the
model's keypoints and skeleton. `masks="polygon"` writes outlines ([[x, y, ...], ...]) instead of
RLE. Category ids are class ids + 1, since COCO reserves 0. Written at `close()` to a temp file, then renamed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from yolotrack.core.detections import Detections, class_name
from yolotrack.core.events import TrackEvent
from yolotrack.core.frame import Frame
from yolotrack.core.keypoints import KeypointLayout
from yolotrack.sinks import rle
from yolotrack.sinks.base import FileSink, StreamInfo
from yolotrack.sinks.outlines import mask_contours


def mask_polygons(mask: np.ndarray, ndigits: int = 2) -> list[list[float]]:
    """COCO polygon segmentation of a mask: one flat [x1, y1, x2, y2, ...] ring per outer contour,
    traced through the boundary pixels (filling it gives the mask back up to half a pixel at the edge)."""
    return [[round(float(v), ndigits) for v in c.reshape(-1)] for c in mask_contours(mask) if len(c) >= 3]


class CocoSink(FileSink):
    name = "coco"

    def __init__(self, path: str | Path, image_pattern: str = "{stem}/{index:06d}.jpg", ndigits: int = 3,
                 masks: str = "rle") -> None:
        super().__init__(path)
        if masks not in ("rle", "polygon"):
            raise ValueError(f"masks must be rle or polygon, got {masks!r}")
        self.masks = masks
        self.image_pattern = image_pattern
        self.ndigits = ndigits
        self._info: StreamInfo | None = None
        self._images: list[dict[str, Any]] = []
        self._anns: list[dict[str, Any]] = []
        self._classes: set[int] = set()
        self._kpts = 0

    def _begin(self, info: StreamInfo) -> None:
        self._info = info
        self._stem = Path(info.uri).stem if info.uri else "video"

    def write(self, frame: Frame, dets: Detections, events: list[TrackEvent]) -> None:
        assert self._info is not None, "write() before open()"
        nd = self.ndigits
        image_id = len(self._images) + 1
        self._images.append({"id": image_id, "video_id": 1, "frame_id": frame.index,
                             "file_name": self.image_pattern.format(stem=self._stem, index=frame.index),
                             "width": frame.width, "height": frame.height,
                             "timestamp": round(frame.timestamp, 6)})
        for i in range(len(dets)):
            x1, y1, x2, y2 = (float(v) for v in dets.xyxy[i])
            w, h = x2 - x1, y2 - y1
            cid = int(dets.class_ids[i])
            self._classes.add(cid)
            ann: dict[str, Any] = {"id": len(self._anns) + 1, "image_id": image_id, "video_id": 1,
                                   "category_id": cid + 1,
                                   "bbox": [round(x1, nd), round(y1, nd), round(w, nd), round(h, nd)],
                                   "area": round(w * h, nd), "iscrowd": 0,
                                   "score": round(float(dets.scores[i]), 4)}
            if dets.track_ids is not None:
                ann["instance_id"] = ann["track_id"] = int(dets.track_ids[i])
            if dets.masks is not None:
                ann["segmentation"] = rle.encode(dets.masks[i]) if self.masks == "rle" \
                    else mask_polygons(dets.masks[i], nd)
                ann["area"] = int(np.count_nonzero(dets.masks[i]))
            if dets.keypoints is not None:
                kp = dets.keypoints[i]
                self._kpts = len(kp)
                conf = kp[:, 2] if kp.shape[1] > 2 else [1.0] * len(kp)
                flat: list[float] = []
                for (x, y), c in zip(kp[:, :2].tolist(), list(conf), strict=True):
                    flat += [round(x, nd), round(y, nd), 2 if c >= 0.5 else 1]
                ann["keypoints"] = flat
                ann["num_keypoints"] = int(sum(1 for c in conf if c >= 0.5))
                ann["keypoint_scores"] = [round(float(c), 4) for c in conf]
            self._anns.append(ann)

    def build(self) -> dict[str, Any]:
        info = self._info
        assert info is not None
        categories = []
        for cid in sorted(set(info.names) | self._classes):
            cat: dict[str, Any] = {"id": cid + 1, "name": class_name(info.names, cid)}
            if info.task == "pose" or self._kpts:
                k = self._kpts or (info.kpt_shape[0] if info.kpt_shape else 0)
                layout = info.keypoints if info.keypoints is not None and len(info.keypoints.names) == k \
                    else KeypointLayout.default(k)
                cat["keypoints"] = list(layout.names)
                cat["skeleton"] = [[a + 1, b + 1] for a, b in layout.limbs]  # COCO skeletons are 1-based
            categories.append(cat)
        video = {"id": 1, "name": Path(info.uri).name if info.uri else "video", "fps": info.fps,
                 "width": info.width, "height": info.height, "num_frames": len(self._images)}
        return {"info": {"description": "yolotrack export", "task": info.task},
                "videos": [video], "images": self._images, "annotations": self._anns,
                "categories": categories}

    def _finish(self) -> bool:
        assert self._file is not None
        json.dump(self.build(), self._file.file, separators=(",", ":"))
        return True

    def _release(self) -> None:
        self._info = None
        self._images.clear()
        self._anns.clear()
