"""Typed configuration: dataclasses, YAML loading, `key.sub=value` overrides, strict checks.

Every key lives in a dataclass field below; `configs/default.yaml` documents each one. The
dataclasses are frozen: a config is checked once, when it is loaded, and then only read, so a
section handed to a stage or another thread can never change under it (or be changed by it). A
changed config is a new object: `dataclasses.replace`, or `set_value` for a dotted key with the
loader's checks. Lists inside a section are not copied: treat them as read-only too. Loading
is strict: an unknown key names the closest valid key, a wrong type or out-of-range value names
the key, what was given and what is allowed. Field constraints sit in `metadata`:
`choices` (allowed values), `min`/`max` (inclusive bounds).
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar, Union

import yaml

from yolotrack.core.assets import CONFIG_DIR
from yolotrack.core.errors import ConfigError
from yolotrack.core.geometry import line_problem, polygon_problem


def _f(default: Any = dataclasses.MISSING, *, factory: Any = None, **meta: Any) -> Any:
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class ModelConfig:
    weights: str = _f("auto")
    scale: str = _f("n", choices=("n", "s", "m", "l", "x"))
    task: str = _f("detect", choices=("detect", "segment", "pose"))
    imgsz: int = _f(640, min=32, max=4096)
    conf: float = _f(0.25, min=0.0, max=1.0)
    iou: float = _f(0.7, min=0.0, max=1.0)
    classes: list[Union[int, str]] | None = _f(None)
    max_det: int = _f(300, min=1, max=100000)
    agnostic_nms: bool = _f(False)
    device: str = _f("auto")
    half: bool | None = _f(None)
    attention: str = _f("auto", choices=("auto", "flash", "sdpa", "eager"))
    runtime: str = _f("auto", choices=("auto", "torch", "onnxruntime", "openvino"))
    precision: str = _f("fp32", choices=("fp32", "bf16", "int8"))
    calibration: str | None = _f(None)
    calibration_frames: int = _f(64, min=1, max=2000)


@dataclass(frozen=True)
class ReconnectConfig:
    enabled: bool = _f(True)
    initial_delay: float = _f(0.5, min=0.0, max=3600.0)
    max_delay: float = _f(10.0, min=0.0, max=3600.0)
    max_attempts: int = _f(0, min=0)


@dataclass(frozen=True)
class SourceConfig:
    uri: Union[str, list[str]] = _f("demo")
    policy: str = _f("auto", choices=("auto", "live", "lossless"))
    width: int | None = _f(None, min=1)
    height: int | None = _f(None, min=1)
    fps: float | None = _f(None, min=0.1, max=1000.0)
    fourcc: str | None = _f(None)
    realtime: bool = _f(False)
    loop: bool = _f(False)
    transport: str = _f("tcp", choices=("tcp", "udp"))
    timeout: float = _f(5.0, min=0.1, max=600.0)
    reconnect: ReconnectConfig = _f(factory=ReconnectConfig)


@dataclass(frozen=True)
class BotSortConfig:
    gmc: str = _f("sparse", choices=("sparse", "ecc", "none"))
    appearance: bool = _f(False)
    proximity_thresh: float = _f(0.5, min=0.0, max=1.0)
    appearance_thresh: float = _f(0.25, min=0.0, max=1.0)
    reid: bool = _f(False)
    reid_buffer: int = _f(150, min=1, max=100000)
    reid_thresh: float = _f(0.02, min=0.0, max=1.0)


@dataclass(frozen=True)
class OcSortConfig:
    iou_thresh: float = _f(0.3, min=0.0, max=1.0)
    min_hits: int = _f(3, min=0, max=1000)
    delta_t: int = _f(3, min=1, max=100)
    inertia: float = _f(0.2, min=0.0, max=1.0)
    use_byte: bool = _f(False)


@dataclass(frozen=True)
class TrackerConfig:
    enabled: bool = _f(True)
    type: str = _f("botsort", choices=("bytetrack", "botsort", "ocsort"))
    track_thresh: float = _f(0.25, min=0.0, max=1.0)
    low_thresh: float = _f(0.1, min=0.0, max=1.0)
    new_track_thresh: float = _f(0.3, min=0.0, max=1.0)
    match_thresh: float = _f(0.8, min=0.0, max=1.0)
    second_match_thresh: float = _f(0.5, min=0.0, max=1.0)
    unconfirmed_match_thresh: float = _f(0.7, min=0.0, max=1.0)
    track_buffer: int = _f(30, min=1, max=100000)
    fuse_score: bool = _f(True)
    per_class: bool = _f(False)
    report_missed: int = _f(2, min=0, max=1000)
    botsort: BotSortConfig = _f(factory=BotSortConfig)
    ocsort: OcSortConfig = _f(factory=OcSortConfig)


@dataclass(frozen=True)
class MqttConfig:
    """`output.mqtt`: a section, or just the URL (`output.mqtt: mqtt://host`, the `SHORTHAND` field)."""

    SHORTHAND: ClassVar[str] = "url"
    url: str | None = _f(None)
    required: bool = _f(False)
    qos: int = _f(1, choices=(0, 1, 2))
    queue_size: int = _f(10000, min=1, max=10_000_000)
    counts_interval: float = _f(10.0, min=0.0, max=86400.0)
    client_id: str | None = _f(None)
    keepalive: int = _f(30, min=5, max=65535)
    ca_file: str | None = _f(None)
    drain_timeout: float = _f(5.0, min=0.0, max=3600.0)


@dataclass(frozen=True)
class WebhookConfig:
    """`output.webhook`: a section, or just the URL (`output.webhook: https://host/hook`)."""

    SHORTHAND: ClassVar[str] = "url"
    url: str | None = _f(None)
    batch: int = _f(1, min=1, max=1000)
    timeout: float = _f(5.0, min=0.1, max=600.0)
    queue_size: int = _f(10000, min=1, max=10_000_000)
    max_delay: float = _f(30.0, min=0.1, max=3600.0)
    drain_timeout: float = _f(5.0, min=0.0, max=3600.0)


@dataclass(frozen=True)
class SnapshotConfig:
    """`output.snapshots`: a section, or just the folder (`output.snapshots: /var/lib/yolotrack/snaps`)."""

    SHORTHAND: ClassVar[str] = "dir"
    dir: str | None = _f(None)
    mqtt: bool = _f(False)
    interval: float = _f(10.0, min=0.0, max=86400.0)
    quality: int = _f(85, min=1, max=100)
    queue_size: int = _f(8, min=1, max=1000)


@dataclass(frozen=True)
class OutputConfig:
    dir: str = _f("runs/export")
    formats: list[str] = _f(factory=lambda: ["video", "mot", "cvat", "coco", "jsonl"],
                            choices=("video", "mot", "cvat", "coco", "jsonl", "counts", "heatmap"))
    jsonl: str = _f("-")
    events: str | None = _f(None)
    video: str | None = _f(None)
    codec: str = _f("libx264")
    crf: int = _f(23, min=0, max=51)
    preset: str = _f("veryfast", choices=("ultrafast", "superfast", "veryfast", "faster",
                                          "fast", "medium", "slow", "slower", "veryslow"))
    coco_masks: str = _f("rle", choices=("rle", "polygon"))
    mqtt: MqttConfig = _f(factory=MqttConfig)
    webhook: WebhookConfig = _f(factory=WebhookConfig)
    snapshots: SnapshotConfig = _f(factory=SnapshotConfig)


@dataclass(frozen=True)
class RenderConfig:
    boxes: bool = _f(True)
    labels: bool = _f(True)
    trails: bool = _f(True)
    trail_length: int = _f(30, min=0, max=10000)
    masks: bool = _f(True)
    mask_alpha: float = _f(0.4, min=0.0, max=1.0)
    keypoints: bool = _f(True)
    line_width: int | None = _f(None, min=1, max=50)
    font_scale: float | None = _f(None, min=0.1, max=10.0)


@dataclass(frozen=True)
class PipelineConfig:
    queue_size: int = _f(4, min=1, max=1024)
    stats_interval: float = _f(10.0, min=0.0, max=86400.0)
    detect_every: int = _f(1, min=1, max=100)
    metrics: str | None = _f(None)


@dataclass(frozen=True)
class UIConfig:
    fullscreen: bool = _f(False)
    recent_urls: int = _f(10, min=0, max=100)
    probe_webcams: int = _f(10, min=0, max=64)


ANCHORS = ("center", "bottom_center", "top_center", "center_left", "center_right",
           "top_left", "top_right", "bottom_left", "bottom_right")


@dataclass(frozen=True)
class LineConfig:
    """A counting line: `in` is a crossing from the left of points[0]->points[1] to its right."""

    name: str = _f()
    points: list[list[float]] = _f()
    classes: list[Union[int, str]] | None = _f(None)
    anchor: str = _f("center", choices=ANCHORS)
    source: str | None = _f(None)

    def check(self, key: str) -> None:
        _check_name(self.name, key)
        problem = line_problem(self.points)
        if problem:
            raise ConfigError(f"{key} ({self.name}): {problem}")


@dataclass(frozen=True)
class ZoneConfig:
    """A zone: a simple polygon; a track is inside while its anchor point is."""

    name: str = _f()
    polygon: list[list[float]] = _f()
    classes: list[Union[int, str]] | None = _f(None)
    anchor: str = _f("center", choices=ANCHORS)
    source: str | None = _f(None)
    inertia: int = _f(1, min=1, max=10000)  # frames on the new side before an enter or exit counts
    loitering_s: float | None = _f(None, min=0.0, max=1e7)  # a `loitering` event after this long inside
    min_area: float | None = _f(None, min=0.0)  # box area in frame pixels; other boxes do not change the zone
    max_area: float | None = _f(None, min=0.0)
    distances: list[float] | None = _f(None)  # a speed zone: real lengths (m) of edges 1-2, 2-3, 3-4, 4-1
    speed_unit: str = _f("km/h", choices=("km/h", "m/s", "mph"))
    speed_limit: float | None = _f(None, min=0.0)  # a `speeding` event above it (in speed_unit)

    def check(self, key: str) -> None:
        _check_name(self.name, key)
        problem = polygon_problem(self.polygon)
        if problem:
            raise ConfigError(f"{key} ({self.name}): {problem}")
        if self.min_area is not None and self.max_area is not None and self.min_area > self.max_area:
            raise ConfigError(f"{key} ({self.name}): min_area {self.min_area:g} is larger than max_area "
                              f"{self.max_area:g}")
        if self.distances is not None:
            if len(self.polygon) != 4:
                raise ConfigError(f"{key} ({self.name}): a speed zone (distances) needs exactly 4 corners, "
                                  f"got {len(self.polygon)}")
            if len(self.distances) != 4 or not all(0 < d < float("inf") for d in self.distances):
                raise ConfigError(f"{key}.distances ({self.name}): give the 4 edges' real lengths in metres "
                                  f"(1-2, 2-3, 3-4, 4-1), each above 0, got {list(self.distances)}")
        elif self.speed_limit is not None:
            raise ConfigError(f"{key} ({self.name}): speed_limit needs distances (the real lengths of the "
                              "zone's 4 edges) to measure speed")


def _check_name(name: str, key: str) -> None:
    if not name.strip() or any(ord(ch) < 32 for ch in name):
        raise ConfigError(f"{key}.name: {name!r} must be a non-empty name without control characters")


@dataclass(frozen=True)
class HeatmapConfig:
    anchor: str = _f("bottom_center", choices=ANCHORS)
    radius: float = _f(0.02, min=0.0, max=1.0)
    opacity: float = _f(0.6, min=0.0, max=1.0)


@dataclass(frozen=True)
class AnalyticsConfig:
    lines: list[LineConfig] = _f(factory=list)
    zones: list[ZoneConfig] = _f(factory=list)
    hysteresis: float = _f(0.2, min=0.0, max=10.0)
    min_displacement: float = _f(0.05, min=0.0, max=10.0)
    heatmap: HeatmapConfig = _f(factory=HeatmapConfig)

    def check(self, key: str) -> None:
        seen: dict[str, str] = {}
        for kind, items in (("lines", self.lines), ("zones", self.zones)):
            for i, item in enumerate(items):
                where = f"{key}.{kind}[{i}]"
                if item.name in seen:
                    raise ConfigError(f"{where}: the name '{item.name}' is already used by {seen[item.name]} "
                                      "(line and zone names must be unique)")
                seen[item.name] = where


@dataclass(frozen=True)
class ClusterConfig:
    address: str | None = _f(None)
    group_size: int = _f(4, min=1, max=1024)
    num_cpus: float = _f(1.0, min=0.0, max=1024.0)
    num_gpus: float = _f(0.0, min=0.0, max=64.0)
    max_restarts: int = _f(3, min=-1)
    checkpoint_every: int = _f(25, min=1, max=100000)
    outbox: int = _f(64, min=1, max=100000)
    start_timeout: float = _f(120.0, min=0.0, max=86400.0)
    hang_timeout: float = _f(30.0, min=0.0, max=86400.0)
    spares: int = _f(1, min=0, max=64)
    cpus_per_group: int = _f(0, min=0, max=1024)


@dataclass(frozen=True)
class GlobalIdsConfig:
    enabled: bool = _f(True)
    match_thresh: float = _f(0.03, min=0.0, max=1.0)
    max_s: float = _f(60.0, min=0.0, max=86400.0)
    reid: str = _f("auto")
    reid_thresh: float = _f(0.4, min=0.0, max=1.0)
    reid_every: int = _f(10, min=1, max=100000)
    ratio: float = _f(1.0, min=0.0, max=1.0)


@dataclass(frozen=True)
class Config:
    model: ModelConfig = _f(factory=ModelConfig)
    source: SourceConfig = _f(factory=SourceConfig)
    tracker: TrackerConfig = _f(factory=TrackerConfig)
    output: OutputConfig = _f(factory=OutputConfig)
    render: RenderConfig = _f(factory=RenderConfig)
    pipeline: PipelineConfig = _f(factory=PipelineConfig)
    ui: UIConfig = _f(factory=UIConfig)
    cluster: ClusterConfig = _f(factory=ClusterConfig)
    analytics: AnalyticsConfig = _f(factory=AnalyticsConfig)
    global_ids: GlobalIdsConfig = _f(factory=GlobalIdsConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# ---------------------------------------------------------------- loading and merging


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> Config:
    """Defaults, then the YAML file (a preset name like `webcam` or a path), then overrides."""
    data: dict[str, Any] = {}
    if path is not None:
        data = read_yaml(resolve_config_path(path))
    cfg = build(Config, data, prefix="")
    for item in overrides or []:
        cfg = apply_override(cfg, item)
    return cfg


def resolve_config_path(path: str | Path) -> Path:
    p = Path(path).expanduser()
    if p.is_file():
        return p
    preset = CONFIG_DIR / f"{path}.yaml"
    if "/" not in str(path) and preset.is_file():
        return preset
    presets = ", ".join(sorted(q.stem for q in CONFIG_DIR.glob("*.yaml")))
    raise ConfigError(f"config file '{path}' not found (presets: {presets})")


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}: invalid YAML{where}: {getattr(e, 'problem', e)}") from None
    except OSError as e:
        raise ConfigError(f"cannot read config {path}: {e.strerror}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections, got {type(data).__name__}")
    return data


def apply_override(cfg: Config, item: str) -> Config:
    """`cfg` with one `section.key=value` applied (a new config); the value is parsed as YAML, then
    checked like the file."""
    if "=" not in item:
        raise ConfigError(f"override '{item}' must look like section.key=value")
    dotted, raw = item.split("=", 1)
    parts = dotted.strip().split(".")
    try:
        value = yaml.safe_load(raw) if raw.strip() != "" else ""
    except yaml.YAMLError:
        value = raw
    return set_value(cfg, parts, value)


T = TypeVar("T")


def set_value(cfg: T, parts: Sequence[str], value: Any) -> T:
    """`cfg` with `<parts>` set to `value`, with the same checks as loading a file: a new object
    (each section on the way is replaced), `cfg` itself is untouched."""
    return _set(cfg, list(parts), value, 0)


def set_values(cfg: T, values: Mapping[str, Any]) -> T:
    """`cfg` with every dotted key of `values` set (`{"source.uri": "demo", "model.conf": 0.4}`), in order,
    each checked like `set_value`."""
    for key, value in values.items():
        cfg = set_value(cfg, key.split("."), value)
    return cfg


def _set(obj: Any, parts: list[str], value: Any, depth: int) -> Any:
    part = parts[depth]
    key = ".".join(parts[: depth + 1])
    fields = {f.name: f for f in dataclasses.fields(obj)}
    if part not in fields:
        raise ConfigError(_unknown(key, part, list(fields), ".".join(parts[:depth])))
    hint = _hints(type(obj))[part]
    if depth < len(parts) - 1:
        if not dataclasses.is_dataclass(hint):
            raise ConfigError(f"{key} is a value, not a section: cannot set '{'.'.join(parts)}'")
        return dataclasses.replace(obj, **{part: _set(getattr(obj, part), parts, value, depth + 1)})
    if dataclasses.is_dataclass(hint):
        shorthand = getattr(hint, "SHORTHAND", None)
        if shorthand is not None and not isinstance(value, dict):  # e.g. output.mqtt=mqtt://host
            main = next(f for f in dataclasses.fields(hint) if f.name == shorthand)
            new = dataclasses.replace(getattr(obj, part), **{
                shorthand: convert(value, _hints(hint)[shorthand], main, f"{key}.{shorthand}")})
            return dataclasses.replace(obj, **{part: new})
        if not isinstance(value, dict):
            raise ConfigError(f"{key}: expected a mapping of keys, got {value!r}")
        out = dataclasses.replace(obj, **{part: build(hint, value, prefix=key)})  # type: ignore[arg-type]
    else:
        out = dataclasses.replace(obj, **{part: convert(value, hint, fields[part], key)})
    _run_check(out, ".".join(parts[:depth]))  # checks that span keys (unique names) see the new value
    return out


def build(cls: Any, data: Any, prefix: str) -> Any:
    shorthand = getattr(cls, "SHORTHAND", None)
    if shorthand is not None and data is not None and not isinstance(data, dict):
        data = {shorthand: data}  # a section given as its one main value, e.g. output.mqtt: mqtt://host
    if not isinstance(data, dict):
        where = prefix or "config"
        raise ConfigError(f"{where}: expected a mapping of keys, got {data!r}")
    hints = _hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for raw_key, value in data.items():
        key = str(raw_key)
        full = f"{prefix}.{key}" if prefix else key
        if key not in fields:
            raise ConfigError(_unknown(full, key, list(fields), prefix))
        hint = hints[key]
        if dataclasses.is_dataclass(hint):
            kwargs[key] = build(hint, value if value is not None else {}, full)
        else:
            kwargs[key] = convert(value, hint, fields[key], full)
    required = [n for n, f in fields.items()
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    missing = [n for n in required if n not in kwargs]
    if missing:
        where = prefix or "config"
        raise ConfigError(f"{where}: missing key{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                          f"(required: {', '.join(required)})")
    obj = cls(**kwargs)
    _run_check(obj, prefix)
    return obj


def _run_check(obj: Any, key: str) -> None:
    """A dataclass may define `check(key)` for rules on its values together (a polygon, unique names);
    it raises `ConfigError` naming `key`."""
    check = getattr(obj, "check", None)
    if check is not None:
        check(key)


def _item_class(tp: Any) -> type | None:
    """The dataclass of a `list[SomeDataclass]` annotation (a list of mappings in YAML), else None."""
    if typing.get_origin(tp) is list:
        (arg,) = typing.get_args(tp)
        if dataclasses.is_dataclass(arg):
            return arg  # type: ignore[return-value]
    return None


def _unknown(full: str, key: str, valid: list[str], section: str) -> str:
    where = f"in section '{section}'" if section else "at the top level"
    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.5)
    hint = f"; did you mean '{(section + '.') if section else ''}{close[0]}'?" if close else ""
    return f"unknown config key '{full}' {where}{hint} (valid: {', '.join(valid)})"


def _hints(cls: Any) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(tp))
    if origin is list:
        (arg,) = typing.get_args(tp)
        if dataclasses.is_dataclass(arg):
            keys = ", ".join(f.name for f in dataclasses.fields(arg))
            return f"a list of mappings (keys: {keys})"
        return f"a list of {_type_name(arg)}"
    return {type(None): "null", bool: "true/false", int: "an integer", float: "a number",
            str: "a string"}.get(tp, getattr(tp, "__name__", str(tp)))


def convert(value: Any, tp: Any, fld: dataclasses.Field, key: str) -> Any:
    """Check and coerce `value` to the annotated type `tp`, then apply choices and bounds.

    A `list[SomeDataclass]` is a list of mappings: each item is built with the same strict checks
    as a section, its errors naming `key[i].field`.
    """
    item_cls = _item_class(tp)
    if item_cls is not None:
        if isinstance(value, tuple):
            value = list(value)
        if not isinstance(value, list):
            raise ConfigError(f"{key}: expected {_type_name(tp)}, got {value!r}")
        return [build(item_cls, v, f"{key}[{i}]") for i, v in enumerate(value)]
    try:
        out = _coerce(value, tp)
    except TypeError:
        raise ConfigError(f"{key}: expected {_type_name(tp)}, got {value!r}") from None
    _check(out, fld, key)
    return out


def _coerce(value: Any, tp: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None:
            if type(None) in args:
                return None
            raise TypeError
        for arg in args:  # order matters: list before str, int before str
            if arg is type(None):
                continue
            try:
                return _coerce(value, arg)
            except TypeError:
                continue
        raise TypeError
    if origin is list:
        (arg,) = typing.get_args(tp)
        if isinstance(value, tuple):
            value = list(value)
        if not isinstance(value, list):
            raise TypeError
        return [_coerce(v, arg) for v in value]
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise TypeError
    if tp is int:
        if isinstance(value, bool):
            raise TypeError
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise TypeError
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError
        return float(value)
    if tp is str:
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)  # e.g. source.uri=0 (a webcam index)
        raise TypeError
    if tp is Any:
        return value
    raise TypeError


def _check(value: Any, fld: dataclasses.Field, key: str) -> None:
    meta = fld.metadata
    items = value if isinstance(value, list) else [value]
    for v in items:
        if v is None:
            continue
        choices = meta.get("choices")
        if choices is not None and v not in choices:
            close = difflib.get_close_matches(str(v), [str(c) for c in choices], n=1, cutoff=0.5)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ConfigError(f"{key}: {v!r} is not allowed{hint} (allowed: {', '.join(map(str, choices))})")
        lo, hi = meta.get("min"), meta.get("max")
        numeric = isinstance(v, (int, float)) and not isinstance(v, bool)
        if numeric and ((lo is not None and v < lo) or (hi is not None and v > hi)):
            rng = f"{lo if lo is not None else '-inf'} to {hi if hi is not None else 'inf'}"
            raise ConfigError(f"{key}: {v!r} is out of range (allowed: {rng})")


def iter_keys(cls: Any = Config, prefix: str = "") -> list[str]:
    """Every dotted key, for docs and the test that default.yaml documents them all."""
    keys = []
    hints = _hints(cls)
    for f in dataclasses.fields(cls):
        full = f"{prefix}.{f.name}" if prefix else f.name
        if dataclasses.is_dataclass(hints[f.name]):
            keys.extend(iter_keys(hints[f.name], full))
        else:
            keys.append(full)
    return keys


def iter_item_keys(cls: Any = Config, prefix: str = "") -> list[str]:
    """The keys of list items (`analytics.lines[].name`, ...), documented beside their list in default.yaml."""
    keys = []
    hints = _hints(cls)
    for f in dataclasses.fields(cls):
        full = f"{prefix}.{f.name}" if prefix else f.name
        hint = hints[f.name]
        if dataclasses.is_dataclass(hint):
            keys.extend(iter_item_keys(hint, full))
        elif (item := _item_class(hint)) is not None:
            keys.extend(f"{full}[].{k}" for k in iter_keys(item))
    return keys
