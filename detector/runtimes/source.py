"""What an export is made from: the model's card, and the torch model itself only when a file is missing.

The pipeline needs a handful of facts about a model (class names, task, strides, keypoint shape)
long before it needs the network, and the exported runtimes need the network only as cached files.
So the first load of a weights file writes a small card beside its exports in the cache, keyed by
the file's hash; the next start reads the card and the cached runtime files and never imports
torch. A runtime asks `ModelSource.module()` for the torch model only on a cache miss.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from yolotrack.core.files import atomic_write
from yolotrack.core.keypoints import KeypointLayout
from yolotrack.detector.runtimes.cache import EXPORT_FORMAT, export_dir, file_hash, weights_key

log = logging.getLogger(__name__)

CARD_FORMAT = 1


@dataclass(frozen=True)
class ModelCard:
    """The model facts the pipeline and the post-processing read (the same names as the model's attributes)."""

    key: str  # weights hash + family + task (cache.weights_key)
    names: dict[int, str]
    task: str
    nc: int
    stride: tuple[float, ...]
    kpt_shape: tuple[int, int] | None
    family: str
    keypoints: dict[str, Any] | None = None  # pose: the layout's names and skeleton

    @property
    def keypoint_layout(self) -> KeypointLayout | None:
        if self.kpt_shape is None:
            return None
        return KeypointLayout.from_meta(self.keypoints, self.kpt_shape[0])

    @classmethod
    def from_model(cls, model: Any, key: str) -> ModelCard:
        kpt = getattr(model, "kpt_shape", None)
        stride = getattr(model, "stride", (8.0, 16.0, 32.0))
        return cls(key=key, names={int(k): str(v) for k, v in dict(model.names).items()},
                   task=str(getattr(model, "task", "detect")), nc=int(model.nc),
                   stride=tuple(float(s) for s in (stride.tolist() if hasattr(stride, "tolist") else stride)),
                   kpt_shape=tuple(int(v) for v in kpt) if kpt is not None else None,
                   family=str(getattr(model, "family", "x")),
                   keypoints=layout.to_meta() if (layout := getattr(model, "keypoint_layout", None)) else None)

    def to_json(self) -> str:
        d = asdict(self)
        d["names"] = {str(k): v for k, v in self.names.items()}
        return json.dumps({"format": CARD_FORMAT, **d}, indent=1)

    @classmethod
    def from_json(cls, text: str) -> ModelCard:
        d = json.loads(text)
        if d.pop("format", None) != CARD_FORMAT:
            raise ValueError("card format changed")
        return cls(key=d["key"], names={int(k): v for k, v in d["names"].items()}, task=d["task"], nc=int(d["nc"]),
                   stride=tuple(d["stride"]), kpt_shape=tuple(d["kpt_shape"]) if d["kpt_shape"] else None,
                   family=d["family"], keypoints=d.get("keypoints"))


def card_path(weights_path: Path, cache_dir: Path | None = None) -> Path:
    stem = "".join(c if c.isalnum() or c in "._-" else "_" for c in Path(weights_path).stem)
    return export_dir(cache_dir) / f"{stem}-{file_hash(weights_path)}-card-f{EXPORT_FORMAT}.json"


def read_card(weights_path: Path, cache_dir: Path | None = None) -> ModelCard | None:
    """The cached card of this weights file, or None (never written, or from an older format)."""
    path = card_path(weights_path, cache_dir)
    try:
        return ModelCard.from_json(path.read_text())
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as e:
        log.info("ignoring the unreadable model card %s (%s)", path.name, e)
        return None


def write_card(card: ModelCard, weights_path: Path, cache_dir: Path | None = None) -> None:
    path = card_path(weights_path, cache_dir)
    if not path.is_file():
        atomic_write(path, lambda tmp: tmp.write_text(card.to_json()), ".json")


class ModelSource:
    """A card, where the weights came from, and the torch model (given, or loaded on first `module()`)."""

    def __init__(self, card: ModelCard, weights_path: Path | None = None, module: Any = None,
                 loader: Callable[[], Any] | None = None, features: bool = False) -> None:
        self.card = card
        self.weights_path = Path(weights_path) if weights_path is not None else None
        self._module = module
        self._loader = loader
        self.features = features  # the model also returns its P3 neck map (`return_features`): another export

    @classmethod
    def of(cls, model: Any, weights_path: str | Path | None = None, cache_dir: Path | None = None) -> ModelSource:
        """From a torch model (or a source, returned as is); writes the card when the weights are a file."""
        if isinstance(model, ModelSource):
            return model
        wpath = Path(weights_path) if weights_path is not None else None
        card = ModelCard.from_model(model, weights_key(model, wpath))
        if wpath is not None:
            write_card(card, wpath, cache_dir)
        return cls(card, wpath, module=model, features=bool(getattr(model, "return_features", False)))

    @property
    def loaded(self) -> bool:
        return self._module is not None

    def module(self) -> Any:
        """The fused eval torch model; loading it imports torch (a cold cache, or a new input shape)."""
        if self._module is None:
            if self._loader is None:
                raise RuntimeError("this model source has no torch model to export from")
            log.info("loading the torch model to export it (once per input shape, then cached)")
            self._module = self._loader()
            self._module.return_features = self.features
        return self._module

    @property
    def stem(self) -> str:
        return self.weights_path.stem if self.weights_path is not None else "model"

    @property
    def task(self) -> str:
        return self.card.task
