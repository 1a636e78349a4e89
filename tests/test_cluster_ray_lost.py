"""The whole Ray cluster gone for good mid-run, on a real two-node Ray: one line, the outputs kept.

`benchmarks/ray_kill.py --victim cluster` SIGKILLs every process of the namespace's Ray cluster
(GCS, raylets, agents, workers) once every camera has written frames. The driver tries new links
for `cluster.start_timeout` seconds, then ends the run: exit 1 with one error line that says so,
also under `--quiet`, and every camera's JSONL closed with what was written (each frame once, in
order, no torn line), not discarded.
"""

from __future__ import annotations

import pytest
from ray_namespaces import run_ray_kill

pytestmark = pytest.mark.timeout(300)

START_TIMEOUT = 15


def test_cluster_gone_for_good_ends_the_run_with_one_line_and_keeps_the_outputs(tmp_path) -> None:
    res, stderr = run_ray_kill(tmp_path, "--street-frames", "240", "--clip-frames", "150", "--kill-at", "4",
                               "--after-frames", "10", "--kills", "1", "--victim", "cluster",
                               f"cluster.start_timeout={START_TIMEOUT}")
    assert res["rc"] == 1, (res, stderr)
    (kill,) = res["kills"]
    errors = [ln for ln in stderr.splitlines() if ln.startswith("yolotrack: error:")]  # (not Ray's "RPC error:")
    assert len(errors) == 1 and errors == [res["last_line"]], stderr
    assert f"could not reach it again within {START_TIMEOUT} s (cluster.start_timeout)" in errors[0], errors
    assert "Traceback" not in stderr, stderr
    # closed with what was written: each camera's frames from 0 on, once each, at least those seen at the kill
    assert res["duplicates"] == {c: 0 for c in res["expected"]}, res
    for cam, n in res["frames"].items():
        assert kill["frames_at_kill"][cam] <= n < res["expected"][cam], res
    assert res["frames_in_order"] == {c: True for c in res["expected"]}, res
