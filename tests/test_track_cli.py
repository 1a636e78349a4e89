"""`yolotrack track`: MOTChallenge public detections in, MOT tracks out, bad input refused in one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from yolotrack.tracker.evaluate import evaluate_arrays
from yolotrack.tracker.mot_io import read_mot
from yolotrack.tracker.simulate import LEVELS, detections_from_gt, tud_ground_truth

REPO = Path(__file__).resolve().parent.parent


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "yolotrack", "track", *args], capture_output=True, text=True,
                          timeout=120, cwd=REPO)


def write_det(path: Path, rows: list[tuple]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in r) + "\n" for r in rows))
    return path


def det_rows_of(frames) -> list[tuple]:
    return [(fd.frame, -1, float(x1), float(y1), float(x2 - x1), float(y2 - y1), float(s), -1, -1, -1)
            for fd in frames for (x1, y1, x2, y2), s in zip(fd.xyxy, fd.scores, strict=True)]


def test_tracks_a_det_file_and_scores_well_against_its_ground_truth(tmp_path) -> None:
    gt = tud_ground_truth("TUD-Stadtmitte")
    det = write_det(tmp_path / "det.txt", det_rows_of(detections_from_gt(gt, LEVELS["mild"], seed=0)))
    out = tmp_path / "res" / "TUD-Stadtmitte.txt"
    proc = cli(str(det), "--out", str(out), "--frame-rate", "25")
    assert proc.returncode == 0, proc.stderr
    assert "179 frames" in proc.stdout and "at 25 fps" in proc.stdout and not list(tmp_path.glob("res/*.part"))
    tracks = read_mot(out)
    assert tracks[:, 0].min() >= 1 and (np.diff(tracks[:, 0]) >= 0).all()
    metrics = evaluate_arrays(gt, tracks)
    assert metrics["IDF1"] > 0.85 and metrics["MOTA"] > 0.8 and metrics["IDSW"] <= 3
    other = cli(str(det), "--out", str(tmp_path / "b.txt"), "--tracker", "bytetrack", "tracker.report_missed=0")
    assert other.returncode == 0 and "bytetrack" in other.stdout
    assert not np.array_equal(read_mot(tmp_path / "b.txt"), tracks)


def test_a_sequence_folder_gives_frame_rate_length_and_images_for_camera_motion(tmp_path, fixtures_dir) -> None:
    """A hand-held pan over a real frame: with the images BoT-SORT keeps its four ids; ByteTrack,
    which has no camera-motion compensation, does not."""
    from test_tracker_types import shaky_camera

    frame = np.load(fixtures_dir / "ultralytics_yolo12n_io.npz")["predict_img"]
    seq = tmp_path / "PAN-01"
    (seq / "img1").mkdir(parents=True)
    rows = []
    views = shaky_camera(frame, 27)
    for f, (image, boxes) in enumerate(views, 1):
        cv2.imwrite(str(seq / "img1" / f"{f:06d}.jpg"), image, [cv2.IMWRITE_JPEG_QUALITY, 95])
        if f <= 25:  # the last two frames have no detections: seqLength still covers them
            rows += [(f, -1, float(x1), float(y1), float(x2 - x1), float(y2 - y1), 0.9) for x1, y1, x2, y2 in boxes]
    write_det(seq / "det" / "det.txt", rows)
    (seq / "seqinfo.ini").write_text("[Sequence]\nname=PAN-01\nimDir=img1\nframeRate=14\nseqLength=27\n"
                                     "imWidth=640\nimHeight=360\nimExt=.jpg\n")
    proc = cli(str(seq), "--out", str(tmp_path / "bot.txt"), "--tracker", "botsort")
    assert proc.returncode == 0, proc.stderr
    assert "27 frames" in proc.stdout and "at 14 fps, camera motion from the images" in proc.stdout
    assert set(read_mot(tmp_path / "bot.txt")[:, 1].astype(int)) == {1, 2, 3, 4}
    proc = cli(str(seq), "--out", str(tmp_path / "byte.txt"), "--tracker", "bytetrack")
    assert proc.returncode == 0 and "camera motion" not in proc.stdout
    assert len(set(read_mot(tmp_path / "byte.txt")[:, 1].astype(int))) > 8
    (seq / "img1" / "000007.jpg").unlink()
    proc = cli(str(seq), "--out", str(tmp_path / "x.txt"), "--tracker", "botsort")
    assert proc.returncode == 2 and "000007.jpg is missing" in proc.stderr and not (tmp_path / "x.txt").exists()


GOOD = [(1, -1, 10.0, 20.0, 30.0, 60.0, 0.9), (2, -1, 12.0, 20.0, 30.0, 60.0, 0.9)]


@pytest.mark.parametrize(("rows", "args", "message"), [
    ([GOOD[0], (2, -1, 1.0, 2.0, float("nan"), 4.0, 0.5)], [], r"line 2: NaN or infinite value"),
    ([GOOD[0], (2, -1, 50.0, 20.0, -30.0, 60.0, 0.9)], [], r"line 2: box width and height must be positive"),
    ([GOOD[1], GOOD[0]], [], r"line 2: frame 1 comes after frame 2; det.txt rows must be in frame order"),
    ([GOOD[0], (2, -1, "x", 2, 3, 4, 0.5)], [], r"line 2: not a number in '2,-1,x,2,3,4,0.5'"),
    ([GOOD[0], (2, -1, 1.0, 2.0, 3.0)], [], r"line 2: 5 columns"),
    ([(0, -1, 1.0, 2.0, 3.0, 4.0, 0.5)], [], r"line 1: frame 0 is not an integer >= 1"),
    ([], [], r"has no detection rows"),
    (GOOD, ["--frame-rate", "0"], r"--frame-rate must be a positive number"),
    (GOOD, ["--tracker", "bytetrak"], r"did you mean 'bytetrack'"),
    (GOOD, ["tracker.ocsort.min_hits=-1"], r"tracker.ocsort.min_hits: -1 is out of range"),
])
def test_bad_input_is_one_error_line_and_exit_2(tmp_path, rows, args, message) -> None:
    det = write_det(tmp_path / "det.txt", rows)
    out = tmp_path / "tracks.txt"
    proc = cli(str(det), "--out", str(out), *args)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2 and len(lines) == 1 and lines[0].startswith("yolotrack: error: "), proc.stderr
    assert __import__("re").search(message, lines[0]), lines[0]
    assert not out.exists()


def test_a_sequence_folder_with_frame_rate_0_is_refused(tmp_path) -> None:
    seq = tmp_path / "ZERO-01"
    write_det(seq / "det" / "det.txt", GOOD)
    (seq / "seqinfo.ini").write_text("[Sequence]\nname=ZERO-01\nframeRate=0\nseqLength=2\n")
    proc = cli(str(seq), "--out", str(tmp_path / "t.txt"))
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert lines[0].endswith("seqinfo.ini: frameRate must be positive, got 0") and not (tmp_path / "t.txt").exists()


def test_a_missing_input_or_a_folder_without_detections_is_refused(tmp_path) -> None:
    proc = cli(str(tmp_path / "nope.txt"), "--out", str(tmp_path / "t.txt"))
    assert proc.returncode == 2 and "do not exist" in proc.stderr
    proc = cli(str(tmp_path), "--out", str(tmp_path / "t.txt"))
    assert proc.returncode == 2 and "without det/det.txt" in proc.stderr
