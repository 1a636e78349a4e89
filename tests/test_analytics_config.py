"""The analytics section: strict loading of its lists, every mistake as one line and exit 2 through the
real CLI, and the YAML file a lines/zones editor saves, which `run` and `export` read unchanged."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from yolotrack.analytics import Analytics, analytics_to_dict, load_analytics, save_analytics
from yolotrack.core.config import AnalyticsConfig, LineConfig, ZoneConfig, load_config
from yolotrack.core.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent
DOOR = {"name": "door", "points": [[0, 100], [200, 100]]}
BAY = {"name": "bay", "polygon": [[10, 10], [100, 10], [100, 80], [10, 80]]}


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "yolotrack", *args], capture_output=True, text=True, timeout=180,
                          cwd=REPO)


def one_error_line(proc: subprocess.CompletedProcess) -> str:
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("yolotrack: error: ") and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


def write(tmp_path: Path, section: dict) -> Path:
    p = tmp_path / "analytics.yaml"
    p.write_text(yaml.safe_dump({"analytics": section}))
    return p


BAD = [
    ({"zones": [{"name": "bay", "polygon": [[0, 0], [100, 100], [100, 0], [0, 120]]}]},
     r"analytics.zones\[0\] \(bay\): the polygon crosses itself"),
    ({"zones": [{"name": "bay", "polygon": [[0, 0], [100, 100]]}]},
     r"analytics.zones\[0\] \(bay\): a polygon needs at least 3 points, got 2"),
    ({"zones": [{"name": "bay", "polygon": [[0, 0], [50, 50], [100, 100]]}]}, r"zero area"),
    ({"lines": [{"name": "door", "points": [[0, 0], [1, 1], [2, 2]]}]},
     r"analytics.lines\[0\] \(door\): a line needs exactly 2 points"),
    ({"lines": [{"name": "door", "points": [[5, 5], [5, 5]]}]}, r"the line has zero length"),
    ({"lines": [DOOR, DOOR]}, r"analytics.lines\[1\]: the name 'door' is already used by analytics.lines\[0\]"),
    ({"lines": [DOOR], "zones": [dict(BAY, name="door")]}, r"'door' is already used"),
    ({"lines": [{"name": "door"}]}, r"analytics.lines\[0\]: missing key points \(required: name, points\)"),
    ({"lines": [{"name": "door", "pionts": [[0, 0], [1, 1]]}]},
     r"unknown config key 'analytics.lines\[0\].pionts'.*did you mean 'analytics.lines\[0\].points'"),
    ({"lines": [dict(DOOR, anchor="feet")]}, r"analytics.lines\[0\].anchor: 'feet' is not allowed"),
    ({"lines": "door"}, r"analytics.lines: expected a list of mappings \(keys: name, points, classes, anchor"),
    ({"lines": [dict(DOOR, points=[[0, "a"], [1, 1]])]}, r"analytics.lines\[0\].points: expected a list of"),
    ({"hysteresis": -1}, r"analytics.hysteresis: -1.0 is out of range"),
]


@pytest.mark.parametrize("section, message", BAD)
def test_bad_sections_are_config_errors(tmp_path, section, message):
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, section))


@pytest.mark.parametrize("section, message", [BAD[0], BAD[4], BAD[5], BAD[8]])
def test_bad_sections_through_the_cli_are_one_line_and_exit_2(tmp_path, section, message):
    for args in (["run", "--source", "demo"], ["export", "demo", "--out", str(tmp_path / "out")]):
        proc = cli(*args, "--config", str(write(tmp_path, section)))
        assert proc.returncode == 2
        assert re.search(message, one_error_line(proc))
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_overrides_take_the_section_too():
    cfg = load_config(None, ["analytics.lines=[{name: door, points: [[0, 100], [200, 100]], classes: [person]}]"])
    assert cfg.analytics.lines == [LineConfig(name="door", points=[[0.0, 100.0], [200.0, 100.0]], classes=["person"])]
    with pytest.raises(ConfigError, match="already used"):
        load_config(None, ["analytics.zones=[{name: door, polygon: [[0, 0], [9, 0], [9, 9]]}]",
                           "analytics.lines=[{name: door, points: [[0, 100], [200, 100]]}]"])


def test_unknown_class_names_fail_at_model_load_through_the_cli(tmp_path):
    cfg = write(tmp_path, {"lines": [dict(DOOR, classes=["person"])]})  # the demo model knows disc, square, ...
    proc = cli("run", "-q", "--source", "demo", "--config", str(cfg), "-o", str(tmp_path / "t.jsonl"))
    assert proc.returncode == 2
    line = one_error_line(proc)
    assert "analytics.lines[0] (door): unknown class 'person'" in line and "disc" in line


def test_lines_need_the_tracker_and_known_sources(tmp_path):
    proc = cli("run", "-q", "--source", "demo", "--no-track", "--config", str(write(tmp_path, {"lines": [DOOR]})))
    assert proc.returncode == 2
    assert "need the tracker" in one_error_line(proc)
    gate = write(tmp_path, {"lines": [dict(DOOR, source="gate")]})
    proc = cli("run", "-q", "--source", "demo", "--config", str(gate))
    assert proc.returncode == 2
    assert "source 'gate' is neither a source index nor a camera name" in one_error_line(proc)


def test_counts_format_needs_lines_or_zones(tmp_path):
    proc = cli("export", "demo", "--out", str(tmp_path / "o"), "--formats", "counts")
    assert proc.returncode == 2
    assert "the counts format needs lines or zones" in one_error_line(proc)


def test_saved_file_loads_back_and_keeps_other_sections(tmp_path):
    path = tmp_path / "site.yaml"
    path.write_text("model:\n  conf: 0.4\nanalytics:\n  lines: []\n")
    cfg = AnalyticsConfig(lines=[LineConfig(name="door", points=[[0.0, 100.5], [200.0, 100.0]], classes=["disc"],
                                            anchor="bottom_center"),
                                 LineConfig(name="gate", points=[[10, 10], [20, 300]], source="1")],
                          zones=[ZoneConfig(name="loading bay", polygon=[[10, 10], [100, 10], [100, 80]])],
                          hysteresis=0.3)
    save_analytics(path, cfg)
    assert load_analytics(path) == cfg
    full = load_config(path)
    assert full.model.conf == 0.4 and full.analytics == cfg
    data = yaml.safe_load(path.read_text())
    # only what differs from the defaults, besides names and geometry
    assert data["analytics"]["lines"][1] == {"name": "gate", "points": [[10, 10], [20, 300]], "source": "1"}
    assert "min_displacement" not in data["analytics"] and data["analytics"]["hysteresis"] == 0.3
    assert analytics_to_dict(AnalyticsConfig()) == {}
    bad = AnalyticsConfig(lines=[LineConfig(name="x", points=[[1, 1], [1, 1]])])
    before = path.read_text()
    with pytest.raises(ConfigError, match="zero length"):
        save_analytics(path, bad)
    assert path.read_text() == before  # nothing written
    assert list(tmp_path.iterdir()) == [path]  # and no temp file left


def test_set_config_takes_a_yaml_mapping_and_checks_it():
    an = Analytics(AnalyticsConfig(), names={0: "person"})
    assert not an.enabled
    an.set_config({"lines": [DOOR], "zones": [BAY]})
    assert an.enabled and [ln.name for ln in an.source("0").lines] == ["door"]
    with pytest.raises(ConfigError, match="unknown class 'bus'"):
        an.set_config({"lines": [dict(DOOR, classes=["bus"])]})
    assert [z.name for z in an.config.zones] == ["bay"]


def test_source_filter_by_index_and_camera_name():
    cfg = AnalyticsConfig(lines=[LineConfig(name="a", points=[[0, 0], [1, 1]], source="0"),
                                 LineConfig(name="b", points=[[0, 0], [1, 1]], source="yard"),
                                 LineConfig(name="c", points=[[0, 0], [1, 1]])])
    an = Analytics(cfg, cameras={"0": "door", "1": "yard"})
    assert [ln.name for ln in an.source("0").lines] == ["a", "c"]
    assert [ln.name for ln in an.source("1").lines] == ["b", "c"]
    an.check_sources(["0", "1"])
    with pytest.raises(ConfigError, match="source 'yard'"):
        Analytics(cfg).check_sources(["0"])


def test_class_names_wait_for_the_model_when_the_caller_builds_analytics_first():
    """A caller that knows camera names builds `Analytics` before the model is loaded; `Pipeline.start()`
    hands it the model's names (`set_names`), which resolves the filters or fails with a config error."""
    cfg = AnalyticsConfig(lines=[LineConfig(name="door", points=[[0, 0], [9, 9]], classes=["disc"], source="yard")])
    an = Analytics(cfg, cameras={"1": "yard"})
    assert an.enabled
    with pytest.raises(ConfigError, match="needs the model's class names"):
        an.source("1")
    an.set_names({0: "disc", 1: "square"})
    assert an.source("1").lines[0].classes == frozenset({0}) and an.source("0").lines == []
    with pytest.raises(ConfigError, match="unknown class 'disc'"):
        Analytics(cfg).set_names({0: "person"})
