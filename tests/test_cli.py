"""The real CLI in a subprocess: help, exit codes and one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "yolotrack", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)


def one_error_line(proc: subprocess.CompletedProcess) -> str:
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("yolotrack: error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


def test_help_lists_subcommands():
    proc = cli("--help")
    assert proc.returncode == 0
    for name in ("gui", "run", "export", "info", "convert", "eval", "synth", "train"):
        assert name in proc.stdout


def test_no_command_prints_help_and_exits_2():
    proc = cli()
    assert proc.returncode == 2 and "COMMAND" in proc.stdout


def test_unknown_subcommand_is_usage_error():
    proc = cli("fly")
    assert proc.returncode == 2
    assert "invalid choice: 'fly'" in one_error_line(proc)


@pytest.mark.parametrize("command", [["run"], ["export", "video.mp4"], ["gui"]])
def test_unknown_key_names_closest(command):
    proc = cli(*command, "model.cnof=0.3")
    assert proc.returncode == 2
    line = one_error_line(proc)
    assert "unknown config key 'model.cnof'" in line and "did you mean 'model.conf'" in line


def test_bad_type_and_range():
    proc = cli("run", "model.imgsz=big")
    assert proc.returncode == 2
    assert "model.imgsz: expected an integer, got 'big'" in one_error_line(proc)
    proc = cli("run", "--conf", "2")
    assert proc.returncode == 2
    assert "model.conf: 2.0 is out of range" in one_error_line(proc)


def test_missing_config_file():
    proc = cli("run", "--config", "does/not/exist.yaml")
    assert proc.returncode == 2
    assert "config file 'does/not/exist.yaml' not found" in one_error_line(proc)


def test_bad_flag_value_is_usage_error():
    proc = cli("run", "--imgsz", "abc")
    assert proc.returncode == 2
    assert "invalid int value" in one_error_line(proc)


def test_missing_weights_is_runtime_error(tmp_path):
    proc = cli("run", "--weights", str(tmp_path / "missing.pt"), "--source", str(tmp_path / "x.mp4"))
    assert proc.returncode == 1
    assert "missing.pt" in one_error_line(proc)


def test_verbose_shows_traceback(tmp_path):
    proc = cli("run", "-v", "--weights", str(tmp_path / "missing.pt"), "--source", str(tmp_path / "x.mp4"))
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr
    assert "yolotrack: error:" in proc.stderr


def test_info_reports_backend():
    proc = cli("info")
    assert proc.returncode == 0, proc.stderr
    assert "torch" in proc.stdout
    assert "flash_attn importable" in proc.stdout
    assert "attention auto picks" in proc.stdout and ("sdpa" in proc.stdout or "eager" in proc.stdout)
    from yolotrack.detector.runtimes.select import auto_candidates

    picked = auto_candidates("cpu")[0]
    assert any(line.startswith("runtime auto picks") and line.split()[3] == picked for line in proc.stdout.splitlines())


def test_every_option_has_help():
    """A flag without help text is a flag nobody can discover."""
    from yolotrack.main import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    missing = [f"{name} {a.option_strings or a.dest}" for name, p in sub.choices.items() for a in p._actions
               if not a.help]
    assert not missing, f"options without help: {missing}"
