"""Track id -> state row, so per-track state lives in dense arrays and memory stays bounded.

Counters keep one row per live track. A removed track's row goes back to a free list and is
reused; rows only grow (doubling) when more tracks are alive at once than ever before. What
was last seen of each track (frame, time, box, class, score) is kept here too, for the events
raised when a track is released after it stopped being output.
"""

from __future__ import annotations

import numpy as np


class TrackSlots:
    def __init__(self, capacity: int = 64) -> None:
        self.row_of: dict[int, int] = {}
        self.capacity = 0
        self._free: list[int] = []
        self.track_id = np.zeros(0, np.int64)
        # last sighting per row: x1, y1, x2, y2, class id, score, timestamp, frame (one scatter per frame)
        self.last = np.zeros((0, 8), np.float64)
        self._grow(max(1, capacity))

    def __len__(self) -> int:
        return len(self.row_of)

    def _grow(self, capacity: int) -> None:
        old = self.capacity
        for name in ("track_id", "last"):
            arr = getattr(self, name)
            new = np.zeros((capacity, *arr.shape[1:]), arr.dtype)
            new[:old] = arr
            setattr(self, name, new)
        self._free.extend(range(capacity - 1, old - 1, -1))  # pop() hands out low rows first
        self.capacity = capacity

    def assign(self, track_ids: list[int]) -> tuple[np.ndarray, np.ndarray | None]:
        """Rows for this frame's ids, allocating rows for ids seen for the first time.

        Returns (rows, positions in `track_ids` of the new ids, or None); the caller resets the
        counters' state of the new rows.
        """
        row_of = self.row_of
        rows = [row_of.get(t, -1) for t in track_ids]
        if -1 not in rows:
            return np.array(rows, np.intp), None
        new: list[int] = []
        for k, t in enumerate(track_ids):
            if rows[k] == -1:
                if not self._free:
                    self._grow(self.capacity * 2)
                r = self._free.pop()
                row_of[t] = r
                self.track_id[r] = t
                rows[k] = r
                new.append(k)
        return np.array(rows, np.intp), np.array(new, np.intp)

    def seen(self, rows: np.ndarray, frame: int, ts: float, xyxy: np.ndarray, cls: np.ndarray,
             scores: np.ndarray) -> None:
        rec = np.empty((len(rows), 8), np.float64)
        rec[:, 0:4] = xyxy
        rec[:, 4] = cls
        rec[:, 5] = scores
        rec[:, 6] = ts
        rec[:, 7] = frame
        self.last[rows] = rec

    def last_seen(self, row: int) -> tuple[tuple[float, float, float, float], int, float, float]:
        """(box, class id, score, timestamp) of a row's last sighting."""
        x1, y1, x2, y2, c, sc, ts, _ = self.last[row].tolist()
        return (x1, y1, x2, y2), int(c), sc, ts

    def release(self, track_ids: list[int]) -> np.ndarray:
        """Free the rows of these ids (unknown ids are ignored); returns the freed rows."""
        rows = [self.row_of.pop(t) for t in track_ids if t in self.row_of]
        self._free.extend(rows)
        return np.array(rows, np.intp)

    def stale(self, frame: int, max_age: int) -> list[int]:
        """Ids not seen for more than `max_age` frames (for trackers that never report removal)."""
        if not self.row_of:
            return []
        rows = np.fromiter(self.row_of.values(), np.intp, len(self.row_of))
        old = rows[self.last[rows, 7] < frame - max_age]
        return self.track_id[old].tolist()


def grow_state(counter: object, names: tuple[str, ...], alloc: object, capacity: int) -> None:
    """A counter's per-row state arrays `names` reallocated (by `alloc(capacity)`) for `capacity` rows,
    the rows held so far copied over."""
    old = [getattr(counter, n) for n in names]
    k = len(old[0])
    alloc(capacity)  # type: ignore[operator]
    for name, prev in zip(names, old, strict=True):
        getattr(counter, name)[:k] = prev
