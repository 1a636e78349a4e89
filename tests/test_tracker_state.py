"""ByteTracker.state()/restore(): a tracker rebuilt in another process goes on exactly as the original."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from yolotrack.core.errors import InvalidInputError
from yolotrack.tracker import ByteTracker
from yolotrack.tracker.simulate import random_walk_scene


def scene(n_frames: int = 80) -> list[tuple[np.ndarray, np.ndarray]]:
    return list(random_walk_scene(12, n_frames, seed=3, dropout=0.15, low_score_fraction=0.2))


def run(tracker: ByteTracker, frames, start: int) -> tuple[list[np.ndarray], list]:
    outs, events = [], []
    for i, (b, s) in enumerate(frames, start):
        outs.append(tracker.update(b, s, np.zeros(len(s)), frame_index=i))
        events.extend(tracker.pop_events())
    return outs, events


def test_restored_tracker_continues_exactly_after_a_pickle_round_trip() -> None:
    frames = scene()
    original = ByteTracker(frame_rate=25)
    run(original, frames[:40], 0)
    saved = pickle.loads(pickle.dumps(original.state()))
    want, want_events = run(original, frames[40:], 40)

    copy = ByteTracker(frame_rate=25)
    copy.restore(saved)
    got, got_events = run(copy, frames[40:], 40)
    assert len(want) == len(got) and sum(len(o) for o in want) > 100
    for a, b in zip(want, got, strict=True):
        np.testing.assert_array_equal(a, b)
    assert got_events == want_events and any(e.kind == "lost" for e in got_events)


def test_a_raised_id_counter_never_gives_an_id_twice() -> None:
    frames = scene()
    t = ByteTracker(frame_rate=25)
    first, _ = run(t, frames[:30], 0)
    state = t.state()
    used = {int(i) for o in first for i in o[:, 4]}
    state["next_id"] = max(used) + 100  # ids someone else handed out meanwhile
    fresh = ByteTracker(frame_rate=25)
    fresh.restore(state)
    _, events = run(fresh, frames[30:] + scene(60)[::-1], 30)
    new_ids = [e.track_id for e in events if e.kind == "new"]
    assert new_ids and min(new_ids) >= max(used) + 100 and len(new_ids) == len(set(new_ids))


def test_state_is_a_copy_and_bad_states_are_refused() -> None:
    t = ByteTracker()
    run(t, scene(5), 0)
    s = t.state()
    s["tracks"]["mean"][:] = 0
    assert np.abs(t.state()["tracks"]["mean"]).sum() > 0
    with pytest.raises(InvalidInputError, match="not a ByteTracker state"):
        t.restore({"kind": "ocsort", "version": 1})
    with pytest.raises(InvalidInputError, match="not a ByteTracker state"):
        t.restore([1, 2])  # type: ignore[arg-type]
