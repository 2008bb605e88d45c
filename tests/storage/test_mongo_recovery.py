"""What the MongoDB store finds after a crash: a settled capture is published, any other removed."""

from __future__ import annotations

from typing import Any

import pytest
from mongomock_motor import AsyncMongoMockClient

from epcis_repo.query.model import EventQuery
from epcis_repo.storage.mongo import MongoEventStore
from epcis_repo.storage.port import AppendResult, Behaviour
from tests.storage.test_contract import job, record


class Crash(BaseException):
    """Stands for the process dying: nothing after it runs, no clean-up handler catches it."""


class CrashBeforePublishing(MongoEventStore):
    async def _publish(self, commit: int) -> None:
        raise Crash


@pytest.fixture
def database() -> Any:
    return AsyncMongoMockClient()["epcis_recovery"]


async def test_a_settled_capture_interrupted_before_publishing_becomes_visible(database: Any) -> None:
    crashing = CrashBeforePublishing(database)
    await crashing.open()
    capture = job()
    records = [record() for _ in range(3)]

    async def settle(result: AppendResult) -> None:
        capture.running, capture.stored_count = False, result.stored

    with pytest.raises(Crash):
        await crashing.append(records, capture, settle)
    assert await crashing.find_events(EventQuery(), None, 10) == []

    restarted = MongoEventStore(database)
    await restarted.open()
    found = await restarted.find_events(EventQuery(), None, 10)
    assert [e.event_id for e in found] == [r.event_id for r in records]
    saved = await restarted.get_job(capture.capture_id)
    assert saved is not None and not saved.running and saved.stored_count == 3


async def test_an_unsettled_capture_is_removed_and_its_job_says_so(database: Any) -> None:
    store = MongoEventStore(database)
    await store.open()
    kept = record()

    async def settle(result: AppendResult) -> None:
        return None

    await store.append([kept], job(), settle)
    # A capture that died while writing: its job still running, its events written but never published.
    interrupted = job(Behaviour.PROCEED)
    await store.save_job(interrupted)
    await database["events"].insert_one(
        {
            "commit": 99,
            "position": 0,
            "eventID": "urn:uuid:x",
            "dedupKey": "k",
            "body": b"{}",
            "recordTime": 1,
        }
    )

    restarted = MongoEventStore(database)
    await restarted.open()
    assert [e.event_id for e in await restarted.find_events(EventQuery(), None, 10)] == [kept.event_id]
    assert await restarted.stored_keys(["k"]) == set()
    saved = await restarted.get_job(interrupted.capture_id)
    assert saved is not None and not saved.running and not saved.success and saved.stored_count == 0
    assert "none of its events were stored" in saved.errors[-1]["detail"]
