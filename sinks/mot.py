"""MOT Challenge tracker-output text, the form TrackEval and motmetrics read as-is.

One line per tracked object and frame: `frame,id,left,top,width,height,conf,-1,-1,-1` with
1-based frames. Untracked detections (tracker disabled) get id -1, which is the MOT `det.txt`
form. Coordinates are the tracker's frame pixels as they are (like ByteTrack's own MOT output;
motmetrics' reader subtracts 1 from left/top, TrackEval does not). Lines go to a temp file
that `close()` renames to the final name.
"""

from __future__ import annotations

from pathlib import Path

from yolotrack.core.detections import Detections
from yolotrack.core.events import TrackEvent
from yolotrack.core.frame import Frame
from yolotrack.sinks.base import FileSink


def mot_lines(frame_index: int, dets: Detections, ndigits: int = 3) -> list[str]:
    """The MOT rows of one frame (`frame_index` 0-based in, 1-based out)."""
    ids = dets.track_ids.tolist() if dets.track_ids is not None else [-1] * len(dets)
    rows = []
    for tid, (x1, y1, x2, y2), score in zip(ids, dets.xyxy.tolist(), dets.scores.tolist(), strict=True):
        rows.append(f"{frame_index + 1},{tid},{x1:.{ndigits}f},{y1:.{ndigits}f},{x2 - x1:.{ndigits}f},"
                    f"{y2 - y1:.{ndigits}f},{score:.4f},-1,-1,-1")
    return rows


class MotSink(FileSink):
    name = "mot"

    def __init__(self, path: str | Path, ndigits: int = 3) -> None:
        super().__init__(path)
        self.ndigits = ndigits
        self.rows = 0

    def write(self, frame: Frame, dets: Detections, events: list[TrackEvent]) -> None:
        assert self._file is not None, "write() before open()"
        lines = mot_lines(frame.index, dets, self.ndigits)
        if lines:
            self._file.file.write("\n".join(lines) + "\n")
            self.rows += len(lines)
