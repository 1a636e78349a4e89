#!/usr/bin/env bash
# Create .venv and install yolotrack (editable) with the GUI and test extras. Safe to re-run.
# torch is pinned and installed first: a bare `torch` would pull a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q torch==2.13.0
.venv/bin/python -m pip install -q -e ".[gui,dev]"
# Last, and without its dependencies: trackeval declares opencv-python, which would overwrite
# opencv-python-headless's cv2 and clash with PyQt6. Its metrics need only numpy/scipy (and tabulate,
# in the dev extra). An install with --no-deps runs no resolver check, so nothing reports a conflict.
.venv/bin/python -m pip install -q --no-deps "trackeval>=1.3"
.venv/bin/python -c "import cv2, torch, av, lap; print('yolotrack environment ready: torch', torch.__version__)"
