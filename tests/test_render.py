"""The shared overlay renderer: colours, labels, layers, in-place drawing, trails."""

from __future__ import annotations

import numpy as np
import pytest

from yolotrack.core import Detections
from yolotrack.core.config import RenderConfig
from yolotrack.core.errors import InvalidInputError
from yolotrack.core.keypoints import KeypointLayout
from yolotrack.render import PALETTE_BGR, Renderer, TrailHistory, color_for, color_for_rgb

NAMES = {0: "person", 1: "car"}
ONLY = ("boxes", "labels", "trails", "masks", "keypoints")


def only(*layers: str, **kw: object) -> RenderConfig:
    return RenderConfig(**{k: k in layers for k in ONLY}, **kw)


def dets(n: int = 2, tracked: bool = True, **parts: object) -> Detections:
    xyxy = np.array([[20 + 60 * i, 30, 60 + 60 * i, 90] for i in range(n)], np.float32)
    return Detections(xyxy, np.linspace(0.9, 0.5, n), np.arange(n) % 2, NAMES,
                      track_ids=np.arange(7, 7 + n) if tracked else None, **parts)


def test_colors_are_stable_distinct_and_consistent_between_bgr_and_rgb() -> None:
    assert color_for(7) == color_for(7) == color_for(7 + len(PALETTE_BGR))
    assert len({color_for(i) for i in range(20)}) == 20
    b, g, r = color_for(3)
    assert color_for_rgb(3) == (r, g, b)
    for i in range(10):  # neighbouring ids must be clearly different, not just different
        assert np.abs(np.subtract(color_for(i), color_for(i + 1))).sum() > 60


def test_label_format_with_and_without_track_ids() -> None:
    r = Renderer(RenderConfig(), NAMES)
    assert r.label(dets(), 0) == "#7 person 0.90"
    assert r.label(dets(), 1) == "#8 car 0.50"
    assert r.label(dets(tracked=False), 0) == "person 0.90"
    assert Renderer(RenderConfig(), {}).label(dets(), 1) == "#8 car 0.50"  # falls back to the detections' names


def test_draw_copies_by_default_and_draws_in_place_on_request() -> None:
    img = np.full((120, 200, 3), 50, np.uint8)
    r = Renderer(RenderConfig(), NAMES)
    out = r.draw(img, dets())
    assert out is not img and (img == 50).all() and (out != 50).any()
    same = r.draw(img, dets(), out=img)
    assert same is img and (img != 50).any()
    buf = np.zeros_like(img)
    assert r.draw(np.full_like(img, 50), dets(), out=buf) is buf and (buf == out).all()


def test_box_edges_use_the_track_colour() -> None:
    img = np.zeros((120, 200, 3), np.uint8)
    out = Renderer(only("boxes", line_width=3), NAMES).draw(img, dets())
    assert tuple(out[60, 20]) == color_for(7)  # middle of the left edge of track 7
    assert tuple(out[60, 80]) == color_for(8)
    assert (out[60, 40] == 0).all()  # inside the box stays untouched


def test_untracked_detections_are_coloured_by_class() -> None:
    out = Renderer(only("boxes", line_width=3), NAMES).draw(np.zeros((120, 200, 3), np.uint8), dets(tracked=False))
    assert tuple(out[60, 20]) == color_for(0) and tuple(out[60, 80]) == color_for(1)


def test_labels_are_drawn_above_the_box() -> None:
    img = np.zeros((120, 200, 3), np.uint8)
    out = Renderer(only("labels"), NAMES).draw(img, dets(1))
    assert (out[:30, 20:60] != 0).any() and (out[31:] == 0).all()


def test_masks_are_translucent_blends_of_frame_and_colour() -> None:
    h, w = 120, 200
    masks = np.zeros((1, h, w), bool)
    masks[0, 40:80, 25:55] = True
    img = np.full((h, w, 3), 100, np.uint8)
    out = Renderer(only("masks", mask_alpha=0.5), NAMES).draw(img, dets(1, masks=masks))
    expect = np.round(np.asarray(color_for(7)) * 0.5 + 50).astype(int)
    assert np.abs(out[60, 40].astype(int) - expect).max() <= 1
    assert (out[~masks[0]] == 100).all()
    with pytest.raises(InvalidInputError):
        Renderer(only("masks"), NAMES).draw(np.zeros((60, 60, 3), np.uint8), dets(1, masks=masks))


def test_pose_keypoints_and_skeleton_skip_invisible_points() -> None:
    kp = np.zeros((1, 17, 3), np.float32)
    kp[0, :, 0] = np.linspace(25, 55, 17)
    kp[0, :, 1] = np.linspace(35, 85, 17)
    kp[0, :, 2] = 1.0
    kp[0, 16] = (150, 100, 0.1)  # not visible: nothing may be drawn there
    img = np.zeros((120, 200, 3), np.uint8)
    out = Renderer(only("keypoints", line_width=2), NAMES).draw(img, dets(1, keypoints=kp))
    assert tuple(out[35, 25]) == color_for(7)
    assert (out[95:105, 145:155] == 0).all()
    assert (out[40:80, 25:60] != 0).any()  # limbs between visible points


def test_a_model_keypoint_layout_draws_its_own_skeleton_in_the_object_colour() -> None:
    kp = np.zeros((1, 3, 3), np.float32)
    kp[0] = [(30, 60, 1.0), (170, 60, 1.0), (100, 20, 0.1)]  # the third point is not visible
    layout = KeypointLayout(("centre", "tip", "other"), ((0, 1), (0, 2)))
    out = Renderer(only("keypoints", line_width=3), NAMES, "pose", layout).draw(
        np.zeros((120, 200, 3), np.uint8), dets(1, keypoints=kp))
    assert tuple(out[60, 100]) == color_for(7)  # the limb centre -> tip, in the track's colour
    assert (out[25:45, 95:105] == 0).all()  # no limb to an invisible point
    plain = Renderer(only("keypoints", line_width=3), NAMES).draw(np.zeros((120, 200, 3), np.uint8),
                                                                    dets(1, keypoints=kp))
    assert (plain[60, 60:140] == 0).all()  # without the layout, 3 keypoints have no limbs


def test_trail_history_keeps_recent_centres_and_forgets_stale_ids() -> None:
    th = TrailHistory(length=3)
    for k in range(5):
        d = Detections([[k, 0, k + 10, 10]], [0.9], [0], track_ids=[1])
        trails = th.update(d)
    assert trails[1].tolist() == [[7, 5], [8, 5], [9, 5]]
    empty = Detections(np.zeros((0, 4)), [], [], track_ids=np.zeros(0, np.int64))
    for _ in range(3):
        assert th.update(empty) == {}
    assert th.update(Detections([[0, 0, 2, 2]], [0.9], [0], track_ids=[1]))[1].tolist() == [[1, 1]]


def test_trails_of_the_tracker_output_are_bounded_centres_of_tracked_tracks() -> None:
    """Trails come from what the tracker outputs (the one history, `render.trail_length` long)."""
    from yolotrack.tracker import ByteTracker

    t, th = ByteTracker(), TrailHistory(length=5)
    for f in range(12):
        x = 100 + 4 * f
        trails = th.update(t.update_detections(Detections([[x - 20, 150, x + 20, 250]], [0.9], [0]), f))
    assert list(trails) == [1]
    tr = trails[1]
    assert tr.shape == (5, 2) and tr.dtype == np.float32
    assert np.all(np.diff(tr[:, 0]) > 0)  # oldest first, moving right
    assert tr[-1] == pytest.approx([100 + 44, 200], abs=2)  # centre, not a corner
    lost = t.update_detections(Detections(np.zeros((0, 4)), [], []), 12)
    assert th.update(lost) == {}  # lost tracks are not drawn
    assert TrailHistory(length=0).update(Detections([[0, 0, 2, 2]], [0.9], [0], track_ids=[1])) == {}


def test_trails_are_drawn_along_the_path_with_the_track_colour() -> None:
    img = np.zeros((120, 200, 3), np.uint8)
    pts = {7: np.array([[10, 100], [100, 100], [190, 100]], np.float32)}
    out = Renderer(only("trails", line_width=4), NAMES).draw(img, dets(1), trails=pts)
    assert (out[100, 20:180] != 0).any(axis=1).all()
    assert (out[:95] == 0).all()
    newest = out[100, 185].astype(int)
    assert np.abs(newest - np.asarray(color_for(7))).max() <= 3  # the newest end is full colour


def test_rejects_non_bgr_images() -> None:
    with pytest.raises(InvalidInputError):
        Renderer().draw(np.zeros((10, 10), np.uint8), dets(1))


def test_cached_trail_styles_follow_line_width_length_and_id() -> None:
    """One renderer reused across sizes, trail lengths and ids draws what a fresh one draws."""
    r = Renderer(only("trails"), NAMES)
    path = np.stack([np.linspace(10, 190, 12), np.linspace(20, 100, 12)], axis=1).astype(np.float32)
    for h, w, k, tid in ((120, 200, 12, 7), (480, 800, 12, 7), (120, 200, 3, 7), (120, 200, 12, 9), (120, 200, 2, 9)):
        trails = {tid: path[:k] * (w / 200)}
        reused = r.draw(np.zeros((h, w, 3), np.uint8), dets(1), trails)
        fresh = Renderer(only("trails"), NAMES).draw(np.zeros((h, w, 3), np.uint8), dets(1), trails)
        assert (reused == fresh).all() and reused.any()
    out = r.draw(np.zeros((120, 200, 3), np.uint8), dets(1), {7: path})
    old, new = out[20, 10].astype(int), out[100, 189].astype(int)
    grey = lambda c: np.ptp(c)  # noqa: E731 - older parts fade towards grey
    assert grey(old) < grey(new)
