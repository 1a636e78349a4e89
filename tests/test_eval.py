"""MOT evaluation (`tracker.evaluate`, `yolotrack eval`) against published reference numbers.

The motmetrics wheel ships two real MOT15 ground truths and an old tracker's output for each;
tracking.md §7.2 lists their metrics (motmetrics and TrackEval agree on them).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import motmetrics
import numpy as np
import pytest

from yolotrack import main
from yolotrack.core.errors import InvalidInputError
from yolotrack.tracker.evaluate import COMBINED, evaluate_arrays, evaluate_mot, evaluate_paths, evaluate_sequences
from yolotrack.tracker.mot_io import read_mot

DATA = Path(motmetrics.__file__).parent / "data"
SEQS = ("TUD-Campus", "TUD-Stadtmitte")

# tracking.md §7.2 (percent, as published)
REFERENCE = {
    "TUD-Campus": dict(HOTA=39.14, DetA=41.81, AssA=36.91, LocA=77.01, MOTA=52.65, IDF1=55.77, IDP=72.97,
                       IDR=45.13, recall=58.22, precision=94.14, FP=13, FN=150, IDSW=7, Frag=7, MOTP_dist=0.277),
    "TUD-Stadtmitte": dict(HOTA=39.79, DetA=39.23, AssA=40.88, LocA=73.75, MOTA=56.40, IDF1=64.46, IDP=81.98,
                           IDR=53.11, recall=60.90, precision=93.99, FP=45, FN=452, IDSW=7, Frag=6, MOTP_dist=0.346),
    COMBINED: dict(HOTA=40.00, DetA=39.77, AssA=41.25, MOTA=55.51, IDF1=62.43, recall=60.26, precision=94.03,
                   FP=58, FN=602, IDSW=14, Frag=13),
}


def _check(got: dict, want: dict) -> None:
    for key, value in want.items():
        if key == "MOTP_dist":
            assert 1 - got["MOTP"] == pytest.approx(value, abs=6e-4), key
        elif isinstance(value, int):
            assert got[key] == value, key
        else:
            assert 100 * got[key] == pytest.approx(value, abs=6e-3), key


def test_reference_numbers_of_the_shipped_tracker_output() -> None:
    seqs = {s: (read_mot(DATA / s / "gt.txt"), read_mot(DATA / s / "test.txt")) for s in SEQS}
    res = evaluate_sequences(seqs)
    assert set(res) == {*SEQS, COMBINED}
    for name, want in REFERENCE.items():
        _check(res[name], want)
    one = evaluate_mot(DATA / "TUD-Campus" / "gt.txt", DATA / "TUD-Campus" / "test.txt")
    _check(one, REFERENCE["TUD-Campus"])
    assert one["gt_ids"] == 8 and one["pred_ids"] == 13 and one["frames"] == 71


def _shim_motmetrics(monkeypatch: pytest.MonkeyPatch) -> None:
    """motmetrics 1.4 calls np.asfarray, removed in NumPy 2 (tracking.md §7.1)."""
    if not hasattr(np, "asfarray"):
        monkeypatch.setattr(np, "asfarray", lambda a, dtype=np.float64: np.asarray(a, dtype=dtype), raising=False)


def test_agrees_with_motmetrics_on_our_tracker_output(monkeypatch: pytest.MonkeyPatch) -> None:
    import pandas as pd

    from yolotrack.tracker import ByteTracker
    from yolotrack.tracker.simulate import Corruption, detections_from_gt, track_to_mot_rows

    _shim_motmetrics(monkeypatch)
    gt = read_mot(DATA / "TUD-Campus" / "gt.txt")
    frames = detections_from_gt(gt, Corruption(jitter=0.05, dropout=0.15, false_positives=1.0,
                                               low_score_fraction=0.3), seed=3)
    pred = track_to_mot_rows(ByteTracker(frame_rate=25), frames)
    ours = evaluate_arrays(gt, pred)

    def frame(rows: np.ndarray) -> pd.DataFrame:
        df = pd.DataFrame(rows[:, :7], columns=["FrameId", "Id", "X", "Y", "Width", "Height", "Confidence"])
        df[["FrameId", "Id"]] = df[["FrameId", "Id"]].astype(int)
        return df.set_index(["FrameId", "Id"])

    acc = motmetrics.utils.compare_to_groundtruth(frame(gt), frame(pred), "iou", distth=0.5)
    mh = motmetrics.metrics.create()
    summary = mh.compute(acc, metrics=["mota", "idf1", "num_switches", "num_false_positives", "num_misses"])
    assert ours["MOTA"] == pytest.approx(float(summary["mota"].iloc[0]), abs=1e-9)
    assert ours["IDF1"] == pytest.approx(float(summary["idf1"].iloc[0]), abs=1e-9)
    assert ours["IDSW"] == int(summary["num_switches"].iloc[0])
    assert ours["FP"] == int(summary["num_false_positives"].iloc[0])
    assert ours["FN"] == int(summary["num_misses"].iloc[0])


def test_perfect_and_empty_predictions() -> None:
    gt = read_mot(DATA / "TUD-Campus" / "gt.txt")
    perfect = evaluate_arrays(gt, gt)
    assert perfect["MOTA"] == 1.0 and perfect["IDF1"] == 1.0 and perfect["HOTA"] == pytest.approx(1.0)
    assert perfect["IDSW"] == 0 and perfect["FP"] == 0 and perfect["FN"] == 0
    nothing = evaluate_arrays(gt, np.zeros((0, 7)))
    assert nothing["MOTA"] == 0.0 and nothing["FN"] == len(gt) and nothing["HOTA"] == 0.0


def test_ignored_ground_truth_rows_and_duplicate_ids() -> None:
    gt = np.array([[1, 1, 0, 0, 10, 10, 1], [1, 2, 50, 50, 10, 10, 0], [2, 1, 1, 0, 10, 10, 1]], float)
    pred = np.array([[1, 7, 0, 0, 10, 10, 0.9], [2, 7, 1, 0, 10, 10, 0.9]], float)
    res = evaluate_arrays(gt, pred)
    assert res["gt_dets"] == 2 and res["MOTA"] == 1.0  # the flag-0 row is ignored
    dup = np.array([[1, 7, 0, 0, 10, 10, 1], [1, 7, 5, 5, 10, 10, 1]], float)
    with pytest.raises(main.YolotrackError, match="id 7 appears more than once in frame 1"):
        evaluate_arrays(gt, dup)


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main.main(["eval", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_prints_a_table_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    gt, pred = DATA / "TUD-Campus" / "gt.txt", DATA / "TUD-Campus" / "test.txt"
    code, out, _ = _cli(capsys, str(gt), str(pred))
    assert code == 0
    header, row = out.strip().splitlines()
    assert header.split()[:6] == ["sequence", "HOTA", "DetA", "AssA", "MOTA", "IDF1"]
    assert row.split()[:6] == ["test", "39.14%", "41.80%", "36.91%", "52.65%", "55.77%"]
    code, out, _ = _cli(capsys, str(gt), str(pred), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["test"]["IDSW"] == 7 and data[COMBINED]["FN"] == 150


def test_cli_folders_score_every_sequence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gt_dir, pred_dir = tmp_path / "gt", tmp_path / "pred"
    for s in SEQS:
        (gt_dir / s / "gt").mkdir(parents=True)
        (gt_dir / s / "gt" / "gt.txt").write_bytes((DATA / s / "gt.txt").read_bytes())
        pred_dir.mkdir(exist_ok=True)
        (pred_dir / f"{s}.txt").write_bytes((DATA / s / "test.txt").read_bytes())
    code, out, _ = _cli(capsys, str(gt_dir), str(pred_dir))
    assert code == 0
    lines = out.strip().splitlines()
    assert [ln.split()[0] for ln in lines[1:]] == [*SEQS, COMBINED]
    assert lines[-1].split()[1] == "40.00%"
    res = evaluate_paths(gt_dir, pred_dir)
    _check(res[COMBINED], REFERENCE[COMBINED])


def test_cli_bad_input_is_one_line_and_nonzero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gt = DATA / "TUD-Campus" / "gt.txt"
    code, out, err = _cli(capsys, str(gt), str(tmp_path / "missing.txt"))
    assert code == 2 and out == "" and "does not exist" in err and "Traceback" not in err
    junk = tmp_path / "junk.txt"
    junk.write_text("hello, world\n")
    code, out, err = _cli(capsys, str(gt), str(junk))
    assert code == 1 and "not a MOT Challenge text file" in err and len(err.strip().splitlines()) == 1
    short = tmp_path / "short.txt"
    short.write_text("1,2,3\n")
    code, _, err = _cli(capsys, str(gt), str(short))
    assert code == 1 and "at least 6" in err
    zero = tmp_path / "zero.txt"
    zero.write_text("0,1,0,0,10,10,1\n")
    code, _, err = _cli(capsys, str(gt), str(zero))
    assert code == 1 and "1-based" in err
    code, _, err = _cli(capsys, str(gt), str(gt), "--iou", "1.5")
    assert code == 2 and "--iou" in err
    code, _, err = _cli(capsys, str(gt), str(tmp_path))
    assert code == 1 and "both be files or both be folders" in err


def test_empty_prediction_file_is_valid(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    res = evaluate_mot(DATA / "TUD-Campus" / "gt.txt", empty)
    assert res["FN"] == 359 and res["pred_dets"] == 0


def test_entry_point_runs_in_a_subprocess() -> None:
    repo = Path(main.__file__).resolve().parent
    gt, pred = DATA / "TUD-Stadtmitte" / "gt.txt", DATA / "TUD-Stadtmitte" / "test.txt"
    r = subprocess.run([sys.executable, "-m", "yolotrack", "eval", str(gt), str(pred), "--json"], capture_output=True,
                       text=True, timeout=120, cwd=repo)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["test"]["HOTA"] == pytest.approx(0.3979, abs=1e-4)


def test_jsonl_tracks_skip_the_line_a_killed_run_was_writing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from yolotrack.tracker.mot_io import read_jsonl_tracks

    whole = [{"type": "stream", "source": "0"},
             {"type": "frame", "frame": 0, "tracks": [{"id": 3, "box": [1, 2, 11, 22], "score": 0.5}]},
             {"type": "frame", "frame": 1, "tracks": [{"id": 3, "box": [2, 2, 12, 22], "score": 0.75}]}]
    text = "".join(json.dumps(r) + "\n" for r in whole)
    cut = tmp_path / "killed.jsonl"
    cut.write_text(text + '{"type":"frame","frame":2,"tracks":[{"id":3,"bo')
    rows = read_jsonl_tracks(cut)
    assert rows.tolist() == [[1, 3, 1, 2, 10, 20, 0.5], [2, 3, 2, 2, 10, 20, 0.75]]
    assert "last line is cut off" in caplog.text
    # a broken line that was finished (it has its newline) is not a killed write: one clear error
    bad = tmp_path / "bad.jsonl"
    bad.write_text(text + "{not json}\n")
    with pytest.raises(InvalidInputError, match=r"bad.jsonl:4: not a JSON line"):
        read_jsonl_tracks(bad)
