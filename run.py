#!/usr/bin/env python3
"""Run epcis-repo from a fresh clone with nothing but Python 3.11+.

    python3 run.py serve [--host H] [--port P]   start the repository
    python3 run.py test [pytest arguments]       run the whole test suite
    python3 run.py bench [arguments]             run the benchmarks (docs/benchmarks.md)
    python3 run.py keys|orgs|grants|trace ...    the other epcis-repo commands (README, Access)

The first run creates a virtual environment in .venv and installs the project with the
versions pinned in constraints.txt; later runs reuse it, and reinstall only when
pyproject.toml or constraints.txt changed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".epcis-repo-installed"
# The commands of the epcis-repo command line that run.py passes on.
CLI = ("serve", "keys", "orgs", "grants", "trace")
COMMANDS = {
    **{name: ["-m", "epcis_repo", name] for name in CLI},
    "test": ["-m", "pytest"],
    "bench": [str(ROOT / "benchmarks" / "run.py")],
}
# Optional dependency groups each command needs beyond the package itself.
EXTRAS = {**dict.fromkeys(CLI, ("test",)), "test": ("test",), "bench": ("test", "bench")}


def _python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "constraints.txt"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def _ensure_environment(extras: tuple[str, ...]) -> None:
    if not _python().exists():
        print("run.py: creating the virtual environment in .venv", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    fingerprint = _fingerprint()
    installed = STAMP.read_text().split() if STAMP.exists() else []
    if installed[:1] == [fingerprint] and set(extras) <= set(installed[1:]):
        return
    wanted = sorted(set(extras) | (set(installed[1:]) if installed[:1] == [fingerprint] else set()))
    print("run.py: installing epcis-repo and its dependencies into .venv", file=sys.stderr)
    install = [str(_python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*install, "--upgrade", "pip"], check=True)
    target = f"{ROOT}[{','.join(wanted)}]"
    subprocess.run([*install, "-c", str(ROOT / "constraints.txt"), "-e", target], check=True)
    STAMP.write_text(" ".join([fingerprint, *wanted]))


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - run.py may be started by an older Python
        print("run.py: epcis-repo needs Python 3.11 or newer", file=sys.stderr)
        return 2
    if not argv or argv[0] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        return 2
    _ensure_environment(EXTRAS[argv[0]])
    command = [str(_python()), *COMMANDS[argv[0]], *argv[1:]]
    os.chdir(ROOT)
    if os.name == "nt":
        return subprocess.run(command).returncode
    os.execv(command[0], command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
