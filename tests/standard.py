"""The GS1 artefacts used as test oracles, read from ../shared/standard beside the repository.

Tests that need them are skipped, with the reason, in a clone where that folder is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
STANDARD = REPO.parent / "shared" / "standard"
ARTIFACTS = STANDARD / "artifacts"
EXAMPLES = STANDARD / "examples"
HASH_VECTORS = STANDARD / "hash-vectors"

requires_standard = pytest.mark.skipif(
    not STANDARD.is_dir(),
    reason="GS1 standard artefacts not found at ../shared/standard (official schema, examples, hash vectors)",
)


def json_examples() -> list[Path]:
    """Every official JSON-LD example document (not the single events)."""
    if not EXAMPLES.is_dir():
        return []
    return sorted(p for p in (EXAMPLES / "json").rglob("*.jsonld"))


def single_event_examples() -> list[Path]:
    if not EXAMPLES.is_dir():
        return []
    return sorted((EXAMPLES / "json" / "single-events").glob("*.json"))


def example_id(path: Path) -> str:
    return str(path.relative_to(EXAMPLES)) if EXAMPLES in path.parents else path.name
