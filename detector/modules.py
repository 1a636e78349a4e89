"""YOLOv12 building blocks. Attribute names mirror the upstream checkpoints' state_dict keys.

Widths are passed explicitly (read from checkpoint tensors or computed from the YAML rules in
`detector.spec`), so one set of classes covers every family and scale.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from yolotrack.detector.attention import FlashFn, attend

BN_EPS = 1e-3
BN_MOMENTUM = 0.03


class Conv(nn.Module):
    """Conv2d + BatchNorm + SiLU (or no activation); `fuse()` folds the BN into the conv."""

    def __init__(self, c1: int, c2: int, k: int = 1, s: int = 1, g: int = 1, act: bool = True,
                 bias: bool = False) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, k // 2, groups=g, bias=bias)
        self.bn: nn.BatchNorm2d | None = nn.BatchNorm2d(c2, eps=BN_EPS, momentum=BN_MOMENTUM)
        self.act: nn.Module = nn.SiLU(inplace=True) if act else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        return self.act(x)

    @torch.no_grad()
    def fuse(self) -> None:
        """Fold BN (and any conv bias, e.g. the v1.0 pe bias) into one conv weight + bias."""
        bn = self.bn
        if bn is None:
            return
        conv = self.conv
        std = (bn.running_var + bn.eps).sqrt()
        scale = bn.weight / std
        bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
        fused = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
                          groups=conv.groups, bias=True).to(conv.weight.device, conv.weight.dtype)
        fused.weight.copy_(conv.weight * scale.view(-1, 1, 1, 1))
        fused.bias.copy_((bias - bn.running_mean) * scale + bn.bias)
        fused.requires_grad_(False)
        self.conv = fused
        self.bn = None


class Bottleneck(nn.Module):
    def __init__(self, c: int, hidden: int, shortcut: bool = True) -> None:
        super().__init__()
        self.cv1 = Conv(c, hidden, 3)
        self.cv2 = Conv(hidden, c, 3)
        self.add = shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C3k(nn.Module):
    """CSP block with two 3x3 bottlenecks; hidden width is half the block width."""

    def __init__(self, c: int, n: int = 2) -> None:
        super().__init__()
        h = c // 2
        self.cv1 = Conv(c, h, 1)
        self.cv2 = Conv(c, h, 1)
        self.cv3 = Conv(2 * h, c, 1)
        self.m = nn.Sequential(*(Bottleneck(h, h) for _ in range(n)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cv3(torch.cat((self.m(self.cv1(x)), self.cv2(x)), 1))


class C3k2(nn.Module):
    """C2f-style block: split, chain n inner blocks, concat everything."""

    def __init__(self, c1: int, c2: int, hidden: int, n: int, c3k: bool) -> None:
        super().__init__()
        self.c = hidden
        self.cv1 = Conv(c1, 2 * hidden, 1)
        self.cv2 = Conv((2 + n) * hidden, c2, 1)
        self.m = nn.ModuleList(C3k(hidden) if c3k else Bottleneck(hidden, hidden // 2) for _ in range(n))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = list(self.cv1(x).chunk(2, 1))
        for m in self.m:
            y.append(m(y[-1]))
        return self.cv2(torch.cat(y, 1))


class AAttn(nn.Module):
    """Area attention. `fused_qkv` selects the v1.0/Ultralytics layout (one `qkv` conv, per-head
    interleaved q|k|v) over the turbo layout (`qk` = [all q | all k], separate `v`).

    The area split cuts the row-major token sequence into `area` contiguous chunks per image.
    """

    def __init__(self, dim: int, area: int, fused_qkv: bool, pe_k: int, pe_bias: bool = False) -> None:
        super().__init__()
        self.dim = dim
        self.num_heads = dim // 32
        self.head_dim = 32
        self.area = area
        self.fused_qkv = fused_qkv
        self.backend = "sdpa"
        self.flash_fn: FlashFn | None = None
        if fused_qkv:
            self.qkv = Conv(dim, dim * 3, 1, act=False)
        else:
            self.qk = Conv(dim, dim * 2, 1, act=False)
            self.v = Conv(dim, dim, 1, act=False)
        self.proj = Conv(dim, dim, 1, act=False)
        self.pe = Conv(dim, dim, pe_k, 1, g=dim, act=False, bias=pe_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        n = h * w
        a = self.area if self.area > 1 else 1
        if n % a:
            raise ValueError(f"area attention needs H*W ({h}x{w}) divisible by area {a}; use a multiple of 32")
        nh, d, na = self.num_heads, self.head_dim, n // a
        if self.fused_qkv:
            # channel = head*96 + {q,k,v}*32 + lane; tokens split into `a` row-major chunks
            qkv = self.qkv(x).view(b, nh, 3, d, a, na).permute(2, 0, 4, 1, 5, 3).reshape(3, b * a, nh, na, d)
            q, k, v = qkv[0], qkv[1], qkv[2]
        else:
            qk = self.qk(x).view(b, 2, nh, d, a, na).permute(1, 0, 4, 2, 5, 3).reshape(2, b * a, nh, na, d)
            q, k = qk[0], qk[1]
            vmap = self.v(x)
            v = vmap.view(b, nh, d, a, na).permute(0, 3, 1, 4, 2).reshape(b * a, nh, na, d)
        out = attend(q, k, v, self.backend, self.flash_fn)  # (b*a, nh, na, d)
        out = out.view(b, a, nh, na, d).permute(0, 2, 4, 1, 3).reshape(b, c, h, w)
        if self.fused_qkv:
            vmap = v.view(b, a, nh, na, d).permute(0, 2, 4, 1, 3).reshape(b, c, h, w)
        return self.proj(out + self.pe(vmap))


class ABlock(nn.Module):
    def __init__(self, dim: int, mlp_hidden: int, area: int, fused_qkv: bool, pe_k: int, pe_bias: bool) -> None:
        super().__init__()
        self.attn = AAttn(dim, area, fused_qkv, pe_k, pe_bias)
        self.mlp = nn.Sequential(Conv(dim, mlp_hidden, 1), Conv(mlp_hidden, dim, 1, act=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(x)
        return x + self.mlp(x)


class A2C2f(nn.Module):
    """R-ELAN block: pairs of ABlocks (a2) or C3k blocks (neck), optional layer-scale residual."""

    def __init__(self, c1: int, c2: int, hidden: int, n: int, a2: bool, area: int = 1, mlp_hidden: int = 0,
                 gamma: bool = False, fused_qkv: bool = True, pe_k: int = 7, pe_bias: bool = False) -> None:
        super().__init__()
        self.cv1 = Conv(c1, hidden, 1)
        self.cv2 = Conv((1 + n) * hidden, c2, 1)
        self.gamma = nn.Parameter(0.01 * torch.ones(c2)) if (a2 and gamma) else None
        if a2:
            self.m = nn.ModuleList(
                nn.Sequential(*(ABlock(hidden, mlp_hidden, area, fused_qkv, pe_k, pe_bias) for _ in range(2)))
                for _ in range(n))
        else:
            self.m = nn.ModuleList(C3k(hidden) for _ in range(n))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = [self.cv1(x)]
        for m in self.m:
            y.append(m(y[-1]))
        out = self.cv2(torch.cat(y, 1))
        if self.gamma is not None:
            return x + self.gamma.view(1, -1, 1, 1) * out
        return out


class Concat(nn.Module):
    def __init__(self, d: int = 1) -> None:
        super().__init__()
        self.d = d

    def forward(self, xs: list[torch.Tensor]) -> torch.Tensor:
        return torch.cat(xs, self.d)


class DFL(nn.Module):
    """Expected value over reg_max distance bins; the fixed 0..reg_max-1 conv is kept for its key."""

    def __init__(self, c1: int = 16) -> None:
        super().__init__()
        self.c1 = c1
        self.conv = nn.Conv2d(c1, 1, 1, bias=False).requires_grad_(False)
        self.conv.weight.data[:] = torch.arange(c1, dtype=torch.float32).view(1, c1, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, a = x.shape
        p = x.view(b, 4, self.c1, a).softmax(2)
        return (p * self.conv.weight.view(1, 1, self.c1, 1)).sum(2)


class Proto(nn.Module):
    def __init__(self, c1: int, c_: int, c2: int) -> None:
        super().__init__()
        self.cv1 = Conv(c1, c_, 3)
        self.upsample = nn.ConvTranspose2d(c_, c_, 2, 2, 0, bias=True)
        self.cv2 = Conv(c_, c_, 3)
        self.cv3 = Conv(c_, c2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cv3(self.cv2(self.upsample(self.cv1(x))))


def _branch(c_in: int, c_mid: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(Conv(c_in, c_mid, 3), Conv(c_mid, c_mid, 3), nn.Conv2d(c_mid, c_out, 1))


class Detect(nn.Module):
    """Anchor-free DFL head with depthwise-separable class branch (non-legacy, all YOLOv12)."""

    def __init__(self, nc: int, ch: tuple[int, ...], c_box: int, c_cls: int, reg_max: int = 16) -> None:
        super().__init__()
        self.nc = nc
        self.nl = len(ch)
        self.reg_max = reg_max
        self.no = nc + 4 * reg_max
        self.stride = torch.tensor([8.0, 16.0, 32.0])
        self.cv2 = nn.ModuleList(_branch(c, c_box, 4 * reg_max) for c in ch)
        self.cv3 = nn.ModuleList(
            nn.Sequential(nn.Sequential(Conv(c, c, 3, g=c), Conv(c, c_cls, 1)),
                          nn.Sequential(Conv(c_cls, c_cls, 3, g=c_cls), Conv(c_cls, c_cls, 1)),
                          nn.Conv2d(c_cls, nc, 1))
            for c in ch)
        self.dfl = DFL(reg_max)
        self._anchor_cache: dict[tuple, tuple[torch.Tensor, torch.Tensor]] = {}

    def anchors(self, feats: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Anchor centres (2, A) in grid units and per-anchor strides (1, A), cached per input shape."""
        ref = feats[0]
        key = (tuple(f.shape[2:] for f in feats), ref.device, ref.dtype)
        hit = self._anchor_cache.get(key)
        if hit is not None:
            return hit
        points, strides = [], []
        for f, s in zip(feats, self.stride.tolist(), strict=True):
            h, w = f.shape[2:]
            sx = torch.arange(w, device=ref.device, dtype=ref.dtype) + 0.5
            sy = torch.arange(h, device=ref.device, dtype=ref.dtype) + 0.5
            yy, xx = torch.meshgrid(sy, sx, indexing="ij")
            points.append(torch.stack((xx, yy), -1).view(-1, 2))
            strides.append(torch.full((h * w, 1), s, dtype=ref.dtype, device=ref.device))
        result = (torch.cat(points).transpose(0, 1).contiguous(), torch.cat(strides).transpose(0, 1).contiguous())
        if len(self._anchor_cache) > 16:
            self._anchor_cache.clear()
        self._anchor_cache[key] = result
        return result

    def decode(self, feats: list[torch.Tensor]) -> torch.Tensor:
        """(B, 4+nc, A): xywh in input pixels and sigmoid class scores."""
        b = feats[0].shape[0]
        x = torch.cat([f.reshape(b, self.no, -1) for f in feats], 2)
        box, cls = x.split((4 * self.reg_max, self.nc), 1)
        anchors, strides = self.anchors(feats)
        lt, rb = self.dfl(box).chunk(2, 1)
        a = anchors.unsqueeze(0)
        x1y1 = a - lt
        x2y2 = a + rb
        dbox = torch.cat(((x1y1 + x2y2) / 2, x2y2 - x1y1), 1) * strides
        return torch.cat((dbox, cls.sigmoid()), 1)

    def level_outputs(self, xs: list[torch.Tensor]) -> list[torch.Tensor]:
        return [torch.cat((self.cv2[i](x), self.cv3[i](x)), 1) for i, x in enumerate(xs)]

    def forward(self, xs: list[torch.Tensor]):
        feats = self.level_outputs(xs)
        if self.training:
            return feats
        return self.decode(feats)


class Segment(Detect):
    """Detect + 32 mask coefficients per anchor + prototype masks at 1/4 input size."""

    def __init__(self, nc: int, ch: tuple[int, ...], c_box: int, c_cls: int, nm: int, npr: int, c_mask: int,
                 reg_max: int = 16) -> None:
        super().__init__(nc, ch, c_box, c_cls, reg_max)
        self.nm = nm
        self.npr = npr
        self.proto = Proto(ch[0], npr, nm)
        self.cv4 = nn.ModuleList(_branch(c, c_mask, nm) for c in ch)

    def forward(self, xs: list[torch.Tensor]):
        p = self.proto(xs[0])
        b = p.shape[0]
        mc = torch.cat([self.cv4[i](x).reshape(b, self.nm, -1) for i, x in enumerate(xs)], 2)
        feats = self.level_outputs(xs)
        if self.training:
            return feats, mc, p
        return torch.cat((self.decode(feats), mc), 1), p


class Pose(Detect):
    """Detect + K keypoints per anchor, decoded to input pixels (visibility through sigmoid)."""

    def __init__(self, nc: int, ch: tuple[int, ...], c_box: int, c_cls: int, kpt_shape: tuple[int, int],
                 c_kpt: int, reg_max: int = 16) -> None:
        super().__init__(nc, ch, c_box, c_cls, reg_max)
        self.kpt_shape = tuple(kpt_shape)
        self.nk = kpt_shape[0] * kpt_shape[1]
        self.cv4 = nn.ModuleList(_branch(c, c_kpt, self.nk) for c in ch)

    def forward(self, xs: list[torch.Tensor]):
        b = xs[0].shape[0]
        kpt = torch.cat([self.cv4[i](x).reshape(b, self.nk, -1) for i, x in enumerate(xs)], 2)
        feats = self.level_outputs(xs)
        if self.training:
            return feats, kpt
        det = self.decode(feats)
        return torch.cat((det, self.decode_kpts(feats, kpt)), 1)

    def decode_kpts(self, feats: list[torch.Tensor], kpts: torch.Tensor) -> torch.Tensor:
        anchors, strides = self.anchors(feats)
        ndim = self.kpt_shape[1]
        b = kpts.shape[0]
        y = kpts.view(b, self.kpt_shape[0], ndim, -1)
        xy = (y[:, :, :2] * 2.0 + (anchors.unsqueeze(0).unsqueeze(0) - 0.5)) * strides
        parts = [xy]
        if ndim == 3:
            parts.append(y[:, :, 2:3].sigmoid())
        return torch.cat(parts, 2).view(b, self.nk, -1)
