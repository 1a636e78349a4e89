"""The cameras file: several named sources, each with optional config overrides.

One format serves `yolotrack run --cameras FILE`, `yolotrack gui --cameras FILE` and the Ray
cluster, so a site is described once:

    cameras:
      - name: door
        source: rtsp://user:pass@10.0.0.5/stream
        overrides: {model.conf: 0.4}     # optional: any config key
      - name: yard
        source: /data/yard.mp4

A name becomes a file name (`DIR/<name>.jsonl`) and an MQTT topic level, so it must be unique and
made of letters, digits, `.`, `_` and `-`. Overrides are checked against the config schema when
the file is loaded, so a typo fails before any camera starts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from yolotrack.core.config import Config, read_yaml, set_value
from yolotrack.core.errors import ConfigError
from yolotrack.core.files import atomic_write

_SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$")
_CAMERA_KEYS = ("name", "source", "overrides")


@dataclass
class Camera:
    name: str
    source: str
    overrides: dict[str, Any] = field(default_factory=dict)  # dotted key -> value

    def config(self, base: Config) -> Config:
        """`base` with this camera's source and overrides applied (a copy; `base` is untouched)."""
        cfg = set_value(base, ["source", "uri"], self.source)
        for key, value in self.overrides.items():
            cfg = set_value(cfg, key.split("."), value)
        return cfg

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "source": self.source}
        if self.overrides:
            out["overrides"] = dict(self.overrides)
        return out


def parse_cameras(data: Any, where: str = "cameras file") -> list[Camera]:
    """Validate the loaded YAML (a mapping with a `cameras` list) into `Camera`s."""
    if not isinstance(data, dict) or set(data) != {"cameras"}:
        raise ConfigError(f"{where}: expected one top-level key 'cameras' holding a list of cameras")
    items = data["cameras"]
    if not isinstance(items, list) or not items:
        raise ConfigError(f"{where}: 'cameras' must be a non-empty list")
    cameras: list[Camera] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        at = f"{where}: camera {i + 1}"
        if not isinstance(item, dict):
            raise ConfigError(f"{at}: expected a mapping with name and source, got {item!r}")
        unknown = sorted(set(map(str, item)) - set(_CAMERA_KEYS))
        if unknown:
            raise ConfigError(f"{at}: unknown key(s) {', '.join(unknown)} (valid: {', '.join(_CAMERA_KEYS)})")
        name, source = item.get("name"), item.get("source")
        if not isinstance(name, str) or not _SAFE_NAME.match(name):
            raise ConfigError(f"{at}: name {name!r} must be 1-64 letters, digits, '.', '_' or '-' (it names files "
                              "and topics), not starting with '.' or '-'")
        if name.lower() in seen:
            raise ConfigError(f"{at}: the name '{name}' is used twice (names are compared without case)")
        seen.add(name.lower())
        if isinstance(source, bool) or not isinstance(source, (str, int)) or str(source).strip() == "":
            raise ConfigError(f"{at} ({name}): source must be a webcam index, a file, a folder or a URL")
        overrides = item.get("overrides") or {}
        if not isinstance(overrides, dict):
            raise ConfigError(f"{at} ({name}): overrides must be a mapping of section.key: value")
        cam = Camera(name, str(source), {str(k): v for k, v in overrides.items()})
        try:
            cam.config(Config())  # check every override against the schema now
        except ConfigError as e:
            raise ConfigError(f"{at} ({name}): {e}") from None
        cameras.append(cam)
    return cameras


def load_cameras(path: str | Path) -> list[Camera]:
    p = Path(path).expanduser()
    if not p.is_file():
        raise ConfigError(f"cameras file {p} not found")
    return parse_cameras(read_yaml(p), where=str(p))


def save_cameras(path: str | Path, cameras: Sequence[Camera]) -> Path:
    """Write a cameras file that `load_cameras` reads back unchanged (atomically)."""
    text = yaml.safe_dump({"cameras": [c.to_dict() for c in cameras]}, sort_keys=False, allow_unicode=True)
    return atomic_write(Path(path).expanduser(), lambda tmp: tmp.write_text(text, encoding="utf-8"))
