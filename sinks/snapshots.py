"""Snapshots: a JPEG of the frame, with the object's box drawn, when a track appears or an
analytics event (line crossing, zone entry or exit) happens: the picture of what triggered it.

The frame path only picks the events and hands the frame (a reference: frames are not reused)
to one encoder thread through a small bounded queue; drawing, JPEG encoding, the atomic file
write and the MQTT publish happen there. A full queue skips the snapshot and counts it. At most
one snapshot per track per `interval` seconds of frame time, so a track flickering between
`lost` and `refound` or pacing across a line does not flood the disk.

Files: `<dir>/<camera>/<UTC time>-f<frame>-<event>-<track id>.jpg`, and `<dir>/<camera>/latest.jpg`
(always the newest, for a dashboard's picture entity). Both are written beside their final name
and renamed, so a reader never sees half a JPEG.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from yolotrack.core.config import RenderConfig, SnapshotConfig
from yolotrack.core.detections import Detections
from yolotrack.core.events import ANALYTICS_EVENTS, TrackEvent
from yolotrack.core.files import atomic_write
from yolotrack.core.frame import Frame
from yolotrack.sinks.base import StreamInfo

log = logging.getLogger(__name__)

TRIGGERS = ("new", *ANALYTICS_EVENTS)


class SnapshotSink:
    """Picks the triggering events; an encoder thread draws, encodes, writes and publishes."""

    name = "snapshots"

    def __init__(self, cfg: SnapshotConfig, render: RenderConfig | None = None, publisher: Any = None) -> None:
        """`publisher`: an `MqttPublisher` when `cfg.mqtt` publishes to `<prefix>/<camera>/snapshot`."""
        self.cfg = cfg
        self.render = render or RenderConfig()
        self.dir = Path(cfg.dir).expanduser() if cfg.dir else None
        self.publisher = publisher if cfg.mqtt else None
        self._renderers: dict[str, Any] = {}
        self._last: dict[tuple[str, int], float] = {}
        self._queue: queue.Queue[tuple[np.ndarray, Detections, TrackEvent, Any] | None] = queue.Queue(cfg.queue_size)
        self._thread: threading.Thread | None = None
        self._open = 0
        self.counts: Counter[str] = Counter()  # written, published, skipped (queue full), limited, failed
        self._last_error = ""

    def open(self, info: StreamInfo) -> None:
        from yolotrack.render import Renderer

        if self.dir is not None:
            (self.dir / _safe(info.source_id)).mkdir(parents=True, exist_ok=True)
        self._renderers[info.source_id] = Renderer(self.render, info.names, info.task, info.keypoints)
        self._open += 1
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="yolotrack-snapshots", daemon=True)
            self._thread.start()

    def write(self, frame: Frame, dets: Detections, events: list[TrackEvent]) -> None:
        for ev in events:
            if ev.kind not in TRIGGERS:
                continue
            key = (frame.source_id, ev.track_id)
            last = self._last.get(key)
            if last is not None and 0 <= frame.timestamp - last < self.cfg.interval:
                self.counts["limited"] += 1
                continue
            self._last[key] = frame.timestamp
            try:
                self._queue.put_nowait((frame.image, _object(dets, ev), ev, self._renderers.get(frame.source_id)))
            except queue.Full:
                self.counts["skipped"] += 1
                log.debug("snapshot of track %d skipped: the encoder is behind", ev.track_id)
        if len(self._last) > 4096:  # forget tracks whose limit has long run out
            cutoff = frame.timestamp - self.cfg.interval
            self._last = {k: t for k, t in self._last.items() if t >= cutoff}

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            try:
                self._snapshot(*item)
            except Exception as e:  # noqa: BLE001 - a full disk must not stop tracking; count and log it
                self.counts["failed"] += 1
                msg = f"{type(e).__name__}: {e}"
                if msg != self._last_error:
                    log.warning("snapshot failed: %s", msg)
                self._last_error = msg

    def _snapshot(self, image: np.ndarray, obj: Detections, ev: TrackEvent, renderer: Any) -> None:
        import cv2

        if renderer is None:
            from yolotrack.render import Renderer

            renderer = Renderer(self.render)
        drawn = renderer.draw(image, obj)
        ok, buf = cv2.imencode(".jpg", drawn, [cv2.IMWRITE_JPEG_QUALITY, int(self.cfg.quality)])
        if not ok:
            raise RuntimeError("JPEG encoding failed")
        data = buf.tobytes()
        cam = ev.source_id
        if self.dir is not None:
            folder = self.dir / _safe(cam)
            stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
            name = f"{stamp}-f{ev.frame_index:06d}-{ev.kind}-{ev.track_id}.jpg"
            atomic_write(folder / name, lambda tmp: tmp.write_bytes(data))
            atomic_write(folder / "latest.jpg", lambda tmp: tmp.write_bytes(data))
            self.counts["written"] += 1
        if self.publisher is not None:
            self.publisher.send(cam, "snapshot", data, retain=True, key=f"snapshot/{cam}", kind="snapshot")
            self.counts["published"] += 1

    def close(self) -> list[Path]:
        """Once the last source closes: let the encoder finish what is queued."""
        self._open -= 1
        if self._open > 0 or self._thread is None:
            return []
        self._queue.put(None)
        self._thread.join(30)
        self._thread = None
        return []

    def abort(self) -> None:
        self._open = 1
        self.close()

    def stats(self) -> dict[str, int]:
        """Counters since start: written, published, skipped (encoder behind), limited (per-track rate), failed."""
        return {k: self.counts[k] for k in ("written", "published", "skipped", "limited", "failed")}


def _object(dets: Detections, ev: TrackEvent) -> Detections:
    """The event's object as drawn: its tracked row in this frame, else its last known box."""
    if dets.track_ids is not None and len(dets):
        rows = np.flatnonzero(dets.track_ids == ev.track_id)
        if len(rows):
            return dets[rows[:1]]
    return Detections(xyxy=np.asarray([ev.box], np.float32), scores=np.asarray([ev.score], np.float32),
                      class_ids=np.asarray([ev.class_id]), names=dets.names,
                      track_ids=np.asarray([ev.track_id]))


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in str(name)) or "_"
