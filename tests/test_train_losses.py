"""Assigner, losses and mAP on hand-made cases whose answers are worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from yolotrack.train.assigner import TaskAlignedAssigner
from yolotrack.train.boxes import bbox2dist, ciou, dfl_decode, dist2bbox, make_anchors
from yolotrack.train.losses import DetectionLoss, PoseLoss, SegmentLoss, dfl_loss
from yolotrack.train.metrics import MapAccumulator, average_precision, mask_iou, oks_matrix


def test_make_anchors_are_cell_centres_in_level_order():
    pts, strides = make_anchors([(2, 3), (1, 1)], [8, 16])
    assert pts.shape == (7, 2)
    assert pts[:3].tolist() == [[0.5, 0.5], [1.5, 0.5], [2.5, 0.5]]
    assert pts[3].tolist() == [0.5, 1.5]
    assert strides.view(-1).tolist() == [8] * 6 + [16]


def test_dist_bbox_round_trip_and_dfl_expectation():
    anchors = torch.tensor([[4.5, 4.5]])
    box = torch.tensor([[2.0, 3.0, 7.0, 5.5]])
    d = bbox2dist(anchors, box, 15)
    assert d.tolist() == [[2.5, 1.5, 2.5, 1.0]]
    assert torch.allclose(dist2bbox(d, anchors), box)
    logits = torch.full((1, 64), -1e4)
    for side, v in enumerate([2, 1, 2, 1]):
        logits[0, side * 16 + v] = 0.0
    assert dfl_decode(logits).tolist() == [[2.0, 1.0, 2.0, 1.0]]


def test_ciou_known_values():
    a = torch.tensor([[0.0, 0.0, 2.0, 2.0]])
    assert ciou(a, a).item() == pytest.approx(1.0, abs=1e-6)
    # same size, shifted right by 1: IoU 2/6; enclosing box 3x2 -> c2 = 13; centre distance^2 = 1; v = 0
    b = torch.tensor([[1.0, 0.0, 3.0, 2.0]])
    assert ciou(a, b).item() == pytest.approx(1 / 3 - 1 / 13, abs=1e-5)
    # disjoint boxes go negative (the centre term keeps pulling them together)
    c = torch.tensor([[10.0, 10.0, 12.0, 12.0]])
    assert ciou(a, c).item() < 0


def test_dfl_loss_is_minimal_at_the_target_split():
    target = torch.tensor([[3.25, 3.25, 3.25, 3.25]])
    good = torch.full((1, 4, 16), -30.0)
    good[..., 3] = math.log(0.75)
    good[..., 4] = math.log(0.25)
    # cross-entropy of (0.75, 0.25) against itself = entropy
    entropy = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    assert dfl_loss(good, target).item() == pytest.approx(entropy, abs=1e-4)
    flat = torch.zeros((1, 4, 16))
    assert dfl_loss(flat, target).item() == pytest.approx(math.log(16), abs=1e-4)


def _grid_anchors(n: int = 8, stride: float = 8.0) -> torch.Tensor:
    pts, s = make_anchors([(n, n)], [stride])
    return pts * s


def test_assigner_picks_topk_inside_box_and_scales_targets_by_iou():
    anchors = _grid_anchors()  # 64 anchors, centres 4, 12, ..., 60 px
    a = len(anchors)
    gt = torch.tensor([[[8.0, 8.0, 40.0, 40.0]]])  # contains 4x4 = 16 anchor centres
    # every anchor predicts the gt box exactly except that quality (score) decides the ranking
    pd_boxes = gt.expand(1, a, 4).clone()
    scores = torch.zeros(1, a, 3)
    inside = ((anchors > 8) & (anchors < 40)).all(1)
    ranks = torch.arange(a, dtype=torch.float32) / a
    scores[0, :, 2] = torch.where(inside, 0.1 + ranks, torch.full_like(ranks, 0.99))
    assigner = TaskAlignedAssigner(num_classes=3, topk=10)
    t = assigner(scores, pd_boxes, anchors, torch.tensor([[2]]), gt, torch.tensor([[True]]))
    fg = t.fg_mask[0]
    assert int(fg.sum()) == 10
    assert bool(inside[fg].all())  # outside anchors never win however confident they are
    chosen = torch.nonzero(fg).view(-1)
    expected = torch.nonzero(inside).view(-1)[-10:]  # the 10 highest-ranked inside anchors
    assert chosen.tolist() == expected.tolist()
    assert (t.labels[0, fg] == 2).all()
    assert torch.allclose(t.bboxes[0, fg], gt[0, 0].expand(10, 4))
    # best anchor's soft target equals the best IoU (1.0); classes other than 2 get 0
    assert t.scores[0, :, 2].max().item() == pytest.approx(1.0, abs=1e-5)
    assert t.scores[0, :, :2].abs().sum().item() == 0
    assert t.scores[0, ~fg].abs().sum().item() == 0


def test_assigner_gives_a_shared_anchor_to_the_box_it_overlaps_most():
    anchors = torch.tensor([[20.0, 20.0], [100.0, 100.0]])
    gts = torch.tensor([[[0.0, 0.0, 40.0, 40.0], [10.0, 10.0, 30.0, 30.0]]])
    pd_boxes = torch.tensor([[[11.0, 11.0, 29.0, 29.0], [90.0, 90.0, 110.0, 110.0]]])
    scores = torch.full((1, 2, 1), 0.5)
    t = TaskAlignedAssigner(num_classes=1, topk=1)(scores, pd_boxes, anchors, torch.tensor([[0, 0]]), gts,
                                                  torch.tensor([[True, True]]))
    assert t.fg_mask.tolist() == [[True, False]]
    assert t.gt_index[0, 0].item() == 1  # the small box, IoU 0.81 against 0.2025


def test_assigner_ignores_padding_boxes():
    anchors = _grid_anchors(4)
    gts = torch.tensor([[[0.0, 0.0, 32.0, 32.0]]])
    t = TaskAlignedAssigner(num_classes=2)(torch.full((1, 16, 2), 0.5), gts.expand(1, 16, 4), anchors,
                                            torch.tensor([[1]]), gts, torch.tensor([[False]]))
    assert not t.fg_mask.any()
    assert t.scores.sum().item() == 0


def test_detection_loss_falls_when_predictions_match_the_target():
    torch.manual_seed(0)
    nc = 2
    loss_fn = DetectionLoss(nc=nc, strides=[8, 16, 32])
    feats = [torch.zeros(1, 64 + nc, s, s, requires_grad=True) for s in (8, 4, 2)]
    batch_idx = torch.tensor([0])
    cls = torch.tensor([1])
    boxes = torch.tensor([[32.0, 32.0, 24.0, 24.0]])  # xywh pixels on a 64x64 input
    opt = torch.optim.Adam(feats, lr=0.1)
    first = None
    for _ in range(40):
        loss, parts = loss_fn(feats, batch_idx, cls, boxes)
        assert torch.isfinite(loss) and parts.shape == (3,)
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.3 * first


def test_detection_loss_without_objects_is_only_classification():
    loss_fn = DetectionLoss(nc=3, strides=[8, 16, 32])
    feats = [torch.zeros(2, 67, s, s) for s in (4, 2, 1)]
    loss, parts = loss_fn(feats, torch.zeros(0), torch.zeros(0), torch.zeros(0, 4))
    assert parts[0] == 0 and parts[2] == 0
    # BCE of logit 0 against 0 is log 2 per entry: 21 anchors x 3 classes x 2 images, divided by 1, gain 0.5
    assert parts[1].item() == pytest.approx(0.5 * math.log(2) * 21 * 3 * 2, rel=1e-5)
    assert loss.item() == pytest.approx(parts.sum().item() * 2, rel=1e-6)


def test_average_precision_101_point():
    # 2 gt, one correct detection: recall reaches 0.5 at precision 1 -> 51 of 101 points
    assert average_precision(np.array([True]), np.array([0.9]), 2) == pytest.approx(51 / 101)
    # a false positive ranked above the hit: precision 0.5 up to recall 1
    assert average_precision(np.array([False, True]), np.array([0.9, 0.8]), 1) == pytest.approx(0.5)
    # the same false positive ranked below: perfect
    assert average_precision(np.array([True, False]), np.array([0.9, 0.8]), 1) == pytest.approx(1.0)
    assert average_precision(np.array([], bool), np.array([]), 3) == 0.0


def test_map_accumulator_perfect_half_and_ignore():
    gt = np.array([[0, 0, 10, 10], [20, 20, 40, 40]], float)
    acc = MapAccumulator()
    acc.add(gt, [0.9, 0.8], [0, 1], gt, [0, 1])
    r = acc.compute()
    assert r.map50 == pytest.approx(1.0) and r.map50_95 == pytest.approx(1.0)
    # box shifted so IoU = 0.6: counts at thresholds 0.50 and 0.55 only (2 of 10)
    acc = MapAccumulator()
    acc.add([[0, 0, 10, 10]], [0.9], [0], [[0, 0, 10, 10]], [0])
    acc.add([[0, 0, 12, 10]], [0.9], [0], [[0, 0, 10, 10]], [0])  # IoU 10/12 = 0.833
    acc.add([[4, 0, 14, 10]], [0.9], [0], [[0, 0, 10, 10]], [0])  # IoU 6/14 = 0.43 -> miss at 0.5
    r = acc.compute()
    assert r.per_class[0][0] == pytest.approx(average_precision(np.array([1, 1, 0], bool),
                                                                 np.array([0.9, 0.9, 0.9]), 3))
    # a prediction on an ignored (heavily occluded) object is neither hit nor false positive
    acc = MapAccumulator()
    acc.add([[0, 0, 10, 10], [50, 50, 60, 60]], [0.5, 0.9], [0, 0], [[0, 0, 10, 10]], [0],
            ignore_xyxy=[[50, 50, 60, 61]])
    assert acc.compute().map50 == pytest.approx(1.0)


def _seg_out(nm: int = 4, requires_grad: bool = True):
    feats = [torch.zeros(1, 64 + 1, s, s, requires_grad=requires_grad) for s in (8, 4, 2)]
    coeffs = torch.zeros(1, nm, 64 + 16 + 4, requires_grad=requires_grad)
    protos = torch.randn(1, nm, 16, 16, generator=torch.Generator().manual_seed(0)).requires_grad_(requires_grad)
    return feats, coeffs, protos


def test_segment_loss_falls_as_the_predicted_mask_fits_the_object():
    feats, coeffs, protos = _seg_out()
    masks = torch.zeros(1, 16, 16, dtype=torch.uint8)
    masks[0, 4:10, 5:11] = 1  # a 24x24 object at 1/4 resolution
    batch = {"images": torch.zeros(1, 3, 64, 64), "batch_idx": torch.tensor([0]), "cls": torch.tensor([0]),
             "bboxes": torch.tensor([[32.0, 28.0, 24.0, 24.0]]), "masks": masks}
    loss_fn = SegmentLoss(nc=1, strides=[8, 16, 32])
    assert loss_fn.parts == ("box", "cls", "dfl", "seg")
    opt = torch.optim.Adam([*feats, coeffs, protos], lr=0.05)
    seg = []
    for _ in range(60):
        loss, parts = loss_fn.batch_loss((feats, coeffs, protos), batch)
        assert parts.shape == (4,) and torch.isfinite(loss)
        seg.append(parts[3].item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert seg[-1] < 0.2 * seg[0]
    # without objects there is no mask term, and the prototypes still get a (zero) gradient
    empty = {**batch, "batch_idx": torch.zeros(0), "cls": torch.zeros(0), "bboxes": torch.zeros(0, 4),
             "masks": torch.zeros(0, 16, 16)}
    _, parts = loss_fn.batch_loss(_seg_out(), empty)
    assert parts[3] == 0


def test_pose_loss_falls_as_keypoints_reach_their_targets_and_ignores_unlabelled_ones():
    k = 3
    feats = [torch.zeros(1, 64 + 1, s, s, requires_grad=True) for s in (8, 4, 2)]
    raw = torch.zeros(1, k * 3, 84, requires_grad=True)
    kpts = torch.tensor([[[26.0, 20.0, 2], [40.0, 36.0, 1], [0.0, 0.0, 0]]])
    batch = {"images": torch.zeros(1, 3, 64, 64), "batch_idx": torch.tensor([0]), "cls": torch.tensor([0]),
             "bboxes": torch.tensor([[32.0, 28.0, 24.0, 24.0]]), "keypoints": kpts}
    loss_fn = PoseLoss(nc=1, strides=[8, 16, 32], kpt_shape=(k, 3), sigmas=[0.1] * k)
    opt = torch.optim.Adam([*feats, raw], lr=0.05)
    pose = []
    for _ in range(80):
        loss, parts = loss_fn.batch_loss((feats, raw), batch)
        pose.append(parts[3].item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert pose[-1] < 0.2 * pose[0]
    # the fitted anchors put both labelled keypoints on target (decoded the way the head decodes them)
    tg = loss_fn.assign(feats, batch["batch_idx"], batch["cls"], batch["bboxes"])
    fg = tg.assignment.fg_mask[0]
    y = raw.detach().view(1, k, 3, -1)[0][:, :, fg]  # (K, 3, F)
    xy = (y[:, :2] * 2 + (tg.anchors[fg].T[None] - 0.5)) * tg.stride[fg].T[None]
    assert (xy[:2] - kpts[0, :2, :2, None]).abs().max() < 2.0
    assert (y[2, 2] < 0).all() and (y[:2, 2] > 0).all()  # visibility learns "labelled"


def test_mask_iou_and_oks_by_hand():
    gt = np.zeros((2, 20, 20), bool)
    gt[0, 0:10, 0:10] = True
    gt[1, 10:20, 10:20] = True
    pred = np.ones((10, 5), bool)  # the left half of object 0, given inside its box
    iou = mask_iou(np.array([[0, 0, 5, 10]]), [pred], gt)
    assert iou.tolist() == [[0.5, 0.0]]
    g = np.array([[[10.0, 10.0, 2], [20.0, 10.0, 2], [0.0, 0.0, 0]]])
    assert oks_matrix(g[:, :, :2], g, np.array([100.0]), np.full(3, 0.1)).tolist() == [[1.0]]
    p = g.copy()
    p[0, 0, 0] += 2.0  # d^2 = 4; e = 4 / (2 * 100 * 0.04) = 0.5; the unlabelled point does not count
    p[0, 2] = (99.0, 99.0, 0)
    assert oks_matrix(p, g, np.array([100.0]), np.full(3, 0.1))[0, 0] == pytest.approx((math.exp(-0.5) + 1) / 2)
    # the same matching as boxes: one hit above 0.5 of 10 thresholds for an OKS of 0.52
    acc = MapAccumulator()
    acc.add_similarity(np.array([[0.52]]), [0.9], [0], [0])
    r = acc.compute()
    assert r.map50 == pytest.approx(1.0) and r.map50_95 == pytest.approx(0.1)
