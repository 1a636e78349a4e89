"""One exception hierarchy for failures a user can cause and fix.

`main` turns any `YolotrackError` into a single line `yolotrack: error: ...` and exits with
`exit_code`: 2 for usage/config mistakes, 1 for runtime failures. Anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations


class YolotrackError(Exception):
    """A failure with a message meant for the user; exits 1."""

    exit_code = 1


class UsageError(YolotrackError):
    """Bad command line or arguments; exits 2."""

    exit_code = 2


class ConfigError(UsageError):
    """Unknown key, wrong type or out-of-range value in a config or override; exits 2."""


class WeightsError(YolotrackError):
    """Missing, corrupt, unsafe or incompatible model weights."""


class SourceError(YolotrackError):
    """A video source that cannot be opened or read (camera, file, URL)."""


class InvalidInputError(YolotrackError, ValueError):
    """Malformed arrays handed to a stage (wrong shapes, mismatched lengths)."""


class LabelError(UsageError, InvalidInputError):
    """A dataset label file that cannot be read; the message names the file and line; exits 2."""


class PipelineError(YolotrackError):
    """A pipeline stage failed; names the stage so the user knows where to look."""

    def __init__(self, stage: str, message: str) -> None:
        super().__init__(f"{stage}: {message}")
        self.stage = stage
