"""Config loading: defaults, presets, typed overrides and every error path."""

from __future__ import annotations

import re

import pytest
import yaml

from yolotrack.core.config import CONFIG_DIR, Config, iter_item_keys, iter_keys, load_config, read_yaml
from yolotrack.core.errors import ConfigError


def test_defaults_match_default_yaml():
    """default.yaml is the documented copy of the dataclass defaults: loading it changes nothing."""
    assert load_config("default") == Config()


def test_default_yaml_documents_every_key():
    text = (CONFIG_DIR / "default.yaml").read_text()
    data = yaml.safe_load(text)

    def flat(d, prefix=""):
        for k, v in d.items():
            key = f"{prefix}.{k}" if prefix else k
            if isinstance(v, dict):
                yield from flat(v, key)
            else:
                yield key

    assert sorted(flat(data)) == sorted(iter_keys())
    for line in text.splitlines():
        m = re.match(r"\s+(\w+):\s*\S", line)
        if m:  # every value line carries a comment
            assert "#" in line, f"undocumented key line: {line!r}"
    # keys of list items (analytics.lines[].name, ...) are documented in the comments beside their list
    lines = text.splitlines()
    for key in iter_item_keys():
        section, rest = key.split("[].")
        head = section.split(".")[-1]
        at = next(i for i, ln in enumerate(lines) if re.match(rf"\s+{head}:", ln))
        block = []
        for ln in lines[at + 1:]:
            if not ln.strip().startswith("#"):
                break
            block.append(ln)
        assert any(re.search(rf"#\s+-?\s*{rest}:", ln) for ln in block), f"{key} is not documented"


@pytest.mark.parametrize("preset", ["default", "webcam", "rtsp_headless", "export"])
def test_presets_load(preset):
    cfg = load_config(preset)
    assert isinstance(cfg, Config)


def test_preset_values_merge_over_defaults():
    cfg = load_config("webcam")
    assert cfg.source.uri == "0" and cfg.source.policy == "live" and cfg.source.width == 1280
    assert cfg.model.conf == 0.25  # untouched keys keep their defaults


def test_overrides_are_typed():
    cfg = load_config(None, [
        "model.conf=0.4", "model.imgsz=320", "model.half=true", "model.classes=[0, car]",
        "tracker.per_class=yes", "source.reconnect.max_delay=3", "source.uri=rtsp://h:554/x?a=b",
        "output.formats=[mot, jsonl]", "model.half=null",
    ])
    assert cfg.model.conf == 0.4 and isinstance(cfg.model.conf, float)
    assert cfg.model.imgsz == 320 and isinstance(cfg.model.imgsz, int)
    assert cfg.model.classes == [0, "car"]
    assert cfg.tracker.per_class is True
    assert cfg.source.reconnect.max_delay == 3.0 and isinstance(cfg.source.reconnect.max_delay, float)
    assert cfg.source.uri == "rtsp://h:554/x?a=b"
    assert cfg.output.formats == ["mot", "jsonl"]
    assert cfg.model.half is None


def test_webcam_index_becomes_string_and_list_of_sources():
    assert load_config(None, ["source.uri=0"]).source.uri == "0"
    assert load_config(None, ["source.uri=[a.mp4, b.mp4]"]).source.uri == ["a.mp4", "b.mp4"]


def test_file_then_overrides(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("model:\n  conf: 0.5\n  iou: 0.6\n")
    cfg = load_config(p, ["model.conf=0.3"])
    assert (cfg.model.conf, cfg.model.iou) == (0.3, 0.6)


@pytest.mark.parametrize(
    "overrides, expect",
    [
        (["model.cnof=0.3"], r"unknown config key 'model.cnof'.*did you mean 'model.conf'"),
        (["trackr.enabled=false"], r"unknown config key 'trackr'.*did you mean 'tracker'"),
        (["source.reconnect.max_dealy=1"], r"'source.reconnect.max_dealy'.*did you mean 'source.reconnect.max_delay'"),
        (["model.imgsz=big"], r"model.imgsz: expected an integer, got 'big'"),
        (["model.conf=1.5"], r"model.conf: 1.5 is out of range \(allowed: 0.0 to 1.0\)"),
        (["model.task=classify"], r"model.task: 'classify' is not allowed \(allowed: detect, segment, pose\)"),
        (["tracker.enabled=maybe"], r"tracker.enabled: expected true/false, got 'maybe'"),
        (["output.formats=[mot, gif]"], r"output.formats: 'gif' is not allowed"),
        (["model=3"], r"model: expected a mapping"),
        (["model.conf.x=1"], r"model.conf is a value, not a section"),
        (["modelconf"], r"must look like section.key=value"),
    ],
)
def test_override_errors(overrides, expect):
    with pytest.raises(ConfigError, match=expect):
        load_config(None, overrides)


def test_file_errors(tmp_path):
    with pytest.raises(ConfigError, match=r"config file 'nope.yaml' not found"):
        load_config("nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: [unclosed\n")
    with pytest.raises(ConfigError, match=r"invalid YAML at line"):
        load_config(bad)
    top = tmp_path / "top.yaml"
    top.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match=r"top level must be a mapping"):
        read_yaml(top)
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("model:\n  wieghts: x.pt\n")
    with pytest.raises(ConfigError, match=r"unknown config key 'model.wieghts'.*did you mean 'model.weights'"):
        load_config(unknown)
