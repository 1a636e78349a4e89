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

Optional `links` say where objects go between cameras, for global ids (`tracker/global_ids.py`):

    links:
      - {from: door, to: hall, min_s: 1, max_s: 20}   # seen in hall 1-20 s after leaving door
      - {from: hall, to: yard}                        # window 0..global_ids.max_s; 0 = views may overlap

Without `links`, every pair of cameras is linked both ways with the window 0..`global_ids.max_s`.
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
_TOP_KEYS = ("cameras", "links")
_LINK_KEYS = ("from", "to", "min_s", "max_s")


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


@dataclass(frozen=True)
class Link:
    """Objects leaving camera `source` may appear in camera `target` `min_s`..`max_s` seconds later
    (`max_s` None: the run's `global_ids.max_s`). A window starting at 0 includes objects seen in
    both cameras at once (overlapping views)."""

    source: str
    target: str
    min_s: float = 0.0
    max_s: float | None = None


@dataclass
class Site:
    """A whole cameras file: the cameras and, when given, the links between them (None: every pair)."""

    cameras: list[Camera]
    links: list[Link] | None = None


def parse_cameras(data: Any, where: str = "cameras file") -> list[Camera]:
    """Validate the loaded YAML (a mapping with a `cameras` list) into `Camera`s."""
    return parse_site(data, where).cameras


def parse_site(data: Any, where: str = "cameras file") -> Site:
    """Validate the loaded YAML (a mapping with a `cameras` list and optional `links`) into a `Site`."""
    if not isinstance(data, dict) or "cameras" not in data or not set(map(str, data)) <= set(_TOP_KEYS):
        raise ConfigError(f"{where}: expected the top-level key 'cameras' holding a list of cameras "
                          "(and optionally 'links')")
    items = data["cameras"]
    if not isinstance(items, list) or not items:
        raise ConfigError(f"{where}: 'cameras' must be a non-empty list")
    cameras: list[Camera] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        at = f"{where}: camera {i + 1}"
        _check_item(item, at, _CAMERA_KEYS, "with name and source")
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
    links = _parse_links(data["links"], [c.name for c in cameras], where) if "links" in data else None
    return Site(cameras, links)


def _parse_links(items: Any, names: list[str], where: str) -> list[Link]:
    if not isinstance(items, list):
        raise ConfigError(f"{where}: 'links' must be a list of {{from: camera, to: camera, min_s, max_s}}")
    known = {n.lower(): n for n in names}
    links: list[Link] = []
    seen: set[tuple[str, str]] = set()
    for i, item in enumerate(items):
        at = f"{where}: link {i + 1}"
        _check_item(item, at, _LINK_KEYS, "{from: camera, to: camera, min_s, max_s}")
        ends: list[str] = []
        for key in ("from", "to"):
            value = item.get(key)
            if not isinstance(value, str) or value.lower() not in known:
                raise ConfigError(f"{at}: '{key}' must name a camera of this file ({', '.join(names)}), "
                                  f"got {value!r}")
            ends.append(known[value.lower()])
        if ends[0] == ends[1]:
            raise ConfigError(f"{at}: 'from' and 'to' are both {ends[0]}; a link joins two cameras")
        window: list[float | None] = []
        for key in ("min_s", "max_s"):
            value = item.get(key)
            if value is None and key == "max_s":
                window.append(None)
                continue
            value = 0.0 if value is None else value
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1e9:
                raise ConfigError(f"{at} ({ends[0]} -> {ends[1]}): {key} must be a number of seconds >= 0, "
                                  f"got {value!r}")
            window.append(float(value))
        lo, hi = window
        assert lo is not None
        if hi is not None and hi < lo:
            raise ConfigError(f"{at} ({ends[0]} -> {ends[1]}): max_s {hi:g} is below min_s {lo:g}")
        if (ends[0], ends[1]) in seen:
            raise ConfigError(f"{at}: a second link from {ends[0]} to {ends[1]}")
        seen.add((ends[0], ends[1]))
        links.append(Link(ends[0], ends[1], lo, hi))
    return links


def _check_item(item: Any, at: str, keys: tuple[str, ...], shape: str) -> None:
    """One list item of the file: a mapping with only known keys."""
    if not isinstance(item, dict):
        raise ConfigError(f"{at}: expected a mapping {shape}, got {item!r}")
    unknown = sorted(set(map(str, item)) - set(keys))
    if unknown:
        raise ConfigError(f"{at}: unknown key(s) {', '.join(unknown)} (valid: {', '.join(keys)})")


def load_cameras(path: str | Path) -> list[Camera]:
    return load_site(path).cameras


def load_site(path: str | Path) -> Site:
    """The cameras file at `path`: its cameras and links."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise ConfigError(f"cameras file {p} not found")
    return parse_site(read_yaml(p), where=str(p))


def save_cameras(path: str | Path, cameras: Sequence[Camera]) -> Path:
    """Write a cameras file that `load_cameras` reads back unchanged (atomically)."""
    text = yaml.safe_dump({"cameras": [c.to_dict() for c in cameras]}, sort_keys=False, allow_unicode=True)
    return atomic_write(Path(path).expanduser(), lambda tmp: tmp.write_text(text, encoding="utf-8"))
