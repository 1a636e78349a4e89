"""The global-id gallery (`tracker/global_ids.py`): handover on appearance, class and transit time,
overlapping views, one decision per track, never two tracks of one camera on one id."""

from __future__ import annotations

import numpy as np

from yolotrack.core.cameras import Link
from yolotrack.core.detections import Detections
from yolotrack.core.events import EventKind, TrackEvent
from yolotrack.tracker.global_ids import GlobalIds

RNG = np.random.default_rng(7)
LOOKS = RNG.normal(size=(6, 16)).astype(np.float32)  # six objects that look clearly different


def dets(*rows: tuple[int, int, int]) -> Detections:
    """Rows of (track id, class, look); the look's feature carries a little noise."""
    n = len(rows)
    feats = np.stack([LOOKS[look] + RNG.normal(0, 0.05, 16) for _, _, look in rows]) if n else np.zeros((0, 16))
    return Detections(np.tile([0, 0, 10, 10], (n, 1)), np.full(n, 0.9), [c for _, c, _ in rows],
                      track_ids=[t for t, _, _ in rows], embeddings=feats)


def gids(g: GlobalIds, cam: str, t: float, *rows: tuple[int, int, int]) -> list[int]:
    d = dets(*rows)
    g.label(cam, t, d)
    assert d.global_ids is not None
    return d.global_ids.tolist()


def test_handover_within_the_window_keeps_the_id_outside_it_a_new_one() -> None:
    g = GlobalIds(["door", "hall"], [Link("door", "hall", 1.0, 5.0)])
    assert gids(g, "door", 0.0, (1, 0, 0), (2, 0, 1)) == [1, 2]
    assert gids(g, "door", 1.0, (1, 0, 0), (2, 0, 1)) == [1, 2]
    # object 0 leaves door at 1.0; at 1.5 (before min_s) a look-alike in hall is someone else
    assert gids(g, "hall", 1.5, (7, 0, 0)) == [3]
    # at 3.0 object 1 (last seen 1.0) enters hall: inside the window, same look -> its id
    assert gids(g, "hall", 3.0, (7, 0, 0), (8, 0, 1)) == [3, 2]
    # hall never hands over to door (no link): a look-alike in door gets a new id
    assert gids(g, "door", 4.0, (5, 0, 1)) == [4]
    # past max_s nothing is joined
    assert gids(g, "hall", 20.0, (9, 0, 0)) == [5]
    assert g.issued == 5


def test_class_gates_and_decisions_are_final() -> None:
    g = GlobalIds(["a", "b"], [Link("a", "b", 0.0, 10.0)])
    assert gids(g, "a", 0.0, (1, 0, 2)) == [1]
    assert gids(g, "b", 2.0, (1, 1, 2)) == [2], "same look, other class: not the same object"
    assert gids(g, "b", 2.1, (1, 1, 2), (2, 0, 3)) == [2, 3], "a different look: a new id"
    assert gids(g, "b", 2.2, (1, 1, 2), (2, 0, 2)) == [2, 3], "decided once: a track keeps its id"


def test_overlapping_views_share_one_id_and_one_camera_never_holds_an_id_twice() -> None:
    g = GlobalIds(["left", "right"])  # no links: every pair, window 0..max_s (views may overlap)
    assert gids(g, "left", 0.0, (1, 0, 0), (2, 0, 1)) == [1, 2]
    assert gids(g, "right", 0.0, (1, 0, 1), (2, 0, 0), (3, 0, 4)) == [2, 1, 3]  # seen in both at once
    # a second look-alike of object 0 in left, while left's track 1 still holds id 1: a new id
    assert gids(g, "left", 0.04, (1, 0, 0), (2, 0, 1), (3, 0, 0)) == [1, 2, 4]
    # two new tracks of one frame both close to one id: only the better one gets it
    g2 = GlobalIds(["x", "y"])
    assert gids(g2, "x", 0.0, (1, 0, 5)) == [1]
    assert sorted(gids(g2, "y", 0.1, (1, 0, 5), (2, 0, 5))) == [1, 2]


def test_events_carry_the_global_id_and_unknown_cameras_pass_unchanged() -> None:
    g = GlobalIds(["a", "b"])
    d = dets((4, 0, 0))
    new = TrackEvent(EventKind.NEW, 4, 0, 0, (0, 0, 10, 10), source_id="a")
    other = TrackEvent(EventKind.NEW, 4, 0, 0, (0, 0, 10, 10), source_id="b")  # another camera's track 4
    out = g.label("a", 0.0, d, [new, other])
    assert out[0].global_id == 1 and out[1].global_id is None
    assert out[0].to_record()["global_id"] == 1 and list(out[0].to_record())[:3] == ["event", "id", "global_id"]
    assert d.to_records()[0]["global_id"] == 1
    linked = GlobalIds(["a", "b"], [Link("a", "b")])
    untouched = dets((4, 0, 0))
    assert linked.label("zzz", 0.0, untouched, [new]) == [new] and untouched.global_ids is None
    # without links a camera joins at its first frame (the GUI grid), linked to every other
    assert gids(g, "c", 0.5, (9, 0, 0)) == [1] and g.cameras == ["a", "b", "c"]


def test_tracks_without_features_get_fresh_ids_and_old_tracks_leave_the_gallery() -> None:
    g = GlobalIds(["a", "b"], max_s=2.0)
    plain = Detections(np.zeros((1, 4)), np.ones(1), [0], track_ids=[1])
    g.label("a", 0.0, plain)
    assert plain.global_ids is not None and plain.global_ids.tolist() == [1]
    for i in range(600):  # a long run: what nobody can hand over any more is dropped
        gids(g, "a", 1.0 + i * 0.04, (100 + i // 100, 0, i // 100 % 6))
    assert g._n < 20, "the gallery keeps only tracks still inside a window"
    assert gids(g, "b", 25.0, (1, 0, 5)) == [gids(g, "a", 25.0, (105, 0, 5))[0]]


def test_the_overlay_shows_the_global_id_and_draws_in_its_colour() -> None:
    from yolotrack.core.config import RenderConfig
    from yolotrack.render import Renderer, color_for

    d = Detections([[10, 10, 50, 50], [60, 10, 90, 50]], [0.9, 0.8], [0, 0], names={0: "disc"},
                   track_ids=[3, 4], global_ids=[7, -1])
    r = Renderer(RenderConfig())
    assert [r.label(d, 0), r.label(d, 1)] == ["#3 g7 disc 0.90", "#4 disc 0.80"]
    assert r.color(d, 0) == color_for(7) and r.color(d, 1) == color_for(4)
    img = r.draw(np.zeros((64, 100, 3), np.uint8), d, trails={3: np.array([[5, 60], [30, 60], [60, 60]], np.float32)})
    assert tuple(int(v) for v in img[45, 10]) == color_for(7), "the box edge in the global id's colour"


def test_the_ratio_test_refuses_a_new_track_between_two_look_alikes() -> None:
    e = np.eye(16, dtype=np.float32)

    def one(tid: int, feat: np.ndarray) -> Detections:
        return Detections(np.zeros((1, 4)), np.ones(1), [0], track_ids=[tid], embeddings=feat[None])

    for ratio, want in ((1.0, [1, 2]), (0.5, [3, 1])):
        g = GlobalIds(["a", "b"], match_thresh=0.5, ratio=ratio)
        g.label("a", 0.0, one(1, e[0]))  # object A, global id 1
        g.label("a", 0.0, one(2, e[1]))  # object B, global id 2
        between = one(1, e[0] + 0.9 * e[1])  # costs 0.128 to A, 0.165 to B: a guess
        clear = one(2, e[0] + 0.2 * e[1])  # costs 0.010 to A, 0.40 to B
        g.label("b", 0.5, between)
        g.label("b", 0.5, clear)
        got = [int(d.global_ids[0]) for d in (between, clear) if d.global_ids is not None]
        # without the test the guess takes A's id, and the clear one, A's id now held in b, takes B's;
        # with ratio 0.5 the guess gets a fresh id and the clear one A's
        assert got == want, ratio


def test_zero_rows_are_frames_a_track_was_not_embedded() -> None:
    g = GlobalIds(["a", "b"], match_thresh=0.2)
    assert gids(g, "a", 0.0, (1, 0, 0)) == [1]
    blank = Detections(np.zeros((1, 4)), np.ones(1), [0], track_ids=[1], embeddings=np.zeros((1, 16)))
    g.label("a", 0.1, blank)  # a frame without an embedding keeps the track's feature and its id
    assert blank.global_ids is not None and blank.global_ids.tolist() == [1]
    assert gids(g, "b", 0.2, (5, 0, 0)) == [1]
