"""The contract every inference runtime keeps: same input and same raw output as `model(x)`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

RawOutput = torch.Tensor | tuple[torch.Tensor, ...]


@dataclass(frozen=True)
class RuntimeSpec:
    """What one compiled runtime instance is built for; exports are static, so shape is fixed here."""

    imgsz: tuple[int, int]  # (H, W) of the letterboxed input, multiples of 32
    batch: int = 1
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    threads: int | None = None  # None: the default for the machine (see threads.default_threads)
    weights_path: Path | None = None  # for the cache key; None hashes the module's tensors
    cache_dir: Path | None = None  # instead of the XDG cache (tests, benchmarks)

    @property
    def input_shape(self) -> tuple[int, int, int, int]:
        return (self.batch, 3, self.imgsz[0], self.imgsz[1])


class Runtime:
    """Callable `(B,3,H,W) float -> raw head output` (tensor, or `(y, protos)` for segment).

    Subclasses set `name` and implement `forward`; `__call__` checks the shape because a static
    export given another shape fails deep inside the runtime with an unreadable message.
    """

    name: str = "base"

    def __init__(self, spec: RuntimeSpec, task: str) -> None:
        self.spec = spec
        self.task = task

    def __call__(self, x: torch.Tensor) -> RawOutput:
        if tuple(x.shape) != self.spec.input_shape:
            from yolotrack.core.errors import InvalidInputError

            raise InvalidInputError(f"the {self.name} runtime was built for input {self.spec.input_shape}, "
                                    f"got {tuple(x.shape)}; create a runtime for that size")
        return self.forward(x)

    def forward(self, x: torch.Tensor) -> RawOutput:
        raise NotImplementedError

    def pack(self, outputs: list[torch.Tensor]) -> RawOutput:
        """Runtime outputs (flat list) -> what `model(x)` returns: one tensor, or a flat tuple (segment's
        protos, the neck feature map of `model.return_features`)."""
        return outputs[0] if len(outputs) == 1 else tuple(outputs)

    def describe(self) -> dict[str, Any]:
        """Settings worth logging and printing in benchmarks."""
        return {"runtime": self.name, "imgsz": self.spec.imgsz, "batch": self.spec.batch,
                "device": str(self.spec.device)}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.describe()})"
