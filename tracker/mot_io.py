"""Reading MOT Challenge files: ground truth and tracker results, detections (det.txt), seqinfo.ini."""

from __future__ import annotations

import configparser
import io
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from yolotrack.core.errors import InvalidInputError, UsageError

log = logging.getLogger(__name__)

# Columns kept from either file: frame, id, left, top, width, height, conf/flag.
MOT_COLUMNS = 7


def read_mot(path: str | Path) -> np.ndarray:
    """Rows (K, 7) float64: frame (1-based), id, left, top, width, height, conf (gt: flag).

    Accepts the 6- to 10-column comma (or whitespace) separated forms of MOT15-20 and our
    exporter; a missing conf column reads as 1. An empty file gives zero rows.
    """
    p = Path(path)
    if not p.is_file():
        raise InvalidInputError(f"MOT file {p} does not exist or is not a file")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InvalidInputError(f"cannot read MOT file {p}: {e}") from None
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        return np.zeros((0, MOT_COLUMNS))
    delimiter = "," if "," in lines[0] else None
    try:
        data = np.loadtxt(io.StringIO("\n".join(lines)), delimiter=delimiter, ndmin=2, dtype=np.float64)
    except ValueError as e:
        raise InvalidInputError(f"{p} is not a MOT Challenge text file (frame,id,left,top,w,h,...): {e}") from None
    if data.shape[1] < 6:
        raise InvalidInputError(f"{p} has {data.shape[1]} columns; MOT files need at least 6 "
                                "(frame, id, left, top, width, height)")
    if not np.isfinite(data[:, :6]).all():
        raise InvalidInputError(f"{p} contains NaN or infinite values in frame/id/box columns")
    if (data[:, 0] < 1).any() or (data[:, 0] != np.round(data[:, 0])).any():
        raise InvalidInputError(f"{p}: frame numbers must be integers >= 1 (MOT files are 1-based)")
    if (data[:, 1] != np.round(data[:, 1])).any():
        raise InvalidInputError(f"{p}: track ids must be integers")
    out = np.ones((len(data), MOT_COLUMNS))
    out[:, :6] = data[:, :6]
    if data.shape[1] >= 7:
        out[:, 6] = data[:, 6]
    return out


def read_jsonl_tracks(path: str | Path, id_key: str = "id") -> np.ndarray:
    """MOT rows (K, 7) from the `frame` lines of a `yolotrack run` JSON Lines file: frame + 1, the
    track's `id_key` (`id`, or `global_id` of `run --cameras`), its box as left, top, width, height,
    its score. Tracks without that key are left out.

    A last line with no newline that is not JSON is the line a killed run was writing (a `kill -9` in the
    middle of a long line's write leaves its beginning): it is skipped with a warning, so the output of a
    run that was killed can still be scored. Any other line that is not JSON is an error."""
    import json

    p = Path(path)
    rows: list[list[float]] = []
    try:
        with open(p, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except ValueError:
                    if not line.endswith("\n"):
                        log.warning("%s:%d: the last line is cut off (the run was killed while writing it); "
                                    "skipped", p, n)
                        break
                    raise InvalidInputError(f"{p}:{n}: not a JSON line") from None
                if not isinstance(rec, dict) or rec.get("type") != "frame":
                    continue
                for t in rec.get("tracks", ()):
                    if id_key in t:
                        x1, y1, x2, y2 = t["box"]
                        rows.append([rec["frame"] + 1, t[id_key], x1, y1, x2 - x1, y2 - y1, t.get("score", 1.0)])
    except (OSError, UnicodeDecodeError) as e:
        raise InvalidInputError(f"cannot read {p}: {e}") from None
    return np.asarray(rows, np.float64).reshape(-1, MOT_COLUMNS)


@dataclass(frozen=True)
class DetectionFile:
    """A MOTChallenge `det.txt`: rows `frame,-1,left,top,width,height,score[,...]`, frames 1-based."""

    frames: np.ndarray  # (K,) int64, non-decreasing
    xyxy: np.ndarray  # (K, 4) float64
    scores: np.ndarray  # (K,) float64

    def frame(self, f: int) -> tuple[np.ndarray, np.ndarray]:
        """Boxes and scores of 1-based frame `f` (empty when it has none)."""
        lo, hi = np.searchsorted(self.frames, [f, f + 1])
        return self.xyxy[lo:hi], self.scores[lo:hi]


def read_detections(path: str | Path) -> DetectionFile:
    """Read a det.txt strictly: a bad value, a NaN, an empty or inverted box, a frame below 1 or a
    frame number going backwards is an error naming the line; an empty file is an error too."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"cannot read detections {p}: {e}") from None
    frames, boxes, scores = [], [], []
    last = 0
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        parts = s.split(",") if "," in s else s.split()
        where = f"{p} line {n}"
        try:
            values = [float(v) for v in parts[:7]]
        except ValueError:
            raise UsageError(f"{where}: not a number in {s!r} "
                             "(expected frame,-1,left,top,width,height,score)") from None
        if len(values) < 7:
            raise UsageError(f"{where}: {len(parts)} columns in {s!r}; det.txt rows are "
                             "frame,-1,left,top,width,height,score[,...]")
        if not all(math.isfinite(v) for v in values):
            raise UsageError(f"{where}: NaN or infinite value in {s!r}")
        frame, _, x, y, w, h, score = values
        if frame < 1 or frame != int(frame):
            raise UsageError(f"{where}: frame {parts[0]} is not an integer >= 1 (MOT frames are 1-based)")
        if w <= 0 or h <= 0:
            raise UsageError(f"{where}: box width and height must be positive, got {w:g} x {h:g}")
        if frame < last:
            raise UsageError(f"{where}: frame {int(frame)} comes after frame {last}; det.txt rows must be in "
                             "frame order")
        last = int(frame)
        frames.append(last)
        boxes.append((x, y, x + w, y + h))
        scores.append(score)
    if not frames:
        raise UsageError(f"{p} has no detection rows (expected frame,-1,left,top,width,height,score per line)")
    return DetectionFile(np.asarray(frames, np.int64), np.asarray(boxes, np.float64), np.asarray(scores, np.float64))


@dataclass(frozen=True)
class SequenceInfo:
    """What a MOTChallenge `seqinfo.ini` says about a sequence (missing keys are None)."""

    name: str
    frame_rate: float | None
    length: int | None
    width: int | None
    height: int | None
    image_dir: str
    image_ext: str

    def image_path(self, root: Path, frame: int) -> Path:
        return root / self.image_dir / f"{frame:06d}{self.image_ext}"


def read_seqinfo(path: str | Path) -> SequenceInfo:
    p = Path(path)
    ini = configparser.ConfigParser()
    try:
        ini.read_string(p.read_text(encoding="utf-8"))
        sec = ini["Sequence"]
    except (OSError, UnicodeDecodeError, configparser.Error, KeyError) as e:
        raise UsageError(f"{p} is not a MOTChallenge seqinfo.ini with a [Sequence] section: {e}") from None

    def number(key: str, kind: type) -> Any:
        raw = sec.get(key)
        if raw is None or not raw.strip():
            return None
        try:
            value = kind(float(raw)) if kind is int else kind(raw)
        except ValueError:
            raise UsageError(f"{p}: {key} = {raw!r} is not a number") from None
        if not math.isfinite(value) or value <= 0:
            raise UsageError(f"{p}: {key} must be positive, got {raw.strip()}")
        return value

    return SequenceInfo(name=sec.get("name", p.parent.name), frame_rate=number("frameRate", float),
                        length=number("seqLength", int), width=number("imWidth", int), height=number("imHeight", int),
                        image_dir=sec.get("imDir", "img1"), image_ext=sec.get("imExt", ".jpg"))
