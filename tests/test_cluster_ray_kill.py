"""Issue #24's recipe as a test: SIGKILL busy `ray::` processes of a `--ray` run on a real two-node Ray.

`benchmarks/ray_kill.py` starts a Ray head and a second node in their own network and PID
namespace, runs `yolotrack run --cameras --ray --quiet` over three file cameras and kills, by
command line, first the group's actor (`ray::...CameraGroupActor...`), then the first busy `ray::`
process of all (the head's `ray::DashboardAgent`, whose death takes the head's raylet and the
driver's Ray connection with it). Every frame must be written exactly once, exit 0.
"""

from __future__ import annotations

import pytest
from ray_namespaces import run_ray_kill

pytestmark = pytest.mark.timeout(300)


def test_busy_ray_workers_killed_twice_every_frame_exactly_once_exit_0(tmp_path) -> None:
    # kills early and close together, on clips long enough that a quiet machine is still writing at the
    # second kill (with 240/150 frames, a kill at 6 s and 3 s between, one CI run had written all before it)
    res, stderr = run_ray_kill(tmp_path, "--street-frames", "360", "--clip-frames", "240", "--kill-at", "2",
                               "--after-frames", "10", "--kills", "2", "--interval", "1",
                               "--victim", "CameraGroupActor", "--victim", "first")
    assert res["rc"] == 0, (res, stderr)
    # a named actor's command line is ray::<name>:CameraGroupActor.<method>
    assert "CameraGroupActor" in res["kills"][0]["process"], res["kills"]
    assert len(res["kills"]) == 2 and all(k["recovery_s"] is not None for k in res["kills"]), res["kills"]
    assert all(min(k["frames_at_kill"].values()) < min(res["expected"].values()) for k in res["kills"]), res["kills"]
    assert res["duplicates"] == {c: 0 for c in res["expected"]}, res
    assert res["frames"] == res["expected"] and all(res["exactly_once"].values()), res
    assert "Traceback" not in stderr and "error:" not in stderr, stderr
