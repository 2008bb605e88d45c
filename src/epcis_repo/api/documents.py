"""EPCIS documents the API returns, assembled from stored event bodies.

Bodies are spliced in as bytes. An event is parsed only when the request's output control
(`epcis.rendering`) may change it: a translated identifier notation, or extension keys.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from epcis_repo.epcis.context import STANDARD_CONTEXT
from epcis_repo.epcis.rendering import CompanyPrefixes, OutputControl, Renderer
from epcis_repo.epcis.timestamps import from_micros, now_micros
from epcis_repo.storage.port import StoredEvent


def event_json(body: bytes, record_time: int) -> bytes:
    """A stored event body as JSON with the recordTime the repository gave it."""
    # Stored bodies are JSON objects with at least an eventID, so they end in "}".
    return body[:-1] + b',"recordTime":' + orjson.dumps(from_micros(record_time)) + b"}"


def rendered_event(
    body: bytes, record_time: int, output: OutputControl, prefixes: CompanyPrefixes
) -> tuple[bytes, dict[str, str]]:
    """One event as the request asked for it, and the response headers that go with it."""
    renderer = Renderer(output, prefixes)
    (rendered,) = renderer.render_many([body])
    return event_json(rendered, record_time), renderer.headers


def query_document(
    events: Sequence[StoredEvent],
    output: OutputControl,
    prefixes: CompanyPrefixes,
    query_name: str = "SimpleEventQuery",
) -> tuple[bytes, dict[str, str]]:
    """An EPCISQueryDocument of the events, and the response headers that go with it."""
    renderer = Renderer(output, prefixes)
    bodies = renderer.render_many([e.body for e in events])
    head = {
        "@context": [STANDARD_CONTEXT],
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": from_micros(now_micros()),
    }
    results = b'{"queryResults":{"queryName":' + orjson.dumps(query_name) + b',"resultsBody":{"eventList":['
    document = (
        orjson.dumps(head)[:-1]
        + b',"epcisBody":'
        + results
        + b",".join(event_json(body, e.record_time) for body, e in zip(bodies, events, strict=True))
        + b"]}}}}"
    )
    return document, renderer.headers
