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

from epcis_repo.api.app import AccessFactory, StoreFactory, create_app
from epcis_repo.auth.access import AccessStore, MongoAccessStore, SqliteAccessStore
from epcis_repo.auth.keys import new_key
from epcis_repo.auth.model import Role
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


def access_factory(backend: str, folder: Path) -> AccessFactory:
    """Opens the same keys, organisations and grants every time the application starts."""
    database = AsyncMongoMockClient()["epcis"]

    @asynccontextmanager
    async def factory(_: Settings) -> AsyncIterator[AccessStore]:
        if backend == "sqlite":
            store = SqliteAccessStore(folder / "access.sqlite3")
            try:
                yield store
            finally:
                store.close()
        else:
            mongo = MongoAccessStore(database)
            await mongo.open()
            yield mongo

    return factory


@pytest.fixture(autouse=True)
def _data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An application made with default settings keeps its files (keys among them) in the test's own
    folder, never in the working directory."""
    monkeypatch.setenv("EPCIS_DATA_DIR", str(tmp_path / "epcis-data"))
    monkeypatch.delenv("EPCIS_MONGODB_URI", raising=False)


class EpcisClient(TestClient):
    """A client of the application that sends an administrator's key (made when it starts) unless a
    request gives its own Authorization."""

    def __enter__(self) -> EpcisClient:
        super().__enter__()
        self.headers["Authorization"] = "Bearer " + self.new_key("admin", Role.ADMIN)
        return self

    @property
    def access(self) -> AccessStore:
        store: AccessStore = self.app.state.repository.access.store  # type: ignore[attr-defined]
        return store

    def new_key(self, organisation: str, *roles: Role) -> str:
        """A new key of the running application, for `organisation` with `roles`."""
        key, record = new_key(organisation, frozenset(roles))
        self.portal.call(self.access.add_key, record)
        return key

    def as_org(self, organisation: str, *roles: Role) -> dict[str, str]:
        """Headers that make a request as a new key of `organisation` (query and capture by default)."""
        key = self.new_key(organisation, *(roles or (Role.QUERY, Role.CAPTURE)))
        return {"Authorization": f"Bearer {key}"}

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
    return EpcisClient(
        create_app(
            settings or Settings(),
            store_factory=store_factory(backend, folder),
            access_factory=access_factory(backend, folder),
        )
    )


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def client(backend: str, tmp_path: Path) -> Iterator[EpcisClient]:
    with make_client(backend, tmp_path) as test_client:
        yield test_client
