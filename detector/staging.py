"""Host-to-device copies of the uint8 input batch: through a pinned buffer on CUDA, zero-copy on CPU.

A copy from pageable memory is synchronous; from page-locked (pinned) memory `non_blocking=True`
is a real DMA that runs while the host goes on. uint8 crosses the bus (4x less than float32) and is
converted on the device. One buffer per input shape is reused; before overwriting it, the
previous copy out of it must have finished, which an event recorded after that copy tells.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch


def wants_pinned(device: torch.device) -> bool:
    """Pinning only pays (and only works) with a CUDA device to copy to."""
    return device.type == "cuda"


class HostStaging:
    """Moves a NHWC uint8 numpy batch to `device`; keeps one pinned buffer for the current shape."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.pinned = wants_pinned(device)
        self._buf: torch.Tensor | None = None
        self._copied: Any = None  # torch.cuda.Event recorded after the last copy out of _buf

    def to_device(self, batch: np.ndarray) -> torch.Tensor:
        host = torch.from_numpy(batch)  # shares memory with the numpy batch
        if not self.pinned:
            return host.to(self.device)  # CPU: no copy at all
        if self._buf is None or self._buf.shape != host.shape:
            self._buf = torch.empty(host.shape, dtype=torch.uint8, pin_memory=True)
            self._copied = None
        elif self._copied is not None:
            self._copied.synchronize()  # the last async copy may still be reading the buffer
        self._buf.copy_(host)
        out = self._buf.to(self.device, non_blocking=True)
        self._copied = torch.cuda.Event()
        self._copied.record()
        return out
