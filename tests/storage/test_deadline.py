"""Query timeouts: a read still running at its request's deadline is stopped, not waited for."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from epcis_repo.settings import Settings
from epcis_repo.storage.deadline import QueryTimeout, limit_reads
from epcis_repo.storage.sqlite import SqliteEventStore
from tests.conftest import make_client

ENDLESS = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n"


def test_a_sqlite_read_past_its_deadline_is_interrupted(tmp_path: Path) -> None:
    async def run() -> float:
        store = SqliteEventStore(tmp_path / "epcis.sqlite3")
        await store.open()
        try:
            limit_reads(0.2)
            started = time.monotonic()
            with pytest.raises(QueryTimeout):
                await store._read(lambda conn: conn.execute(ENDLESS).fetchone())
            elapsed = time.monotonic() - started
            # The reader is usable again, without a deadline.
            limit_reads(60)
            assert await store._read(lambda conn: conn.execute("SELECT 1").fetchone()) == (1,)
            return elapsed
        finally:
            await store.close()

    assert asyncio.run(run()) < 5  # stopped, not run to the end (it has none)


def test_a_query_past_the_timeout_is_a_413_query_too_complex(backend: str, tmp_path: Path) -> None:
    with make_client(backend, tmp_path, Settings(query_timeout_seconds=1e-9)) as client:
        for path in ("/events", "/epcs", "/traces/back?id=urn:epc:id:sgtin:8934567.012345.1"):
            answer = client.get(path)
            assert answer.status_code == 413, (path, answer.text)
            assert answer.json()["type"] == "epcisException:QueryTooComplexException"
        # Capture has no query timeout.
        assert client.get("/capture").status_code == 200
