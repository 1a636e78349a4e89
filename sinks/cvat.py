"""CVAT "for video 1.1" XML (interpolation mode), importable into CVAT without conversion.

Every tracked object becomes a `<track>` of boxes; segment models add a polygon track and pose
models a skeleton track per object (label `<class> skeleton`, one `points` element per keypoint,
named after the model's keypoints and joined by its skeleton, declared in the meta as CVAT's
skeleton labels; a keypoint the model sees as not visible is `outside`), linked to the box track
by the `object_id` attribute (the tracker id; not `track_id`, which CVAT reserves internally) and
a shared `group_id`. Every
written shape is a keyframe. A track's visible run ends with a copy of its last shape marked
`outside="1"` on the next frame, so CVAT neither extends it to the end of the video nor
interpolates across a gap; the object's next appearance starts a fresh keyframe. Frames are the
0-based frame indices. Shapes are kept in memory and the XML is written at `close()` (temp file,
then rename).
"""

from __future__ import annotations

import math
import time
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from yolotrack.core.detections import Detections, class_name
from yolotrack.core.events import TrackEvent
from yolotrack.core.frame import Frame
from yolotrack.core.keypoints import KeypointLayout
from yolotrack.render.colors import color_for_rgb
from yolotrack.sinks.base import FileSink, StreamInfo
from yolotrack.sinks.outlines import mask_contours

ATTRIBUTES = ("object_id", "score")  # declared per label as free text, so any value imports
SKELETON_SUFFIX = " skeleton"


@dataclass
class _Shape:
    frame: int
    box: tuple[float, float, float, float]
    score: float
    polygon: str | None = None  # "x,y;x,y;..." (segment)
    keypoints: list[tuple[float, float, bool]] | None = None  # x, y, visible per keypoint (pose)


@dataclass
class _Track:
    track_id: int
    class_id: int
    shapes: list[_Shape] = field(default_factory=list)


def mask_polygon(mask: np.ndarray, epsilon: float = 1.0) -> str | None:
    """The largest outer contour of a mask as CVAT points, or None if it has no area."""
    contours = mask_contours(mask)
    if not contours:
        return None
    c = max(contours, key=cv2.contourArea)
    c = cv2.approxPolyDP(c, epsilon, True).reshape(-1, 2)
    if len(c) < 3:
        return None
    return ";".join(f"{x:.2f},{y:.2f}" for x, y in c.astype(float))


def _fmt(v: float) -> str:
    return f"{v:.2f}"


def skeleton_svg(layout: KeypointLayout) -> str:
    """CVAT's skeleton template: one node per keypoint (on a circle, or its centre for a keypoint named
    centre/center), one edge per limb, in a 100x100 drawing."""
    n = len(layout.names)
    ring = [j for j, name in enumerate(layout.names) if name.lower() not in ("centre", "center")]
    pos: dict[int, tuple[float, float]] = {j: (50.0, 50.0) for j in range(n)}
    for k, j in enumerate(ring):
        a = 2 * math.pi * k / max(1, len(ring)) - math.pi / 2
        pos[j] = (50 + 40 * math.cos(a), 50 + 40 * math.sin(a))
    parts = [f'<line x1="{pos[a][0]:.2f}" y1="{pos[a][1]:.2f}" x2="{pos[b][0]:.2f}" y2="{pos[b][1]:.2f}" '
             f'stroke="black" data-type="edge" data-node-from="{a + 1}" data-node-to="{b + 1}"></line>'
             for a, b in layout.limbs]
    parts += [f'<circle r="1.5" stroke="black" fill="#b3b3b3" cx="{pos[j][0]:.2f}" cy="{pos[j][1]:.2f}" '
              f'stroke-width="0.1" data-type="element node" data-element-id="{j + 1}" data-node-id="{j + 1}" '
              f'data-label-name="{name}"></circle>' for j, name in enumerate(layout.names)]
    return "".join(parts)


class CvatSink(FileSink):
    name = "cvat"
    mode = "wb"

    def __init__(self, path: str | Path, task_name: str | None = None) -> None:
        super().__init__(path)
        self.task_name = task_name
        self._info: StreamInfo | None = None
        self._tracks: dict[int, _Track] = {}
        self._frames = 0
        self._untracked = 0

    def _begin(self, info: StreamInfo) -> None:
        self._info = info

    def write(self, frame: Frame, dets: Detections, events: list[TrackEvent]) -> None:
        self._frames = max(self._frames, frame.index + 1)
        if dets.track_ids is None:
            ids = np.arange(self._untracked, self._untracked + len(dets)) - 10**9  # one-shape tracks
            self._untracked += len(dets)
        else:
            ids = dets.track_ids
        for i, tid in enumerate(ids.tolist()):
            x1, y1, x2, y2 = (float(v) for v in dets.xyxy[i])
            shape = _Shape(frame.index, (x1, y1, x2, y2), float(dets.scores[i]))
            if dets.masks is not None:
                shape.polygon = mask_polygon(dets.masks[i])
            if dets.keypoints is not None:
                kp = dets.keypoints[i]
                vis = kp[:, 2] >= 0.5 if kp.shape[1] > 2 else np.ones(len(kp), bool)
                shape.keypoints = [(float(x), float(y), bool(v)) for (x, y), v in zip(kp[:, :2].tolist(), vis.tolist(),
                                                                                      strict=True)]
            track = self._tracks.get(tid)
            if track is None:
                track = self._tracks[tid] = _Track(tid, int(dets.class_ids[i]))
            track.shapes.append(shape)

    # ------------------------------------------------------------ XML

    def _names(self) -> Mapping[int, str]:
        known = self._info.names if self._info is not None else {}
        return {c: class_name(known, c) for c in set(known) | {t.class_id for t in self._tracks.values()}}

    def build(self) -> ET.ElementTree:
        info = self._info
        names = self._names()
        now = time.strftime("%Y-%m-%d %H:%M:%S.000000+00:00", time.gmtime())
        root = ET.Element("annotations")
        ET.SubElement(root, "version").text = "1.1"
        meta = ET.SubElement(root, "meta")
        task = ET.SubElement(meta, "task")
        last = max(self._frames - 1, 0)
        name = self.task_name or (Path(info.uri).stem if info is not None and info.uri else "yolotrack")
        for tag, text in (("id", "1"), ("name", name), ("size", str(self._frames)), ("mode", "interpolation"),
                          ("overlap", "0"), ("bugtracker", ""), ("created", now), ("updated", now),
                          ("subset", "default"), ("start_frame", "0"), ("stop_frame", str(last)),
                          ("frame_filter", "")):
            ET.SubElement(task, tag).text = text
        seg = ET.SubElement(ET.SubElement(task, "segments"), "segment")
        for tag, text in (("id", "1"), ("start", "0"), ("stop", str(last)), ("url", "")):
            ET.SubElement(seg, tag).text = text
        owner = ET.SubElement(task, "owner")
        ET.SubElement(owner, "username").text = ""
        ET.SubElement(owner, "email").text = ""
        ET.SubElement(task, "assignee")
        labels = ET.SubElement(task, "labels")
        layout = self._layout()
        for cid in sorted(names):
            self._label(labels, names[cid], "#{:02x}{:02x}{:02x}".format(*color_for_rgb(cid)), "any")
        if layout is not None:  # a skeleton label per class, its keypoints as sub-labels
            for cid in sorted(names):
                color = "#{:02x}{:02x}{:02x}".format(*color_for_rgb(cid))
                parent = names[cid] + SKELETON_SUFFIX
                self._label(labels, parent, color, "skeleton", svg=skeleton_svg(layout))
                for kname in layout.names:
                    self._label(labels, kname, color, "points", parent=parent, attributes=False)
        size = ET.SubElement(task, "original_size")
        ET.SubElement(size, "width").text = str(info.width if info is not None else 0)
        ET.SubElement(size, "height").text = str(info.height if info is not None else 0)
        ET.SubElement(meta, "dumped").text = now

        next_id = 0
        group = 0
        for track in sorted(self._tracks.values(), key=lambda t: (t.shapes[0].frame, t.track_id)):
            label = names[track.class_id]
            kinds = ["box"]
            if any(s.polygon for s in track.shapes):
                kinds.append("polygon")
            if any(s.keypoints for s in track.shapes):
                kinds.append("skeleton")
            extra = {}
            if len(kinds) > 1:  # CVAT groups the box and polygon/skeleton tracks of one object
                group += 1
                extra["group_id"] = str(group)
            for kind in kinds:
                el = ET.SubElement(root, "track", id=str(next_id), label=label + (SKELETON_SUFFIX if kind == "skeleton"
                                                                                   else ""), source="auto", **extra)
                next_id += 1
                self._shapes(el, kind, track)
        ET.indent(root, space="  ")
        return ET.ElementTree(root)

    def _layout(self) -> KeypointLayout | None:
        k = next((len(s.keypoints) for t in self._tracks.values() for s in t.shapes if s.keypoints), None)
        info = self._info
        if k is None:
            k = info.kpt_shape[0] if info is not None and info.task == "pose" and info.kpt_shape else None
        if k is None:
            return None
        if info is not None and info.keypoints is not None and len(info.keypoints.names) == k:
            return info.keypoints
        return KeypointLayout.default(k)

    @staticmethod
    def _label(labels: ET.Element, name: str, color: str, kind: str, svg: str | None = None,
               parent: str | None = None, attributes: bool = True) -> None:
        lab = ET.SubElement(labels, "label")
        ET.SubElement(lab, "name").text = name
        ET.SubElement(lab, "color").text = color
        ET.SubElement(lab, "type").text = kind
        attrs = ET.SubElement(lab, "attributes")
        for a in ATTRIBUTES if attributes else ():
            at = ET.SubElement(attrs, "attribute")
            for tag, text in (("name", a), ("mutable", "True"), ("input_type", "text"),
                              ("default_value", ""), ("values", "")):
                ET.SubElement(at, tag).text = text
        if svg is not None:
            ET.SubElement(lab, "svg").text = svg
        if parent is not None:
            ET.SubElement(lab, "parent").text = parent

    def _shapes(self, el: ET.Element, kind: str, track: _Track) -> None:
        shapes = [s for s in track.shapes if kind == "box" or (s.polygon if kind == "polygon" else s.keypoints)]
        public_id = str(track.track_id) if track.track_id >= 0 else ""
        for k, s in enumerate(shapes):
            self._shape(el, kind, s, s.frame, outside=False, track_id=public_id)
            nxt = shapes[k + 1].frame if k + 1 < len(shapes) else None
            end = s.frame + 1
            if (nxt is None or nxt > end) and end < self._frames:
                self._shape(el, kind, s, end, outside=True, track_id=public_id)

    def _shape(self, parent: ET.Element, kind: str, s: _Shape, frame: int, outside: bool, track_id: str) -> None:
        common = {"frame": str(frame), "keyframe": "1", "outside": "1" if outside else "0", "occluded": "0"}
        if kind == "box":
            x1, y1, x2, y2 = s.box
            el = ET.SubElement(parent, "box", {**common, "xtl": _fmt(x1), "ytl": _fmt(y1), "xbr": _fmt(x2),
                                               "ybr": _fmt(y2), "z_order": "0"})
        elif kind == "polygon":
            el = ET.SubElement(parent, "polygon", {**common, "points": s.polygon or "", "z_order": "0"})
        else:  # a skeleton: its keypoints are elements, each with its own outside flag
            layout = self._layout()
            assert layout is not None and s.keypoints is not None
            el = ET.SubElement(parent, "skeleton", {"frame": str(frame), "keyframe": "1", "z_order": "0"})
            for kname, (x, y, vis) in zip(layout.names, s.keypoints, strict=True):
                ET.SubElement(el, "points", {"label": kname, "keyframe": "1",
                                             "outside": "1" if outside or not vis else "0", "occluded": "0",
                                             "points": f"{_fmt(x)},{_fmt(y)}"})
        ET.SubElement(el, "attribute", name="object_id").text = track_id
        ET.SubElement(el, "attribute", name="score").text = f"{s.score:.4f}"

    # ------------------------------------------------------------ FileSink hooks

    def _finish(self) -> bool:
        assert self._file is not None
        self.build().write(self._file.file, encoding="utf-8", xml_declaration=True)
        return True

    def _release(self) -> None:
        self._tracks.clear()
