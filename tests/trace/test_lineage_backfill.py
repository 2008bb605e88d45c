"""Events stored before lineage edges existed (or under an older derivation) get their edges when
the application starts, so that traces cover everything the repository holds."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from mongomock_motor import AsyncMongoMockClient

from epcis_repo.api.app import create_app
from epcis_repo.settings import Settings
from epcis_repo.storage.mongo import MongoEventStore
from epcis_repo.storage.port import EventStore
from epcis_repo.storage.sqlite import SqliteEventStore
from tests.conftest import EpcisClient
from tests.trace import robusta as chain


def origins_of_rc_2701(client: EpcisClient) -> list[tuple[str, float]]:
    response = client.get("/traces/back", params={"id": chain.RC_2701})
    assert response.status_code == 200, response.text
    return sorted((o["id"], o["quantity"]["value"]) for o in response.json()["origins"])


def test_sqlite_events_without_edges_get_them_at_start_up(tmp_path: Path) -> None:
    path = tmp_path / "epcis.sqlite3"

    @asynccontextmanager
    async def stores(_: Settings) -> AsyncIterator[EventStore]:
        yield SqliteEventStore(path)

    with EpcisClient(create_app(Settings(), store_factory=stores)) as client:
        for document in chain.DOCUMENTS:
            assert client.capture(document)["success"]
        expected = origins_of_rc_2701(client)
    assert len(expected) == 7
    with sqlite3.connect(path) as conn:  # as a store made before lineage existed would be
        conn.execute("DELETE FROM lineage")
        conn.execute("UPDATE meta SET value = 0 WHERE name = 'lineage_version'")
    with EpcisClient(create_app(Settings(), store_factory=stores)) as client:
        assert origins_of_rc_2701(client) == expected


def test_mongodb_events_without_edges_get_them_at_start_up() -> None:
    database: Any = AsyncMongoMockClient()["epcis"]

    @asynccontextmanager
    async def stores(_: Settings) -> AsyncIterator[EventStore]:
        yield MongoEventStore(database)

    with EpcisClient(create_app(Settings(), store_factory=stores)) as client:
        for document in chain.DOCUMENTS:
            assert client.capture(document)["success"]
        expected = origins_of_rc_2701(client)

        async def forget() -> None:
            await database["events"].update_many({}, {"$unset": {"lineage": ""}})
            await database["meta"].delete_one({"_id": "lineage"})

        client.portal.call(forget)
        assert origins_of_rc_2701(client) == []  # known from its events, but no edges to follow
    with EpcisClient(create_app(Settings(), store_factory=stores)) as client:
        assert origins_of_rc_2701(client) == expected
