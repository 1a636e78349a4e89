"""A node that stops answering without dying, on a real two-node Ray: the `cluster.hang_timeout` path.

`benchmarks/ray_kill.py --stop` starts a Ray head and a second node in their own network and PID
namespace, runs `yolotrack run --cameras --ray --quiet` over three file cameras and, once every
camera has written frames, SIGSTOPs the group's actor process while it serves a poll
(`ray::...CameraGroupActor.poll`; not the idle spare): Ray sees nothing wrong (the process and its
node are there), only the driver's poll goes unanswered.
The link must give the group up after `cluster.hang_timeout`, go on from the commit points on a
spare, and SIGCONT later (the process answers again, or Ray ended it meanwhile) must neither write
a frame twice nor end the run: every frame exactly once, exit 0.
"""

from __future__ import annotations

import pytest
from ray_namespaces import run_ray_kill

pytestmark = pytest.mark.timeout(300)

HANG_TIMEOUT = 10


def test_actor_that_stops_answering_is_replaced_after_hang_timeout_every_frame_exactly_once(tmp_path) -> None:
    res, stderr = run_ray_kill(tmp_path, "--street-frames", "240", "--clip-frames", "150", "--kill-at", "4",
                               "--after-frames", "10", "--kills", "1", "--victim", "CameraGroupActor.poll",
                               "--stop", str(2 * HANG_TIMEOUT), f"cluster.hang_timeout={HANG_TIMEOUT}")
    assert res["rc"] == 0, (res, stderr)
    (stop,) = res["kills"]
    assert "CameraGroupActor" in stop["process"], stop
    assert min(stop["frames_at_kill"].values()) >= 10, stop  # mid-run: its polls were being answered
    assert min(stop["frames_at_kill"].values()) < min(res["expected"].values()), stop
    # replaced through the hang path (Ray itself saw no death), then back
    assert f"did not answer for {HANG_TIMEOUT} s (cluster.hang_timeout)" in stderr, stderr
    assert stop["recovery_s"] is not None and stop["recovery_s"] > HANG_TIMEOUT, stop
    assert stop["continued"] in ("yes", "it was gone"), stop
    assert res["duplicates"] == {c: 0 for c in res["expected"]}, res
    assert res["frames"] == res["expected"] and all(res["exactly_once"].values()), res
    assert "Traceback" not in stderr and "yolotrack: error:" not in stderr, stderr
