"""Stable colours per track id (or class id): one source of truth for the video sink and the GUI.

A fixed palette indexed by the id keeps the colour of an object the same across frames, runs,
the exported video and the live view. Neighbouring ids get clearly different hues.
"""

from __future__ import annotations

import colorsys

# Hues stepped by the golden ratio stay far apart for consecutive ids; saturation and value
# alternate so that ids that wrap around the hue circle are still distinguishable.
_GOLDEN = 0.618033988749895
_N = 64


def _build_palette(n: int) -> tuple[tuple[int, int, int], ...]:
    colors = []
    for i in range(n):
        h = (0.07 + i * _GOLDEN) % 1.0
        s = (0.95, 0.75, 0.6)[i % 3]
        v = (1.0, 0.85)[(i // 3) % 2]
        r, g, b = colorsys.hsv_to_rgb(h, s, v)
        colors.append((int(b * 255), int(g * 255), int(r * 255)))
    return tuple(colors)


PALETTE_BGR: tuple[tuple[int, int, int], ...] = _build_palette(_N)


def color_for(key: int) -> tuple[int, int, int]:
    """BGR colour for a track id (or a class id when untracked); the same key always maps the same."""
    return PALETTE_BGR[int(key) % _N]


def color_for_rgb(key: int) -> tuple[int, int, int]:
    """The same colour as `color_for`, in RGB order (for Qt widgets)."""
    b, g, r = color_for(key)
    return r, g, b


def text_color_on(bg: tuple[int, int, int]) -> tuple[int, int, int]:
    """Black or white, whichever reads better on `bg` (BGR)."""
    b, g, r = bg
    luma = 0.299 * r + 0.587 * g + 0.114 * b
    return (0, 0, 0) if luma > 150 else (255, 255, 255)
