"""Fixtures shared by the whole suite: the application on each store, and a client that waits for captures."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from mongomock_motor import AsyncMongoMockClient

from epcis_repo.api.app import StoreFactory, create_app
from epcis_repo.settings import Settings
from epcis_repo.storage.mongo import MongoEventStore
from epcis_repo.storage.port import EventStore
from epcis_repo.storage.sqlite import SqliteEventStore

# The API is tested on the embedded default and on MongoDB (its in-memory double).
BACKENDS = ("sqlite", "mongomock")


def store_factory(backend: str, folder: Path) -> StoreFactory:
    """Opens the same store every time the application starts (a restart keeps the data)."""
    database = AsyncMongoMockClient()["epcis"]

    @asynccontextmanager
    async def factory(_: Settings) -> AsyncIterator[EventStore]:
        if backend == "sqlite":
            yield SqliteEventStore(folder / "epcis.sqlite3")
        else:
            yield MongoEventStore(database)

    return factory


class EpcisClient(TestClient):
    def wait_for_job(self, location: str, timeout: float = 30.0) -> dict[str, Any]:
        """Poll a capture job until it finishes; return it."""
        deadline = time.monotonic() + timeout
        while True:
            job: dict[str, Any] = self.get(location).json()
            if not job["running"]:
                return job
            if time.monotonic() > deadline:
                raise AssertionError(f"capture job still running after {timeout}s: {job}")
            time.sleep(0.01)

    def capture(self, document: Any, **headers: str) -> dict[str, Any]:
        """POST a document to /capture, expect 202, and return the finished job."""
        response = self.post("/capture", json=document, headers=headers)
        assert response.status_code == 202, response.text
        return self.wait_for_job(response.headers["Location"])


def make_client(backend: str, folder: Path, settings: Settings | None = None) -> EpcisClient:
    return EpcisClient(create_app(settings or Settings(), store_factory=store_factory(backend, folder)))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def client(backend: str, tmp_path: Path) -> Iterator[EpcisClient]:
    with make_client(backend, tmp_path) as test_client:
        yield test_client
