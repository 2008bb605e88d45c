"""The first slice of the query interface (checklist C-Q-*): GET /events and GET /events/{eventID}."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.api.test_capture import all_events, document
from tests.conftest import BACKENDS, EpcisClient, make_client

PALLET_URN = "urn:epc:id:sscc:8934567.1000000017"
PALLET_DL = "https://id.gs1.org/00/189345670000000175"
FARM_URN = "urn:epc:id:sgln:8934567.00001.0"
FARM_DL = "https://id.gs1.org/414/8934567000017"
WAREHOUSE_DL = "https://example.com/gln/8934567000024?src=erp"  # a Digital Link on another domain
BAG_URN = "urn:epc:id:sgtin:8934567.012345.BAG-1"
BAG_DL = "https://id.gs1.org/01/08934567123457/21/BAG-1"
LOT_DL = "https://id.gs1.org/01/08934567123457/10/LOT-7"

EVENTS: list[dict[str, Any]] = [
    {
        "type": "ObjectEvent",
        "eventID": "urn:uuid:00000000-0000-4000-8000-000000000001",
        "eventTime": "2024-03-01T06:00:00+07:00",
        "eventTimeZoneOffset": "+07:00",
        "action": "ADD",
        "bizStep": "commissioning",
        "disposition": "active",
        "epcList": [BAG_URN],
        "readPoint": {"id": FARM_URN},
        "bizLocation": {"id": FARM_DL},
    },
    {
        "type": "AggregationEvent",
        "eventID": "urn:uuid:00000000-0000-4000-8000-000000000002",
        "eventTime": "2024-03-02T06:00:00+07:00",
        "eventTimeZoneOffset": "+07:00",
        "action": "ADD",
        "bizStep": "packing",
        "parentID": PALLET_DL,
        "childEPCs": [BAG_DL],
        "readPoint": {"id": WAREHOUSE_DL},
    },
    {
        "type": "ObjectEvent",
        "eventID": "urn:uuid:00000000-0000-4000-8000-000000000003",
        "eventTime": "2024-03-03T01:00:00+01:00",
        "eventTimeZoneOffset": "+01:00",
        "action": "OBSERVE",
        "bizStep": "shipping",
        "disposition": "in_transit",
        "epcList": [PALLET_URN],
        "readPoint": {"id": "https://id.gs1.org/414/8934567000024"},
    },
    {
        "type": "TransformationEvent",
        "eventID": "urn:uuid:00000000-0000-4000-8000-000000000004",
        "eventTime": "2024-03-04T06:00:00+07:00",
        "eventTimeZoneOffset": "+07:00",
        "bizStep": "https://ref.gs1.org/cbv/BizStep-commissioning",
        "inputEPCList": [BAG_DL],
        "outputQuantityList": [{"epcClass": LOT_DL, "quantity": 59.5, "uom": "KGM"}],
    },
]


@pytest.fixture(scope="module", params=BACKENDS)
def client(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EpcisClient]:
    with make_client(request.param, tmp_path_factory.mktemp("store")) as test_client:
        job = test_client.capture(document(*EVENTS))
        assert job["success"], job
        yield test_client


def found(client: EpcisClient, **params: str) -> list[int]:
    """The numbers (last digit of the eventID) of the events a query returns."""
    return [int(e["eventID"][-1]) for e in all_events(client, **params)]


def test_C_Q_1_without_filters_every_event_comes_back_with_record_time_and_offset(
    client: EpcisClient,
) -> None:
    events = all_events(client)
    assert [e["eventID"] for e in events] == [e["eventID"] for e in EVENTS]
    for sent, got in zip(EVENTS, events, strict=True):
        assert got["eventTimeZoneOffset"] == sent["eventTimeZoneOffset"]
        assert got["eventTime"] == sent["eventTime"]
        assert "recordTime" in got


def test_results_are_an_epcis_query_document(client: EpcisClient) -> None:
    response = client.get("/events")
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["type"] == "EPCISQueryDocument"
    assert body["epcisBody"]["queryResults"]["queryName"] == "SimpleEventQuery"
    ld = client.get("/events", headers={"Accept": "application/ld+json"})
    assert ld.headers["content-type"] == "application/ld+json"
    assert client.get("/events", headers={"Accept": "application/xml"}).status_code == 406


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"eventType": "ObjectEvent"}, [1, 3]),
        ({"eventType": "AggregationEvent|TransformationEvent"}, [2, 4]),
        ({"eventType": "AssociationEvent"}, []),
        ({"GE_eventTime": "2024-03-02T00:00:00+07:00"}, [2, 3, 4]),
        ({"LT_eventTime": "2024-03-02T23:00:00Z"}, [1, 2]),
        ({"GE_eventTime": "2024-03-03T00:00:00Z", "LT_eventTime": "2024-03-03T00:00:01Z"}, [3]),
        ({"GE_eventTime": "2024-03-05T00:00:00Z"}, []),
        ({"EQ_action": "ADD"}, [1, 2]),
        ({"EQ_action": "OBSERVE|DELETE"}, [3]),
        ({"EQ_action": "DELETE"}, []),
        ({"EQ_bizStep": "commissioning"}, [1, 4]),
        ({"EQ_bizStep": "urn:epcglobal:cbv:bizstep:commissioning"}, [1, 4]),
        ({"EQ_bizStep": "https://ref.gs1.org/cbv/BizStep-shipping"}, [3]),
        ({"EQ_bizStep": "receiving"}, []),
        ({"EQ_disposition": "in_transit|urn:epcglobal:cbv:disp:active"}, [1, 3]),
        ({"EQ_disposition": "destroyed"}, []),
        ({"EQ_readPoint": FARM_DL}, [1]),
        ({"EQ_readPoint": "urn:epc:id:sgln:8934567.00002.0"}, [2, 3]),
        ({"EQ_readPoint": "https://id.gs1.org/414/8934567000032"}, []),
        ({"EQ_bizLocation": FARM_URN}, [1]),
        ({"EQ_bizLocation": "urn:epc:id:sgln:8934567.00002.0"}, []),
        ({"MATCH_epc": BAG_URN}, [1, 2]),
        ({"MATCH_epc": BAG_DL}, [1, 2]),
        ({"MATCH_epc": "urn:epc:idpat:sgtin:8934567.012345.*"}, [1, 2]),
        ({"MATCH_epc": "https://id.gs1.org/01/08934567123457"}, [1, 2]),
        ({"MATCH_epc": PALLET_DL}, [3]),
        ({"MATCH_epc": "urn:epc:idpat:sgtin:8934567.099999.*"}, []),
        ({"MATCH_anyEPC": PALLET_URN}, [2, 3]),
        ({"MATCH_anyEPC": BAG_URN}, [1, 2, 4]),
        ({"MATCH_anyEPC": "urn:epc:idpat:sscc:8934567.*"}, [2, 3]),
        ({"MATCH_anyEPC": "urn:epc:id:sscc:8934567.1000000024"}, []),
        ({"EQ_eventID": "urn:uuid:00000000-0000-4000-8000-000000000003"}, [3]),
        ({"EQ_eventID": "urn:uuid:00000000-0000-4000-8000-000000000009"}, []),
        ({"EQ_bizStep": "commissioning", "eventType": "TransformationEvent"}, [4]),
        ({"MATCH_anyEPC": BAG_DL, "EQ_action": "ADD", "LT_eventTime": "2024-03-01T12:00:00Z"}, [1]),
    ],
    ids=lambda v: "&".join(f"{k}={x}" for k, x in v.items()) if isinstance(v, dict) else None,
)
def test_C_Q_2_and_C_Q_3_each_parameter_selects_exactly_its_events(
    client: EpcisClient, params: dict[str, str], expected: list[int]
) -> None:
    assert found(client, **params) == expected


def test_record_time_window(client: EpcisClient) -> None:
    (first, *_) = all_events(client)
    assert found(client, GE_recordTime=first["recordTime"]) == [1, 2, 3, 4]
    assert found(client, LT_recordTime=first["recordTime"]) == []


def test_a_plus_sign_decoded_as_space_gets_a_helpful_error(client: EpcisClient) -> None:
    response = client.get("/events?GE_eventTime=2024-03-02T00:00:00+07:00")
    assert response.status_code == 400
    problem = response.json()
    assert problem["type"] == "epcisException:QueryParameterException"
    assert "%2B" in problem["detail"] and problem["parameter"] == "GE_eventTime"


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("EQ_color=red", "EQ_color"),
        ("EQ_action=SHIP", "EQ_action"),
        ("EQ_bizStep=", "EQ_bizStep"),
        ("GE_eventTime=yesterday", "GE_eventTime"),
        ("GE_eventTime=2024-01-01T00:00:00Z&GE_eventTime=2024-01-02T00:00:00Z", "GE_eventTime"),
        ("MATCH_epc=urn:epc:idpat:sgtin:8934567.*.5", "MATCH_epc"),
        ("perPage=0", "perPage"),
        ("perPage=many", "perPage"),
        ("perPage=%C2%B2", "perPage"),  # a superscript two: a digit to str.isdigit, not to int
        ("perPage=100000", "perPage"),
        ("maxEventCount=%C2%B2", "maxEventCount"),
        ("eventCountLimit=%C2%B2&orderBy=eventTime", "eventCountLimit"),
        ("GE_eventTime=0001-01-01T00:00:00%2B14:00", "GE_eventTime"),
        ("nextPageToken=not-a-token", "nextPageToken"),
    ],
)
def test_unknown_or_malformed_parameters_are_400_naming_the_parameter(
    client: EpcisClient, query: str, parameter: str
) -> None:
    response = client.get("/events?" + query)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "epcisException:QueryParameterException"
    assert problem["parameter"] == parameter
    assert problem["errors"][0]["pointer"] == "/" + parameter


@pytest.mark.parametrize(
    "value",
    ['{"$gt": ""}', ".*", "^https://", "(a+)+$", "'; DROP TABLE events; --", "\\", "\u0000"],
)
def test_query_values_are_literals_never_operators_or_patterns(client: EpcisClient, value: str) -> None:
    for name in ("MATCH_epc", "MATCH_anyEPC", "EQ_readPoint", "EQ_bizStep", "EQ_eventID", "eventType"):
        response = client.get("/events", params={name: value})
        assert response.status_code == 200, (name, value)
        assert response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"] == []


def test_C_Q_6_pages_chain_through_link_headers_without_gaps_or_repeats(client: EpcisClient) -> None:
    response = client.get("/events", params={"perPage": "1", "EQ_action": "ADD|OBSERVE"})
    seen: list[str] = []
    links = 0
    while True:
        page = response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        assert len(page) <= 1
        seen += [e["eventID"] for e in page]
        if "link" not in response.headers:
            break
        link = response.headers["link"]
        assert link.endswith('; rel="next"')
        links += 1
        response = client.get(link.split(";")[0].strip("<>"))
    assert seen == [e["eventID"] for e in EVENTS[:3]]
    assert links == 2  # the last page has no next link


def test_a_token_carries_its_query_and_refuses_a_different_one(client: EpcisClient) -> None:
    first = client.get("/events", params={"perPage": "1", "EQ_bizStep": "commissioning"})
    token = first.headers["link"].split("nextPageToken=")[1].split(">")[0]
    same = client.get(
        "/events", params={"perPage": "1", "EQ_bizStep": "commissioning", "nextPageToken": token}
    )
    assert [
        e["eventID"][-1] for e in same.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    ] == ["4"]
    other = client.get("/events", params={"EQ_bizStep": "shipping", "nextPageToken": token})
    assert other.status_code == 400 and other.json()["parameter"] == "nextPageToken"


def test_paging_returns_every_existing_event_once_while_capture_goes_on(backend: str, tmp_path: Path) -> None:
    from tests.api.test_capture import object_event

    with make_client(backend, tmp_path) as client:
        assert client.capture(document(*(object_event(n) for n in range(25))))["success"]
        existing = [e["eventID"] for e in all_events(client)]
        seen: list[str] = []
        response = client.get("/events", params={"perPage": "4"})
        serial = 1000
        while True:
            seen += [
                e["eventID"] for e in response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
            ]
            assert client.capture(document(object_event(serial), object_event(serial + 1)))["success"]
            serial += 2
            if "link" not in response.headers:
                break
            response = client.get(response.headers["link"].split(";")[0].strip("<>"))
        assert seen[: len(existing)] == existing
        assert len(seen) == len(set(seen))


def test_one_event_by_its_url_encoded_id(client: EpcisClient) -> None:
    response = client.get("/events/" + quote("urn:uuid:00000000-0000-4000-8000-000000000002", safe=""))
    assert response.status_code == 200
    (event,) = response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert event["parentID"] == PALLET_DL


def test_one_event_by_its_hash_id(backend: str, tmp_path: Path) -> None:
    from tests.api.test_capture import object_event

    with make_client(backend, tmp_path) as client:
        client.capture(document(object_event(1)))
        (event,) = all_events(client)
        assert event["eventID"].startswith("ni:///sha-256;")
        response = client.get("/events/" + quote(event["eventID"], safe=""))
        assert response.status_code == 200
        assert response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"] == [event]


def test_an_unknown_event_is_404_problem(client: EpcisClient) -> None:
    response = client.get("/events/" + quote("urn:uuid:11111111-1111-4111-8111-111111111111", safe=""))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "epcisException:NoSuchNameException"


def test_OPTIONS_events_lists_the_methods(client: EpcisClient) -> None:
    assert client.options("/events").headers["Allow"] == "OPTIONS, GET, POST"
    assert client.options("/events/urn%3Auuid%3Ax").headers["Allow"] == "OPTIONS, GET"


def test_unknown_paths_and_methods_are_problems(client: EpcisClient) -> None:
    missing = client.get("/nothing-here")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    wrong = client.delete("/events")
    assert wrong.status_code == 405 and wrong.headers["content-type"] == "application/problem+json"
