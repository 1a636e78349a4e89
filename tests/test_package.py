"""One import namespace and package data: what a user of the installed package relies on."""

from __future__ import annotations

import ast
import subprocess
import sys
from importlib import resources
from pathlib import Path

import yolotrack
from yolotrack.core.assets import CONFIG_DIR, DEMO_VIDEO, DEMO_WEIGHTS
from yolotrack.core.config import load_config

REPO = Path(__file__).resolve().parent.parent
# The folders that are subpackages of `yolotrack` (pyproject's package-dir maps the root to it).
SUBPACKAGES = {"core", "commands", "detector", "pipeline", "render", "sinks", "tracker", "train", "ui", "main",
               "analytics", "cluster"}


def _python_files() -> list[Path]:
    skip = {".venv", "build", "dist", ".git"}
    return [p for p in REPO.rglob("*.py") if not skip & set(p.relative_to(REPO).parts)]


def test_every_first_party_import_goes_through_yolotrack() -> None:
    """A bare `import tracker` would work from a checkout and break (or import a stranger) when installed."""
    bad = []
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            bad += [f"{path.relative_to(REPO)}:{node.lineno} {n}" for n in names if n.split(".")[0] in SUBPACKAGES]
    assert not bad, "imports outside the yolotrack namespace:\n" + "\n".join(bad)


def test_package_is_the_repository_root_in_a_checkout() -> None:
    """The editable install maps `yolotrack` to this checkout, so tests exercise these very files."""
    assert Path(yolotrack.__file__).resolve().parent == REPO
    assert Path(sys.modules["yolotrack.core.config"].__file__).resolve() == REPO / "core" / "config.py"
    assert not {"core", "tracker", "pipeline", "detector"} & set(sys.modules), "a top-level module leaked in"


def test_package_data_is_read_through_importlib_resources() -> None:
    root = resources.files("yolotrack")
    assert root.joinpath("configs", "default.yaml").is_file()
    assert Path(str(root.joinpath("configs"))) == CONFIG_DIR
    assert DEMO_VIDEO.is_file() and DEMO_WEIGHTS.is_file()
    presets = sorted(p.stem for p in CONFIG_DIR.glob("*.yaml"))
    assert {"default", "webcam", "rtsp_headless", "export"} <= set(presets)
    for name in presets:
        load_config(name)


def test_python_dash_m_yolotrack(tmp_path: Path) -> None:
    """`python -m yolotrack` is the console script, from any folder."""
    r = subprocess.run([sys.executable, "-m", "yolotrack", "--help"], capture_output=True, text=True, cwd=tmp_path,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("usage: yolotrack") and "entry point" not in r.stdout
    assert "Real-time YOLOv12 detection and tracking" in r.stdout
    r = subprocess.run([sys.executable, "-m", "yolotrack", "-V"], capture_output=True, text=True, cwd=tmp_path,
                       timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == yolotrack.__version__
