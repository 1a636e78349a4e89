"""Test setup shared by every test module."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Qt aborts the whole run when it has no display and no platform plugin chosen.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO.parent / "shared" / "fixtures"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """../shared/fixtures; CI always has it, elsewhere tests skip with the reason."""
    if not FIXTURES.is_dir():
        if IN_CI:
            pytest.fail(f"fixtures folder {FIXTURES} is missing in CI")
        pytest.skip(f"fixtures folder {FIXTURES} is absent (clone ../shared beside the repo)")
    return FIXTURES


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a skipped test is a failure: everything a test needs is installed there."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if IN_CI and skipped and exitstatus == 0:
        reporter.write_line(f"CI: {skipped} test(s) skipped; every test must run in CI", red=True)
        session.exitstatus = 1
