"""Analytics outputs with the real demo model on a real clip: export formats counts (JSON, per-second CSV)
and heatmap (PNG) read back, events in the export JSONL, the overlay in the annotated video, and
`yolotrack run`'s count lines, counts records and events file."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
import yaml
from pipeline_media import cli, demo_clip

from yolotrack.render.analytics import LINE_COLOR

FRAMES = 60
SECTION = {
    "lines": [{"name": "mid", "points": [[320, 0], [320, 384]]},
              {"name": "across", "points": [[0, 192], [640, 192]], "classes": ["disc", "square"]}],
    "zones": [{"name": "left", "polygon": [[20, 40], [250, 40], [250, 340], [20, 340]]}],
}


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first two seconds of the bundled demo clip (moving shapes the demo model knows)."""
    return demo_clip(tmp_path_factory.mktemp("analytics") / "clip.mp4", FRAMES)


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cfg") / "site.yaml"
    path.write_text(yaml.safe_dump({"analytics": SECTION}))
    return path


@pytest.fixture(scope="module")
def exported(clip: Path, config: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export")
    proc = cli("export", str(clip), "--weights", "demo", "--config", str(config), "--out", str(out), "--formats",
               "video,jsonl,counts,heatmap")
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    return out


def test_counts_json_and_csv_agree_with_the_events(exported: Path):
    doc = json.loads((exported / "clip_counts.json").read_text())
    assert doc["frames"] == FRAMES and doc["duration_s"] == pytest.approx(2.0)
    assert set(doc["lines"]) == {"mid", "across"} and set(doc["zones"]) == {"left"}
    records = [json.loads(s) for s in (exported / "clip.jsonl").read_text().splitlines()]
    events = [r for r in records if r["type"] == "event"]
    cross = Counter((e["line"], e["direction"]) for e in events if e["event"] == "line_cross")
    assert sum(cross.values()) > 0, "the clip has crossings; none were counted"
    for name, c in doc["lines"].items():
        assert (c["in"], c["out"]) == (cross[(name, "in")], cross[(name, "out")])
        assert sum(v["in"] + v["out"] for v in c["by_class"].values()) == c["in"] + c["out"]
    assert set(doc["lines"]["across"]["by_class"]) <= {"disc", "square"}  # its class filter
    for e in events:
        if e["event"] == "line_cross":
            assert {"id", "class", "frame", "ts", "source", "box"} <= set(e)
    z = doc["zones"]["left"]
    enters = [e for e in events if e["event"] == "zone_enter"]
    exits = [e for e in events if e["event"] == "zone_exit"]
    assert z["entries"] == len(enters) > 0 and z["exits"] == len(exits)
    assert z["occupancy"] == z["entries"] - z["exits"]
    if exits:
        assert z["mean_dwell_s"] == pytest.approx(np.mean([e["dwell_s"] for e in exits]), abs=2e-3)

    with open(exported / "clip_counts.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["second"]) for r in rows] == [0, 1]
    assert int(rows[0]["first_frame"]) == 0 and int(rows[-1]["last_frame"]) == FRAMES - 1
    for name, c in doc["lines"].items():
        assert sum(int(r[f"{name}.in"]) for r in rows) == c["in"]
        assert sum(int(r[f"{name}.out"]) for r in rows) == c["out"]
    assert sum(int(r["left.entries"]) for r in rows) == z["entries"]
    assert max(int(r["left.max_occupancy"]) for r in rows) == z["max_occupancy"]
    assert int(rows[-1]["left.occupancy"]) == z["occupancy"]


def test_heatmap_png_decodes_at_the_video_size(exported: Path):
    img = cv2.imread(str(exported / "clip_heatmap.png"))
    assert img is not None and img.shape == (384, 640, 3)
    sat = img.max(axis=2).astype(int) - img.min(axis=2)
    assert (sat > 100).mean() > 0.01  # coloured heat where the shapes went, over a grey scene


def test_annotated_video_shows_the_lines(exported: Path):
    with av.open(str(exported / "clip_annotated.mp4")) as c:
        frames = [f.to_ndarray(format="bgr24") for f in c.decode(video=0)]
    assert len(frames) == FRAMES
    want = np.array(LINE_COLOR, int)
    # the vertical line x = 320 away from the tags and the other line: its colour survives H.264
    ys = [40, 100, 300]
    hits = sum(int(np.abs(frames[30][y, 319:322].astype(int) - want).sum(axis=1).min() < 90) for y in ys)
    assert hits >= 2


def test_run_prints_count_lines_and_writes_events_and_counts(clip: Path, config: Path, tmp_path: Path):
    out, events = tmp_path / "tracks.jsonl", tmp_path / "events.jsonl"
    err = tmp_path / "stderr.txt"
    proc = cli("run", "--source", str(clip), "--weights", "demo", "--config", str(config), "-o", str(out),
               "--events", str(events),
               "pipeline.stats_interval=0.3", stderr_path=err)
    proc.communicate(timeout=300)
    text = err.read_text()
    assert proc.returncode == 0, text
    count_lines = [ln for ln in text.splitlines() if "counts: source 0:" in ln]
    assert len(count_lines) >= 2, text  # periodic, and once at the end
    final = count_lines[-1]
    assert "mid in" in final and "across in" in final and "left" in final and "inside" in final
    recs = [json.loads(s) for s in out.read_text().splitlines()]
    counts = [r for r in recs if r["type"] == "counts"]
    assert counts and set(counts[-1]["lines"]) == {"mid", "across"}
    assert not any(r["type"] == "event" for r in recs)  # --events takes them all
    evs = [json.loads(s) for s in events.read_text().splitlines()]
    cross = [e for e in evs if e["event"] == "line_cross"]
    assert cross and all(e["type"] == "event" and e["line"] in ("mid", "across") and e["direction"] in ("in", "out")
                         for e in cross)
    last = counts[-1]["lines"]
    assert sum(c["in"] + c["out"] for c in last.values()) == len(cross)
    assert f"mid in {last['mid']['in']} out {last['mid']['out']}" in final
