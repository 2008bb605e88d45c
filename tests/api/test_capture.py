"""The capture interface (checklist C-CAP-*): POST /capture, capture jobs, POST /events."""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from rdflib.compare import isomorphic

from epcis_repo.epcis.context import STANDARD_CONTEXTS, namespaces
from epcis_repo.epcis.hashing import event_hash
from epcis_repo.settings import Settings
from tests.conftest import EpcisClient, make_client
from tests.standard import ARTIFACTS, example_id, json_examples, requires_standard, single_event_examples

# For tests about reading back exactly what was captured (the default output is GS1 Digital Link).
AS_CAPTURED = {"GS1-EPC-Format": "Never_Translates"}

CONTEXT = [
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
    {"ex": "https://example.org/ns/"},
]


def object_event(serial: int, **fields: Any) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "eventTime": "2024-05-01T10:00:00.000+07:00",
        "eventTimeZoneOffset": "+07:00",
        "action": "OBSERVE",
        "epcList": [f"urn:epc:id:sgtin:8934567.012345.{serial}"],
        "bizStep": "shipping",
        **fields,
    }


def document(*events: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-05-01T10:00:00Z",
        "epcisBody": {"eventList": list(events)},
    }


def all_events(
    client: EpcisClient, headers: Mapping[str, str] | None = None, **params: str
) -> list[dict[str, Any]]:
    """Every event a query returns, following the Link header page by page."""
    events: list[dict[str, Any]] = []
    response = client.get("/events", params={"perPage": "50", **params}, headers=headers)
    while True:
        assert response.status_code == 200, response.text
        events += response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        if "link" not in response.headers:
            return events
        response = client.get(response.headers["link"].split(";")[0].strip("<>"), headers=headers)


def hashes(events: list[dict[str, Any]], context: Any = None) -> Counter[str]:
    """The event hash of each event, as a multiset (recordTime and eventID do not take part)."""
    return Counter(event_hash(e, namespaces(context, e.get("@context"))) for e in events)


def events_of(doc: dict[str, Any]) -> list[dict[str, Any]]:
    body = doc["epcisBody"]
    return body["queryResults"]["resultsBody"]["eventList"] if "queryResults" in body else body["eventList"]


def rdf_graph(event: dict[str, Any], context: list[Any]) -> Any:
    """The event as an RDF graph, its JSON-LD contexts resolved from local copies (never fetched)."""
    from rdflib import Graph

    standard = json.loads((ARTIFACTS / "epcis-context.jsonld").read_text())["@context"]
    resolved = [standard if isinstance(c, str) and c in STANDARD_CONTEXTS else c for c in context]
    return Graph().parse(data=json.dumps({**event, "@context": resolved}), format="json-ld")


def as_list(context: Any) -> list[Any]:
    return context if isinstance(context, list) else [context]


# --- the official examples ------------------------------------------------------------------------


@requires_standard
@pytest.mark.parametrize("path", json_examples(), ids=example_id)
def test_C_CAP_10_every_official_document_is_captured_and_reads_back_with_the_same_meaning(
    path: Path, backend: str, tmp_path: Path
) -> None:
    doc = json.loads(path.read_text())
    with make_client(backend, tmp_path) as client:
        job = client.capture(doc)
        assert job["success"] and job["errors"] == [], job
        returned = all_events(client, AS_CAPTURED)
    assert hashes(returned) == hashes(events_of(doc), doc["@context"])
    for sent, got in zip(events_of(doc), returned, strict=True):
        assert got["eventTimeZoneOffset"] == sent["eventTimeZoneOffset"]  # C-Q-1
        assert "recordTime" in got
        assert got["eventID"] == sent.get("eventID", event_hash(sent, namespaces(doc["@context"])))
        # The same meaning as linked data: the two RDF graphs are isomorphic.
        unset = ("recordTime", "@context") if "eventID" in sent else ("recordTime", "@context", "eventID")
        read_back = {k: v for k, v in got.items() if k not in unset}
        sent_graph = rdf_graph({k: v for k, v in sent.items() if k != "recordTime"}, as_list(doc["@context"]))
        got_graph = rdf_graph(read_back, as_list(doc["@context"])[:1] + got.get("@context", []))
        assert len(sent_graph) >= 3 and isomorphic(sent_graph, got_graph)


@requires_standard
@pytest.mark.parametrize("path", single_event_examples(), ids=example_id)
def test_C_CAP_10_every_single_event_example_is_stored_once(path: Path, backend: str, tmp_path: Path) -> None:
    event = json.loads(path.read_text())
    with make_client(backend, tmp_path) as client:
        created = client.post("/events", json=event)
        assert created.status_code == 201, created.text
        assert created.json()["eventID"] == event.get(
            "eventID", event_hash(event, namespaces(event["@context"]))
        )
        read = client.get(created.headers["Location"])
        assert read.status_code == 200
        (stored,) = read.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        assert hashes([stored]) == hashes([event])
        again = client.post("/events", json=event)
        assert again.status_code == 409
        assert again.headers["content-type"] == "application/problem+json"
        assert again.json()["type"] == "epcisException:ResourceAlreadyExistsException"
        assert len(all_events(client)) == 1


@requires_standard
def test_C_CAP_8_a_query_document_is_captured(backend: str, tmp_path: Path) -> None:
    (path,) = [p for p in json_examples() if p.name == "EPCISQueryDocument.jsonld"]
    doc = json.loads(path.read_text())
    assert doc["type"] == "EPCISQueryDocument"
    with make_client(backend, tmp_path) as client:
        assert client.capture(doc)["success"]
        assert len(all_events(client)) == len(events_of(doc))


# --- capture jobs ---------------------------------------------------------------------------------


def test_C_CAP_1_capture_answers_202_with_the_location_of_a_job(client: EpcisClient) -> None:
    response = client.post("/capture", json=document(object_event(1), object_event(2)))
    assert response.status_code == 202
    assert response.content == b""
    job = client.wait_for_job(response.headers["Location"])
    assert set(job) == {
        "captureID",
        "createdAt",
        "finishedAt",
        "running",
        "success",
        "captureErrorBehaviour",
        "errors",
    }
    assert job["captureErrorBehaviour"] == "rollback" and job["success"] and not job["running"]
    assert response.headers["Location"].endswith("/capture/" + job["captureID"])
    listed = client.get("/capture").json()
    assert [j["captureID"] for j in listed] == [job["captureID"]]


def test_capture_jobs_are_listed_newest_first_in_pages(client: EpcisClient) -> None:
    ids = [client.capture(document(object_event(n)))["captureID"] for n in range(5)]
    first = client.get("/capture", params={"perPage": "2"})
    assert [j["captureID"] for j in first.json()] == ids[::-1][:2]
    seen = [j["captureID"] for j in first.json()]
    response = first
    while "link" in response.headers:
        response = client.get(response.headers["link"].split(";")[0].strip("<>"))
        seen += [j["captureID"] for j in response.json()]
    assert seen == ids[::-1]


def test_an_unknown_capture_job_is_404(client: EpcisClient) -> None:
    response = client.get("/capture/no-such-job")
    assert response.status_code == 404
    assert response.json()["type"] == "epcisException:NoSuchNameException"


def test_C_CAP_7_the_same_document_twice_stores_nothing_new_and_names_every_duplicate(
    client: EpcisClient,
) -> None:
    doc = document(*(object_event(n) for n in range(4)))
    assert client.capture(doc)["success"]
    before = all_events(client)
    job = client.capture(doc)
    assert not job["success"] and not job["running"]
    duplicates = [e for e in job["errors"] if e["type"] == "epcisException:ResourceAlreadyExistsException"]
    assert sorted(e["eventIndex"] for e in duplicates) == [0, 1, 2, 3]
    assert all(e["instance"] == f"#/epcisBody/eventList/{e['eventIndex']}" for e in duplicates)
    assert all_events(client) == before


def test_C_CAP_7_a_repeated_event_inside_one_document_is_a_duplicate(client: EpcisClient) -> None:
    job = client.capture(
        document(object_event(1), object_event(1)), **{"GS1-Capture-Error-Behaviour": "proceed"}
    )
    assert [e["eventIndex"] for e in job["errors"]] == [1]
    assert len(all_events(client)) == 1


def test_C_CAP_3_one_invalid_event_under_rollback_stores_nothing(client: EpcisClient) -> None:
    bad = object_event(2, action="REMOVE")
    response = client.post("/capture", json=document(object_event(1), bad, object_event(3)))
    assert response.status_code == 400
    problem = response.json()
    assert problem["type"] == "epcisException:ValidationException"
    assert [e["pointer"] for e in problem["errors"]] == ["/epcisBody/eventList/1/action"]
    assert all_events(client) == []
    assert client.get("/capture").json() == []


def test_C_CAP_3_a_duplicate_under_rollback_stores_nothing(client: EpcisClient) -> None:
    assert client.capture(document(object_event(1)))["success"]
    job = client.capture(document(object_event(2), object_event(1), object_event(3)))
    assert not job["success"]
    assert [e["eventIndex"] for e in job["errors"]] == [1]
    assert len(all_events(client)) == 1


def test_C_CAP_3_under_proceed_the_rest_is_stored_and_the_job_names_the_bad_event(
    client: EpcisClient,
) -> None:
    bad = object_event(2)
    del bad["eventTimeZoneOffset"]
    job = client.capture(
        document(object_event(1), bad, object_event(3)), **{"GS1-Capture-Error-Behaviour": "proceed"}
    )
    assert job["captureErrorBehaviour"] == "proceed"
    assert not job["success"] and not job["running"]
    (error,) = job["errors"]
    assert error["type"] == "epcisException:ValidationException"
    assert error["eventIndex"] == 1 and error["instance"] == "#/epcisBody/eventList/1"
    assert error["errors"][0]["pointer"] == "/epcisBody/eventList/1"
    assert "eventTimeZoneOffset" in error["errors"][0]["detail"]
    stored = all_events(client, AS_CAPTURED)
    assert [e["epcList"] for e in stored] == [object_event(1)["epcList"], object_event(3)["epcList"]]


def test_an_unknown_error_behaviour_is_refused(client: EpcisClient) -> None:
    response = client.post(
        "/capture", json=document(object_event(1)), headers={"GS1-Capture-Error-Behaviour": "x"}
    )
    assert response.status_code == 400
    assert "rollback or proceed" in response.json()["detail"]


def test_C_CAP_5_an_event_without_eventid_gets_its_hash(client: EpcisClient) -> None:
    sent = object_event(1)
    client.capture(document(sent))
    (got,) = all_events(client)
    assert got["eventID"] == event_hash(sent, namespaces(CONTEXT))
    assert got["eventID"].startswith("ni:///sha-256;") and got["eventID"].endswith("?ver=CBV2.0")


def test_C_CAP_6_record_time_comes_from_the_repository(client: EpcisClient) -> None:
    client.capture(document(object_event(1, recordTime="1999-01-01T00:00:00Z")))
    (got,) = all_events(client)
    assert got["recordTime"] != "1999-01-01T00:00:00Z"
    assert got["recordTime"] >= "2026-"


def test_C_CAP_7_an_error_declaration_is_stored_beside_its_original(client: EpcisClient) -> None:
    original = object_event(1, eventID="urn:uuid:1b4e28ba-2fa1-41d2-883f-0016d3cca427")
    client.capture(document(original))
    declaration = {
        **original,
        "errorDeclaration": {"declarationTime": "2024-05-02T00:00:00Z", "reason": "incorrect_data"},
    }
    job = client.capture(document(declaration))
    assert job["success"], job
    response = client.get("/events/" + quote(original["eventID"], safe=""), headers=AS_CAPTURED)
    both = response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert [("errorDeclaration" in e) for e in both] == [False, True]
    assert {k: v for k, v in both[0].items() if k not in ("recordTime", "@context")} == original
    # Declaring it again in the same words is a duplicate; the original is still untouched.
    assert not client.capture(document(declaration))["success"]


def test_an_eventid_that_names_another_event_is_refused(client: EpcisClient) -> None:
    client.capture(document(object_event(1, eventID="urn:uuid:0e4b3a52-7a3c-4f14-8d2a-7f5f2f1c9e10")))
    job = client.capture(document(object_event(2, eventID="urn:uuid:0e4b3a52-7a3c-4f14-8d2a-7f5f2f1c9e10")))
    assert not job["success"]
    assert "already names a different event" in job["errors"][0]["detail"]


def test_extensions_come_back_exactly_as_sent(client: EpcisClient) -> None:
    sent = object_event(
        1,
        **{
            "ex:lot": {"ex:grade": "A", "ex:moisture": 12.5, "ex:tags": ["washed", "shade-grown"]},
            "ex:note": "giá trị tiếng Việt ☕",
            "ex:operator": {"$where": "sleep(1000)", "$gt": ""},
        },
    )
    client.capture(document(sent))
    (got,) = all_events(client, AS_CAPTURED)
    assert {k: v for k, v in got.items() if k not in ("recordTime", "eventID", "@context")} == sent
    assert got["@context"] == [CONTEXT[1]]


# --- limits and bad input -------------------------------------------------------------------------


@pytest.fixture
def small_limits(backend: str, tmp_path: Path) -> EpcisClient:
    return make_client(backend, tmp_path, Settings(capture_limit_events=3, capture_limit_bytes=4096))


def test_C_CAP_4_too_many_events_is_413_with_the_limit_headers(small_limits: EpcisClient) -> None:
    with small_limits as client:
        response = client.post("/capture", json=document(*(object_event(n) for n in range(4))))
        assert response.status_code == 413
        assert response.json()["type"] == "epcisException:CaptureLimitExceededException"
        assert response.headers["GS1-EPCIS-Capture-Limit"] == "3"
        assert response.headers["GS1-EPCIS-Capture-File-Size-Limit"] == "4096"
        assert all_events(client) == []


def test_C_CAP_4_a_body_over_the_size_limit_is_413_even_without_content_length(
    small_limits: EpcisClient,
) -> None:
    with small_limits as client:
        body = json.dumps(document(object_event(1), object_event(2, **{"ex:pad": "x" * 5000}))).encode()

        def chunks() -> Any:
            for start in range(0, len(body), 1000):
                yield body[start : start + 1000]

        response = client.post("/capture", content=chunks(), headers={"Content-Type": "application/json"})
        assert response.status_code == 413
        assert all_events(client) == [] and client.get("/capture").json() == []


def test_a_60_megabyte_body_is_413_and_leaves_nothing(client: EpcisClient) -> None:
    body = b'{"type":"EPCISDocument","x":"' + b"x" * (60 * 1024 * 1024) + b'"}'
    response = client.post("/capture", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert all_events(client) == [] and client.get("/capture").json() == []


@pytest.mark.parametrize("path", ["/capture", "/events"])
def test_malformed_json_is_400_and_leaves_nothing(client: EpcisClient, path: str) -> None:
    response = client.post(
        path, content=b'{"type": "EPCISDocument", ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    problem = response.json()
    assert (
        problem["type"] == "epcisException:ValidationException"
        and "not well-formed JSON" in problem["detail"]
    )
    assert all_events(client) == [] and client.get("/capture").json() == []


def test_a_body_nested_100000_levels_deep_is_400(client: EpcisClient) -> None:
    body = b'{"type":"EPCISDocument","x":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = client.post("/capture", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["type"] == "epcisException:ValidationException"
    assert all_events(client) == []


def nested(depth: int) -> Any:
    """An extension value of `depth` objects, one inside the other."""
    value: Any = "leaf"
    for _ in range(depth):
        value = {"ex:inner": value}
    return value


@pytest.mark.parametrize("path", ["/capture", "/events"])
def test_a_body_the_repository_could_not_store_is_400_naming_where(client: EpcisClient, path: str) -> None:
    """Nesting the parser reads (up to 1024 levels) but no store can keep (over 254) was a 500."""
    event = object_event(1, **{"ex:deep": nested(300)})
    body = document(event) if path == "/capture" else {**event, "@context": CONTEXT}
    response = client.post(path, json=body)
    assert response.status_code == 400
    problem = response.json()
    assert problem["type"] == "epcisException:ValidationException" and "254 levels" in problem["detail"]
    where = "/epcisBody/eventList/0/ex:deep" if path == "/capture" else "/ex:deep"
    (error,) = problem["errors"]
    assert error["pointer"].startswith(where + "/ex:inner/")
    assert all_events(client) == [] and client.get("/capture").json() == []


def test_the_deepest_body_the_repository_takes_is_stored_and_read_back(client: EpcisClient) -> None:
    # 254 levels: the document, epcisBody, eventList, the event, then 250 in the extension.
    sent = object_event(1, **{"ex:deep": nested(250)})
    assert client.capture(document(sent))["success"]
    (got,) = all_events(client, AS_CAPTURED)
    assert got["ex:deep"] == sent["ex:deep"]
    response = client.post("/capture", json=document(object_event(2, **{"ex:deep": nested(251)})))
    assert response.status_code == 400


def test_an_extension_value_no_store_can_hold_as_an_instant_is_kept_as_text(client: EpcisClient) -> None:
    """RFC 3339 text before the year 1 in UTC is no instant (it was a 500 when facts were drawn)."""
    early = "0001-01-01T00:00:00+14:00"
    assert client.capture(document(object_event(1, **{"ex:when": early})))["success"]
    (got,) = all_events(client, AS_CAPTURED, **{"EQ_https://example.org/ns/when": early})
    assert got["ex:when"] == early
    ordered = all_events(client, AS_CAPTURED, orderBy="https://example.org/ns/when")
    assert [event["ex:when"] for event in ordered] == [early]


@pytest.mark.parametrize("media_type", ["text/plain", "application/xml", "multipart/form-data", ""])
def test_other_media_types_are_415(client: EpcisClient, media_type: str) -> None:
    response = client.post(
        "/capture", content=json.dumps(document(object_event(1))), headers={"Content-Type": media_type}
    )
    assert response.status_code == 415
    assert response.json()["type"] == "epcisException:UnsupportedMediaTypeException"
    assert all_events(client) == []


def test_json_ld_media_type_is_accepted(client: EpcisClient) -> None:
    response = client.post(
        "/capture",
        content=json.dumps(document(object_event(1))),
        headers={"Content-Type": "application/ld+json; charset=utf-8"},
    )
    assert response.status_code == 202


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'"just a string"', "not a document"),
        (b"[]", "not a document"),
        (b'{"type": "ObjectEvent"}', "single event sent to /capture"),
        (b'{"type": "EPCISDocument", "epcisBody": {"eventList": 5}}', "eventList not a list"),
        (
            b'{"type": "EPCISDocument", "@context": [], "schemaVersion": "2.0",'
            b' "creationDate": "2024-01-01T00:00:00Z", "epcisBody": {"eventList": []}, "note": "x"}',
            "non-namespaced document key",
        ),
        (b'{"type":"EPCISDocument","n":1e400}', "a number out of range"),
        (b'{"type":"EPCISDocument","s":"\xff\xfe"}', "invalid UTF-8"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_hostile_documents_are_400_and_leave_nothing(client: EpcisClient, body: bytes, reason: str) -> None:
    response = client.post("/capture", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, reason
    assert response.headers["content-type"] == "application/problem+json"
    assert all_events(client) == [] and client.get("/capture").json() == []


@pytest.mark.parametrize(
    ("change", "pointer", "words"),
    [
        (lambda e: e.pop("eventTimeZoneOffset"), "/epcisBody/eventList/0", "eventTimeZoneOffset"),
        (lambda e: e.pop("action"), "/epcisBody/eventList/0", "action"),
        (lambda e: e.update(ilmd={"ex:lot": "L1"}), "/epcisBody/eventList/0/ilmd", "ADD"),
        (
            lambda e: e.update(bizStep="urn:epcglobal:cbv:bizstep:receiving"),
            "/epcisBody/eventList/0/bizStep",
            "receiving",
        ),
        (lambda e: e.update(myField=1), "/epcisBody/eventList/0/myField", "myField"),
        (
            lambda e: e.update(eventTime="2024-13-01T00:00:00Z"),
            "/epcisBody/eventList/0/eventTime",
            "date-time",
        ),
        (
            lambda e: e.update(epcList=["urn:epc:id:sgtin:8934567.0123.1"]),
            "/epcisBody/eventList/0/epcList/0",
            "sgtin",
        ),
        (
            lambda e: e.update(epcList=["urn:epc:class:lgtin:8934567.012345.L1"]),
            "/epcisBody/eventList/0/epcList/0",
            "class",
        ),
        # Valid RFC 3339, but outside the years 1 to 9999 in UTC: was a 500 when stored or hashed.
        (
            lambda e: e.update(eventTime="0001-01-01T00:00:00+14:00"),
            "/epcisBody/eventList/0/eventTime",
            "0001 to 9999",
        ),
        (
            lambda e: e.update(eventTime="9999-12-31T23:59:59.9995Z"),  # its hash form rounds to 10000
            "/epcisBody/eventList/0/eventTime",
            "0001 to 9999",
        ),
        (
            lambda e: e.update(
                sensorElementList=[
                    {
                        "sensorReport": [
                            {"type": "Temperature", "value": 4, "time": "9999-12-31T23:00:00-01:30"}
                        ]
                    }
                ]
            ),
            "/epcisBody/eventList/0/sensorElementList/0/sensorReport/0/time",
            "0001 to 9999",
        ),
    ],
    ids=[
        "no offset",
        "no action",
        "ilmd with OBSERVE",
        "CBV URN in JSON",
        "bare extension",
        "month 13",
        "malformed SGTIN",
        "class in epcList",
        "eventTime before the year 1",
        "eventTime rounding into 10000",
        "sensor time after 9999",
    ],  # fmt: skip
)
def test_C_CAP_12_invalid_events_are_400_naming_the_path(
    client: EpcisClient, change: Any, pointer: str, words: str
) -> None:
    event = object_event(1)
    change(event)
    response = client.post("/capture", json=document(event))
    assert response.status_code == 400
    problem = response.json()
    assert problem["type"] == "epcisException:ValidationException"
    assert problem["errors"][0]["pointer"] == pointer
    assert words in problem["errors"][0]["detail"]


def test_C_CAP_12_transaction_event_without_biz_transaction_list(client: EpcisClient) -> None:
    event = {**object_event(1), "type": "TransactionEvent"}
    response = client.post("/capture", json=document(event))
    assert response.status_code == 400
    assert "bizTransactionList" in response.json()["errors"][0]["detail"]


def test_aggregation_add_without_parent_is_refused_by_the_standards_rule(client: EpcisClient) -> None:
    event = {
        **object_event(1),
        "type": "AggregationEvent",
        "action": "ADD",
        "childEPCs": object_event(1)["epcList"],
    }
    del event["epcList"]
    response = client.post("/capture", json=document(event))
    assert response.status_code == 400
    assert response.json()["errors"][0]["rule"] == "aggregation-parent"


# --- POST /events ---------------------------------------------------------------------------------


def test_post_events_refuses_documents_and_invalid_events(client: EpcisClient) -> None:
    assert client.post("/events", json=document(object_event(1))).status_code == 400
    event = {**object_event(1), "@context": CONTEXT}
    event.pop("action")
    response = client.post("/events", json=event)
    assert response.status_code == 400 and "action" in response.json()["errors"][0]["detail"]
    without_context = object_event(1)
    assert client.post("/events", json=without_context).status_code == 400
    assert all_events(client) == []


def test_post_events_location_reads_the_event_back(client: EpcisClient) -> None:
    event = {
        **object_event(7),
        "@context": CONTEXT,
        "eventID": "urn:uuid:7a4e0f8e-33c0-4f70-9a5a-52f2a1c5c0de",
    }
    created = client.post("/events", json=event)
    assert created.status_code == 201
    assert created.headers["Location"].endswith("/events/urn%3Auuid%3A7a4e0f8e-33c0-4f70-9a5a-52f2a1c5c0de")
    body = created.json()
    assert body["eventID"] == event["eventID"] and "recordTime" in body
    assert client.get(created.headers["Location"]).status_code == 200


# --- headers and discovery ------------------------------------------------------------------------


def test_OPTIONS_capture_announces_the_capture_interface(client: EpcisClient) -> None:
    response = client.options("/capture")
    assert response.status_code == 204
    headers = response.headers
    assert headers["Allow"] == "OPTIONS, POST, GET"
    assert headers["GS1-EPCIS-Version"] == "2.0.0" and headers["GS1-CBV-Version"] == "2.0.0"
    assert headers["GS1-Capture-Error-Behaviour"] == "all"
    assert (
        int(headers["GS1-EPCIS-Capture-Limit"]) >= 1
        and int(headers["GS1-EPCIS-Capture-File-Size-Limit"]) >= 1
    )
    for name in ("GS1-EPCIS-Min", "GS1-EPCIS-Max", "GS1-CBV-Min", "GS1-CBV-Max", "GS1-EPC-Format",
                 "GS1-CBV-XML-Format", "GS1-Vendor-Version"):  # fmt: skip
        assert name in headers


def test_every_response_carries_the_gs1_versions(client: EpcisClient) -> None:
    for response in (
        client.get("/events"),
        client.get("/capture/none"),
        client.post("/capture", content=b"x"),
    ):
        assert response.headers["GS1-EPCIS-Version"] == "2.0.0"
        assert response.headers["GS1-CBV-Version"] == "2.0.0"


def test_a_request_in_another_epcis_version_is_406(client: EpcisClient) -> None:
    response = client.post("/capture", json=document(object_event(1)), headers={"GS1-EPCIS-Version": "1.2"})
    assert response.status_code == 406
    assert response.json()["type"] == "epcisException:NotAcceptableException"
    assert client.get("/events", headers={"GS1-EPCIS-Min": "3.0"}).status_code == 406
    assert client.get("/events", headers={"GS1-EPCIS-Max": "2.0", "GS1-CBV-Min": "1.2"}).status_code == 200


def test_the_capture_job_survives_the_request_and_is_durable(backend: str, tmp_path: Path) -> None:
    factory_client = make_client(backend, tmp_path)
    with factory_client as client:
        location = client.post("/capture", json=document(object_event(1))).headers["Location"]
        client.wait_for_job(location)
    # The same application (and store) started again still has the job and the event.
    with factory_client as client:
        assert client.get(location).json()["success"]
        assert len(all_events(client)) == 1


def test_json_ld_events_keep_their_own_context(client: EpcisClient) -> None:
    doc = document(object_event(1, **{"ex:x": "1"}))
    event = copy.deepcopy(doc["epcisBody"]["eventList"][0])
    event["@context"] = {"ex2": "https://example.org/other/"}
    event["ex2:y"] = "2"
    doc["epcisBody"]["eventList"].append(event)
    assert client.capture(doc)["success"]
    _, second = all_events(client)
    assert second["@context"] == [CONTEXT[1], {"ex2": "https://example.org/other/"}]
