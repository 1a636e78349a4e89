"""`yolotrack export` end to end as a real subprocess with a fixture checkpoint; every output is
read back (PyAV, motmetrics, ElementTree, json + pycocotools) and checked against the JSONL,
which carries the tracker's output for every frame."""

from __future__ import annotations

import json
import signal
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import numpy as np
import pycocotools.mask as coco_mask
import pytest
from pipeline_media import cli, wait_for
from test_sinks import audio_packets, load_mot, make_video, video_summary
from test_sources import faststart_noise_video

STEM = "clip"
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pycocotools")


# The fixture checkpoints have random weights: scores are ~0.002-0.02, so thresholds are set low
# enough for boxes and tracks to exist. Positionals (VIDEO, then overrides) go together.
OVERRIDES = ("model.device=cpu", "pipeline.stats_interval=0", "model.max_det=12", "tracker.track_thresh=0.003",
             "tracker.new_track_thresh=0.003", "tracker.low_thresh=0.001")


def model_args(fixtures_dir: Path, name: str = "ultralytics_yolo12n.pt") -> list[str]:
    return ["--weights", str(fixtures_dir / name), "--imgsz", "160", "--conf", "0.002"]


def export(video: str, *args: str, timeout: float = 240) -> tuple[int, str, str]:
    proc = cli("export", video, *OVERRIDES, *args)
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, out, err


def jsonl_tracks(path: Path) -> list[list[dict]]:
    return [r["tracks"] for r in map(json.loads, path.read_text().splitlines()) if r["type"] == "frame"]


def no_temp_files(out: Path) -> bool:
    return not [p for p in out.rglob("*") if p.name.endswith(".part")]


def test_export_all_formats_round_trip(tmp_path: Path, fixtures_dir: Path) -> None:
    video = make_video(tmp_path / f"{STEM}.mp4", n=12, size=(160, 120), fps=Fraction(24), audio=True)
    out = tmp_path / "out"
    code, stdout, stderr = export(str(video), "--out", str(out), "--quiet", *model_args(fixtures_dir))
    assert code == 0, stderr
    files = {out / f"{STEM}_annotated.mp4", out / "mot" / f"{STEM}.txt", out / f"{STEM}_cvat.xml",
             out / f"{STEM}_coco.json", out / f"{STEM}.jsonl"}
    assert {Path(s) for s in stdout.split()} == files and all(f.is_file() for f in files)
    assert no_temp_files(out) and "Traceback" not in stderr

    # video: every frame, same timing, audio copied packet for packet
    ref, got = video_summary(video), video_summary(out / f"{STEM}_annotated.mp4")
    assert got["frames"] == 12 and got["codec"] == "h264"
    for key in ("pts", "time_base", "rate", "size"):
        assert got[key] == ref[key], key
    assert audio_packets(out / f"{STEM}_annotated.mp4") == audio_packets(video)

    tracks = jsonl_tracks(out / f"{STEM}.jsonl")  # the tracker's output, frame by frame
    assert len(tracks) == 12
    rows = [(f, t) for f, ts in enumerate(tracks) for t in ts]
    assert rows, "the fixture model at these thresholds should give tracked boxes on the test clip"

    # MOT through motmetrics
    df = load_mot(out / "mot" / f"{STEM}.txt")
    assert len(df) == len(rows)
    for f, t in rows:
        r = df.loc[(f + 1, t["id"])]
        x1, y1, x2, y2 = t["box"]
        assert np.allclose([r.X + 1, r.Y + 1, r.Width, r.Height], [x1, y1, x2 - x1, y2 - y1], atol=0.02)

    # CVAT: one box track per id, visible boxes equal the tracks
    root = ET.parse(out / f"{STEM}_cvat.xml").getroot()
    assert root.findtext("version") == "1.1" and root.findtext("meta/task/size") == "12"
    visible = {(int(b.get("frame")), int(b.find("attribute[@name='object_id']").text)):
               [float(b.get(k)) for k in ("xtl", "ytl", "xbr", "ybr")]
               for b in root.iter("box") if b.get("outside") == "0"}
    assert len(visible) == len(rows)
    for f, t in rows:
        assert np.allclose(visible[(f, t["id"])], t["box"], atol=0.02)
    labels = {lab.findtext("name") for lab in root.findall("meta/task/labels/label")}
    assert {tr.get("label") for tr in root.findall("track")} <= labels

    # COCO
    doc = json.loads((out / f"{STEM}_coco.json").read_text())
    assert len(doc["images"]) == 12 and len(doc["annotations"]) == len(rows)
    frame_of = {im["id"]: im["frame_id"] for im in doc["images"]}
    coco = {(frame_of[a["image_id"]], a["track_id"]): a for a in doc["annotations"]}
    for f, t in rows:
        a = coco[(f, t["id"])]
        x1, y1, x2, y2 = t["box"]
        assert np.allclose(a["bbox"], [x1, y1, x2 - x1, y2 - y1], atol=0.02)
        assert a["category_id"] == t["class_id"] + 1 and a["score"] == pytest.approx(t["score"], abs=1e-3)


@pytest.mark.parametrize(("weights", "kind"), [("ultralytics_yolo12n-seg.pt", "segment"),
                                               ("ultralytics_yolo12n-pose.pt", "pose")])
def test_export_segment_and_pose_annotations(tmp_path: Path, fixtures_dir: Path, weights: str, kind: str) -> None:
    video = make_video(tmp_path / f"{STEM}.mp4", n=6, size=(160, 120))
    out = tmp_path / "out"
    code, _, stderr = export(str(video), "--out", str(out), "--formats", "coco,cvat,jsonl", "-q",
                             *model_args(fixtures_dir, weights))
    assert code == 0, stderr
    assert sorted(p.name for p in out.iterdir()) == [f"{STEM}.jsonl", f"{STEM}_coco.json", f"{STEM}_cvat.xml"]
    doc = json.loads((out / f"{STEM}_coco.json").read_text())
    anns = doc["annotations"]
    assert anns, f"the {kind} fixture should give tracked objects at these thresholds"
    root = ET.parse(out / f"{STEM}_cvat.xml").getroot()
    if kind == "segment":
        for a in anns:
            m = coco_mask.decode({"size": a["segmentation"]["size"], "counts": a["segmentation"]["counts"].encode()})
            assert m.shape == (120, 160) and int(m.sum()) == a["area"]
        assert root.findall("track/polygon")
    else:
        assert all(len(a["keypoints"]) == 17 * 3 for a in anns)
        skeletons = root.findall("track/skeleton")
        assert len(skeletons) >= len(anns) and all(len(s.findall("points")) == 17 for s in skeletons)


def test_truncated_video_exports_what_decodes_and_exits_1(tmp_path: Path, fixtures_dir: Path) -> None:
    data = faststart_noise_video(tmp_path / "good.mp4")
    cut = tmp_path / f"{STEM}.mp4"
    cut.write_bytes(data[: len(data) // 2])
    out = tmp_path / "out"
    code, stdout, stderr = export(str(cut), "--out", str(out), "--formats", "mot,jsonl,video", "-q",
                                  *model_args(fixtures_dir))
    assert code == 1
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("yolotrack: error: ") and "Traceback" not in stderr
    frames = len(jsonl_tracks(out / f"{STEM}.jsonl"))
    assert 3 < frames < 30
    assert f"only {frames} of 30 frames decodable" in stderr and f"the last good one is frame {frames - 1}" in stderr
    assert video_summary(out / f"{STEM}_annotated.mp4")["frames"] == frames
    assert (out / "mot" / f"{STEM}.txt").is_file() and no_temp_files(out)
    assert len(stdout.split()) == 3


def test_partly_corrupt_video_exports_every_frame_and_exits_1(tmp_path: Path, fixtures_dir: Path) -> None:
    data = bytearray(faststart_noise_video(tmp_path / "good.mp4"))
    mid = len(data) // 2
    data[mid: mid + 3000] = np.random.default_rng(1).integers(0, 256, 3000, dtype=np.uint8).tobytes()
    bad = tmp_path / f"{STEM}.mp4"
    bad.write_bytes(bytes(data))
    out = tmp_path / "out"
    code, stdout, stderr = export(str(bad), "--out", str(out), "--formats", "jsonl", "-q", *model_args(fixtures_dir))
    assert code == 1 and len(stderr.strip().splitlines()) == 1, stderr
    assert "damaged data near frame" in stderr and "exported all 30 decodable frames" in stderr
    assert len(jsonl_tracks(out / f"{STEM}.jsonl")) == 30 and stdout.split() == [str(out / f"{STEM}.jsonl")]


def test_class_filter_and_no_track(tmp_path: Path, fixtures_dir: Path) -> None:
    video = make_video(tmp_path / f"{STEM}.mp4", n=4, size=(160, 120))
    out = tmp_path / "out"
    code, _, stderr = export(str(video), "--out", str(out), "--formats", "mot,coco,jsonl", "--classes", "3,7",
                             "--no-track", "-q", *model_args(fixtures_dir))
    assert code == 0, stderr
    rows = [t for ts in jsonl_tracks(out / f"{STEM}.jsonl") for t in ts]
    assert rows and {t["class_id"] for t in rows} <= {3, 7} and all("id" not in t for t in rows)
    mot = (out / "mot" / f"{STEM}.txt").read_text().splitlines()
    assert len(mot) == len(rows) and all(line.split(",")[1] == "-1" for line in mot)
    anns = json.loads((out / f"{STEM}_coco.json").read_text())["annotations"]
    assert len(anns) == len(rows) and all("track_id" not in a for a in anns)


def test_sigint_leaves_no_partial_file_under_a_final_name(tmp_path: Path, fixtures_dir: Path) -> None:
    video = make_video(tmp_path / f"{STEM}.mp4", n=400, size=(160, 120), audio=True)
    out = tmp_path / "out"
    err = tmp_path / "stderr.txt"
    proc = cli("export", str(video), *OVERRIDES, "--out", str(out), *model_args(fixtures_dir), stderr_path=err)
    try:
        # temp files exist once the sinks opened, i.e. frames are flowing
        started = wait_for(lambda: out.is_dir() and any(p.name.endswith(".part") for p in out.rglob("*")), 120)
        assert started, err.read_text()
        proc.send_signal(signal.SIGINT)
        stdout, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    stderr = err.read_text()
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr and stdout == ""
    assert [p for p in out.rglob("*") if p.is_file()] == []


@pytest.mark.parametrize(("arg", "message"), [
    ("/no/such/clip.mp4", "video file not found: /no/such/clip.mp4"),
    ("GARBAGE", "cannot open video"),
    ("DIR", "is not a video file"),
])
def test_bad_inputs_give_one_clear_line_and_exit_1(tmp_path: Path, arg: str, message: str) -> None:
    if arg == "GARBAGE":
        arg = str(tmp_path / "junk.mp4")
        Path(arg).write_bytes(b"not a video at all" * 100)
    elif arg == "DIR":
        arg = str(tmp_path)
    code, stdout, stderr = export(arg, "--out", str(tmp_path / "out"), "-q", timeout=60)
    assert code == 1 and stdout == ""
    assert len(stderr.strip().splitlines()) == 1 and message in stderr and "Traceback" not in stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.parametrize("args", [["--formats", "mot,gif"], []])
def test_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    video = make_video(tmp_path / "a.mp4", n=2)
    proc = cli("export", *([str(video)] if args else []), "--out", str(tmp_path), *args)
    _, stderr = proc.communicate(timeout=60)
    code = proc.returncode
    assert code == 2 and len(stderr.strip().splitlines()) == 1
    assert ("unknown export format(s) gif" if args else "give the VIDEO to export") in stderr


def test_progress_bar_on_a_terminal_and_silent_otherwise(tmp_path: Path, fixtures_dir: Path) -> None:
    import fcntl
    import os
    import pty
    import struct
    import subprocess
    import sys
    import termios

    from pipeline_media import REPO

    video = make_video(tmp_path / f"{STEM}.mp4", n=5, size=(64, 48))
    base = [sys.executable, "-m", "yolotrack", "export", str(video), *OVERRIDES, "--formats", "mot",
            *model_args(fixtures_dir)]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    for quiet in (False, True):
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a sized terminal
        proc = subprocess.Popen([*base, "--out", str(tmp_path / f"o{quiet}"), *(["-q"] if quiet else [])],
                                stdout=subprocess.PIPE, stderr=slave, env=env, cwd=REPO)
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        proc.wait(120)
        os.close(master)
        tty = b"".join(chunks).decode(errors="replace")
        assert proc.returncode == 0, tty
        assert ("5/5" in tty and "frame/s" in tty) != quiet, tty
    piped = cli("export", str(video), *OVERRIDES, "--out", str(tmp_path / "piped"), "--formats", "mot",
                *model_args(fixtures_dir))
    _, stderr = piped.communicate(timeout=120)
    assert piped.returncode == 0 and "frame/s" not in stderr and "5/5" not in stderr
