"""`yolotrack export` (not built yet)."""

from __future__ import annotations

import argparse

from commands.common import add_model_flags  # noqa: F401
from core.errors import UsageError


def configure(p: argparse.ArgumentParser) -> None:
    add_model_flags(p, source=False)
    p.add_argument('--out', help='output directory')


def run(args: argparse.Namespace) -> int:
    raise UsageError("'yolotrack export' is not built yet")
