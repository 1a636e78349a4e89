"""Class filters: ids or names (`model.classes`, a line's or zone's `classes`) to the model's class ids.

In `core` (no torch) so that analytics, the GUI and the cluster resolve filters without the detector;
`detector.predictor` re-exports it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from yolotrack.core.errors import ConfigError


def resolve_classes(classes: Sequence[int | str] | None, names: dict[int, str]) -> list[int] | None:
    """Class filter from ids or names (case-insensitive); unknown entries are a config error."""
    if classes is None:
        return None
    lookup = {v.lower(): k for k, v in names.items()}
    out = []
    for c in classes:
        if isinstance(c, (int, np.integer)) and not isinstance(c, bool):
            if int(c) not in names:
                raise ConfigError(f"class id {c} does not exist; the model has ids 0..{len(names) - 1}")
            out.append(int(c))
        elif isinstance(c, str) and c.strip().isdigit() and int(c) in names:
            out.append(int(c))
        elif isinstance(c, str) and c.strip().lower() in lookup:
            out.append(lookup[c.strip().lower()])
        else:
            known = ", ".join(list(names.values())[:20]) + (", ..." if len(names) > 20 else "")
            raise ConfigError(f"unknown class {c!r}; the model's classes are: {known}")
    return out
