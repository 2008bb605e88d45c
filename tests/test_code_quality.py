"""The code stays as the project's tooling wants it: ruff (lint and format) and mypy --strict on src/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_ruff_lint_and_format() -> None:
    lint = run("ruff", "check", "src", "tests", "benchmarks", "scripts", "run.py")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = run("ruff", "format", "--check", "src", "tests", "benchmarks", "scripts", "run.py")
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_mypy_strict() -> None:
    checked = run("mypy")
    assert checked.returncode == 0, checked.stdout + checked.stderr
