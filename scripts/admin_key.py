"""An administrator's key for a repository about to be served, made as an operator makes one (for the
scripts and benchmarks that start `epcis-repo serve` in a subprocess)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def admin_key(data_dir: Path, env: dict[str, str]) -> str:
    """A new administrator's key for the repository in `data_dir` (or the MongoDB `env` names)."""
    command = ["keys", "create", "--data-dir", str(data_dir), "--org", "operator", "--role", "admin"]
    made = subprocess.run(
        [sys.executable, "-m", "epcis_repo", *command], env=env, capture_output=True, text=True, check=True
    )
    return made.stdout.split()[-1]
