"""Multi-object tracking: ByteTrack (reference-exact), BoT-SORT and OC-SORT on one vectorized core.

    tracker = build_tracker(cfg.tracker, fps)             # the configured type; one per video source
    tracker = ByteTracker(frame_rate=fps)                 # or a type directly
    rows = tracker.update(xyxy, scores, classes)          # (M, 8): x1 y1 x2 y2 id score class det_index
    tracked = tracker.update_detections(dets, frame.index, image=frame.image)  # Detections with track_ids
    events = tracker.pop_events()                         # new / lost / refound / removed
    coasted = tracker.coast(frame.index, names)           # a frame without detections: predicted boxes
    metrics = evaluate_mot("gt.txt", "pred.txt")          # HOTA, MOTA, IDF1, IDSW, ...

numpy + lap + OpenCV only (no torch); `tracker.evaluate` imports TrackEval lazily.
"""

from yolotrack.tracker.botsort import BotSortTracker
from yolotrack.tracker.byte_tracker import ByteTracker
from yolotrack.tracker.evaluate import evaluate_mot
from yolotrack.tracker.factory import TRACKERS, build_tracker, tracker_factory, wants_embeddings, wants_images
from yolotrack.tracker.kalman import KalmanFilterXYAH, KalmanFilterXYSR, KalmanFilterXYWH
from yolotrack.tracker.ocsort import OcSortTracker

__all__ = ["TRACKERS", "BotSortTracker", "ByteTracker", "KalmanFilterXYAH", "KalmanFilterXYSR", "KalmanFilterXYWH",
           "OcSortTracker", "build_tracker", "evaluate_mot", "tracker_factory", "wants_embeddings", "wants_images"]
