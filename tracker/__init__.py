"""Multi-object tracking: a vectorized, reference-faithful ByteTrack and MOT evaluation.

    tracker = ByteTracker(frame_rate=fps)                 # one per video source
    rows = tracker.update(xyxy, scores, classes)          # (M, 8): x1 y1 x2 y2 id score class det_index
    tracked = tracker.update_detections(dets, frame.index)  # core.Detections with track_ids
    events = tracker.pop_events()                         # new / lost / refound / removed
    coasted = tracker.coast(frame.index, names)           # a frame without detections: predicted boxes
    metrics = evaluate_mot("gt.txt", "pred.txt")          # HOTA, MOTA, IDF1, IDSW, ...

numpy + lap only (no torch); `tracker.evaluate` imports TrackEval lazily.
"""

from yolotrack.tracker.byte_tracker import ByteTracker
from yolotrack.tracker.evaluate import evaluate_mot
from yolotrack.tracker.kalman import KalmanFilterXYAH

__all__ = ["ByteTracker", "KalmanFilterXYAH", "evaluate_mot"]
