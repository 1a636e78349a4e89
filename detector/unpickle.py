"""Restricted unpickling of upstream `.pt` checkpoints without `ultralytics` and without running file code.

`torch.load` is given this module as `pickle_module`. Its `Unpickler.find_class` resolves only an
allowlist: tensor rebuild helpers, a few containers, numpy scalar/array reconstructors, and
`ultralytics.*` / `torch.nn.*` module classes, which are replaced by inert stub classes. Anything
else (`os.system`, `builtins.eval`, `subprocess`, unknown modules) raises `UnpicklingError` before
it can be called.
"""

from __future__ import annotations

import collections
import pickle
from typing import Any

import torch
import torch.nn as nn

# Unpickler/load/Pickler are read by torch.load from the pickle_module it is given.
Pickler = pickle.Pickler
dump = pickle.dump
dumps = pickle.dumps
UnpicklingError = pickle.UnpicklingError


class StubModule(nn.Module):
    """Inert stand-in for any pickled nn.Module class; keeps parameters, buffers and attributes."""

    _source = "stub"

    def forward(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - never called
        raise RuntimeError(f"stub of {self._source} cannot run")


class StubObject:
    """Inert stand-in for a non-module `ultralytics.*` object (namespaces, losses, metrics)."""

    _source = "stub"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = args
        self.__dict__.update(kwargs)

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, tuple) and len(state) == 2:
            state = {**(state[0] or {}), **(state[1] or {})}
        if isinstance(state, dict):
            self.__dict__.update(state)

    def get(self, key: str, default: Any = None) -> Any:
        return self.__dict__.get(key, default)


def _numpy_globals() -> dict[tuple[str, str], Any]:
    """Reconstructors numpy itself needs for scalars/arrays in training metrics (numpy 1 or 2 pickles)."""
    import importlib

    import numpy as np

    try:
        ma = importlib.import_module("numpy._core.multiarray")
    except ImportError:  # numpy 1.x
        ma = importlib.import_module("numpy.core.multiarray")
    out: dict[tuple[str, str], Any] = {("numpy", "dtype"): np.dtype, ("numpy", "ndarray"): np.ndarray}
    for mod in ("numpy.core.multiarray", "numpy._core.multiarray"):
        out[(mod, "scalar")] = ma.scalar
        out[(mod, "_reconstruct")] = ma._reconstruct
    for name in ("float64", "float32", "float16", "int64", "int32", "bool_", "uint8"):
        out[("numpy", name)] = getattr(np, name)
    return out


def _torch_globals() -> dict[tuple[str, str], Any]:
    import codecs

    import torch._utils as tu

    out: dict[tuple[str, str], Any] = {
        ("torch._utils", "_rebuild_tensor_v2"): tu._rebuild_tensor_v2,
        ("torch._utils", "_rebuild_tensor"): tu._rebuild_tensor,
        ("torch._utils", "_rebuild_parameter"): tu._rebuild_parameter,
        ("torch", "Size"): torch.Size,
        ("torch", "device"): torch.device,
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("builtins", "set"): set, ("__builtin__", "set"): set,
        ("builtins", "frozenset"): frozenset, ("__builtin__", "frozenset"): frozenset,
        ("builtins", "slice"): slice, ("builtins", "complex"): complex,
        ("_codecs", "encode"): codecs.encode,
    }
    for name in ("_rebuild_parameter_with_state",):
        if hasattr(tu, name):
            out[("torch._utils", name)] = getattr(tu, name)
    try:
        from torch._tensor import _rebuild_from_type_v2

        out[("torch._tensor", "_rebuild_from_type_v2")] = _rebuild_from_type_v2
    except ImportError:
        pass
    for dt in ("float16", "float32", "float64", "bfloat16", "int64", "int32", "uint8", "bool", "int8", "int16"):
        out[("torch", dt)] = getattr(torch, dt)
    return out


TORCH_NN_MODULES = ("torch.nn.modules.",)
STUB_MODULE_PREFIXES = ("ultralytics.nn.",)
STUB_OBJECT_PREFIXES = ("ultralytics.",)
PATH_CLASSES = {("pathlib", n) for n in ("PosixPath", "WindowsPath", "PurePosixPath", "PureWindowsPath", "Path")}


class Unpickler(pickle.Unpickler):
    """Allowlist-only unpickler. Stub classes are created per instance, so no state leaks."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._allowed = {**_torch_globals(), **_numpy_globals()}
        self._stubs: dict[tuple[str, str], type] = {}

    def _stub(self, module: str, name: str, base: type) -> type:
        key = (module, name)
        if key not in self._stubs:
            self._stubs[key] = type(name, (base,), {"_source": f"{module}.{name}",
                                                    "__module__": "yolotrack.detector.stub"})
        return self._stubs[key]

    def find_class(self, module: str, name: str) -> Any:
        key = (module, name)
        if key in self._allowed:
            return self._allowed[key]
        if key in PATH_CLASSES:
            return str  # paths in training args become plain strings
        if module.startswith(TORCH_NN_MODULES) or module.startswith(STUB_MODULE_PREFIXES):
            return self._stub(module, name, StubModule)
        if module.startswith(STUB_OBJECT_PREFIXES):
            return self._stub(module, name, StubObject)
        raise pickle.UnpicklingError(f"refused to load global '{module}.{name}' (not on the checkpoint allowlist)")



def load(file: Any, **kwargs: Any) -> Any:
    """torch.load's legacy (non-zip) path reads its headers with `pickle_module.load`: restrict it too."""
    return Unpickler(file, **kwargs).load()


def loads(data: bytes, **kwargs: Any) -> Any:
    import io

    return Unpickler(io.BytesIO(data), **kwargs).load()
