"""`yolotrack gui` (not built yet)."""

from __future__ import annotations

import argparse

from commands.common import add_model_flags  # noqa: F401
from core.errors import UsageError


def configure(p: argparse.ArgumentParser) -> None:
    add_model_flags(p)


def run(args: argparse.Namespace) -> int:
    raise UsageError("'yolotrack gui' is not built yet")
