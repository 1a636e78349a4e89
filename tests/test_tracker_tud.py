"""The tracker on real trajectories: MOT15 TUD-Campus and TUD-Stadtmitte ground truth.

The motmetrics wheel ships the ground truth (no images), so detections are made from it with
seeded corruption (tracking.md §7.4, `simulate.LEVELS`: clean, mild, hard): box jitter, missed
boxes, false positives and a share of low-score boxes that only ByteTrack's second association
can use. Tracked at 25 fps (the sequences' rate), scored with TrackEval.

ByteTrack with the reference thresholds (the class defaults), measured on 2026-11-23 (seed 0),
recorded here as regression anchors (HOTA / MOTA / IDF1 / IDSW):

| level | TUD-Campus                 | TUD-Stadtmitte             |
|-------|----------------------------|----------------------------|
| clean | 0.830 / 0.992 / 0.894 / 1  | 0.957 / 0.991 / 0.995 / 0  |
| mild  | 0.638 / 0.822 / 0.797 / 1  | 0.744 / 0.864 / 0.928 / 0  |
| hard  | 0.407 / 0.568 / 0.638 / 10 | 0.456 / 0.574 / 0.716 / 11 |

Every type with the config defaults (`build_tracker`), measured on 2026-12-01 (seed 0): the
table `BY_TYPE` below. (The shipped old tracker output scores MOTA 0.527 / 0.564 and HOTA
0.391 / 0.398.)
"""

from __future__ import annotations

import pytest

from yolotrack.core.config import TrackerConfig
from yolotrack.tracker import ByteTracker, build_tracker
from yolotrack.tracker.evaluate import COMBINED, evaluate_sequences
from yolotrack.tracker.simulate import LEVELS, detections_from_gt, track_to_mot_rows, tud_ground_truth

SEQS = ("TUD-Campus", "TUD-Stadtmitte")
MEASURED = {  # (HOTA, MOTA, IDF1, IDSW)
    ("clean", "TUD-Campus"): (0.8303, 0.9916, 0.8939, 1),
    ("clean", "TUD-Stadtmitte"): (0.9571, 0.9905, 0.9952, 0),
    ("mild", "TUD-Campus"): (0.6381, 0.8217, 0.7969, 1),
    ("mild", "TUD-Stadtmitte"): (0.7444, 0.8642, 0.9275, 0),
    ("hard", "TUD-Campus"): (0.4072, 0.5682, 0.6378, 10),
    ("hard", "TUD-Stadtmitte"): (0.4561, 0.5744, 0.7158, 11),
}
BY_TYPE = {  # config defaults, (HOTA, MOTA, IDF1, IDSW)
    ("bytetrack", "clean", "TUD-Campus"): (0.8138, 0.9694, 0.8840, 1),
    ("bytetrack", "clean", "TUD-Stadtmitte"): (0.9510, 0.9836, 0.9918, 0),
    ("bytetrack", "mild", "TUD-Campus"): (0.7182, 0.9554, 0.8531, 1),
    ("bytetrack", "mild", "TUD-Stadtmitte"): (0.8219, 0.9602, 0.9800, 0),
    ("bytetrack", "hard", "TUD-Campus"): (0.5587, 0.7994, 0.7649, 6),
    ("bytetrack", "hard", "TUD-Stadtmitte"): (0.6433, 0.8460, 0.8877, 8),
    ("botsort", "clean", "TUD-Campus"): (0.9342, 0.9554, 0.9781, 0),
    ("botsort", "clean", "TUD-Stadtmitte"): (0.9901, 0.9905, 0.9953, 0),
    ("botsort", "mild", "TUD-Campus"): (0.7492, 0.9554, 0.8531, 1),
    ("botsort", "mild", "TUD-Stadtmitte"): (0.8415, 0.9723, 0.9861, 0),
    ("botsort", "hard", "TUD-Campus"): (0.5833, 0.8078, 0.7660, 6),
    ("botsort", "hard", "TUD-Stadtmitte"): (0.6595, 0.8728, 0.8968, 5),
    ("ocsort", "clean", "TUD-Campus"): (0.9628, 0.9610, 0.9806, 0),
    ("ocsort", "clean", "TUD-Stadtmitte"): (0.9529, 0.9862, 0.9394, 0),
    ("ocsort", "mild", "TUD-Campus"): (0.7377, 0.8914, 0.9442, 0),
    ("ocsort", "mild", "TUD-Stadtmitte"): (0.7639, 0.9550, 0.9228, 0),
    ("ocsort", "hard", "TUD-Campus"): (0.5127, 0.6685, 0.7542, 4),
    ("ocsort", "hard", "TUD-Stadtmitte"): (0.5032, 0.7327, 0.7305, 9),
}


def _run(level: str, seed: int = 0, kind: str | None = None, **params: float) -> dict[str, dict]:
    """ByteTracker with `params` (reference defaults), or with `kind` the config's tracker of that type."""
    cfg = TrackerConfig(type=kind or "bytetrack")
    seqs = {}
    for s in SEQS:
        gt = tud_ground_truth(s)
        frames = detections_from_gt(gt, LEVELS[level], seed=seed)
        tracker = build_tracker(cfg, 25) if kind else ByteTracker(frame_rate=25, **params)
        seqs[s] = (gt, track_to_mot_rows(tracker, frames))
    return evaluate_sequences(seqs)


def _check(got: dict, want: tuple[float, float, float, int], where: object) -> None:
    hota, mota, idf1, idsw = want
    assert got["HOTA"] == pytest.approx(hota, abs=0.01), (where, got)
    assert got["MOTA"] == pytest.approx(mota, abs=0.01), (where, got)
    assert got["IDF1"] == pytest.approx(idf1, abs=0.01), (where, got)
    assert abs(got["IDSW"] - idsw) <= 1, (where, got)


@pytest.mark.parametrize("level", list(LEVELS))
def test_levels_match_the_recorded_measurements(level: str) -> None:
    res = _run(level)
    for s in SEQS:
        _check(res[s], MEASURED[(level, s)], s)


@pytest.mark.parametrize("kind", ["bytetrack", "botsort", "ocsort"])
def test_every_type_with_the_config_defaults_keeps_its_levels(kind: str) -> None:
    for level in LEVELS:
        res = _run(level, kind=kind)
        for s in SEQS:
            _check(res[s], BY_TYPE[(kind, level, s)], (kind, level, s))


def test_perfect_detections_meet_the_ci_bar() -> None:
    res = _run("clean")
    for s in SEQS:
        assert res[s]["MOTA"] >= 0.95 and res[s]["IDSW"] <= 2


def test_moderate_corruption_beats_the_shipped_baseline_by_far() -> None:
    res = _run("mild", seed=1)  # another seed: the bar, not the exact level
    assert res["TUD-Campus"]["MOTA"] >= 0.526 + 0.2
    assert res["TUD-Stadtmitte"]["MOTA"] >= 0.564 + 0.2
    assert res[COMBINED]["MOTA"] >= 0.8 and res[COMBINED]["IDF1"] >= 0.75 and res[COMBINED]["HOTA"] >= 0.6


def test_second_association_is_what_recovers_low_score_boxes() -> None:
    byte = _run("mild")[COMBINED]
    high_only = _run("mild", low_thresh=0.5)[COMBINED]  # no box is in (0.5, 0.5): stage 2 off
    assert byte["MOTA"] > high_only["MOTA"] + 0.1
    assert byte["IDSW"] < high_only["IDSW"]
    assert byte["FN"] < high_only["FN"] / 1.5
