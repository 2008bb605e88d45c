"""The stores the contract suite runs on: every backend, with the same assertions.

MongoDB runs on mongomock-motor always, and on a real server when EPCIS_TEST_MONGODB_URI is set.
SQLite runs on a database file in the test's temporary directory.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mongomock_motor import AsyncMongoMockClient

from epcis_repo.auth.access import AccessStore, MongoAccessStore, SqliteAccessStore
from epcis_repo.storage.mongo import MongoEventStore
from epcis_repo.storage.port import EventStore
from epcis_repo.storage.sqlite import SqliteEventStore

REAL_MONGODB = os.environ.get("EPCIS_TEST_MONGODB_URI")


BACKENDS = [
    "mongomock",
    pytest.param(
        "mongodb",
        marks=pytest.mark.skipif(
            not REAL_MONGODB, reason="EPCIS_TEST_MONGODB_URI is not set (no MongoDB server)"
        ),
    ),
    "sqlite",
]


@pytest.fixture(params=BACKENDS)
async def access_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AccessStore]:
    """Where keys, organisations and grants are kept, on each backend."""
    if request.param == "sqlite":
        sqlite = SqliteAccessStore(tmp_path / "access.sqlite3")
        yield sqlite
        sqlite.close()
        return
    if request.param == "mongomock":
        mock = MongoAccessStore(AsyncMongoMockClient()["epcis_access"])
        await mock.open()
        yield mock
        return
    from pymongo import AsyncMongoClient

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(REAL_MONGODB)
    name = f"epcis_access_{uuid.uuid4().hex[:12]}"
    try:
        real = MongoAccessStore(client[name])
        await real.open()
        yield real
    finally:
        await client.drop_database(name)
        await client.close()


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[EventStore]:
    if request.param == "sqlite":
        sqlite = SqliteEventStore(tmp_path / "store" / "events.sqlite3")
        await sqlite.open()
        yield sqlite
        await sqlite.close()
        return
    if request.param == "mongomock":
        database: Any = AsyncMongoMockClient()["epcis_contract"]
        backend = MongoEventStore(database)
        await backend.open()
        yield backend
        await backend.close()
        return
    from pymongo import AsyncMongoClient

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(REAL_MONGODB)
    name = f"epcis_contract_{uuid.uuid4().hex[:12]}"
    backend = MongoEventStore(client[name])
    try:
        await backend.open()
        yield backend
        await backend.close()
    finally:
        await client.drop_database(name)
        await client.close()
