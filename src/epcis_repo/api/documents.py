"""EPCIS documents the API returns, assembled from stored events without re-parsing them."""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from epcis_repo.epcis.context import STANDARD_CONTEXT
from epcis_repo.epcis.timestamps import from_micros, now_micros
from epcis_repo.storage.port import StoredEvent


def event_json(body: bytes, record_time: int) -> bytes:
    """A stored event body as JSON with the recordTime the repository gave it."""
    # Stored bodies are JSON objects with at least an eventID, so they end in "}".
    return body[:-1] + b',"recordTime":' + orjson.dumps(from_micros(record_time)) + b"}"


def query_document(events: Sequence[StoredEvent], query_name: str = "SimpleEventQuery") -> bytes:
    head = {
        "@context": [STANDARD_CONTEXT],
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": from_micros(now_micros()),
    }
    results = b'{"queryResults":{"queryName":' + orjson.dumps(query_name) + b',"resultsBody":{"eventList":['
    return (
        orjson.dumps(head)[:-1]
        + b',"epcisBody":'
        + results
        + b",".join(event_json(e.body, e.record_time) for e in events)
        + b"]}}}}"
    )
