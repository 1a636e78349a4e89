"""The cameras file shared by `run --cameras`, `gui --cameras` and the cluster."""

from __future__ import annotations

from pathlib import Path

import pytest

from yolotrack.core.cameras import Camera, Link, load_cameras, load_site, parse_cameras, save_cameras
from yolotrack.core.config import Config, load_config
from yolotrack.core.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "cams.yaml"
    p.write_text(text)
    return p


def test_load_and_apply_overrides(tmp_path: Path) -> None:
    p = write(tmp_path, """
cameras:
  - name: door
    source: rtsp://u:p@10.0.0.5/stream
    overrides: {model.conf: 0.4, tracker.track_buffer: 60}
  - name: yard
    source: 0
""")
    door, yard = load_cameras(p)
    assert (door.name, door.source, yard.source) == ("door", "rtsp://u:p@10.0.0.5/stream", "0")
    base = load_config("rtsp_headless")
    cfg = door.config(base)
    assert cfg.source.uri == door.source and cfg.model.conf == 0.4 and cfg.tracker.track_buffer == 60
    assert base.model.conf != 0.4 and base.source.uri != door.source, "the base config is not changed"
    assert yard.config(base).model.conf == base.model.conf


@pytest.mark.parametrize(("text", "message"), [
    ("cameras: []", "non-empty list"),
    ("cams: [{name: a, source: x}]", "top-level key 'cameras'"),
    ("cameras: [{name: a, source: x}, {name: A, source: y}]", "used twice"),
    ("cameras: [{name: ../etc, source: x}]", "letters, digits"),
    ("cameras: [{name: '', source: x}]", "letters, digits"),
    ("cameras: [{name: a}]", "source must be"),
    ("cameras: [{name: a, source: x, overides: {}}]", "unknown key"),
    ("cameras: [{name: a, source: x, overrides: {model.cnf: 0.4}}]", "did you mean 'model.conf'"),
    ("cameras: [{name: a, source: x, overrides: {model.conf: 7}}]", "out of range"),
    ("cameras: [{name: a, source: x, overrides: [1]}]", "overrides must be a mapping"),
    ("cameras: [just-a-string]", "expected a mapping"),
])
def test_bad_files_name_the_camera_and_the_problem(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_cameras(write(tmp_path, text))


def test_missing_file_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_cameras(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_cameras(write(tmp_path, "cameras: [\n"))


def test_save_round_trips(tmp_path: Path) -> None:
    cams = [Camera("door", "rtsp://h/x", {"model.conf": 0.3}), Camera("yard", "/data/yard.mp4")]
    path = save_cameras(tmp_path / "sub" / "cams.yaml", cams)
    assert load_cameras(path) == cams
    assert [p.name for p in path.parent.iterdir()] == ["cams.yaml"], "no temp file left"
    assert parse_cameras({"cameras": [c.to_dict() for c in cams]}) == cams
    assert Config().source.uri == "demo"


TWO = "cameras: [{name: door, source: a.mp4}, {name: hall, source: b.mp4}]\n"


def test_links_load_with_their_windows(tmp_path: Path) -> None:
    site = load_site(write(tmp_path, TWO + """links:
  - {from: door, to: hall, min_s: 1, max_s: 20}
  - {from: HALL, to: door}
"""))
    assert [c.name for c in site.cameras] == ["door", "hall"]
    assert site.links == [Link("door", "hall", 1.0, 20.0), Link("hall", "door", 0.0, None)]
    assert load_site(write(tmp_path, TWO)).links is None, "no links: every pair (decided by the gallery)"
    assert load_site(write(tmp_path, TWO + "links: []\n")).links == [], "an empty list links nothing"


@pytest.mark.parametrize(("links", "message"), [
    ("links: {from: door, to: hall}", "'links' must be a list"),
    ("links: [door]", "link 1: expected a mapping"),
    ("links: [{from: door, to: hall, max: 3}]", "link 1: unknown key.*max"),
    ("links: [{from: door, to: yard}]", "link 1: 'to' must name a camera of this file"),
    ("links: [{to: hall}]", "link 1: 'from' must name a camera"),
    ("links: [{from: door, to: door}]", "both door"),
    ("links: [{from: door, to: hall, min_s: -1}]", "min_s must be a number of seconds >= 0"),
    ("links: [{from: door, to: hall, max_s: soon}]", "max_s must be a number"),
    ("links: [{from: door, to: hall, min_s: true}]", "min_s must be a number"),
    ("links: [{from: door, to: hall, min_s: 5, max_s: 2}]", "max_s 2 is below min_s 5"),
    ("links: [{from: door, to: hall}, {from: door, to: hall, max_s: 9}]", "link 2: a second link from door to hall"),
    ("cameras: []\nlinks: []", "non-empty list"),
])
def test_bad_links_name_the_link_and_the_problem(tmp_path: Path, links: str, message: str) -> None:
    text = links if links.startswith("cameras") else TWO + links
    with pytest.raises(ConfigError, match=message):
        load_site(write(tmp_path, text))
