"""Persistent GUI settings (QSettings): thresholds, toggles, recent URLs, model choice, geometry."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QSettings

from yolotrack.core.config import read_yaml, resolve_config_path

ORG = "yolotrack"
APP = "yolotrack-gui"


class GuiSettings:
    """Typed access to QSettings, so a bad stored value falls back to a default instead of crashing."""

    def __init__(self, qsettings: QSettings | None = None) -> None:
        self.q = qsettings if qsettings is not None else QSettings(ORG, APP)

    def get_float(self, key: str, default: float) -> float:
        try:
            return float(self.q.value(key, default))
        except (TypeError, ValueError):
            return default

    def get_bool(self, key: str, default: bool) -> bool:
        v = self.q.value(key, default)
        if isinstance(v, str):
            return v.lower() in ("1", "true", "yes")
        return bool(v)

    def get_str(self, key: str, default: str = "") -> str:
        v = self.q.value(key, default)
        return default if v is None else str(v)

    def get_list(self, key: str) -> list[str]:
        v = self.q.value(key, [])
        if v is None:
            return []
        if isinstance(v, str):
            return [v] if v else []
        return [str(x) for x in v]

    def set(self, key: str, value: Any) -> None:
        self.q.setValue(key, value)

    def remember_url(self, url: str, limit: int) -> list[str]:
        """Most recent first, no duplicates, at most `limit`."""
        urls = [u for u in self.get_list("recent_urls") if u != url]
        urls = ([url] + urls)[: max(0, limit)]
        self.set("recent_urls", urls)
        return urls

    def sync(self) -> None:
        self.q.sync()


def preset_keys(config: str | Path | None) -> frozenset[str]:
    """Dotted keys (`model.conf`, `render.trails`, ...) a `--config` file or preset sets.

    The GUI's remembered values only fill what the user did not specify: whatever the chosen
    preset names explicitly must win over them, like flags and KEY=VALUE overrides do.
    """
    if config is None or config == "":
        return frozenset()
    keys: set[str] = set()

    def walk(node: Mapping[Any, Any], prefix: str) -> None:
        for k, v in node.items():
            key = f"{prefix}{k}"
            if isinstance(v, Mapping):
                walk(v, key + ".")
            else:
                keys.add(key)

    data = read_yaml(resolve_config_path(config))
    if isinstance(data, Mapping):
        walk(data, "")
    return frozenset(keys)
