"""The store the settings select: MongoDB when a URI is given, otherwise the embedded SQLite store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from epcis_repo.settings import Settings
from epcis_repo.storage.port import EventStore

SQLITE_FILE = "epcis.sqlite3"


def describe(settings: Settings) -> str:
    """Which store the settings select and where it is, for the start-up line."""
    if settings.mongodb_uri:
        from pymongo.uri_parser import parse_uri

        try:
            nodes = parse_uri(settings.mongodb_uri)["nodelist"]
        except Exception as error:  # pymongo raises several types for a malformed URI
            raise ValueError(f"EPCIS_MONGODB_URI is not a MongoDB connection string: {error}") from None
        hosts = ",".join(f"{host}:{port}" for host, port in nodes)
        return f"MongoDB at {hosts}, database {settings.mongodb_database!r}"
    return f"SQLite at {(settings.data_dir / SQLITE_FILE).resolve()}"


@asynccontextmanager
async def open_configured_store(settings: Settings) -> AsyncIterator[EventStore]:
    describe(settings)
    if not settings.mongodb_uri:
        from epcis_repo.storage.sqlite import SqliteEventStore

        yield SqliteEventStore(settings.data_dir / SQLITE_FILE)
        return
    from pymongo import AsyncMongoClient

    from epcis_repo.storage.mongo import MongoEventStore

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongodb_uri)
    try:
        yield MongoEventStore(client[settings.mongodb_database])
    finally:
        await client.close()
