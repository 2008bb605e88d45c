"""Schema migrations of the SQLite store applied to a database that already holds data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from epcis_repo.storage.port import AppendResult
from epcis_repo.storage.sqlite import SqliteEventStore
from tests.storage.test_contract import job, location, record


async def test_master_data_versions_learn_whose_they_are_from_their_capture(tmp_path: Path) -> None:
    """Migration 9 gives each stored master data version the organisation of the capture that wrote it."""
    path = tmp_path / "epcis.sqlite3"
    store = SqliteEventStore(path)
    await store.open()
    capture = job()
    capture.organisation = "org-a"

    async def settle(result: AppendResult) -> None:
        capture.running = False

    await store.append([record()], capture, settle, [location("farm", country="VN")])
    await store.close()
    with sqlite3.connect(path) as conn:  # as the version before migration 9 left it
        conn.execute("ALTER TABLE vocabulary DROP COLUMN organisation")
        conn.execute("PRAGMA user_version = 8")
    store = SqliteEventStore(path)
    await store.open()
    try:
        assert await store.vocabulary_with_attribute("country", ["VN"], frozenset({"org-a"})) == {"farm"}
        assert await store.vocabulary_with_attribute("country", ["VN"], frozenset({None})) == set()
    finally:
        await store.close()
