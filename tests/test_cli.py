"""The command line: `epcis-repo serve`, its start-up line, and the demonstration chain."""

from __future__ import annotations

import json
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


# --- trace ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def robusta_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.trace import robusta as chain

    folder = tmp_path_factory.mktemp("robusta-cli")
    with EpcisClient(create_app(Settings(data_dir=folder))) as client:
        for document in chain.DOCUMENTS:
            assert client.capture(document)["success"]
    return folder


def test_trace_back_prints_the_chain_as_a_tree_with_its_origins(robusta_folder: Path) -> None:
    from tests.trace import robusta as chain

    result = CliRunner().invoke(
        app,
        ["trace", "back", "urn:epc:class:lgtin:8935001.000062.RC-2701", "--data-dir", str(robusta_folder)],
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"Trace back from {chain.RC_2701} (16,150 KGM)"
    assert "  <- made by transformation:" in lines[1]
    assert f"<- from {chain.EXP_A} (19,000 KGM, 100%)" in lines[2]
    origins = lines[lines.index("Origins:") + 1 : lines.index("Findings:")]
    assert f"  {chain.FARM_LOTS['F3']} at {chain.PLOTS['P3']} (5,700 KGM, 30%)" in origins
    assert len(origins) == 7
    assert lines[-1] == "  none"


def test_trace_json_is_the_document_the_api_returns(robusta_folder: Path) -> None:
    from tests.trace import robusta as chain

    args = ["trace", "forward", chain.PLOTS["Q3"], "--json", "--data-dir", str(robusta_folder)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    with EpcisClient(create_app(Settings(data_dir=robusta_folder))) as client:
        over_http = client.get("/traces/forward", params={"id": chain.PLOTS["Q3"]}).json()
    assert json.loads(result.output) == over_http


def test_trace_refuses_what_it_cannot_trace(robusta_folder: Path) -> None:
    unknown = CliRunner().invoke(
        app, ["trace", "back", "urn:example:nothing", "--data-dir", str(robusta_folder)]
    )
    assert unknown.exit_code == 1 and "no event names 'urn:example:nothing'" in unknown.output
    bad = CliRunner().invoke(
        app, ["trace", "back", "urn:example:x", "--at", "yesterday", "--data-dir", str(robusta_folder)]
    )
    assert bad.exit_code == 2 and "at: " in bad.output


def test_trace_asks_a_running_repository_with_url(robusta_folder: Path, tmp_path: Path) -> None:
    import socket
    import threading

    import uvicorn

    from tests.trace import robusta as chain

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(Settings(data_dir=robusta_folder)), port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            thread.join(0.05)
        local_is_locked = CliRunner().invoke(
            app, ["trace", "back", chain.RC_2701, "--data-dir", str(robusta_folder)]
        )
        assert local_is_locked.exit_code == 2 and "--url" in local_is_locked.output
        url = f"http://127.0.0.1:{port}"
        anonymous = CliRunner().invoke(app, ["trace", "back", chain.RC_2701, "--url", url])
        assert anonymous.exit_code == 2 and "give --key" in anonymous.output, anonymous.output
        made = CliRunner().invoke(
            app, ["keys", "create", "--data-dir", str(robusta_folder), "--org", "auditor", "--role", "admin"]
        )
        key = made.output.split()[-1]
        result = CliRunner().invoke(app, ["trace", "back", chain.RC_2701, "--url", url, "--key", key])
        assert result.exit_code == 0, result.output
        assert "Origins:" in result.output and chain.FARM_LOTS["G4"] in result.output
        missing = CliRunner().invoke(
            app, ["trace", "back", "urn:example:none", "--url", url], env={"EPCIS_API_KEY": key}
        )
        assert missing.exit_code == 1 and "There is no identifier" in missing.output
    finally:
        server.should_exit = True
        thread.join(10)
    unreachable = CliRunner().invoke(
        app, ["trace", "back", "urn:example:x", "--url", f"http://127.0.0.1:{port}"]
    )
    assert unreachable.exit_code == 2 and "cannot reach" in unreachable.output
