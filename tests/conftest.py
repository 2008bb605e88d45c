"""Fixtures shared by the whole suite: stores, the application, and a client that waits for captures."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from mongomock_motor import AsyncMongoMockClient

from epcis_repo.api.app import create_app
from epcis_repo.settings import Settings
from epcis_repo.storage.mongo import MongoEventStore
from epcis_repo.storage.port import EventStore


def mongomock_factory() -> Any:
    """A store factory over a fresh in-memory MongoDB double (one per application)."""
    database = AsyncMongoMockClient()["epcis"]

    @asynccontextmanager
    async def factory(_: Settings) -> AsyncIterator[EventStore]:
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


def make_client(settings: Settings | None = None) -> EpcisClient:
    return EpcisClient(create_app(settings or Settings(), store_factory=mongomock_factory()))


@pytest.fixture
def client() -> Iterator[EpcisClient]:
    with make_client() as test_client:
        yield test_client


__all__ = ["EpcisClient", "httpx2", "make_client", "mongomock_factory"]
