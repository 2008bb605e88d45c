"""Named queries (checklist C-Q-*): POST/GET /queries, GET/DELETE /queries/{queryName} and
GET /queries/{queryName}/events. Running every parameter through a named query is the conformance
matrix's job (tests/query/test_conformance.py); this file covers the resources themselves."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from tests.api.test_capture import document, object_event
from tests.conftest import EpcisClient

SHIPPING = {"name": "shipping", "query": {"EQ_bizStep": ["shipping"]}}


def assert_problem(response: Any, status: int, exception: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == f"epcisException:{exception}"
    return body


def event_list(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    return events


def test_a_query_is_created_read_run_and_deleted(client: EpcisClient) -> None:
    created = client.post("/queries", json=SHIPPING)
    assert created.status_code == 201, created.text
    assert created.headers["location"].endswith("/queries/shipping")
    assert created.json() == SHIPPING
    assert client.get("/queries/shipping").json() == SHIPPING
    assert client.capture(document(object_event(1), object_event(2, bizStep="receiving")))["success"]
    response = client.get("/queries/shipping/events")
    body = response.json()
    assert body["epcisBody"]["queryResults"]["queryName"] == "shipping"
    assert [e["epcList"] for e in event_list(response)] == [["https://id.gs1.org/01/08934567123457/21/1"]]
    assert client.delete("/queries/shipping").status_code == 204
    assert_problem(client.get("/queries/shipping"), 404, "NoSuchNameException")
    assert_problem(client.get("/queries/shipping/events"), 404, "NoSuchNameException")
    assert_problem(client.delete("/queries/shipping"), 404, "NoSuchNameException")


def test_a_name_is_taken_once(client: EpcisClient) -> None:
    assert client.post("/queries", json=SHIPPING).status_code == 201
    other = {"name": "shipping", "query": {"EQ_bizStep": ["receiving"]}}
    assert_problem(client.post("/queries", json=other), 409, "ResourceAlreadyExistsException")
    assert client.get("/queries/shipping").json() == SHIPPING


def test_queries_are_listed_in_name_order_in_pages(client: EpcisClient) -> None:
    for name in ("c", "a", "b"):
        assert client.post("/queries", json={"name": name, "query": {}}).status_code == 201
    response = client.get("/queries", params={"perPage": "2"})
    names = [q["name"] for q in response.json()]
    response = client.get(response.headers["link"].split(";")[0].strip("<>"))
    names += [q["name"] for q in response.json()]
    assert names == ["a", "b", "c"] and "link" not in response.headers


def test_a_name_with_any_letters_round_trips_through_its_location(client: EpcisClient) -> None:
    name = "cà-phê:Đắk_Lắk+2026"
    created = client.post("/queries", json={"name": name, "query": {}})
    assert created.status_code == 201, created.text
    assert created.headers["location"].endswith("/queries/" + quote(name, safe=""))
    assert client.get(created.headers["location"]).json()["name"] == name


def test_the_events_of_a_named_query_page_through_link_headers(client: EpcisClient) -> None:
    assert client.capture(document(*(object_event(n) for n in range(5))))["success"]
    assert client.post("/queries", json=SHIPPING).status_code == 201
    response = client.get("/queries/shipping/events", params={"perPage": "2"})
    seen = event_list(response)
    while "link" in response.headers:
        response = client.get(response.headers["link"].split(";")[0].strip("<>"))
        seen += event_list(response)
    assert len(seen) == 5 and len({e["eventID"] for e in seen}) == 5


@pytest.mark.parametrize("parameter", ["EQ_bizStep", "stream", "minute", "foo"])
def test_a_named_querys_parameters_are_fixed_by_its_definition(client: EpcisClient, parameter: str) -> None:
    assert client.post("/queries", json=SHIPPING).status_code == 201
    problem = assert_problem(
        client.get("/queries/shipping/events", params={parameter: "1"}), 400, "QueryParameterException"
    )
    assert problem["parameter"] == parameter


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ([], ""),
        ("shipping", ""),
        ({"name": "x", "query": {}, "owner": "me"}, ""),
        ({"query": {}}, "/name"),
        ({"name": "", "query": {}}, "/name"),
        ({"name": "a/b", "query": {}}, "/name"),
        ({"name": "a b", "query": {}}, "/name"),
        ({"name": "x" * 201, "query": {}}, "/name"),
        ({"name": 7, "query": {}}, "/name"),
        ({"name": "x"}, "/query"),
        ({"name": "x", "query": ["EQ_bizStep"]}, "/query"),
    ],
)
def test_a_malformed_definition_is_400_and_stores_nothing(
    client: EpcisClient, body: Any, pointer: str
) -> None:
    problem = assert_problem(client.post("/queries", json=body), 400, "ValidationException")
    assert problem["errors"][0]["pointer"] == pointer
    assert client.get("/queries").json() == []


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"EQ_color": ["red"]}, "EQ_color"),
        ({"EQ_action": ["SHIP"]}, "EQ_action"),
        ({"GE_eventTime": "yesterday"}, "GE_eventTime"),
        ({"perPage": 5}, "perPage"),
        ({"EQ_bizStep": {"$ne": "x"}}, "EQ_bizStep"),
        ({"EQ_ex:grade": ["A"]}, "EQ_ex:grade"),  # prefix not declared
    ],
)
def test_a_definition_with_a_bad_parameter_is_400_naming_it(
    client: EpcisClient, query: dict[str, Any], parameter: str
) -> None:
    response = client.post("/queries", json={"name": "bad", "query": query})
    problem = assert_problem(response, 400, "QueryParameterException")
    assert problem["parameter"] == parameter
    assert_problem(client.get("/queries/bad"), 404, "NoSuchNameException")


@pytest.mark.parametrize("context", [5, "not a context", {"ex": 5}, [{"ex": ["x"]}], {"ex": "\u0000"}])
def test_a_hostile_context_is_a_clear_400(client: EpcisClient, context: Any) -> None:
    response = client.post(
        "/queries", json={"name": "ctx", "query": {"@context": context, "EQ_ex:grade": "A"}}
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert_problem(client.get("/queries/ctx"), 404, "NoSuchNameException")


def test_a_definition_nested_deeper_than_can_be_stored_is_400_naming_where(client: EpcisClient) -> None:
    """An @context the parser reads but no store can keep (was a 500 when the definition was stored)."""
    context: Any = {"ex": "https://example.org/ns/"}
    for _ in range(300):
        context = [context]
    response = client.post("/queries", json={"name": "deep", "query": {"@context": context, "EQ_ex:a": "1"}})
    problem = assert_problem(response, 400, "ValidationException")
    assert problem["errors"][0]["pointer"].startswith("/query/@context/0/0/")
    assert_problem(client.get("/queries/deep"), 404, "NoSuchNameException")


def test_malformed_json_is_400(client: EpcisClient) -> None:
    response = client.post(
        "/queries", content=b'{"name": "x", "query": {', headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 400, "ValidationException")


def test_OPTIONS_on_the_query_resources(client: EpcisClient) -> None:
    assert client.options("/queries").headers["allow"] == "OPTIONS, GET, POST"
    assert client.post("/queries", json=SHIPPING).status_code == 201
    assert client.options("/queries/shipping").headers["allow"] == "OPTIONS, GET, DELETE"
    assert client.options("/queries/shipping/events").headers["allow"] == "OPTIONS, GET"
    # OPTIONS needs no credentials, so it answers alike whether a query exists or not.
    anonymous = {"Authorization": ""}
    assert client.options("/queries/unknown", headers=anonymous).headers["allow"] == "OPTIONS, GET, DELETE"
    assert client.options("/queries/shipping", headers=anonymous).headers["allow"] == "OPTIONS, GET, DELETE"
