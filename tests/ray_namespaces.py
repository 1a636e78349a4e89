"""`benchmarks/ray_kill.py` from a test: a real Ray head and second node in their own namespaces."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pipeline_media import IN_CI

REPO = Path(__file__).resolve().parents[1]


def run_ray_kill(tmp_path: Path, *args: str) -> tuple[dict, str]:
    """One round of `ray_kill.py ARGS` (skips, or fails in CI, without Ray or namespaces): its result
    and the run's stderr."""
    try:
        import ray  # noqa: F401
    except ImportError:
        pytest.skip("ray is not installed (pip install -e '.[cluster]')") if not IN_CI else pytest.fail("no ray")
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-n", "-p", "-f", "--mount-proc", "true"],
                                                         capture_output=True, timeout=30).returncode != 0:
        why = "cannot create network + PID namespaces here (unshare)"
        pytest.fail(why) if IN_CI else pytest.skip(why)
    out = tmp_path / "rounds.json"
    p = subprocess.run([sys.executable, str(REPO / "benchmarks" / "ray_kill.py"), "--rounds", "1", "--timeout", "200",
                        "--json", str(out), *args], capture_output=True, text=True, timeout=280)
    assert out.exists(), p.stderr[-3000:]
    (res,) = json.loads(out.read_text())
    return res, res.pop("stderr")
