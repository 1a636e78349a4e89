"""The contract every inference runtime keeps: same input and same raw output as `model(x)`.

Two doors into one runtime. `rt(x)` takes and returns torch tensors, exactly like the model
(tests and the torch pre/post-processing use it). `rt.infer(frames)` takes the letterboxed BGR
uint8 batch (B,H,W,3) and returns numpy arrays by output name, so the CPU path from a warm export
cache needs neither torch nor a float copy of the frames. Extra outputs a model exports (the neck
map of `return_features`) follow the others in `rt(x)`, as the model returns them, and come back
under their own names from `infer`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch

    RawOutput = torch.Tensor | tuple[torch.Tensor, ...]
else:
    RawOutput = Any

PRECISIONS = ("fp32", "bf16", "int8")


def device_type(device: Any) -> str:
    """`cpu` / `cuda` / ... for a torch.device or its string form, without importing torch."""
    return getattr(device, "type", None) or str(device).split(":")[0]


@dataclass(frozen=True)
class RuntimeSpec:
    """What one compiled runtime instance is built for; exports are static, so shape is fixed here."""

    imgsz: tuple[int, int]  # (H, W) of the letterboxed input, multiples of 32
    batch: int = 1
    device: Any = "cpu"  # torch.device or its string
    threads: int | None = None  # None: the default for the machine (see threads.default_threads)
    weights_path: Path | None = None  # for the cache key; None hashes the module's tensors
    cache_dir: Path | None = None  # instead of the XDG cache (tests, benchmarks)
    precision: str = "fp32"  # fp32 | bf16 | int8 (see openvino_runtime.py)
    calibration: Any = None  # int8: a detector.calibration.CalibrationSet

    @property
    def input_shape(self) -> tuple[int, int, int, int]:
        return (self.batch, 3, self.imgsz[0], self.imgsz[1])

    @property
    def device_type(self) -> str:
        return device_type(self.device)


def frames_to_float(frames: np.ndarray) -> np.ndarray:
    """(B,H,W,3) BGR uint8 -> (B,3,H,W) RGB float32 in [0,1], the same numbers as the torch preprocessing."""
    x = np.ascontiguousarray(frames[..., ::-1].transpose(0, 3, 1, 2), dtype=np.float32)
    x /= np.float32(255.0)
    return x


class Runtime:
    """Callable `(B,3,H,W) float -> raw head output` (tensor, or `(y, protos)` for segment).

    Subclasses set `name` and implement `forward` (torch) and/or `run` (numpy float input);
    `__call__` checks the shape because a static export given another shape fails deep inside
    the runtime with an unreadable message.
    """

    name: str = "base"
    output_names: list[str] = []

    def __init__(self, spec: RuntimeSpec, task: str) -> None:
        self.spec = spec
        self.task = task

    def _check(self, shape: tuple[int, ...], layout: str = "nchw") -> None:
        want = self.spec.input_shape if layout == "nchw" else (self.spec.batch, *self.spec.imgsz, 3)
        if tuple(shape) != want:
            from yolotrack.core.errors import InvalidInputError

            raise InvalidInputError(f"the {self.name} runtime was built for input {want}, "
                                    f"got {tuple(shape)}; create a runtime for that size")

    def __call__(self, x: Any) -> RawOutput:
        self._check(tuple(x.shape))
        return self.forward(x)

    def forward(self, x: Any) -> RawOutput:
        """Torch in, torch out; by default through `run` on the float array."""
        import torch

        outs = self.run(np.ascontiguousarray(x.detach().to("cpu", torch.float32).numpy()))
        return self.pack([torch.from_numpy(o) for o in outs.values()])

    def run(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """(B,3,H,W) float32 in [0,1] -> outputs by name."""
        raise NotImplementedError

    def infer(self, frames: np.ndarray) -> dict[str, np.ndarray]:
        """Letterboxed (B,H,W,3) BGR uint8 -> outputs by name (what the numpy post-processing reads)."""
        self._check(frames.shape, "nhwc")
        return self.run(frames_to_float(frames))

    def pack(self, outputs: list[Any]) -> RawOutput:
        """Runtime outputs (flat list) -> what `model(x)` returns: one tensor, or a flat tuple (segment's
        protos, the neck feature map of `model.return_features`)."""
        return outputs[0] if len(outputs) == 1 else tuple(outputs)

    def describe(self) -> dict[str, Any]:
        """Settings worth logging and printing in benchmarks."""
        return {"runtime": self.name, "imgsz": self.spec.imgsz, "batch": self.spec.batch,
                "device": str(self.spec.device), "precision": self.spec.precision}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.describe()})"
