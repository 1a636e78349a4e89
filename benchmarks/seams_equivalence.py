"""Bar-like behaviour before and after a refactor: the demo's outputs, recorded and compared.

    .venv/bin/python benchmarks/seams_equivalence.py record /tmp/seams_before   # on the old code, or:
    PYTHONPATH=/tmp/old .venv/bin/python benchmarks/seams_equivalence.py record /tmp/seams_before
        # with /tmp/old/yolotrack an unpacked `git archive` of the old commit
    .venv/bin/python benchmarks/seams_equivalence.py record /tmp/seams_after    # on the new code
    .venv/bin/python benchmarks/seams_equivalence.py compare /tmp/seams_before /tmp/seams_after

`record` runs, with the bundled demo model on the whole demo clip and an analytics config with two
lines (one with a class filter) and a zone:

- `yolotrack export demo` (formats video, mot, cvat, coco, jsonl, counts);
- `yolotrack run --source demo` with JSON Lines, an events file and MQTT to a real mosquitto
  (tests/mosquitto.py) with a subscriber on every topic;
- `yolotrack run --cameras FILE --out DIR` (one camera, in this process) with MQTT, the
  per-camera sinks (`sinks/per_camera.py`) the Ray driver also uses;
- with `--ray`, the same cameras file on a throwaway local Ray cluster (`--ray local`).

Each output is reduced to what is not wall-clock: files byte for byte, except the annotated video
(compared by its decoded frames: the container carries the encoder's build), the CVAT file without
its dates, the JSON Lines without `stats` lines and the periodic `counts` lines (the final ones
stay), and the MQTT payloads byte for byte, keyed by topic (events in order; counts: the first and
the last message, the ones in between follow `counts_interval` in wall-clock time; availability).
`compare` prints each item as same / DIFFERENT and exits 1 on any difference; MQTT payloads that
differ as bytes but are the same JSON objects are reported as such (key order) and do not count.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from mosquitto import Broker, Subscriber  # noqa: E402

YOLOTRACK = [str(ROOT / ".venv" / "bin" / "yolotrack")] if (ROOT / ".venv" / "bin" / "yolotrack").exists() \
    else [sys.executable, "-m", "yolotrack"]
ANALYTICS = {
    "lines": [{"name": "mid", "points": [[320, 0], [320, 384]]},
              {"name": "across", "points": [[0, 192], [640, 192]], "classes": ["disc", "square"]}],
    "zones": [{"name": "left", "polygon": [[20, 40], [250, 40], [250, 340], [20, 340]]},
              {"name": "right", "polygon": [[400, 20], [620, 20], [620, 370], [400, 370]], "classes": ["star"]}],
}
COMMON = ["--weights", "demo", "--quiet"]


def _cli(*args: str, timeout: float = 900) -> None:
    # RAY_AUTH_MODE set: a throwaway `--ray local` would otherwise create ~/.ray/auth_token, and every
    # later Ray cluster on the machine (the cluster tests' too) would then require that token
    env = {**os.environ, "PYTHONHASHSEED": "0", "RAY_AUTH_MODE": os.environ.get("RAY_AUTH_MODE", "disabled")}
    proc = subprocess.run([*YOLOTRACK, *args], capture_output=True, text=True, timeout=timeout, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"yolotrack {' '.join(args)} failed ({proc.returncode}): {proc.stderr[-2000:]}")


def _jsonl(path: Path) -> list[dict]:
    """Records of a JSON Lines file without the wall-clock ones: `stats`, and the `counts` written with
    them (at a frame that depends on the machine's speed); the final `counts` of each source stays."""
    recs = [json.loads(s) for s in path.read_text().splitlines()]
    last = {r["source"]: i for i, r in enumerate(recs) if r.get("type") == "counts"}
    return [r for i, r in enumerate(recs) if r.get("type") != "stats"
            and (r.get("type") != "counts" or last[r["source"]] == i)]


def _video_frames(path: Path) -> list[str]:
    import av

    with av.open(str(path)) as c:
        return [hashlib.sha256(f.to_ndarray(format="bgr24").tobytes()).hexdigest()[:16]
                for f in c.decode(video=0)]


def _sha(path: Path, skip: tuple[bytes, ...] = ()) -> str:
    """The file's hash, without the lines that hold one of `skip` (wall-clock dates)."""
    data = path.read_bytes()
    if skip:
        data = b"".join(ln for ln in data.splitlines(keepends=True) if not any(s in ln for s in skip))
    return hashlib.sha256(data).hexdigest()


def _mqtt(messages: list[tuple[str, bytes, bool, float]]) -> dict:
    """Per topic, the payloads byte for byte: events in order; counts first and last; every other
    topic's payloads in order."""
    by: dict[str, list] = {}
    for topic, payload, _retain, _t in messages:
        by.setdefault(topic, []).append(payload.decode())
    out = {}
    for topic, items in sorted(by.items()):
        if topic.endswith("/counts"):
            out[topic] = {"first": items[0], "last": items[-1]}
        else:
            out[topic] = items
    return out


def _with_broker(folder: Path, args: list[str]) -> dict:
    broker = Broker(folder / "broker")
    with broker:
        sub = Subscriber(broker.port, ["yt/#"], client_id=f"seams-{os.getpid()}-{time.monotonic_ns()}")
        with sub:
            time.sleep(0.5)  # subscribed before the run publishes
            _cli(*args, "--mqtt", f"mqtt://127.0.0.1:{broker.port}/yt")
            time.sleep(1.0)  # the last PUBACKed messages reach the subscriber
            return _mqtt(sub.messages)


def record(out: Path, ray: bool) -> None:
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="seams-"))
    import yaml

    cfg = work / "site.yaml"
    cfg.write_text(yaml.safe_dump({"analytics": ANALYTICS}))
    got: dict = {}

    exp = work / "export"
    _cli("export", "demo", "--config", str(cfg), "--out", str(exp), *COMMON,
         "--formats", "video,mot,cvat,coco,jsonl,counts")
    got["export/mot"] = _sha(exp / "mot" / "demo.txt")
    got["export/cvat"] = _sha(exp / "demo_cvat.xml", (b"<created>", b"<updated>", b"<dumped>"))
    got["export/coco"] = _sha(exp / "demo_coco.json")
    got["export/jsonl"] = _jsonl(exp / "demo.jsonl")
    got["export/counts.json"] = json.loads((exp / "demo_counts.json").read_text())
    got["export/counts.csv"] = _sha(exp / "demo_counts.csv")
    got["export/video"] = _video_frames(exp / "demo_annotated.mp4")

    run = work / "run"
    run.mkdir()
    got["run/mqtt"] = _with_broker(run, ["run", "--config", str(cfg), "--source", "demo", *COMMON,
                                         "-o", str(run / "tracks.jsonl"), "--events", str(run / "events.jsonl")])
    got["run/jsonl"] = _jsonl(run / "tracks.jsonl")
    got["run/events"] = _jsonl(run / "events.jsonl")

    cams = work / "cameras.yaml"
    cams.write_text(yaml.safe_dump({"cameras": [{"name": "door", "source": "demo"}]}))
    local = work / "cameras"
    got["cameras/mqtt"] = _with_broker(work / "cams_broker", ["run", "--config", str(cfg), "--cameras", str(cams),
                                                              "--out", str(local), *COMMON])
    for p in sorted(local.glob("*.jsonl")):
        got[f"cameras/{p.name}"] = _jsonl(p)
    if ray:
        rdir = work / "ray"
        got["ray/mqtt"] = _with_broker(work / "ray_broker", ["run", "--config", str(cfg), "--cameras", str(cams),
                                                             "--out", str(rdir), "--ray", "local", *COMMON])
        for p in sorted(rdir.glob("*.jsonl")):
            got[f"ray/{p.name}"] = _jsonl(p)
    (out / "record.json").write_text(json.dumps(_placeless(got), indent=1, sort_keys=True))
    print(f"recorded {len(got)} items in {out / 'record.json'} (work files in {work})")


def _placeless(obj: object) -> object:
    """The bundled clip's path names the checkout it ran from (the old code runs from another folder)."""
    if isinstance(obj, dict):
        return {k: _placeless(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_placeless(v) for v in obj]
    if isinstance(obj, str) and obj.endswith("/assets/demo/demo.mp4"):
        return "<demo clip>"
    return obj


def _as_json(obj: object) -> object:
    """MQTT payloads parsed, for a second look at ones that differ as bytes."""
    if isinstance(obj, dict):
        return {k: _as_json(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_as_json(v) for v in obj]
    if isinstance(obj, str) and obj[:1] in "{[":
        return json.loads(obj)
    return obj


def _first_difference(a: object, b: object, where: str = "") -> str:
    if type(a) is not type(b):
        return f"{where}: {type(a).__name__} vs {type(b).__name__}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{where}.{k}: only in {'after' if k not in a else 'before'}"
            d = _first_difference(a[k], b[k], f"{where}.{k}")
            if d:
                return d
        return ""
    if isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            d = _first_difference(x, y, f"{where}[{i}]")
            if d:
                return d
        return f"{where}: {len(a)} vs {len(b)} items" if len(a) != len(b) else ""
    return "" if a == b else f"{where}: {a!r} vs {b!r}"


def compare(before: Path, after: Path) -> int:
    a = json.loads((before / "record.json").read_text())
    b = json.loads((after / "record.json").read_text())
    bad = 0
    for key in sorted(set(a) | set(b)):
        if key not in a or key not in b:
            print(f"{key}: only in {'after' if key not in a else 'before'}")
            bad += 1
            continue
        diff = _first_difference(a[key], b[key], key)
        size = len(a[key]) if isinstance(a[key], (list, dict)) else 1
        if diff and key.endswith("mqtt") and not _first_difference(_as_json(a[key]), _as_json(b[key])):
            print(f"{key}: same as JSON, bytes differ in key order ({size} topics)  first: {diff[:300]}")
            continue
        print(f"{key}: {'same' if not diff else 'DIFFERENT'} ({size} items)" + (f"  first: {diff}" if diff else ""))
        bad += bool(diff)
    print(f"{len(set(a) | set(b)) - bad} same, {bad} different")
    return 1 if bad else 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record")
    r.add_argument("out", type=Path)
    r.add_argument("--ray", action="store_true", help="also the cameras file on a local Ray cluster")
    c = sub.add_parser("compare")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    args = p.parse_args()
    if args.cmd == "record":
        record(args.out, args.ray)
        return 0
    return compare(args.before, args.after)


if __name__ == "__main__":
    raise SystemExit(main())
