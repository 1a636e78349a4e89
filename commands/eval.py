"""`yolotrack eval` (not built yet)."""

from __future__ import annotations

import argparse

from commands.common import add_model_flags  # noqa: F401
from core.errors import UsageError


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument('gt'); p.add_argument('pred')


def run(args: argparse.Namespace) -> int:
    raise UsageError("'yolotrack eval' is not built yet")
