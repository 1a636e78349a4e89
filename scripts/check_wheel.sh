#!/usr/bin/env bash
# Install yolotrack as a user would: build the wheel, install it into a fresh venv outside the
# checkout, and run the offline demo export from there (without network when `unshare` allows).
# Fails when the wheel holds anything but `yolotrack` and its dist-info, when it is 25 MB or more
# (the three bundled demo models are most of it), when the export fails, or when running it wrote
# into the installed package.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-python3}
work=$(mktemp -d /tmp/yolotrack-wheel.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$repo/.venv/bin/python" -m pip wheel -q --no-deps "$repo" -w "$work/dist"
wheel=$(ls "$work"/dist/yolotrack-*.whl)
"$PY" - "$wheel" <<'PYEOF'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
tops = sorted({n.split("/")[0] for n in names})
bad = [t for t in tops if t != "yolotrack" and not (t.startswith("yolotrack-") and t.endswith(".dist-info"))]
assert not bad, f"the wheel installs more than yolotrack: {bad}"
for need in ("yolotrack/configs/default.yaml", "yolotrack/configs/webcam.yaml",
             "yolotrack/assets/demo/demo.mp4", "yolotrack/assets/demo/yolov12n-demo.safetensors",
             "yolotrack/assets/demo/yolov12n-seg-demo.safetensors",
             "yolotrack/assets/demo/yolov12n-pose-demo.safetensors", "yolotrack/assets/demo/yolotrack-reid-demo.onnx"):
    assert need in names, f"the wheel lacks {need}"
import os
size = os.path.getsize(sys.argv[1])
assert size < 25 * 1024 * 1024, f"the wheel is {size / 2**20:.1f} MB; the budget is 25 MB"
print(f"wheel: {len(names)} files, {size / 2**20:.1f} MB, top level {tops}")
PYEOF
"$PY" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q torch==2.13.0
"$work/venv/bin/python" -m pip install -q "$wheel"
pkg=$("$work/venv/bin/python" -c "import yolotrack, os; print(os.path.dirname(yolotrack.__file__))")
case "$pkg" in "$repo"*) echo "yolotrack imported from the checkout, not the wheel: $pkg"; exit 1;; esac
before=$(find "$pkg" -type f ! -name '*.pyc' | sort | md5sum)
export XDG_CACHE_HOME="$work/cache" XDG_CONFIG_HOME="$work/config"
offline=()
if unshare -n true 2>/dev/null; then offline=(unshare -n); fi  # no network at all, not even loopback
cd "$work"
"${offline[@]}" "$work/venv/bin/yolotrack" export demo -c export --out "$work/out"
"$work/venv/bin/python" -m yolotrack -V
"$work/venv/bin/python" -c "from yolotrack.core.config import load_config; load_config('webcam'); load_config('rtsp_headless')"
for f in demo_annotated.mp4 mot/demo.txt demo_cvat.xml demo_coco.json demo.jsonl; do
  [ -s "$work/out/$f" ] || { echo "the demo export did not write $f"; exit 1; }
done
after=$(find "$pkg" -type f ! -name '*.pyc' | sort | md5sum)
[ "$before" = "$after" ] || { echo "running yolotrack wrote into the installed package $pkg"; exit 1; }
echo "wheel check passed: $(basename "$wheel") installs only yolotrack and runs the offline demo${offline:+ without network}"
