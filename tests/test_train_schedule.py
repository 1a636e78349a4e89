"""Learning-rate schedule, EMA and BatchNorm statistics handling of the trainer."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from yolotrack.train.trainer import BatchNormWarmup, ModelEMA, TrainConfig, lr_at, recalibrate_bn


def test_lr_warms_up_linearly_then_follows_the_cosine_to_lrf():
    cfg = TrainConfig(data="x", lr0=0.01, lrf=0.1, warmup_steps=10)
    assert lr_at(0, 100, cfg) == pytest.approx(0.001)
    assert lr_at(9, 100, cfg) == pytest.approx(0.01)
    assert lr_at(10, 100, cfg) == pytest.approx(0.01)
    assert lr_at(55, 100, cfg) == pytest.approx(0.01 * (0.1 + 0.9 * 0.5))  # cosine midpoint
    assert lr_at(100, 100, cfg) == pytest.approx(0.001)
    lrs = [lr_at(s, 100, cfg) for s in range(10, 101)]
    assert all(a >= b for a, b in zip(lrs, lrs[1:], strict=False))


def test_ema_follows_early_and_averages_later():
    model = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(0.0)
    ema = ModelEMA(model, decay=0.9999, tau=10)
    with torch.no_grad():
        model.weight.fill_(1.0)
    ema.update(model)
    d1 = 0.9999 * (1 - math.exp(-1 / 10))
    assert ema.ema.weight.item() == pytest.approx(1 - d1)  # mostly the new weights at first
    for _ in range(200):
        ema.update(model)
    assert ema.ema.weight.item() == pytest.approx(1.0, abs=1e-3)
    assert not ema.ema.weight.requires_grad


def _net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4, momentum=0.03), nn.ReLU(), nn.Conv2d(4, 2, 1),
                         nn.BatchNorm2d(2, momentum=0.03))


def test_recalibrate_bn_measures_exact_population_statistics():
    net = _net()
    batches = [torch.rand(2, 3, 8, 8) * 0.1 + i for i in range(3)]
    recalibrate_bn(net.eval(), iter(batches))
    x = torch.cat(batches)
    z = net[0](x)
    bn = net[1]
    # cumulative average of per-batch means equals the mean of the whole set (equal batch sizes)
    assert torch.allclose(bn.running_mean, z.mean((0, 2, 3)), atol=1e-5)
    assert bn.momentum == 0.03 and not net.training
    # eval output now matches what train mode gives on the same (whole) data, up to the unbiased variance
    with torch.no_grad():
        recalibrate_bn(net, iter([x]))
        eval_out = net(x)
        net.train()
        train_out = net(x)
    assert torch.allclose(eval_out, train_out, atol=5e-2)


def test_batchnorm_warmup_discards_the_initial_running_variance():
    net = _net()
    warm = BatchNormWarmup(net, steps=3)
    net.train()
    x = torch.rand(4, 3, 8, 8) * 0.01  # tiny variance, like the first layers of a fresh model
    for step in range(3):
        warm.step(step)
        net(x)
    var = net[0](x).var((0, 2, 3))
    assert torch.allclose(net[1].running_var, var, rtol=0.05)  # no trace of the initial 1.0
    warm.step(3)
    assert net[1].momentum == 0.03
