"""URL helpers shared by sources and network outputs (which sit in different rooms of the house)."""

from __future__ import annotations

import re


def redact(uri: str) -> str:
    """Hide credentials in URLs before they reach a log line or an error message."""
    return re.sub(r"(://)[^/@\s]*@", r"\1***@", uri)
