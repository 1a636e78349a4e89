"""Test setup shared by every test module."""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
from pathlib import Path

import pytest

# Qt aborts the whole run when it has no display and no platform plugin chosen.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")

# Runtime exports, downloads and GUI settings of this run go to a fresh place that is removed at the
# end, so tests neither read a stale cache nor fill the user's. Slow one-time fetches that never change
# (the helmet checkpoint) may use the user's cache, kept in YOLOTRACK_TEST_HOST_CACHE.
os.environ.setdefault("YOLOTRACK_TEST_HOST_CACHE",
                      os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache"))
_SCRATCH = tempfile.mkdtemp(prefix="yolotrack-tests-")
atexit.register(shutil.rmtree, _SCRATCH, ignore_errors=True)
os.environ["XDG_CACHE_HOME"] = os.path.join(_SCRATCH, "cache")
os.environ["XDG_CONFIG_HOME"] = os.path.join(_SCRATCH, "config")

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO.parent / "shared" / "fixtures"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _listing(folder: Path) -> dict[str, tuple[int, int]]:
    """Name -> (size, mtime) of everything below `folder`: what a write would change."""
    if not folder.is_dir():
        return {}
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


_FIXTURES_BEFORE = _listing(FIXTURES)


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """../shared/fixtures; CI always has it, elsewhere tests skip with the reason."""
    if not FIXTURES.is_dir():
        if IN_CI:
            pytest.fail(f"fixtures folder {FIXTURES} is missing in CI")
        pytest.skip(f"fixtures folder {FIXTURES} is absent (clone ../shared beside the repo)")
    return FIXTURES


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a skipped test is a failure: everything a test needs is installed there. The shared
    fixtures are read-only for tests, whether the folder is writable or not: any change fails the run."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    after = _listing(FIXTURES)
    if after != _FIXTURES_BEFORE:
        changed = sorted(set(after.items()) ^ set(_FIXTURES_BEFORE.items()))
        names = sorted({name for name, _ in changed})
        if reporter:
            reporter.write_line(f"tests wrote into {FIXTURES}: {', '.join(names[:10])}", red=True)
        session.exitstatus = 1
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if IN_CI and skipped and exitstatus == 0:
        reporter.write_line(f"CI: {skipped} test(s) skipped; every test must run in CI", red=True)
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _root_logging():
    """Tests that call `main()` in-process install a root handler on the test's captured stderr, which
    pytest closes after the test; a background thread of that test logging later then prints a logging
    error. Each test gets back the root logger it started with."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for h in root.handlers[:]:
        if h not in handlers:
            root.removeHandler(h)
    for h in handlers:
        if h not in root.handlers:
            root.addHandler(h)
    root.setLevel(level)


@pytest.fixture
def release_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A weights cache of the test's own, so what a download leaves behind is seen there alone."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "yolotrack"
