"""Schema migrations of the SQLite store applied to a database that already holds data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from epcis_repo.epcis.identifiers import canonical_key
from epcis_repo.query.model import AnyOf, EventQuery, Field
from epcis_repo.storage.port import AppendResult
from epcis_repo.storage.sqlite import SqliteEventStore
from tests.storage.test_contract import append, ids, job, location, record


def as_version_9_left_it(conn: sqlite3.Connection) -> None:
    """Undo migration 10: union rows stored again, and the two eventID indexes of version 9."""
    conn.execute(
        "INSERT INTO event_keys (field, key, event) SELECT 'anyEPC', key, event FROM event_keys "
        "WHERE field IN ('epc', 'parentID', 'inputEPC', 'outputEPC') ON CONFLICT DO NOTHING"
    )
    conn.execute(
        "INSERT INTO event_keys (field, key, event) SELECT 'anyEPCClass', key, event FROM event_keys "
        "WHERE field IN ('epcClass', 'inputEPCClass', 'outputEPCClass') ON CONFLICT DO NOTHING"
    )
    conn.execute("DROP INDEX events_event_id")
    conn.execute("CREATE INDEX events_event_id ON events (event_id)")
    conn.execute(
        "CREATE UNIQUE INDEX events_owned_event_id ON events (ifnull(captured_by, ''), event_id) "
        "WHERE declaration = 0"
    )
    conn.execute("PRAGMA user_version = 9")


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
        as_version_9_left_it(conn)
        conn.execute("ALTER TABLE vocabulary DROP COLUMN organisation")
        conn.execute("PRAGMA user_version = 8")
    store = SqliteEventStore(path)
    await store.open()
    try:
        assert await store.vocabulary_with_attribute("country", ["VN"], frozenset({"org-a"})) == {"farm"}
        assert await store.vocabulary_with_attribute("country", ["VN"], frozenset({None})) == set()
    finally:
        await store.close()


async def test_union_rows_go_and_one_index_keeps_event_ids_unique(tmp_path: Path) -> None:
    """Migration 10 removes the stored anyEPC/anyEPCClass rows (read from their roles since) and
    merges the two eventID indexes into one: queries answer as before, and an owned eventID is
    still refused a second time."""
    path = tmp_path / "epcis.sqlite3"
    store = SqliteEventStore(path)
    await store.open()
    sscc, lgtin = "urn:epc:id:sscc:8934567.0000000001", "urn:epc:class:lgtin:8934567.012345.L1"
    pallet = record(epcList=None, parentID=sscc, childEPCs=[])
    lot = record(epcList=None, quantityList=[{"epcClass": lgtin}])
    await append(store, [pallet, lot])
    await store.close()
    with sqlite3.connect(path) as conn:
        as_version_9_left_it(conn)
    store = SqliteEventStore(path)
    await store.open()
    try:
        with sqlite3.connect(path) as conn:
            fields = {field for (field,) in conn.execute("SELECT DISTINCT field FROM event_keys")}
            indexes = {
                name for (name,) in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'index'")
            }
        assert fields == {"parentID", "epcClass"}
        assert "events_owned_event_id" not in indexes
        any_epc = EventQuery((AnyOf(Field.ANY_EPC, (canonical_key(sscc),)),))
        any_class = EventQuery((AnyOf(Field.ANY_EPC_CLASS, (canonical_key(lgtin),)),))
        assert await ids(store, any_epc) == [pallet.event_id]
        assert await ids(store, any_class) == [lot.event_id]
        assert await store.distinct_values(Field.ANY_EPC, None, 10) == [canonical_key(sscc)]
        assert await store.used_event_ids([pallet.event_id, "other"]) == {pallet.event_id}
        with sqlite3.connect(path) as conn, pytest.raises(sqlite3.IntegrityError):
            conn.execute(
                "INSERT INTO events (commit_no, position, capture_id, event_id, hash, dedup_key, "
                "declaration, type, event_time, record_time, body) SELECT 99, 0, capture_id, event_id, hash, "
                "'other', 0, type, event_time, record_time, body FROM events WHERE event_id = ?",
                (pallet.event_id,),
            )
    finally:
        await store.close()
