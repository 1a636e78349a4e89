"""File sinks read back with real tools: PyAV (video + audio), motmetrics (MOT), ElementTree
(CVAT 1.1), json + pycocotools (COCO RLE). Detections come from the real ByteTracker."""

from __future__ import annotations

import json
import threading
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pycocotools.mask as coco_mask
import pytest

from yolotrack.core import Detections, Frame
from yolotrack.core.config import OutputConfig, RenderConfig, SourceConfig, TrackerConfig
from yolotrack.core.keypoints import COCO17_LIMBS, COCO17_NAMES, KeypointLayout
from yolotrack.pipeline import open_source
from yolotrack.sinks import rle
from yolotrack.sinks.base import StreamInfo
from yolotrack.sinks.coco import CocoSink
from yolotrack.sinks.cvat import CvatSink
from yolotrack.sinks.interruptible import Interruptible
from yolotrack.sinks.mot import MotSink
from yolotrack.sinks.video import VideoSink
from yolotrack.tracker import ByteTracker

NAMES = {0: "person", 1: "car"}
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pycocotools")


# ---------------------------------------------------------------- media and tracks


def make_video(path: Path, n: int = 12, size: tuple[int, int] = (96, 64), fps: Fraction = Fraction(25),
               audio: bool = False, sample_rate: int = 16000) -> Path:
    """A real H.264 MP4 (4:4:4 for odd sizes, which 4:2:0 cannot hold), optionally with AAC audio."""
    w, h = size
    with av.open(str(path), "w") as out:
        v = out.add_stream("libx264", rate=fps)
        v.width, v.height = w, h
        v.pix_fmt = "yuv444p" if (w % 2 or h % 2) else "yuv420p"
        v.options = {"preset": "ultrafast"}
        a = out.add_stream("aac", rate=sample_rate) if audio else None
        for i in range(n):
            img = np.full((h, w, 3), 30, np.uint8)
            img[h // 4: h // 2, (i * 3) % (w - 10): (i * 3) % (w - 10) + 10] = (40 * (i % 6), 200, 90)
            for p in v.encode(av.VideoFrame.from_ndarray(img, format="bgr24")):
                out.mux(p)
        for p in v.encode():
            out.mux(p)
        if a is not None:
            samples = int(n / fps * sample_rate)
            t = np.arange(samples) / sample_rate
            tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
            for k in range(0, samples, 1024):
                chunk = tone[k: k + 1024]
                if len(chunk) < 1024:
                    chunk = np.pad(chunk, (0, 1024 - len(chunk)))
                af = av.AudioFrame.from_ndarray(chunk[None], format="fltp", layout="mono")
                af.sample_rate, af.pts = sample_rate, k
                for p in a.encode(af):
                    out.mux(p)
            for p in a.encode():
                out.mux(p)
    return path


def scripted_detections(i: int, w: int, h: int, task: str) -> Detections:
    """Two objects; the second vanishes for frames 5..7 (a gap the tracker bridges)."""
    boxes = [[2 + 2 * i, 4, 22 + 2 * i, 30]]
    cls = [0]
    if not 5 <= i <= 7:
        boxes.append([w - 30, h - 30 - i, w - 6, h - 6 - i])
        cls.append(1)
    xyxy = np.array(boxes, np.float32)
    parts: dict = {}
    if task == "segment":
        m = np.zeros((len(boxes), h, w), bool)
        for k, (x1, y1, x2, y2) in enumerate(xyxy.astype(int)):
            m[k, y1 + 2: y2 - 2, x1 + 3: x2 - 3] = True
        parts["masks"] = m
    if task == "pose":
        kp = np.zeros((len(boxes), 17, 3), np.float32)
        for k, (x1, y1, x2, y2) in enumerate(xyxy):
            kp[k, :, 0] = np.linspace(x1, x2, 17)
            kp[k, :, 1] = np.linspace(y1, y2, 17)
            kp[k, :, 2] = 0.9
            kp[k, 3, 2] = 0.2
        parts["keypoints"] = kp
    return Detections(xyxy, np.full(len(boxes), 0.9), cls, NAMES, **parts)


def tracked_run(n: int, w: int, h: int, task: str = "detect") -> list[Detections]:
    tracker = ByteTracker.from_config(TrackerConfig(), 25.0)
    return [tracker.update_detections(scripted_detections(i, w, h, task), i) for i in range(n)]


def feed(sinks: list, n: int = 12, w: int = 96, h: int = 64, task: str = "detect", uri: str = "clip.mp4",
         fps: float = 25.0) -> list[Detections]:
    info = StreamInfo("0", uri, w, h, fps, NAMES, task, (17, 3) if task == "pose" else None, n)
    tracks = tracked_run(n, w, h, task)
    for s in sinks:
        s.open(info)
    for i, d in enumerate(tracks):
        frame = Frame(np.zeros((h, w, 3), np.uint8), i, i / fps)
        for s in sinks:
            s.write(frame, d, [])
    return tracks


def load_mot(path: Path):
    import motmetrics

    if not hasattr(np, "asfarray"):  # motmetrics 1.4 predates NumPy 2
        np.asfarray = lambda a, dtype=np.float64: np.asarray(a, dtype=dtype)  # type: ignore[attr-defined]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas deprecations inside motmetrics
        return motmetrics.io.loadtxt(str(path), fmt="mot15-2D")


def audio_packets(path: Path) -> list[tuple]:
    with av.open(str(path)) as c:
        return [(p.pts, p.dts, p.duration, bytes(p)) for p in c.demux(c.streams.audio[0]) if p.size]


def video_summary(path: Path) -> dict:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        pts = [f.pts for f in c.decode(s)]
        return {"frames": len(pts), "pts": pts, "time_base": s.time_base, "rate": s.average_rate,
                "size": (s.codec_context.width, s.codec_context.height), "codec": s.codec_context.name}


# ---------------------------------------------------------------- video


def export_clip(src: Path, dst: Path, task: str = "detect", draw: bool = True) -> tuple[VideoSink, list[Detections]]:
    source = open_source(str(src), SourceConfig())
    source.start()
    sink = VideoSink(dst, OutputConfig(preset="ultrafast"), RenderConfig(), draw=draw)
    tracks = []
    try:
        for frame in source:
            if not tracks:
                i = source.info
                sink.open(StreamInfo("0", str(src), frame.width, frame.height, i.fps, NAMES, task,
                                     None, i.total_frames, i.time_base))
                tracker = ByteTracker.from_config(TrackerConfig(), 25.0)
            d = tracker.update_detections(scripted_detections(frame.index, frame.width, frame.height, task))
            tracks.append(d)
            sink.write(frame, d, [])
    finally:
        source.close()
    return sink, tracks


@pytest.mark.parametrize(("fps", "size", "audio"), [
    (Fraction(25), (96, 64), True),
    (Fraction(30000, 1001), (97, 61), False),
    (Fraction(12), (80, 48), True),
])
def test_video_keeps_size_rate_timestamps_and_copies_audio(tmp_path: Path, fps: Fraction, size: tuple,
                                                           audio: bool) -> None:
    src = make_video(tmp_path / "in.mp4", n=14, size=size, fps=fps, audio=audio)
    sink, _ = export_clip(src, tmp_path / "out" / "clip.mp4", task="segment")
    assert not (tmp_path / "out" / "clip.mp4").exists(), "the final name appears only at close()"
    assert sink.close() == [tmp_path / "out" / "clip.mp4"]
    ref, got = video_summary(src), video_summary(tmp_path / "out" / "clip.mp4")
    assert got["codec"] == "h264"
    for key in ("frames", "pts", "time_base", "rate", "size"):
        assert got[key] == ref[key], key
    assert got["frames"] == 14
    with av.open(str(tmp_path / "out" / "clip.mp4")) as c:
        assert len(c.streams.audio) == (1 if audio else 0)
    if audio:
        a_in, a_out = audio_packets(src), audio_packets(tmp_path / "out" / "clip.mp4")
        assert len(a_in) >= 8 and a_out == a_in
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["clip.mp4"]


def test_video_draws_the_overlay(tmp_path: Path) -> None:
    src = make_video(tmp_path / "in.mp4", n=6, size=(96, 64))
    plain, _ = export_clip(src, tmp_path / "plain.mp4", draw=False)
    plain.close()
    drawn, _ = export_clip(src, tmp_path / "drawn.mp4")
    drawn.close()
    with av.open(str(tmp_path / "plain.mp4")) as a, av.open(str(tmp_path / "drawn.mp4")) as b:
        fa = [f.to_ndarray(format="bgr24").astype(int) for f in a.decode(video=0)]
        fb = [f.to_ndarray(format="bgr24").astype(int) for f in b.decode(video=0)]
    diff = np.abs(fa[3] - fb[3]).max(axis=2)
    assert diff[4:31, 8:30].max() > 60  # the box of track 1 around (8..28, 4..30) at frame 3
    assert diff[48:, :16].max() < 20  # a corner far from every object is untouched (up to coding noise)


def test_video_from_a_live_source_without_input_file(tmp_path: Path) -> None:
    sink = VideoSink(tmp_path / "rec.mp4", OutputConfig(preset="ultrafast"))
    sink.open(StreamInfo("cam", "rtsp://cam/stream", 64, 48, None))
    for i in range(5):
        wall_clock = 1.7e9 + 0.04 * i  # live sources may stamp frames with the capture wall time
        sink.write(Frame(np.zeros((48, 64, 3), np.uint8), i, wall_clock), Detections.empty(), [])
    sink.close()
    got = video_summary(tmp_path / "rec.mp4")
    assert got["frames"] == 5 and got["size"] == (64, 48)
    assert [round(float(p * got["time_base"]), 3) for p in got["pts"]] == [0.0, 0.04, 0.08, 0.12, 0.16]


def test_video_abort_leaves_nothing(tmp_path: Path) -> None:
    src = make_video(tmp_path / "in.mp4", n=4, audio=True)
    sink, _ = export_clip(src, tmp_path / "out" / "clip.mp4")
    sink.abort()
    assert list((tmp_path / "out").iterdir()) == []


# ---------------------------------------------------------------- MOT


def test_mot_reads_back_in_motmetrics_and_equals_tracker_output(tmp_path: Path) -> None:
    sink = MotSink(tmp_path / "mot" / "clip.txt")
    tracks = feed([sink])
    assert not (tmp_path / "mot" / "clip.txt").exists()
    assert sink.close() == [tmp_path / "mot" / "clip.txt"]
    df = load_mot(tmp_path / "mot" / "clip.txt")
    rows = sum(len(d) for d in tracks)
    assert len(df) == rows > 20
    for i, d in enumerate(tracks):
        for tid, box, score in zip(d.track_ids, d.xyxy, d.scores, strict=True):
            r = df.loc[(i + 1, int(tid))]  # 1-based frames
            # motmetrics shifts left/top by -1 (Matlab pixels); we write pixels as the tracker has them
            assert np.allclose([r.X + 1, r.Y + 1, r.Width, r.Height],
                               [box[0], box[1], box[2] - box[0], box[3] - box[1]], atol=1e-3)
            assert r.Confidence == pytest.approx(float(score), abs=1e-4)
    first = (tmp_path / "mot" / "clip.txt").read_text().splitlines()[0].split(",")
    assert first[0] == "1" and first[7:] == ["-1", "-1", "-1"]


def test_mot_scores_as_a_perfect_match_against_itself_in_motmetrics(tmp_path: Path) -> None:
    import motmetrics as mm

    sink = MotSink(tmp_path / "clip.txt")
    feed([sink])
    sink.close()
    df = load_mot(tmp_path / "clip.txt")
    acc = mm.utils.compare_to_groundtruth(df, df, "iou", distth=0.5)
    summary = mm.metrics.create().compute(acc, metrics=["mota", "num_switches"])
    assert summary["mota"].iloc[0] == pytest.approx(1.0) and summary["num_switches"].iloc[0] == 0


def test_mot_abort_discards(tmp_path: Path) -> None:
    sink = MotSink(tmp_path / "clip.txt")
    feed([sink])
    sink.abort()
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- CVAT


def parse_cvat(path: Path) -> ET.Element:
    root = ET.parse(path).getroot()
    assert root.tag == "annotations" and root.findtext("version") == "1.1"
    return root


def test_cvat_structure_tracks_outside_markers_and_boxes(tmp_path: Path) -> None:
    sink = CvatSink(tmp_path / "clip_cvat.xml")
    tracks = feed([sink], n=12)
    assert not (tmp_path / "clip_cvat.xml").exists()
    sink.close()
    root = parse_cvat(tmp_path / "clip_cvat.xml")
    task = root.find("meta/task")
    assert task is not None
    assert task.findtext("size") == "12" and task.findtext("mode") == "interpolation"
    assert task.findtext("start_frame") == "0" and task.findtext("stop_frame") == "11"
    assert task.findtext("original_size/width") == "96" and task.findtext("original_size/height") == "64"
    assert [lab.findtext("name") for lab in task.findall("labels/label")] == ["person", "car"]
    for lab in task.findall("labels/label"):
        assert {a.findtext("name") for a in lab.findall("attributes/attribute")} == {"object_id", "score"}
    assert root.find("meta/dumped") is not None
    xml_tracks = root.findall("track")
    assert [t.get("id") for t in xml_tracks] == [str(i) for i in range(len(xml_tracks))]
    by_id: dict[int, ET.Element] = {}
    for t in xml_tracks:
        assert t.get("source") == "auto" and t.get("label") in ("person", "car")
        tid = int(t.find("box/attribute[@name='object_id']").text)
        by_id[tid] = t
    expected: dict[int, dict[int, np.ndarray]] = {}
    for i, d in enumerate(tracks):
        for tid, box in zip(d.track_ids.tolist(), d.xyxy, strict=True):
            expected.setdefault(tid, {})[i] = box
    assert set(by_id) == set(expected)
    for tid, frames in expected.items():
        boxes = by_id[tid].findall("box")
        visible = {int(b.get("frame")): b for b in boxes if b.get("outside") == "0"}
        assert set(visible) == set(frames)
        for f, b in visible.items():
            assert b.get("keyframe") == "1"
            got = [float(b.get(k)) for k in ("xtl", "ytl", "xbr", "ybr")]
            assert np.allclose(got, frames[f], atol=0.01)
        outside = sorted(int(b.get("frame")) for b in boxes if b.get("outside") == "1")
        fs = sorted(frames)
        gaps = [fs[k] + 1 for k in range(len(fs) - 1) if fs[k + 1] > fs[k] + 1]
        ends = [fs[-1] + 1] if fs[-1] + 1 < 12 else []
        assert outside == gaps + ends
        assert all(int(b.get("frame")) < 12 for b in boxes)
    car = [t for t in by_id.values() if t.get("label") == "car"]
    assert car and any(b.get("outside") == "1" for b in car[0].findall("box")), "the gap must be closed"


def test_cvat_polygons_for_segment_and_skeletons_for_pose(tmp_path: Path) -> None:
    seg = CvatSink(tmp_path / "seg.xml")
    feed([seg], task="segment")
    seg.close()
    root = parse_cvat(tmp_path / "seg.xml")
    polys = root.findall("track/polygon")
    assert polys and len(root.findall("track")) == 2 * len(root.findall("track[box]"))
    for box_track in root.findall("track[box]"):
        group = box_track.get("group_id")
        same = [t for t in root.findall("track") if t.get("group_id") == group]
        assert group and len(same) == 2 and same[1].find("polygon") is not None
    pts = np.array([[float(v) for v in p.split(",")] for p in polys[0].get("points").split(";")])
    assert len(pts) >= 4 and pts.shape[1] == 2
    pose = CvatSink(tmp_path / "pose.xml")
    tracks = feed([pose], task="pose")
    pose.close()
    root = parse_cvat(tmp_path / "pose.xml")
    skeletons = root.findall("track/skeleton")
    # a skeleton per box, the runs' end markers too (all points outside)
    assert len(skeletons) == len(root.findall("track/box")) > sum(len(d) for d in tracks) // 2
    first = next(s for s in skeletons if any(p.get("outside") == "0" for p in s.findall("points")))
    points = first.findall("points")
    assert [p.get("label") for p in points] == list(COCO17_NAMES)
    assert [p.get("outside") for p in points].count("1") == 1 and points[3].get("outside") == "1"
    assert root.find("track[skeleton]").get("label") == "person skeleton"
    labels = {lab.findtext("name"): lab for lab in root.findall("meta/task/labels/label")}
    assert labels["person skeleton"].findtext("type") == "skeleton"
    svg = labels["person skeleton"].findtext("svg")
    assert svg.count('data-type="edge"') == len(COCO17_LIMBS) and svg.count("<circle") == 17
    subs = [(lab.findtext("parent"), lab.findtext("name"), lab.findtext("type"))
            for lab in root.findall("meta/task/labels/label") if lab.find("parent") is not None]
    assert subs == [(f"{c} skeleton", n, "points") for c in ("person", "car") for n in COCO17_NAMES]


# ---------------------------------------------------------------- COCO


def test_coco_ids_counts_boxes_and_rle_masks(tmp_path: Path) -> None:
    sink = CocoSink(tmp_path / "clip_coco.json")
    tracks = feed([sink], task="segment")
    assert not (tmp_path / "clip_coco.json").exists()
    sink.close()
    doc = json.loads((tmp_path / "clip_coco.json").read_text())
    assert doc["videos"] == [{"id": 1, "name": "clip.mp4", "fps": 25.0, "width": 96, "height": 64, "num_frames": 12}]
    assert [im["frame_id"] for im in doc["images"]] == list(range(12))
    assert len({im["id"] for im in doc["images"]}) == 12
    anns = doc["annotations"]
    assert len(anns) == sum(len(d) for d in tracks) and len({a["id"] for a in anns}) == len(anns)
    assert {c["id"]: c["name"] for c in doc["categories"]} == {1: "person", 2: "car"}
    image_frame = {im["id"]: im["frame_id"] for im in doc["images"]}
    k = 0
    for i, d in enumerate(tracks):
        for j in range(len(d)):
            a = anns[k]
            k += 1
            assert image_frame[a["image_id"]] == i and a["video_id"] == 1
            assert a["instance_id"] == a["track_id"] == int(d.track_ids[j])
            assert a["category_id"] == int(d.class_ids[j]) + 1
            x1, y1, x2, y2 = d.xyxy[j]
            assert np.allclose(a["bbox"], [x1, y1, x2 - x1, y2 - y1], atol=1e-3)
            ref = coco_mask.decode({"size": a["segmentation"]["size"],
                                    "counts": a["segmentation"]["counts"].encode()})
            assert (ref.astype(bool) == d.masks[j]).all()
            assert (rle.decode(a["segmentation"]) == d.masks[j]).all()
            assert a["area"] == int(d.masks[j].sum())
    from pycocotools.coco import COCO  # the reference reader indexes it as-is

    api = COCO(str(tmp_path / "clip_coco.json"))
    assert len(api.getImgIds()) == 12 and len(api.getAnnIds()) == len(anns)
    first = api.loadAnns(api.getAnnIds(imgIds=[doc["images"][0]["id"]]))[0]
    assert (api.annToMask(first).astype(bool) == tracks[0].masks[0]).all()


def test_coco_keypoints_for_pose(tmp_path: Path) -> None:
    sink = CocoSink(tmp_path / "pose.json")
    tracks = feed([sink], task="pose")
    sink.close()
    doc = json.loads((tmp_path / "pose.json").read_text())
    cat = doc["categories"][0]
    assert len(cat["keypoints"]) == 17 and cat["keypoints"][0] == "nose" and [16, 14] in cat["skeleton"]
    a = doc["annotations"][0]
    kp = np.array(a["keypoints"]).reshape(17, 3)
    assert np.allclose(kp[:, :2], tracks[0].keypoints[0, :, :2], atol=1e-3)
    assert kp[3, 2] == 1 and (np.delete(kp[:, 2], 3) == 2).all() and a["num_keypoints"] == 16


def test_coco_polygons_and_a_model_keypoint_layout(tmp_path: Path) -> None:
    sink = CocoSink(tmp_path / "poly.json", masks="polygon")
    tracks = feed([sink], task="segment")
    sink.close()
    from pycocotools.coco import COCO

    api = COCO(str(tmp_path / "poly.json"))
    anns = [a for a in api.loadAnns(api.getAnnIds()) if a["area"]]  # (a track coasting has no mask)
    assert anns and all(isinstance(a["segmentation"], list) and len(a["segmentation"][0]) >= 8 for a in anns)
    got = api.annToMask(anns[0]).astype(bool)
    want = tracks[0].masks[0]
    assert (got & want).sum() / (got | want).sum() > 0.7  # traced through edge pixel centres
    layout = KeypointLayout(tuple(f"k{j}" for j in range(17)), ((0, 1), (1, 2)))
    info = StreamInfo("0", "clip.mp4", 96, 64, 25.0, NAMES, "pose", (17, 3), 12, keypoints=layout)
    for sink in (CocoSink(tmp_path / "pose.json"), CvatSink(tmp_path / "pose.xml")):
        sink.open(info)
        for i, d in enumerate(tracked_run(3, 96, 64, "pose")):
            sink.write(Frame(np.zeros((64, 96, 3), np.uint8), i, i / 25.0), d, [])
        sink.close()
    cat = json.loads((tmp_path / "pose.json").read_text())["categories"][0]
    assert cat["keypoints"][:2] == ["k0", "k1"] and cat["skeleton"] == [[1, 2], [2, 3]]
    root = parse_cvat(tmp_path / "pose.xml")
    assert [p.get("label") for p in root.find("track/skeleton").findall("points")][:2] == ["k0", "k1"]
    svg = next(lab for lab in root.findall("meta/task/labels/label") if lab.findtext("type") == "skeleton")
    assert svg.findtext("svg").count('data-type="edge"') == 2


def test_rle_matches_pycocotools_on_random_masks() -> None:
    rng = np.random.default_rng(0)
    for _ in range(50):
        h, w = rng.integers(1, 30, 2)
        m = rng.random((h, w)) < rng.random()
        ours = rle.encode(m)
        ref = coco_mask.encode(np.asfortranarray(m.astype(np.uint8)))
        assert ours["counts"] == ref["counts"].decode() and ours["size"] == [h, w]
        assert (rle.decode(ours) == m).all() and rle.area(ours) == int(m.sum())


def test_cvat_and_coco_abort_write_nothing(tmp_path: Path) -> None:
    sinks = [CvatSink(tmp_path / "a.xml"), CocoSink(tmp_path / "a.json")]
    feed(sinks)
    for s in sinks:
        s.abort()
        assert s.close() == []
    assert list(tmp_path.iterdir()) == []


def test_a_failing_finish_leaves_no_file_and_no_temp_file(tmp_path: Path) -> None:
    class Broken(CocoSink):
        def build(self):
            raise OSError("disk full")

    sink = Broken(tmp_path / "a.json")
    feed([sink])
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")]  # written under a temp name
    with pytest.raises(OSError, match="disk full"):
        sink.close()
    assert list(tmp_path.iterdir()) == [] and sink.close() == []


def test_interrupted_sinks_discard_instead_of_finalizing(tmp_path: Path) -> None:
    flag = threading.Event()
    kept = Interruptible(MotSink(tmp_path / "kept.txt"), flag)
    dropped = Interruptible(CvatSink(tmp_path / "x.xml"), flag)
    assert (kept.name, dropped.name) == ("mot", "cvat")
    feed([kept])
    assert kept.close() == [tmp_path / "kept.txt"]
    feed([dropped])
    flag.set()
    assert dropped.close() == [] and [p.name for p in tmp_path.iterdir()] == ["kept.txt"]


def test_mot_is_read_as_is_by_trackeval(tmp_path: Path) -> None:
    """Our file is the tracker result; GT is the same tracker output in the gt.txt form, so HOTA is 1."""
    import contextlib
    import io

    import trackeval

    trk_dir = tmp_path / "trackers" / "ours" / "data"
    sink = MotSink(trk_dir / "clip.txt")
    tracks = feed([sink])
    sink.close()
    gt = tmp_path / "gt" / "clip"
    (gt / "gt").mkdir(parents=True)
    rows = [f"{i + 1},{t},{b[0]:.3f},{b[1]:.3f},{b[2] - b[0]:.3f},{b[3] - b[1]:.3f},1,1,1"
            for i, d in enumerate(tracks) for t, b in zip(d.track_ids.tolist(), d.xyxy.tolist(), strict=True)]
    (gt / "gt" / "gt.txt").write_text("\n".join(rows) + "\n")
    (gt / "seqinfo.ini").write_text("[Sequence]\nname=clip\nimDir=img1\nframeRate=25\nseqLength=12\n"
                                    "imWidth=96\nimHeight=64\nimExt=.jpg\n")
    cfg = {"GT_FOLDER": str(tmp_path / "gt"), "TRACKERS_FOLDER": str(tmp_path / "trackers"),
           "TRACKERS_TO_EVAL": ["ours"], "SEQ_INFO": {"clip": 12}, "SKIP_SPLIT_FOL": True,
           "GT_LOC_FORMAT": "{gt_folder}/{seq}/gt/gt.txt", "PRINT_CONFIG": False}
    ev = trackeval.Evaluator({"USE_PARALLEL": False, "PRINT_RESULTS": False, "PRINT_CONFIG": False,
                              "OUTPUT_SUMMARY": False, "OUTPUT_DETAILED": False, "PLOT_CURVES": False,
                              "OUTPUT_EMPTY_CLASSES": False, "TIME_PROGRESS": False, "DISPLAY_LESS_PROGRESS": True})
    with contextlib.redirect_stdout(io.StringIO()):
        res, _ = ev.evaluate([trackeval.datasets.MotChallenge2DBox(cfg)],
                             [trackeval.metrics.HOTA(), trackeval.metrics.CLEAR()])
    out = res["MotChallenge2DBox"]["ours"]["clip"]["pedestrian"]
    assert out["CLEAR"]["MOTA"] == pytest.approx(1.0) and float(np.mean(out["HOTA"]["HOTA"])) == pytest.approx(1.0)
    assert out["CLEAR"]["CLR_TP"] == sum(len(d) for d in tracks)


def test_status_records_are_typed_and_every_output_writes_the_same_object():
    from yolotrack.core.status import ConnectionState
    from yolotrack.pipeline.health import SourceWatch
    from yolotrack.pipeline.stats import SourceKind, SourceState, SourceStatus

    st = SourceStatus("cam", "rtsp://cam/x", SourceKind.STREAM, state=SourceState.RECONNECTING, message="refused",
                      retry_in=1.26, attempts=2)
    watch = SourceWatch(stale_after=5.0)
    (down,) = watch.observe({"cam": st})
    assert down.state is ConnectionState.RECONNECTING
    assert down.to_record() == {"type": "status", "source": "cam", "state": "reconnecting", "time": down.time,
                                "attempt": 2, "error": "refused", "retry_in": 1.3}
    st.state, st.reconnects, st.retry_in = SourceState.LIVE, 1, None
    (back,) = watch.observe({"cam": st})
    assert list(back.to_record().items()) == [("type", "status"), ("source", "cam"), ("state", "connected"),
                                              ("time", back.time), ("reconnects", 1)]
    assert watch.observe({"cam": st}) == []  # nothing new
