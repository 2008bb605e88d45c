"""The README's promises: its two Quickstart commands, the configuration table, and CI's command."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from epcis_repo.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def section(title: str) -> str:
    match = re.search(rf"^## {title}\n(.*?)(?=^## )", README, re.S | re.M)
    assert match, f"README has no '{title}' section"
    return match.group(1)


def commands(text: str) -> list[str]:
    return [
        line for block in re.findall(r"```sh\n(.*?)```", text, re.S) for line in block.strip().splitlines()
    ]


def test_quickstart_has_exactly_two_commands_serve_and_test() -> None:
    assert commands(section("Quickstart")) == ["python3 run.py serve", "python3 run.py test"]


def test_ci_runs_the_readme_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    assert "python3 run.py test" in script
    assert os.access(ROOT / ".ci" / "run", os.X_OK)


def test_the_configuration_table_lists_every_setting_with_its_default() -> None:
    rows = dict(re.findall(r"^\| `(EPCIS_[A-Z_]+)` \| (.*?) \|", section("Configuration"), re.M))
    expected = {}
    for name, field in Settings.model_fields.items():
        default = field.default
        expected[f"EPCIS_{name.upper()}"] = "(none)" if default is None else f"`{default}`"
    assert rows == expected


def test_run_py_without_a_command_explains_itself() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "run.py")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "python3 run.py serve" in done.stderr and "python3 run.py test" in done.stderr
