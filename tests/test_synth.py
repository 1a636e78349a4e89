"""Synthetic scenes: deterministic, exact ground truth, and `yolotrack synth` writes real files."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from yolotrack.main import main
from yolotrack.train.dataset import YoloDataset, load_data_yaml
from yolotrack.train.polygons import clip_to_rect, polygon_area, rasterize
from yolotrack.train.synth import CLASS_NAMES, GroundTruth, SceneConfig, SceneGenerator, _polygon
from yolotrack.train.synth_export import SynthPlan, labelled

SMALL = SceneConfig(width=320, height=192, frames=40, min_size=10, max_size=24, max_speed=4)


def _run(seed: int, cfg: SceneConfig = SMALL):
    return list(SceneGenerator(seed, cfg))


def test_same_seed_same_pixels_and_boxes_other_seed_differs():
    a, b, c = _run(7), _run(7), _run(8)
    assert all(np.array_equal(x.image, y.image) for x, y in zip(a, b, strict=True))
    assert [[(o.track_id, o.cls, o.xyxy, o.visibility) for o in f.objects] for f in a] == \
           [[(o.track_id, o.cls, o.xyxy, o.visibility) for o in f.objects] for f in b]
    assert not np.array_equal(a[0].image, c[0].image)


def test_ground_truth_boxes_are_tight_around_the_object_pixels():
    frames = _run(3)
    checked = 0
    for f in frames[::5]:
        bg_diff = np.abs(f.image.astype(int) - np.median(f.image, axis=(0, 1)).astype(int)).sum(2)
        for o in f.objects:
            assert 0 <= o.xyxy[0] < o.xyxy[2] <= SMALL.width and 0 <= o.xyxy[1] < o.xyxy[3] <= SMALL.height
            assert 0.0 <= o.visibility <= 1.0
            if o.visibility < 0.99:
                continue
            x1, y1, x2, y2 = (int(round(v)) for v in o.xyxy)
            inner = bg_diff[y1 + 2:y2 - 2, x1 + 2:x2 - 2]
            assert inner.size and inner.max() > 60  # a strongly coloured object is inside its box
            checked += 1
    assert checked > 5


def test_scenes_have_entries_exits_crossings_and_occlusions():
    frames = _run(11, SceneConfig(width=320, height=192, frames=240, min_size=10, max_size=24, max_speed=4))
    ids_per_frame = [{o.track_id for o in f.objects} for f in frames]
    all_ids = set().union(*ids_per_frame)
    assert len(all_ids) > len(ids_per_frame[0])  # objects entered
    assert ids_per_frame[0] - ids_per_frame[-1]  # and some left
    assert any(o.visibility < 0.9 for f in frames for o in f.objects)  # occlusion or partly outside
    classes = {o.cls for f in frames for o in f.objects}
    assert len(classes) >= 3
    # ids are unique within a frame and stable across frames (one class per id)
    cls_of: dict[int, int] = {}
    for f in frames:
        ids = [o.track_id for o in f.objects]
        assert len(ids) == len(set(ids))
        for o in f.objects:
            assert cls_of.setdefault(o.track_id, o.cls) == o.cls


def test_cli_writes_video_mot_and_yolo_dataset(tmp_path: Path, capsys):
    out = tmp_path / "synth"
    rc = main(["synth", "--out", str(out), "--sequences", "2", "--frames", "12", "--every", "4",
               "--width", "256", "--height", "160", "--seed", "5", "-q"])
    assert rc == 0
    assert "wrote 2 sequence(s)" in capsys.readouterr().out
    for name in ("seq0005", "seq0006"):
        with av.open(str(out / "videos" / f"{name}.mp4")) as c:
            s = c.streams.video[0]
            assert s.codec_context.name == "h264"
            frames = [f.to_ndarray(format="bgr24") for f in c.decode(video=0)]
        assert len(frames) == 12 and frames[0].shape == (160, 256, 3)
        gt = np.loadtxt(out / "mot" / name / "gt" / "gt.txt", delimiter=",", ndmin=2)
        assert gt.shape[1] == 9 and gt[:, 0].min() == 1 and gt[:, 0].max() == 12
        expected = SceneGenerator(int(name[3:]), SceneConfig(width=256, height=160, frames=12))
        first = next(iter(expected))
        rows = gt[gt[:, 0] == 1]
        assert sorted(rows[:, 1].astype(int).tolist()) == sorted(o.track_id for o in first.objects)
        # decoded video matches the rendered frame up to compression
        assert np.abs(frames[0].astype(int) - first.image.astype(int)).mean() < 8
        assert "seqLength=12" in (out / "mot" / name / "seqinfo.ini").read_text()
    spec = load_data_yaml(out / "dataset" / "data.yaml")
    assert spec.names == dict(enumerate(CLASS_NAMES))
    train_imgs = sorted(p.name for p in spec.train[0].iterdir())
    val_imgs = sorted(p.name for p in spec.val[0].iterdir())
    assert train_imgs == ["seq0005_000000.jpg", "seq0005_000004.jpg", "seq0005_000008.jpg"]
    assert all(n.startswith("seq0006") for n in val_imgs) and len(val_imgs) == 3
    ds = YoloDataset(spec.val, spec.nc, 256, augment=False)
    image, target = ds[0]
    assert image.shape == (3, 256, 256) and target.shape[1] == 5 and len(target) > 0


def test_in_frame_is_the_share_inside_the_frame_and_edge_slivers_get_labels(tmp_path: Path):
    """An object cut by the frame's edge has in_frame < 1 and, unoccluded, visibility == in_frame; with
    --edge-visibility its sliver is labelled (the box the frame shows), a sliver hidden by another is not."""
    frames = _run(11, SceneConfig(width=320, height=192, frames=240, min_size=10, max_size=24, max_speed=4))
    objs = [o for f in frames for o in f.objects]
    inside = [o for o in objs if o.xyxy[0] > 2 and o.xyxy[2] < 318 and o.xyxy[1] > 2 and o.xyxy[3] < 190]
    assert inside and all(o.in_frame > 0.97 for o in inside)
    cut = [o for o in objs if o.in_frame < 0.4]
    assert cut and all(o.visibility <= o.in_frame + 0.02 for o in objs)
    plan = SynthPlan(out=tmp_path, edge_visibility=0.1)
    sliver = GroundTruth(1, 0, (0.0, 10.0, 6.0, 40.0), 0.2, in_frame=0.2)
    hidden = GroundTruth(2, 0, (0.0, 10.0, 6.0, 40.0), 0.1, in_frame=0.2)  # half of what is in frame is covered
    occluded = GroundTruth(3, 0, (50.0, 10.0, 90.0, 40.0), 0.3)  # inside the frame, 70 % covered
    thin = GroundTruth(4, 0, (0.0, 10.0, 2.0, 40.0), 0.05, in_frame=0.05)
    assert [labelled(o, plan) for o in (sliver, hidden, occluded, thin)] == [True, False, False, False]
    assert not labelled(sliver, SynthPlan(out=tmp_path))  # off by default: the 40 % rule alone
    out = tmp_path / "edges"
    for extra in ([], ["--edge-visibility", "0.1"]):
        assert main(["synth", "--out", str(out / str(len(extra))), "--sequences", "2", "--frames", "60", "--every",
                     "1", "--width", "256", "--height", "160", "--seed", "5", "--no-video", "-q", *extra]) == 0
    n = [sum(len(p.read_text().splitlines()) for p in (out / k / "dataset" / "labels").rglob("*.txt"))
         for k in ("0", "2")]
    assert n[1] > n[0]


@pytest.mark.parametrize("argv", [["--sequences", "0"], ["--width", "101"], ["--edge-visibility", "0"],
                                  ["--min-objects", "5", "--max-objects", "2"]])
def test_cli_rejects_bad_arguments_with_one_line(tmp_path: Path, capsys, argv):
    assert main(["synth", "--out", str(tmp_path / "x"), *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("yolotrack: error:")


def test_outlines_are_the_visible_part_and_keypoints_the_corners_clockwise_from_up():
    gen = SceneGenerator(11, SceneConfig(width=320, height=192, frames=120, min_size=10, max_size=24, max_speed=4))
    hidden = whole = 0
    for f in gen:
        shapes = {o.track_id: o for o in gen.objects}  # the state the frame was drawn from
        for g in f.objects:
            o = shapes[g.track_id]
            full = _polygon(o.cls, o.radius, o.angle) + (o.x, o.y)
            inside_frame = full.min() >= 0 and full[:, 0].max() < 320 and full[:, 1].max() < 192
            in_frame = clip_to_rect(full, 0, 0, 320, 192)
            assert polygon_area(g.polygon) <= polygon_area(in_frame) * 1.02 + 1  # traced: 1/4 px
            if inside_frame:  # the outline's area is the visible share the renderer counted in (anti-aliased) pixels
                assert polygon_area(g.polygon) / polygon_area(full) == pytest.approx(g.visibility, abs=0.1)
            if g.visibility > 0.999 and inside_frame and o.cls in (1, 2):  # whole: its own vertices, exactly
                assert sorted(map(tuple, g.polygon.round(6))) == sorted(map(tuple, full.round(6)))
                whole += 1
            if g.visibility < 0.9:
                hidden += 1
            kp = g.keypoints
            assert kp.shape == (6, 3) and kp[0, :2].tolist() == pytest.approx([o.x, o.y]) or kp[0, 2] == 0
            used = {0: 4, 1: 4, 2: 3, 3: 5}[o.cls]
            assert (kp[1 + used:, 2] == 0).all()
            inside = kp[1: 1 + used]
            inside = inside[inside[:, 2] > 0]
            if g.visibility > 0.999 and inside_frame:
                ang = np.arctan2(inside[:, 0] - o.x, -(inside[:, 1] - o.y))
                assert abs(ang[0]) == pytest.approx(np.abs(ang).min())  # p1 is the point closest to up
                assert (np.diff((ang - ang[0]) % (2 * np.pi)) > 0).all()  # then clockwise
                if o.cls != 0:
                    assert all(np.min(np.linalg.norm(full - p, axis=1)) < 1e-6 for p in inside[:, :2])
    assert whole > 10 and hidden > 5


def test_cli_segment_and_pose_datasets_read_back_onto_the_object_pixels(tmp_path: Path):
    for task in ("segment", "pose"):
        out = tmp_path / task
        assert main(["synth", "--out", str(out), "--sequences", "2", "--frames", "9", "--every", "4", "--width", "256",
                     "--height", "160", "--seed", "5", "--no-video", "--task", task, "-q"]) == 0
        spec = load_data_yaml(out / "dataset" / "data.yaml")
        assert spec.task == task
        if task == "pose":
            assert spec.kpt_shape == (6, 3) and spec.skeleton and spec.kpt_names and spec.flip_idx is None
        ds = YoloDataset(spec.train, spec.nc, 256, augment=False, task=task, kpt_shape=spec.kpt_shape)
        frames = list(SceneGenerator(5, SceneConfig(width=256, height=160, frames=9)))
        assert len(ds) == 3
        for i, frame in zip(range(len(ds)), frames[::4], strict=True):
            sample = ds[i]
            kept = [o for o in frame.objects if o.visibility >= 0.4]
            assert len(sample[1]) == len(kept)
            gain, pad = 1.0, (256 - 160) / 2  # 256x160 letterboxed into 256x256
            if task == "segment":
                masks = sample[2].numpy()
                assert masks.shape == (len(kept), 64, 64)
                for m, o in zip(masks, kept, strict=True):
                    ref = rasterize([o.polygon * gain + (0, pad)], 64, 64, scale=0.25)
                    assert (m.astype(bool) & ref).sum() / max(1, (m.astype(bool) | ref).sum()) > 0.9
            else:
                kp = sample[1][:, 5:].reshape(len(kept), 6, 3).numpy()
                for k, o in zip(kp, kept, strict=True):
                    ref = o.keypoints.copy()
                    ref[:, 1] += pad * (ref[:, 2] > 0)
                    assert np.allclose(k[:, 2], ref[:, 2])
                    assert np.allclose(k[k[:, 2] > 0, :2], ref[ref[:, 2] > 0, :2], atol=0.01)
