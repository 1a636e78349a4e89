"""`yolotrack convert` (not built yet)."""

from __future__ import annotations

import argparse

from commands.common import add_model_flags  # noqa: F401
from core.errors import UsageError


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument('src'); p.add_argument('dst')


def run(args: argparse.Namespace) -> int:
    raise UsageError("'yolotrack convert' is not built yet")
