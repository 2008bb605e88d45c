"""The benchmark harness still runs: queries and traces on a small store, its report and plot written.

Figures at this size mean nothing; this only keeps `python3 run.py bench` working as the code under it
changes (docs/benchmarks.md).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(autouse=True)
def _forget_benchmark_modules() -> Iterator[None]:
    """The benchmarks' modules leave with each test: one is named trace, like the standard library's."""
    yield
    for name, module in list(sys.modules.items()):
        if Path(getattr(module, "__file__", None) or "/").parent == BENCHMARKS:
            del sys.modules[name]


def test_the_harness_measures_queries_and_traces_and_writes_its_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import run
    import stores

    assert Path(run.trace.__file__).parent == BENCHMARKS  # the benchmark, not the standard library's
    monkeypatch.setattr(stores, "CACHE", tmp_path / "cache")
    output = tmp_path / "results"
    arguments = ["--sizes", "10000", "--runs", "2", "--only", "queries,trace", "--output", str(output)]
    monkeypatch.setattr(sys, "argv", ["run.py", *arguments])
    run.main()
    results = json.loads((output / "results.json").read_text())
    assert results["stores"]["10000"]["built"].startswith("10000 events")
    classes = results["queries"]["classes"]
    assert {"org_any_epc", "org_shipping_week", "org_sensor_kelvin"} <= set(classes)
    for result in classes.values():
        assert result["sizes"]["10000"]["http"]["p50"] > 0 and result["sizes"]["10000"]["events"] > 0
    (row,) = results["trace"]["sizes"]
    assert row["client_side_queries"] > 0 and row["figures"]["back from RC-2701, engine"]["p50"] > 0
    assert row["client_side_ratio_http"] > 0  # the same trace over a socket
    report = (output / "results.md").read_text()
    assert "## Trace" in report and "| over HTTP: client-side time / ours |" in report
    (target,) = [line for line in report.splitlines() if "faster than the client-side way" in line]
    assert " in process, x" in target and " over HTTP |" in target
    plot = output / "growth.png"
    try:
        import matplotlib  # noqa: F401  (the bench extra; without it the harness writes no plot)
    except ImportError:
        assert not plot.exists()
    else:
        assert plot.stat().st_size > 0


def test_a_partial_run_keeps_the_other_suites_figures_with_the_loop_of_their_own_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import run
    import stores

    published = json.loads((BENCHMARKS.parent / "docs" / "benchmarks" / "results.json").read_text())
    output = tmp_path / "results"
    output.mkdir()
    (output / "results.json").write_text(json.dumps(published))
    store = tmp_path / "epcis.sqlite3"
    store.write_bytes(bytes(1024))
    store.with_suffix(".complete").write_text("built for this test")
    monkeypatch.setattr(stores, "sqlite_store", lambda size: store)
    # The suite run again: the published trace figures stand in for its measurement, on a slower day.
    monkeypatch.setattr(run, "SUITES", {**run.SUITES, "trace": lambda sizes, runs: dict(published["trace"])})
    monkeypatch.setattr(run, "machine", lambda: {**published["machine"], "reference_loop_ms": 99.9})
    sizes = ",".join(str(size) for size in published["sizes"])
    only_trace = ["--only", "trace", "--output", str(output)]

    monkeypatch.setattr(sys, "argv", ["run.py", "--sizes", "10000", *only_trace])
    with pytest.raises(SystemExit):  # other sizes than the kept figures': refused before measuring
        run.main()
    assert json.loads((output / "results.json").read_text()) == published

    monkeypatch.setattr(sys, "argv", ["run.py", "--sizes", sizes, *only_trace])
    run.main()
    results = json.loads((output / "results.json").read_text())
    kept = ("event_hash", "capture", "queries")
    loops = [published[s].get("reference_loop_ms", published["machine"]["reference_loop_ms"]) for s in kept]
    assert [results[suite]["reference_loop_ms"] for suite in (*kept, "trace")] == [*loops, 99.9]
    assert results["capture"]["stores"] == published["capture"]["stores"]
    report = (output / "results.md").read_text()
    names = ("event hash", "capture", "queries", "traces")
    each = ", ".join(f"{loop} ms ({name})" for loop, name in zip([*loops, 99.9], names, strict=True))
    assert each in report
    largest = published["capture"]["stores"][-1]["server_memory"]  # in the HTTP capture runs
    started, peak = (round(largest[name] / 2**20) for name in ("rss_started", "peak"))
    assert f"| 1M | {started} MiB | {peak} MiB |" in report


def test_the_ceiling_inserts_the_prepared_rows_with_the_stores_writer_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import sqlite3

    import orjson
    from generator import SupplyChains

    import capture
    from epcis_repo.capture.schema import SchemaValidator
    from epcis_repo.storage.sqlite.checkpoint import Checkpointer
    from epcis_repo.storage.sqlite.checkpoint import after_commit as store_after_commit

    documents = [orjson.dumps(d) for d in SupplyChains(capture.SEED).documents(50, 100, 0)]
    prepared = capture.prepared_documents(documents, SchemaValidator.load())
    path = capture.empty_store(tmp_path)
    committed: list[object] = []

    def after_commit(conn: object, checkpointer: object) -> None:  # what the store's writer does
        committed.append(checkpointer)
        store_after_commit(conn, checkpointer)  # type: ignore[arg-type]

    monkeypatch.setattr(capture, "after_commit", after_commit)
    result = capture.ceiling_run(path, prepared)
    assert result["events"] == 100 and result["seconds"] > 0
    assert len(committed) == 2 and all(isinstance(c, Checkpointer) for c in committed)  # each document
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM events").fetchone() == (100,)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_memory_against_document_size_is_the_median_of_runs_in_fresh_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import capture

    found = capture.memory_in_fresh_processes(tmp_path, runs=3, sizes=(50, 100))
    assert [m["events"] for m in found] == [50, 100]
    for measured in found:
        runs = measured["peak_bytes_runs"]
        assert len(runs) == 3 and all(peak > 0 for peak in runs)
        assert measured["peak_bytes"] == sorted(runs)[1]


def test_the_generator_makes_documents_of_any_size_the_same_for_the_same_seed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    from generator import CHAIN_EVENTS, SupplyChains

    documents = list(SupplyChains(7).documents(40, 130, first_chain=2))
    assert [len(d["epcisBody"]["eventList"]) for d in documents] == [40, 40, 40, 10]
    chains = SupplyChains(7)
    expected = [e for k in (2, 3, 4, 5, 6, 7) for e in chains.chain(k).events][:130]
    assert [e for d in documents for e in d["epcisBody"]["eventList"]] == expected
    # The second document (events 40 to 79) holds the end of chain 3, chain 4 and the start of chain 5.
    assert CHAIN_EVENTS == 25

    def keys(chain_or_document: list[dict[str, Any]]) -> set[str]:
        return {e["id"] for vocabulary in chain_or_document for e in vocabulary["vocabularyElementList"]}

    header = documents[1]["epcisHeader"]["epcisMasterData"]["vocabularyList"]
    assert keys(header) == set().union(*(keys(chains.chain(k).master_data) for k in (3, 4, 5)))
    assert list(SupplyChains(7).documents(40, 130, first_chain=2)) == documents
    assert list(SupplyChains(8).documents(40, 130, first_chain=2)) != documents
    with pytest.raises(ValueError):
        next(SupplyChains(7).documents(0, 10))


def test_index_pages_attributes_every_written_page_to_a_table_or_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import index_pages
    import stores

    monkeypatch.setattr(stores, "CACHE", tmp_path / "cache")
    events, pages, seconds = index_pages.measure(10_000, 1)
    assert events == 1000
    assert {"events", "event_keys", "lineage_source", "sqlite_autoindex_events_1"} <= set(pages)
    assert seconds["COMMIT"] > 0


def test_the_trace_suite_runs_on_mongodb_when_a_database_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No MongoDB server here: the suite's MongoDB path runs against mongomock, in a database the
    # stores module would have filled (left empty here), so the robusta chain is captured into it.
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import trace

    from fastapi import FastAPI

    from epcis_repo.api.app import create_app
    from epcis_repo.settings import Settings
    from tests.conftest import access_factory, store_factory

    monkeypatch.setattr(trace, "mongodb_uri", lambda: "mongodb://mongomock")
    monkeypatch.setattr(trace, "mongodb_database", lambda size: f"epcis_bench_{size}")
    stores, keys = store_factory("mongomock", tmp_path), access_factory("mongomock", tmp_path)

    def on_mongomock(settings: Settings) -> FastAPI:
        return create_app(settings, store_factory=stores, access_factory=keys)

    monkeypatch.setattr(trace, "create_app", on_mongomock)
    for _ in range(2):  # the second time, the chain is already there
        row = trace.measure_mongodb(10000, runs=2)
        assert row["client_side_queries"] == 18 and row["client_side_ratio"] > 0
        assert row["figures"]["back from RC-2701, engine"]["p50"] > 0


def test_a_capture_run_on_mongodb_leaves_the_filled_database_as_it_found_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No MongoDB server here: mongomock stands in for the server at EPCIS_TEST_MONGODB_URI. Each run
    # captures the same documents; had one left anything behind, the next would find them stored.
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import asyncio
    from contextlib import asynccontextmanager

    import stores
    from mongomock_motor import AsyncMongoMockClient

    import capture
    from epcis_repo.auth.access import MongoAccessStore
    from epcis_repo.auth.keys import new_key
    from epcis_repo.auth.model import Role
    from epcis_repo.capture.schema import SchemaValidator
    from epcis_repo.storage.mongo import MongoEventStore

    client = AsyncMongoMockClient()
    database = client["epcis_bench"]

    @asynccontextmanager
    async def connection() -> Any:
        yield client

    monkeypatch.setattr(capture, "mongodb_connection", connection)

    async def contents() -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name in await database.list_collection_names():
            found[name] = sorted([str(d) async for d in database[name].find({})])
        return found

    async def filled() -> dict[str, Any]:
        store = MongoEventStore(database)
        await store.open()
        await stores.fill(store, 100)
        await MongoAccessStore(database).open()
        return await contents()

    async def served() -> None:  # what a server does in an HTTP run: its start-up, its key, captures
        store = MongoEventStore(database)
        await store.open()
        await MongoAccessStore(database).add_key(new_key("operator", frozenset({Role.ADMIN}))[1])
        await stores.fill(store, 50, first_chain=100)

    before = asyncio.run(filled())
    assert len(before["events"]) == 100 and before["vocabulary"] and before["companyPrefixes"]
    work, schema = capture.workload(100, 400), SchemaValidator.load()
    for _ in range(2):
        result = asyncio.run(capture.mongodb_in_process("epcis_bench", work.small, schema))
        assert result["events"] == 100 and result["seconds"] > 0
        assert list(result["phases"]) == [
            "validate",
            "prepare records",
            "duplicate lookups",
            "save running job",
            "write rows, publish",
        ]
        assert all(seconds > 0 for seconds in result["phases"].values())
        assert asyncio.run(contents()) == before
    with capture.unchanged_mongodb("epcis_bench"):
        asyncio.run(served())
        assert asyncio.run(contents()) != before
    assert asyncio.run(contents()) == before
    # A run stopped before its restore: the next run restores its mark first.
    asyncio.run(stores.mongodb_mark(database))
    asyncio.run(served())
    result = asyncio.run(capture.mongodb_in_process("epcis_bench", work.small, schema))
    assert result["events"] == 100 and asyncio.run(contents()) == before


def test_the_report_says_how_each_figure_grows_from_the_smallest_store_to_the_largest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    from report import render_markdown

    published = json.loads((BENCHMARKS.parent / "docs" / "benchmarks" / "results.json").read_text())
    report = render_markdown(published)
    table = report[report.index("## Growth from 10k to 1M events stored") :].split("\n\n")[2]
    rows = {line.split(" | ")[0].lstrip("| "): line.split(" | ")[1:] for line in table.splitlines()[2:]}
    stores = published["capture"]["stores"]
    http = {str(row["store_events"]): row["http"]["1000"]["events_per_s"] for row in stores}
    assert rows["capture over HTTP, documents of 1,000 (events/s)"] == [
        f"{http['10000']:,.0f}",
        f"{http['100000']:,.0f}",
        f"{http['1000000']:,.0f}",
        f"{http['1000000'] / http['10000']:.2f} |",
    ]
    classes = published["queries"]["classes"]
    traces = published["trace"]["sizes"][0]["figures"]
    assert len(rows) == 3 + len(classes) + len(traces)  # capture's three, each query class, each trace


def test_the_report_says_where_the_capture_time_goes_at_each_store_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    from report import render_markdown

    def store(size: int, runs: list[float], phases: dict[str, float], hash_us: float) -> dict[str, Any]:
        rate = {"events": 2000, "seconds": runs, "events_per_s": 1000.0}
        return {
            "store_events": size,
            "http": {"1000": rate},
            "in_process": {**rate, "phases": phases},
            "ceiling": rate,
            "ceiling_empty": rate,
            "of_ceiling": {"http 1000": 1.0, "in process": 1.0},
            "record_costs_us": {"event hash": hash_us},
        }

    capture = {
        "runs": 3,
        "stores": [
            # 2,000 events; the median run takes 2 s; the steps' medians add up to 1.9 s, or to 2.1 s
            store(10_000, [3.0, 2.0, 1.0], {"validate": 0.4, "write rows": 1.5}, 20.0),
            store(1_000_000, [2.0, 2.5, 1.5], {"validate": 0.6, "write rows": 1.5}, 25.0),
        ],
        "memory": [{"events": 100, "peak_bytes": 2**20}],
        "memory_growth": {},
    }
    machine = {"cpu": "x", "cores": 2, "memory_mib": 1, "system": "x", "python": "3", "sqlite": "3"}
    report = render_markdown(
        {"machine": machine, "sizes": [10_000, 1_000_000], "stores": {}, "capture": capture}
    )
    table = report[report.index("Where the in-process time goes") :].split("\n\n")[1]
    assert table.splitlines() == [
        "| Step | 10k | 1M |",
        "|---|---|---|",
        "| validate | 200.0 (20%) | 300.0 (30%) |",
        "| write rows | 750.0 (75%) | 750.0 (75%) |",
        "| the rest: event loop, threads, other | 50.0 (5%) | -50.0 (-5%) |",
        "| record preparation alone: event hash | 20.0 | 25.0 |",
    ]
