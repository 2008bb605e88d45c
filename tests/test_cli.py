"""The command line: `epcis-repo serve`."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from epcis_repo.cli import app


def test_serve_without_a_store_says_what_to_configure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EPCIS_MONGODB_URI", raising=False)
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 2
    assert "EPCIS_MONGODB_URI" in result.output


def test_serve_says_which_store_and_where(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EPCIS_MONGODB_URI", "mongodb://db1:27017,db2:27018/?replicaSet=rs0")
    started: dict[str, object] = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **options: started.update(options))
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert (
        "serving on http://0.0.0.0:8123 with MongoDB at db1:27017,db2:27018, database 'epcis'"
        in result.output
    )
    assert started == {"host": "0.0.0.0", "port": 8123, "log_level": "info"}


def test_help_lists_serve() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0 and "serve" in result.output
