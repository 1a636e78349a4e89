"""A small ReID network: crops of the tracked boxes -> unit appearance embeddings, on ONNX Runtime.

The detector's pooled P3 features (`Detections.embeddings`) tell objects of one class apart only
weakly, and less so across cameras (other background, light and noise). A network trained for
identity on box crops does better, at the price of a second (tiny) forward per frame. It is
optional: it needs `onnxruntime` (the `ort` extra); the bundled demo one (`assets/demo/`) was
trained on synthetic multi-camera scenes by `train/reid_train.py`.

`ReidModel.embed(image, boxes)` is the one call: one BGR frame and (N, 4) xyxy boxes in its
pixels -> (N, D) float32 unit rows. It is stateless, so one camera's tracker can use it as well
as the cross-camera gallery. `crops` is the preprocessing, shared with the training data.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from yolotrack.core.errors import ConfigError

if TYPE_CHECKING:
    from yolotrack.core.config import GlobalIdsConfig

log = logging.getLogger(__name__)

DEMO_REID = "yolotrack-reid-demo.onnx"
NONE = "none"  # `global_ids.reid: none`: the detector's own pooled features
DEMO = "demo"
AUTO = "auto"  # the default: the demo network with a demo detector, else the detector's features


def demo_reid_path() -> Path:
    """The bundled demo ReID model (next to the demo detector)."""
    return Path(__file__).resolve().parents[1] / "assets" / "demo" / DEMO_REID


def crops(image: np.ndarray, boxes: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(N, 3, H, W) float32 in 0..1, RGB: each box (clipped to the image, at least 2 px) resized
    to `size` (H, W). The training data is cut by this same function."""
    h, w = image.shape[:2]
    out = np.empty((len(boxes), size[0], size[1], 3), np.uint8)
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    x1 = np.clip(np.floor(b[:, 0]), 0, w - 2).astype(int)
    y1 = np.clip(np.floor(b[:, 1]), 0, h - 2).astype(int)
    x2 = np.maximum(np.clip(np.ceil(b[:, 2]), 0, w).astype(int), x1 + 2)
    y2 = np.maximum(np.clip(np.ceil(b[:, 3]), 0, h).astype(int), y1 + 2)
    for i in range(len(b)):
        out[i] = cv2.resize(image[y1[i]:y2[i], x1[i]:x2[i]], (size[1], size[0]), interpolation=cv2.INTER_AREA)
    return out[..., ::-1].transpose(0, 3, 1, 2).astype(np.float32) * (1.0 / 255.0)


class ReidModel:
    """An ONNX ReID network on ONNX Runtime's CPU provider (input `crops`: (N, 3, H, W); output
    (N, D)). Thread-safe: a lock serialises the session (the cameras' tracking threads share it)."""

    def __init__(self, path: str | Path, threads: int = 1) -> None:
        try:
            import onnxruntime as ort
        except ImportError:
            raise ConfigError("a ReID model needs the onnxruntime package (pip install 'yolotrack[ort]'); "
                              "global_ids.reid: none uses the detector's features") from None
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"ReID model {p} does not exist")
        so = ort.SessionOptions()
        so.intra_op_num_threads = max(1, int(threads))
        so.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(str(p), so, providers=["CPUExecutionProvider"])
        except Exception as e:  # noqa: BLE001 - ORT raises its own types for a bad file
            raise ConfigError(f"ReID model {p} could not be loaded: {str(e).splitlines()[0]}") from None
        inp = self.session.get_inputs()[0]
        shape = inp.shape
        if len(shape) != 4 or not all(isinstance(s, int) for s in shape[2:]) or shape[1] != 3:
            raise ConfigError(f"ReID model {p}: expected an input (N, 3, H, W) with fixed H and W, got {shape}")
        self.path = p
        self.size = (int(shape[2]), int(shape[3]))
        self.input = inp.name
        self.dim = int(self.session.get_outputs()[0].shape[1])
        self._lock = threading.Lock()

    def embed(self, image: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """(N, D) float32 unit embeddings of the boxes (xyxy, frame pixels) of one BGR frame."""
        if len(boxes) == 0:
            return np.zeros((0, self.dim), np.float32)
        x = crops(image, boxes, self.size)
        with self._lock:
            y = self.session.run(None, {self.input: x})[0]
        y = np.asarray(y, np.float32)
        return y / np.maximum(np.linalg.norm(y, axis=1, keepdims=True), 1e-12)


_cache: dict[Path, ReidModel] = {}
_cache_lock = threading.Lock()


def load_reid(name: str) -> ReidModel | None:
    """`global_ids.reid`: `none` -> None, `demo` -> the bundled model, else a path to an ONNX file.
    One model per file per process (the cameras of a run share it)."""
    if name == NONE:
        return None
    path = demo_reid_path() if name == DEMO else Path(name).expanduser()
    with _cache_lock:
        key = path.resolve()
        if key not in _cache:
            _cache[key] = ReidModel(path)
        return _cache[key]


def resolve_reid(reid: str, weights: Sequence[str | None]) -> str:
    """`global_ids.reid` with `auto` decided for the detectors in use (`weights`, one per camera or one for
    all): the demo network when every one is a bundled demo model, whose shapes it was trained on; else
    the detector's features (`none`): on anything real the demo network knows nothing, and one gallery
    needs one kind of feature from every camera."""
    if reid != AUTO:
        return reid
    from yolotrack.core.assets import DEMO_NAMES

    demo_files = {p.resolve() for p in DEMO_NAMES.values()}
    ok = bool(weights) and all(w is not None and (str(w) in DEMO_NAMES or Path(str(w)).resolve() in demo_files)
                               for w in weights)
    return DEMO if ok else NONE


def reid_for(g: GlobalIdsConfig, weights: Sequence[str | None] = ()) -> ReidModel | None:
    """The ReID model `global_ids` asks for (`auto` decided by `resolve_reid` for `weights`), or None for
    the detector's features: with `global_ids.enabled` false, `none`, or `demo` without onnxruntime
    installed (said once in the log). A named file that cannot be used is a `ConfigError`."""
    name = resolve_reid(g.reid, weights)
    if not g.enabled or name == NONE:
        return None
    if name == DEMO:
        try:
            import onnxruntime  # noqa: F401
        except ImportError:
            global _warned
            if not _warned:
                log.warning("global ids use the detector's features: the demo ReID model needs onnxruntime "
                            "(pip install 'yolotrack[ort]')")
                _warned = True
            return None
    return load_reid(name)


_warned = False
