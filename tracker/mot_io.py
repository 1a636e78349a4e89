"""Reading MOT Challenge text files (ground truth and tracker results) into arrays."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from yolotrack.core.errors import InvalidInputError

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
