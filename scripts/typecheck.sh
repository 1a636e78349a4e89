#!/usr/bin/env bash
# The type checker (pyright, from the dev extra) over the seams, as configured in pyproject.toml
# ([tool.pyright]). The package `yolotrack` is the repository root itself (setuptools package-dir),
# which no import path names: a link .typepath/yolotrack -> .. gives pyright one.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .typepath
ln -sfn .. .typepath/yolotrack
start=$(date +%s)
.venv/bin/pyright "$@"
echo "type check done in $(( $(date +%s) - start )) s"
