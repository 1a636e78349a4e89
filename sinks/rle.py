"""COCO run-length encoding of binary masks (the compressed string form pycocotools writes).

Runs are counted over the mask in column-major order, starting with a run of zeros. The string
form stores each run as a difference to the run two places before it (after the first three),
in 5-bit groups with a continuation bit, offset into printable ASCII from '0'.
"""

from __future__ import annotations

import numpy as np


def mask_to_runs(mask: np.ndarray) -> list[int]:
    """Runs over the columns that hold the object only: the zeros left and right of it are just
    two longer runs, and a full-frame transpose per object would cost more than the rest."""
    m = np.asarray(mask, bool)
    h, w = m.shape
    cols = np.flatnonzero(m.any(axis=0))
    if cols.size == 0:
        return [h * w]
    x0, x1 = int(cols[0]), int(cols[-1]) + 1
    flat = m[:, x0:x1].ravel(order="F")
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate(([0], change, [flat.size]))
    runs = np.diff(bounds).tolist()
    if flat[0]:
        runs.insert(0, 0)
    runs[0] += x0 * h  # the empty columns before the object
    tail = (w - x1) * h
    if tail:
        if len(runs) % 2:  # ends with a zeros run: extend it
            runs[-1] += tail
        else:
            runs.append(tail)
    return runs


def runs_to_string(runs: list[int]) -> str:
    out = []
    for i, r in enumerate(runs):
        x = r - runs[i - 2] if i > 2 else r
        more = True
        while more:
            c = x & 0x1F
            x >>= 5
            more = not ((c & 0x10 == 0 and x == 0) or (c & 0x10 and x == -1))
            if more:
                c |= 0x20
            out.append(chr(c + 48))
    return "".join(out)


def string_to_runs(s: str) -> list[int]:
    runs: list[int] = []
    p = 0
    while p < len(s):
        x = 0
        k = 0
        more = True
        while more:
            c = ord(s[p]) - 48
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and c & 0x10:
                x |= -1 << (5 * k)
        if len(runs) > 2:
            x += runs[-2]
        runs.append(x)
    return runs


def encode(mask: np.ndarray) -> dict:
    """`{"size": [h, w], "counts": str}` for an (H, W) boolean mask."""
    h, w = mask.shape
    return {"size": [int(h), int(w)], "counts": runs_to_string(mask_to_runs(mask))}


def decode(rle: dict) -> np.ndarray:
    """The (H, W) boolean mask of a compressed or uncompressed COCO RLE."""
    h, w = rle["size"]
    counts = rle["counts"]
    runs = string_to_runs(counts) if isinstance(counts, str) else list(counts)
    flat = np.zeros(h * w, bool)
    pos = 0
    for i, r in enumerate(runs):
        if i % 2:
            flat[pos: pos + r] = True
        pos += r
    return flat.reshape((w, h)).T


def area(rle: dict) -> int:
    counts = rle["counts"]
    runs = string_to_runs(counts) if isinstance(counts, str) else list(counts)
    return int(sum(runs[1::2]))
