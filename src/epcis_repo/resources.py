"""Where the files shipped beside the code live (JSON Schemas, JSON-LD contexts)."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def schemas_dir() -> Path:
    """The project's schemas/ folder: inside the wheel when installed, at the repository root otherwise."""
    packaged = _PACKAGE / "schemas"
    return packaged if packaged.is_dir() else _PACKAGE.parents[1] / "schemas"
