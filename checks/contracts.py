"""The seams' Protocols, held against the real classes by the type checker (`scripts/typecheck.sh`).

Nothing checks a Protocol at run time, so a class that stops fitting one would only fail where a
stand-in is swapped for it. Each function below assigns real objects to the Protocol types; the
type checker verifies every assignment (names, signatures, attribute types). Never imported or run.
"""

from __future__ import annotations

from yolotrack.cluster.camera_tracker import CameraTracker
from yolotrack.detector.predictor import Detector
from yolotrack.pipeline.contracts import DetectorLike, ResumableTracker, TrackerLike
from yolotrack.sinks.base import Sink
from yolotrack.sinks.coco import CocoSink
from yolotrack.sinks.counts import ActiveTracks, CountsProvider, LineZoneCounts
from yolotrack.sinks.counts_files import CountsSink
from yolotrack.sinks.cvat import CvatSink
from yolotrack.sinks.heatmap import HeatmapSink
from yolotrack.sinks.interruptible import Interruptible
from yolotrack.sinks.jsonl import JsonlSink
from yolotrack.sinks.mot import MotSink
from yolotrack.sinks.mqtt import MqttSink
from yolotrack.sinks.snapshots import SnapshotSink
from yolotrack.sinks.video import VideoSink
from yolotrack.sinks.webhook import WebhookSink
from yolotrack.tracker.botsort import BotSortTracker
from yolotrack.tracker.byte_tracker import ByteTracker
from yolotrack.tracker.lifecycle import TrackerBase
from yolotrack.tracker.ocsort import OcSortTracker
from yolotrack.tracker.switchable import SwitchableTracker
from yolotrack.ui.recording import RecordingSink


def detectors(det: Detector) -> list[DetectorLike]:
    return [det]


def trackers(base: TrackerBase, byte: ByteTracker, bot: BotSortTracker, oc: OcSortTracker, cam: CameraTracker,
             switchable: SwitchableTracker) -> tuple[list[TrackerLike], list[ResumableTracker]]:
    return [base, byte, bot, oc, cam, switchable], [byte, bot, oc]  # a CameraTracker checkpoints itself


def sinks(jsonl: JsonlSink, mot: MotSink, cvat: CvatSink, coco: CocoSink, video: VideoSink, counts: CountsSink,
          heatmap: HeatmapSink, mqtt: MqttSink, webhook: WebhookSink, snapshots: SnapshotSink,
          interruptible: Interruptible, recording: RecordingSink) -> list[Sink]:
    return [jsonl, mot, cvat, coco, video, counts, heatmap, mqtt, webhook, snapshots, interruptible, recording]


def counts_providers(active: ActiveTracks, lines_zones: LineZoneCounts) -> list[CountsProvider]:
    return [active, lines_zones]
