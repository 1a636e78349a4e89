"""The one place yolotrack writes things it can make again: `$XDG_CACHE_HOME/yolotrack`.

Downloaded weights and runtime exports live here, never beside the user's weights or inside the
installed package (either may be read-only, shared, or not ours to fill).
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir(*parts: str) -> Path:
    """`$XDG_CACHE_HOME/yolotrack/<parts>` (default `~/.cache/yolotrack/...`); not created here."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base, "yolotrack", *parts)
