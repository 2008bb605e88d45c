"""Paging stays exact while partners keep capturing (checklist C-Q-6).

10,000 events are stored; one thread pages through GET /events with perPage=97 while another
thread keeps posting capture documents. Every pre-existing event must come back exactly once, in
capture order, and nothing may repeat or be lost.

SQLite and a real MongoDB (when EPCIS_TEST_MONGODB_URI is set) hold 10,000 events. mongomock
checks unique indexes by scanning the whole collection on every insert, so storing 10,000 events
there takes minutes for reasons of the double alone; it runs the same test over 1,000.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from epcis_repo.api.app import create_app
from epcis_repo.settings import Settings
from tests.api.test_capture import document, object_event
from tests.conftest import EpcisClient, make_client

PER_PAGE = 97
REAL_MONGODB = os.environ.get("EPCIS_TEST_MONGODB_URI")
STORED = {"sqlite": 10_000, "mongodb": 10_000, "mongomock": 1_000}


@pytest.fixture(
    params=[
        "sqlite",
        "mongomock",
        pytest.param(
            "mongodb",
            marks=pytest.mark.skipif(
                not REAL_MONGODB, reason="EPCIS_TEST_MONGODB_URI is not set (no MongoDB server)"
            ),
        ),
    ]
)
def store_client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, EpcisClient]]:
    name: str = request.param
    if name != "mongodb":
        with make_client(name, tmp_path) as client:
            yield name, client
        return
    from pymongo import MongoClient

    database = f"epcis_paging_{uuid.uuid4().hex[:12]}"
    settings = Settings(mongodb_uri=REAL_MONGODB, mongodb_database=database)
    try:
        with EpcisClient(create_app(settings)) as client:
            yield name, client
    finally:
        admin: MongoClient[dict[str, Any]]
    with MongoClient(REAL_MONGODB) as admin:
        admin.drop_database(database)


def _event_ids(response_json: dict[str, object]) -> list[str]:
    body = response_json["epcisBody"]
    assert isinstance(body, dict)
    return [event["eventID"] for event in body["queryResults"]["resultsBody"]["eventList"]]


def _all_event_ids(client: EpcisClient) -> list[str]:
    ids: list[str] = []
    response = client.get("/events", params={"perPage": "1000"})
    while True:
        ids += _event_ids(response.json())
        if "link" not in response.headers:
            return ids
        response = client.get(_next_url(response.headers["link"]))


def _next_url(link: str) -> str:
    return link.split(";")[0].strip("<>")


def _keep_capturing(client: EpcisClient, stop: threading.Event, captured: list[int]) -> None:
    serial = 1_000_000
    while not stop.is_set():
        job = client.capture(document(*(object_event(serial + n) for n in range(20))))
        assert job["success"], job
        captured.append(serial)
        serial += 20


def test_C_Q_6_paging_10000_events_by_97_while_capture_goes_on(store_client: tuple[str, EpcisClient]) -> None:
    backend, client = store_client
    stored = STORED[backend]
    for start in range(0, stored, 1_000):
        job = client.capture(document(*(object_event(n) for n in range(start, start + 1_000))))
        assert job["success"], job
    existing = _all_event_ids(client)
    assert len(existing) == stored

    stop = threading.Event()
    captured: list[int] = []
    captured_during_paging = 0
    writer = threading.Thread(target=_keep_capturing, args=(client, stop, captured))
    writer.start()
    try:
        while not captured:  # the writer is under way before the first page is read
            stop.wait(0.01)
        captured_before_paging = len(captured)
        seen: list[str] = []
        response = client.get("/events", params={"perPage": str(PER_PAGE)})
        while True:
            assert response.status_code == 200, response.text
            page = _event_ids(response.json())
            assert len(page) <= PER_PAGE
            seen += page
            if "link" not in response.headers:
                break
            if len(seen) >= stored:
                captured_during_paging = len(captured) - captured_before_paging
                # Pages past the pre-existing events chase the writer; stop it so paging ends.
                stop.set()
            response = client.get(_next_url(response.headers["link"]))
    finally:
        stop.set()
        writer.join()

    assert seen[:stored] == existing
    assert len(seen) == len(set(seen))
    assert captured_during_paging > 0, "the writer never captured while pages were read"
    everything = _all_event_ids(client)
    assert len(everything) == stored + 20 * len(captured)
    assert set(seen) <= set(everything)
