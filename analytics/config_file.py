"""The `analytics` section in its own YAML file: what a lines/zones editor loads and saves.

`save_analytics` writes a file that `yolotrack run --config FILE` and `yolotrack export --config
FILE` accept unchanged (a config file holds only the keys it changes). Saving into an existing
config file replaces its `analytics` section and keeps every other section. Both directions go
through the same strict loader as any config file, so a saved file always loads again.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import yaml

from yolotrack.core.config import AnalyticsConfig, Config, build, read_yaml
from yolotrack.core.errors import ConfigError
from yolotrack.core.files import atomic_write


def load_analytics(path: str | Path) -> AnalyticsConfig:
    """The `analytics` section of a config file (defaults when it has none); the whole file is checked."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise ConfigError(f"config file {p} not found")
    return build(Config, read_yaml(p), "").analytics


def analytics_to_dict(cfg: AnalyticsConfig) -> dict[str, Any]:
    """The section as YAML-ready data, only with what differs from the defaults (and every shape's
    name and geometry), so a saved file stays short and readable."""
    out: dict[str, Any] = {}
    if cfg.lines:
        out["lines"] = [_shape(item, "points") for item in cfg.lines]
    if cfg.zones:
        out["zones"] = [_shape(item, "polygon") for item in cfg.zones]
    defaults = AnalyticsConfig()
    for key in ("hysteresis", "min_displacement"):
        if getattr(cfg, key) != getattr(defaults, key):
            out[key] = getattr(cfg, key)
    heat = {k: v for k, v in dataclasses.asdict(cfg.heatmap).items() if getattr(defaults.heatmap, k) != v}
    if heat:
        out["heatmap"] = heat
    return out


def _shape(item: Any, geometry: str) -> dict[str, Any]:
    out: dict[str, Any] = {"name": item.name, geometry: [[_num(x), _num(y)] for x, y in getattr(item, geometry)]}
    blank = type(item)(name=item.name, **{geometry: getattr(item, geometry)})
    for f in dataclasses.fields(item):
        if f.name not in out and getattr(item, f.name) != getattr(blank, f.name):
            out[f.name] = getattr(item, f.name)
    return out


def _num(v: float) -> int | float:
    v = float(v)
    return int(v) if v.is_integer() else round(v, 2)


def save_analytics(path: str | Path, cfg: AnalyticsConfig, keep_other: bool = True) -> Path:
    """Write `cfg` as the `analytics` section of `path` (atomically); with `keep_other`, the file's other
    sections stay as they were. Raises `ConfigError` (and writes nothing) when the result would not load."""
    p = Path(path).expanduser()
    data: dict[str, Any] = read_yaml(p) if keep_other and p.is_file() else {}
    section = analytics_to_dict(cfg)
    if section:
        data["analytics"] = section
    else:
        data.pop("analytics", None)
    build(Config, data, "")  # what run/export will do with it
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None)
    return atomic_write(p, lambda tmp: tmp.write_text(text, encoding="utf-8"))
