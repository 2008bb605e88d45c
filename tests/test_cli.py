"""The command line: `epcis-repo serve`, its start-up line, and the demonstration chain."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from epcis_repo.api.app import create_app
from epcis_repo.cli import app
from epcis_repo.demo import PALLET, demo_document
from epcis_repo.settings import Settings
from tests.api.test_capture import all_events
from tests.conftest import EpcisClient, store_factory


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What uvicorn would have been asked to run."""
    calls: dict[str, Any] = {}
    monkeypatch.setattr(
        "uvicorn.run", lambda application, **options: calls.update(app=application, **options)
    )
    return calls


def test_serve_uses_the_embedded_store_by_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, started: dict[str, Any]
) -> None:
    monkeypatch.delenv("EPCIS_MONGODB_URI", raising=False)
    monkeypatch.delenv("EPCIS_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 0, result.output
    expected = tmp_path.resolve() / "epcis-data" / "epcis.sqlite3"
    assert f"serving on http://127.0.0.1:8000 with SQLite at {expected}" in result.output
    assert started["host"] == "127.0.0.1" and started["port"] == 8000


def test_data_dir_moves_the_embedded_store(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, started: dict[str, Any]
) -> None:
    monkeypatch.delenv("EPCIS_MONGODB_URI", raising=False)
    monkeypatch.setenv("EPCIS_DATA_DIR", str(tmp_path / "from-env"))
    result = CliRunner().invoke(app, ["serve"])
    assert f"SQLite at {tmp_path.resolve() / 'from-env' / 'epcis.sqlite3'}" in result.output
    result = CliRunner().invoke(app, ["serve", "--data-dir", str(tmp_path / "from-option")])
    assert f"SQLite at {tmp_path.resolve() / 'from-option' / 'epcis.sqlite3'}" in result.output


def test_a_mongodb_uri_selects_mongodb(monkeypatch: pytest.MonkeyPatch, started: dict[str, Any]) -> None:
    monkeypatch.setenv("EPCIS_MONGODB_URI", "mongodb://db1:27017,db2:27018/?replicaSet=rs0")
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert (
        "serving on http://0.0.0.0:8123 with MongoDB at db1:27017,db2:27018, database 'epcis'"
        in result.output
    )
    assert started["host"] == "0.0.0.0" and started["port"] == 8123


def test_a_malformed_mongodb_uri_is_refused_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EPCIS_MONGODB_URI", "postgres://nope")
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 2
    assert "EPCIS_MONGODB_URI is not a MongoDB connection string" in result.output


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "cannot read the GCP length table"),
        ("0614141 seven\n", "expected 'prefix length'"),
        ('{"entry": []}', "not a GS1 GCP length table"),
    ],
)
def test_an_unusable_gcp_length_table_is_refused_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, started: dict[str, Any], content: str | None, reason: str
) -> None:
    table = tmp_path / "gcp.txt"
    if content is not None:
        table.write_text(content)
    monkeypatch.delenv("EPCIS_MONGODB_URI", raising=False)
    monkeypatch.setenv("EPCIS_GCP_LENGTH_TABLE", str(table))
    result = CliRunner().invoke(app, ["serve", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert reason in result.output and "gcp.txt" in result.output
    assert started == {}


def test_help_lists_serve_and_its_options() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--data-dir", "--demo"):
        assert option in result.output


@pytest.mark.parametrize("backend", ["sqlite", "mongomock"])
def test_demo_loads_the_chain_once(backend: str, tmp_path: Path) -> None:
    application = create_app(Settings(), store_factory=store_factory(backend, tmp_path), demo=True)
    with EpcisClient(application) as client:
        events = all_events(client)
    assert len(events) == len(demo_document()["epcisBody"]["eventList"])
    assert {e["type"] for e in events} == {"ObjectEvent", "AggregationEvent", "TransformationEvent"}
    # Started again on the same store: already there, nothing doubled.
    with EpcisClient(application) as client:
        assert len(all_events(client)) == len(events)
        # The pallet: packed, shipped (URN), received (Digital Link) and unpacked.
        assert len(all_events(client, MATCH_anyEPC=PALLET)) == 4
