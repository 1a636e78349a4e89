"""Host-to-device input staging: zero-copy on CPU; the pinned-buffer logic of the CUDA path, run on CPU."""

from __future__ import annotations

import numpy as np
import torch

from yolotrack.detector.staging import HostStaging, wants_pinned


def test_pinning_only_for_cuda_and_cpu_is_zero_copy():
    assert wants_pinned(torch.device("cuda", 0)) and not wants_pinned(torch.device("cpu"))
    assert HostStaging(torch.device("cuda")).pinned  # decided without touching a GPU
    batch = np.random.default_rng(0).integers(0, 255, (2, 64, 96, 3), dtype=np.uint8)
    out = HostStaging(torch.device("cpu")).to_device(batch)
    assert out.dtype == torch.uint8 and out.shape == (2, 64, 96, 3)
    assert out.data_ptr() == batch.ctypes.data  # the numpy memory itself


class FakeEvent:
    """Stands in for torch.cuda.Event: remembers record/synchronize order."""

    log: list[str] = []

    def record(self) -> None:
        FakeEvent.log.append("record")

    def synchronize(self) -> None:
        FakeEvent.log.append("sync")


def test_pinned_path_reuses_one_buffer_per_shape_and_waits_before_overwriting(monkeypatch):
    """The CUDA branch with pinning and events replaced by CPU stand-ins (no GPU here)."""
    real_empty = torch.empty
    pinned_requests = []

    def empty(*shape, pin_memory=False, **kw):
        pinned_requests.append(pin_memory)
        return real_empty(*shape, **kw)

    monkeypatch.setattr(torch, "empty", empty)
    monkeypatch.setattr(torch.cuda, "Event", FakeEvent)
    FakeEvent.log = []
    st = HostStaging(torch.device("cpu"))
    st.pinned = True  # take the CUDA branch; the copy target stays the CPU
    a = np.full((1, 32, 32, 3), 7, np.uint8)
    out_a = st.to_device(a)
    buf = st._buf.data_ptr()
    b = np.full((1, 32, 32, 3), 9, np.uint8)
    out_b = st.to_device(b)
    assert st._buf.data_ptr() == buf and pinned_requests == [True]  # one pinned buffer for the shape
    assert FakeEvent.log == ["record", "sync", "record"]  # the second fill waited for the first copy
    assert int(out_b.min()) == int(out_b.max()) == 9 and out_a.shape == out_b.shape
    st.to_device(np.zeros((2, 32, 32, 3), np.uint8))
    assert pinned_requests == [True, True] and st._buf.shape == (2, 32, 32, 3)  # new shape, new buffer
