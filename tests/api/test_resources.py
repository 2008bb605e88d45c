"""The REST resources of the query interface beyond /events (checklist b.1, b.3, b.4): the top-level
collection, the lists of event types, EPCs, business steps, dispositions, read points and business
locations with their values' sub-resources and events, page token release, and OPTIONS everywhere."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, unquote

import jsonschema
import pytest
from starlette.requests import Request

from epcis_repo.api.discovery import served_methods
from epcis_repo.api.pages import next_link
from epcis_repo.api.resources import TOP_LEVEL
from epcis_repo.epcis import cbv
from tests.api.test_capture import document
from tests.api.test_query import BAG_DL, BAG_URN, FARM_DL, FARM_URN, LOT_DL, PALLET_DL, PALLET_URN
from tests.api.test_query import EVENTS as QUERY_EVENTS
from tests.conftest import BACKENDS, EpcisClient, make_client
from tests.standard import ARTIFACTS

# An EPC whose serial is "events": /epcs/{it}/events must not be read as the events of a shorter EPC.
EVENTS_DL = "https://id.gs1.org/01/08934567123457/21/events"
WAREHOUSE_DL = "https://id.gs1.org/414/8934567000024"
ROASTERY = "urn:example:loc:roastery"  # not a GS1 key
ROASTING = "https://example.org/steps/roasting"
ROASTED = "https://example.org/dispositions/roasted"

# The query tests' four events, and a fifth with custom values and an EPC whose serial is "events".
EVENTS: list[dict[str, Any]] = [
    *QUERY_EVENTS,
    {
        "type": "ObjectEvent",
        "eventID": "urn:uuid:00000000-0000-4000-8000-000000000005",
        "eventTime": "2024-03-05T06:00:00+07:00",
        "eventTimeZoneOffset": "+07:00",
        "action": "OBSERVE",
        "bizStep": ROASTING,
        "disposition": ROASTED,
        "epcList": [EVENTS_DL],
        "bizLocation": {"id": ROASTERY},
    },
]


@pytest.fixture(scope="module", params=BACKENDS)
def loaded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[EpcisClient, dict[str, Any]]]:
    with make_client(request.param, tmp_path_factory.mktemp("store")) as test_client:
        job = test_client.capture(document(*EVENTS))
        assert job["success"], job
        yield test_client, job


@pytest.fixture
def client(loaded: tuple[EpcisClient, dict[str, Any]]) -> EpcisClient:
    return loaded[0]


@pytest.fixture
def empty(backend: str, tmp_path: Any) -> Iterator[EpcisClient]:
    with make_client(backend, tmp_path) as test_client:
        yield test_client


def members(client: EpcisClient, path: str, **headers: str) -> list[str]:
    response = client.get(path, params={"perPage": "1000"}, headers=headers)
    assert response.status_code == 200, response.text
    assert "link" not in response.headers
    member: list[str] = response.json()["member"]
    return member


def found(client: EpcisClient, path: str, **params: str) -> list[int]:
    """The numbers (last digit of the eventID) of the events an events resource returns, every page."""
    numbers: list[int] = []
    response = client.get(path, params=params)
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["type"] == "EPCISQueryDocument"
        numbers += [
            int(e["eventID"][-1]) for e in body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        ]
        if "link" not in response.headers:
            return numbers
        response = client.get(next_url(response.headers["link"]))


def next_url(link: str) -> str:
    assert link.endswith('; rel="next"'), link
    return link.split(";")[0].strip("<>")


def token_of(link: str) -> str:
    return next_url(link).split("nextPageToken=")[1].split("&")[0]


def assert_problem(response: Any, status: int, exception: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == f"epcisException:{exception}" and body["status"] == status
    return body


def official_schema(name: str) -> dict[str, Any] | None:
    """An official response schema, resolvable on its own; None without the GS1 artefacts."""
    path = ARTIFACTS / "openapi.json"
    if not path.is_file():
        return None
    components = json.loads(path.read_text())["components"]
    return {"$ref": f"#/components/schemas/{name}", "components": components}


def check_schema(body: Any, name: str) -> None:
    schema = official_schema(name)
    if schema is not None:
        jsonschema.validate(body, schema)


# --- the top level ---------------------------------------------------------------------------------


def test_the_top_level_lists_the_nine_resources(client: EpcisClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["GS1-EPCIS-Version"] == "2.0.0" and response.headers["GS1-CBV-Version"] == "2.0.0"
    body = response.json()
    assert body["type"] == "Collection" and body["@context"]
    assert body["member"] == list(TOP_LEVEL)
    assert set(body["member"]) == {
        "queries", "capture", "events", "eventTypes", "epcs", "readPoints", "bizLocations", "dispositions",
        "bizSteps",
    }  # fmt: skip
    check_schema(body, "TopLevelResourceCollection")
    for member in body["member"]:
        assert member in served_methods(client.app.routes) or f"/{member}" in served_methods(
            client.app.routes
        )


def test_the_top_level_takes_no_query_parameters(client: EpcisClient) -> None:
    body = assert_problem(client.get("/", params={"perPage": "2"}), 400, "QueryParameterException")
    assert body["parameter"] == "perPage"


# --- the lists -------------------------------------------------------------------------------------


def test_event_types_are_the_five_standard_ones(client: EpcisClient, empty: EpcisClient) -> None:
    five = ["AggregationEvent", "AssociationEvent", "ObjectEvent", "TransactionEvent", "TransformationEvent"]
    for repository in (client, empty):
        response = repository.get("/eventTypes")
        assert response.json()["member"] == five
        check_schema(response.json(), "EventTypeCollection")


def test_epcs_are_every_identifier_of_every_epc_role_as_digital_links(client: EpcisClient) -> None:
    response = client.get("/epcs")
    assert response.json()["member"] == [PALLET_DL, BAG_DL, EVENTS_DL]  # ordered by canonical key
    check_schema(response.json(), "UriCollection")
    # No class (LOT_DL is an outputQuantityList epcClass) and no location.
    assert members(client, "/epcs", **{"GS1-EPC-Format": "Never_Translates"}) == [
        PALLET_DL,
        BAG_DL,
        EVENTS_DL,
    ]


def test_epcs_as_urns_once_the_company_prefix_is_known(client: EpcisClient) -> None:
    client.get("/events", headers={"GS1-EPC-Format": "Never_Translates"})  # returns URNs: learns 8934567
    urns = members(client, "/epcs", **{"GS1-EPC-Format": "Always_EPC_URN"})
    assert urns == [PALLET_URN, BAG_URN, "urn:epc:id:sgtin:8934567.012345.events"]


def test_an_empty_repository_knows_no_identifiers_but_every_standard_value(empty: EpcisClient) -> None:
    for path in ("/epcs", "/readPoints", "/bizLocations"):
        assert members(empty, path) == []
    assert members(empty, "/bizSteps") == sorted(cbv.BIZ_STEP.words)
    assert members(empty, "/dispositions") == sorted(cbv.DISPOSITION.words)


def test_biz_steps_are_the_cbv_ones_as_bare_words_and_the_custom_ones_as_uris(client: EpcisClient) -> None:
    response = client.get("/bizSteps", params={"perPage": "100"})
    body = response.json()
    check_schema(body, "BizStepCollection")
    assert body["member"] == [ROASTING, *sorted(cbv.BIZ_STEP.words)]  # ordered by URI
    dispositions = client.get("/dispositions", params={"perPage": "100"}).json()
    check_schema(dispositions, "DispositionCollection")
    assert dispositions["member"] == [ROASTED, *sorted(cbv.DISPOSITION.words)]


def test_custom_values_use_the_prefixes_the_client_declares(client: EpcisClient) -> None:
    headers = {"GS1-Extensions": "st=https://example.org/steps/"}
    response = client.get("/bizSteps", params={"perPage": "3"}, headers=headers)
    body = response.json()
    assert body["member"][0] == "st:roasting"
    assert body["@context"][1] == {"st": "https://example.org/steps/"}
    assert response.headers["GS1-Extensions"] == "st=https://example.org/steps/"
    check_schema(body, "BizStepCollection")
    plain = client.get("/bizSteps", params={"perPage": "3"})
    assert isinstance(plain.json()["@context"], str) and "GS1-Extensions" not in plain.headers


def test_read_points_and_business_locations(client: EpcisClient) -> None:
    # The warehouse was captured on another domain with a query string and as a GS1 Digital Link.
    assert members(client, "/readPoints") == [FARM_DL, WAREHOUSE_DL]
    assert members(client, "/bizLocations") == [FARM_DL, ROASTERY]
    check_schema(client.get("/readPoints").json(), "UriCollection")


@pytest.mark.parametrize(
    ("path", "per_page"), [("/bizSteps", "7"), ("/dispositions", "5"), ("/epcs", "1"), ("/eventTypes", "2")]
)
def test_C_Q_6_collections_page_through_link_headers_without_gaps_or_repeats(
    client: EpcisClient, path: str, per_page: str
) -> None:
    whole = members(client, path)
    response = client.get(path, params={"perPage": per_page})
    seen: list[str] = []
    pages = 0
    while True:
        assert response.status_code == 200, response.text
        page = response.json()["member"]
        assert 0 < len(page) <= int(per_page)
        seen += page
        pages += 1
        if "link" not in response.headers:
            break
        response = client.get(next_url(response.headers["link"]))
    assert seen == whole
    assert pages == -(-len(whole) // int(per_page))


def test_collection_paging_errors_are_400_naming_the_parameter(client: EpcisClient) -> None:
    token = token_of(client.get("/epcs", params={"perPage": "1"}).headers["link"])
    cases = [
        ("/epcs", {"foo": "1"}, "foo"),
        ("/epcs", {"MATCH_anyEPC": BAG_URN}, "MATCH_anyEPC"),
        ("/bizSteps", {"perPage": "0"}, "perPage"),
        ("/bizSteps", {"perPage": "many"}, "perPage"),
        ("/bizSteps", {"perPage": "²"}, "perPage"),
        ("/bizSteps", {"nextPageToken": "not-a-token"}, "nextPageToken"),
        ("/bizSteps", {"nextPageToken": token}, "nextPageToken"),  # a token of another list
        ("/epcs/" + quote(BAG_URN, safe=""), {"foo": "1"}, "foo"),
    ]
    for path, params, parameter in cases:
        body = assert_problem(client.get(path, params=params), 400, "QueryParameterException")
        assert body["parameter"] == parameter, (path, params)


def test_collections_answer_json_only(client: EpcisClient) -> None:
    assert_problem(client.get("/epcs", headers={"Accept": "application/xml"}), 406, "NotAcceptableException")
    ld = client.get("/epcs", headers={"Accept": "application/ld+json"})
    assert ld.headers["content-type"] == "application/ld+json"


# --- one value: its sub-resources and its events -------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/eventTypes/ObjectEvent",
        "/eventTypes/TransactionEvent",  # standard, no events: exists all the same
        "/epcs/" + quote(BAG_URN, safe=""),
        "/epcs/" + quote(BAG_DL, safe=""),
        "/epcs/" + quote(EVENTS_DL, safe=""),
        "/bizSteps/commissioning",
        "/bizSteps/receiving",
        "/bizSteps/" + quote(ROASTING, safe=""),
        "/dispositions/in_progress",
        "/readPoints/" + quote(FARM_URN, safe=""),
        "/bizLocations/" + quote(ROASTERY, safe=""),
    ],
)
def test_a_value_lists_its_sub_resources(client: EpcisClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.json()["member"] == ["events"]
    check_schema(response.json(), "ResourceCollection")


@pytest.mark.parametrize(
    "epc",
    [
        BAG_URN,
        quote(BAG_URN, safe=""),
        quote(BAG_DL, safe=""),  # https%3A%2F%2Fid.gs1.org%2F01%2F...
        BAG_DL.replace("/", "%2F"),  # https:%2F%2Fid.gs1.org%2F01%2F... as the standard writes it
        BAG_DL.replace("/", "%2f"),
        BAG_DL,  # unencoded slashes work too
        "https:%2F%2Fexample.com%2Fgtin%2F8934567123457%2Fser%2FBAG-1",  # another domain, short names
    ],
)
def test_the_events_of_an_epc_in_either_notation(client: EpcisClient, epc: str) -> None:
    assert found(client, f"/epcs/{epc}/events") == [1, 2, 4]  # epcList, childEPCs, inputEPCList


def test_an_epc_whose_serial_is_events_is_not_mistaken_for_an_events_resource(client: EpcisClient) -> None:
    encoded = EVENTS_DL.replace("/", "%2F")
    assert client.get(f"/epcs/{encoded}").json()["member"] == ["events"]
    assert found(client, f"/epcs/{encoded}/events") == [5]
    assert client.options(f"/epcs/{encoded}").status_code == 204


def test_the_events_of_an_epc_page_through_link_headers(client: EpcisClient) -> None:
    assert found(client, "/epcs/" + BAG_DL.replace("/", "%2F") + "/events", perPage="1") == [1, 2, 4]
    assert found(client, f"/epcs/{BAG_URN}/events", perPage="2") == [1, 2, 4]


def test_next_links_keep_the_encoding_of_a_value_with_a_slash() -> None:
    # TestClient decodes paths twice, so this is shown on the request a server would pass on.
    raw = b"/epcs/https%3A%2F%2Fid.gs1.org%2F01%2F08934567123457%2F21%2FL%252F7/events"
    scope = {
        "type": "http",
        "method": "GET",
        "scheme": "http",
        "server": ("testserver", 80),
        "path": unquote(raw.decode()),  # .../21/L%2F7/events: the serial is "L/7"
        "raw_path": raw,
        "query_string": b"perPage=1",
        "headers": [(b"host", b"testserver")],
    }
    link = next_link(Request(scope), 1, "TOKEN")
    assert link == f'<http://testserver{raw.decode()}?perPage=1&nextPageToken=TOKEN>; rel="next"'


@pytest.mark.parametrize(
    "biz_step",
    [
        "commissioning",
        "urn:epcglobal:cbv:bizstep:commissioning",
        quote(cbv.BIZ_STEP.canonical("commissioning")),
    ],
)
def test_the_events_of_a_business_step_in_any_cbv_form(client: EpcisClient, biz_step: str) -> None:
    # Captured as a bare word (1) and as a Web URI (4).
    assert found(client, f"/bizSteps/{biz_step}/events") == [1, 4]


def test_the_events_of_each_kind_of_value(client: EpcisClient) -> None:
    assert found(client, "/bizSteps/packing/events") == [2]
    assert found(client, "/bizSteps/" + quote(ROASTING, safe="") + "/events") == [5]
    assert found(client, "/bizSteps/receiving/events") == []
    assert found(client, "/dispositions/in_transit/events") == [3]
    assert found(client, "/dispositions/urn:epcglobal:cbv:disp:active/events") == [1]
    assert found(client, "/dispositions/" + quote(ROASTED, safe="") + "/events") == [5]
    assert found(client, "/readPoints/" + quote(FARM_URN, safe="") + "/events") == [1]
    assert found(client, "/readPoints/" + quote(WAREHOUSE_DL, safe="") + "/events") == [2, 3]
    assert found(client, "/bizLocations/" + quote(FARM_DL, safe="") + "/events") == [1]
    assert found(client, f"/bizLocations/{ROASTERY}/events") == [5]
    assert found(client, "/eventTypes/ObjectEvent/events") == [1, 3, 5]
    assert found(client, "/eventTypes/TransactionEvent/events") == []


def test_other_query_parameters_narrow_a_values_events(client: EpcisClient) -> None:
    assert found(client, "/eventTypes/ObjectEvent/events", EQ_bizStep="shipping") == [3]
    assert found(client, f"/epcs/{BAG_URN}/events", eventType="AggregationEvent") == [2]
    assert found(client, "/bizSteps/commissioning/events", GE_eventTime="2024-03-02T00:00:00Z") == [4]


@pytest.mark.parametrize(
    ("path", "parameter", "value"),
    [
        ("/eventTypes/ObjectEvent/events", "eventType", "ObjectEvent"),
        (f"/epcs/{BAG_URN}/events", "MATCH_anyEPC", BAG_URN),
        ("/bizSteps/shipping/events", "EQ_bizStep", "shipping"),
        ("/dispositions/active/events", "EQ_disposition", "active"),
        (f"/readPoints/{FARM_URN}/events", "EQ_readPoint", FARM_URN),
        (f"/bizLocations/{ROASTERY}/events", "EQ_bizLocation", ROASTERY),
        ("/eventTypes/ObjectEvent/events", "EQ_unknown", "x"),
    ],
)
def test_a_values_events_refuse_its_own_filter_and_unknown_parameters(
    client: EpcisClient, path: str, parameter: str, value: str
) -> None:
    body = assert_problem(client.get(path, params={parameter: value}), 400, "QueryParameterException")
    assert body["parameter"] == parameter


def test_a_page_token_continues_only_the_events_of_its_value(client: EpcisClient) -> None:
    first = client.get(f"/epcs/{BAG_URN}/events", params={"perPage": "1"})
    token = token_of(first.headers["link"])
    other = client.get(f"/epcs/{PALLET_URN}/events", params={"perPage": "1", "nextPageToken": token})
    assert assert_problem(other, 400, "QueryParameterException")["parameter"] == "nextPageToken"


@pytest.mark.parametrize(
    "path",
    [
        "/nope",
        "/eventTypes/NoSuchEvent",
        "/eventTypes/ObjectEvent/schema",
        "/eventTypes/" + quote("https://example.org/MyEvent", safe=""),
        "/epcs/" + quote("urn:epc:id:sgtin:8934567.012345.NOPE", safe=""),
        "/epcs/" + quote(LOT_DL, safe=""),  # a class, not an EPC
        "/epcs/",
        "/bizSteps/" + quote("https://example.org/steps/none", safe=""),
        "/dispositions/not_a_disposition",
        "/readPoints/" + quote(ROASTERY, safe=""),  # a business location, never a read point
        "/bizLocations/" + quote(WAREHOUSE_DL, safe=""),
    ],
)
def test_unknown_resources_are_404_problems(client: EpcisClient, path: str) -> None:
    assert_problem(client.get(path), 404, "NoSuchNameException")
    if path != "/nope" and not path.endswith("/schema"):
        assert_problem(client.get(f"{path}/events"), 404, "NoSuchNameException")
        # OPTIONS needs no credentials, so it answers alike whether the value is known or not.
        assert client.options(path, headers={"Authorization": ""}).status_code == 204


# --- page tokens ----------------------------------------------------------------------------------------


def test_releasing_a_page_token_is_accepted_and_changes_nothing(client: EpcisClient) -> None:
    links = [
        client.get("/events", params={"perPage": "1"}).headers["link"],
        client.get("/epcs", params={"perPage": "1"}).headers["link"],
        client.get("/bizSteps/commissioning/events", params={"perPage": "1"}).headers["link"],
    ]
    client.capture(document({**EVENTS[2], "eventID": "urn:uuid:00000000-0000-4000-8000-000000000006"}))
    links.append(client.get("/capture", params={"perPage": "1"}).headers["link"])
    for link in links:
        token = token_of(link)
        assert client.delete(f"/nextPageToken/{token}").status_code == 204
        assert client.get(next_url(link)).status_code == 200  # stateless: the token still works


def test_releasing_something_that_is_no_page_token_is_400(client: EpcisClient) -> None:
    for token in ("garbage", "eyJ2IjoxLCJrIjoibm9uZSIsImEiOiJ4In0"):  # the second: an unknown kind
        body = assert_problem(client.delete(f"/nextPageToken/{token}"), 400, "QueryParameterException")
        assert body["parameter"] == "token"


# --- OPTIONS -----------------------------------------------------------------------------------------------


def sample_values(client: EpcisClient, job: dict[str, Any], served: dict[str, set[str]]) -> dict[str, str]:
    """A value that exists for every path parameter of the API, percent-encoded."""
    values = {
        "captureID": job["captureID"],
        "eventID": quote(EVENTS[0]["eventID"], safe=""),
        "eventType": "ObjectEvent",
        "epc": quote(BAG_URN, safe=""),
        "bizStep": "commissioning",
        "disposition": "active",
        "readPoint": quote(FARM_URN, safe=""),
        "bizLocation": quote(FARM_DL, safe=""),
        "token": token_of(client.get("/epcs", params={"perPage": "1"}).headers["link"]),
    }
    if "/queries" in served:
        created = client.post(
            "/queries", json={"name": "options-probe", "query": {"eventType": ["ObjectEvent"]}}
        )
        assert created.status_code in (201, 409), created.text
        values["queryName"] = "options-probe"
    return values


def test_every_path_answers_OPTIONS_with_its_methods_and_the_discovery_headers(
    loaded: tuple[EpcisClient, dict[str, Any]],
) -> None:
    client, job = loaded
    served = served_methods(client.app.routes)
    values = sample_values(client, job, served)
    for path, methods in served.items():
        assert "OPTIONS" in methods, f"{path} does not answer OPTIONS"
        url = path
        for name in (part[1:-1] for part in path.split("/") if part.startswith("{")):
            assert name in values, f"add a sample value for {{{name}}} to this test"
            url = url.replace(f"{{{name}}}", values[name])
        response = client.options(url)
        assert response.status_code == 204, (path, response.text)
        headers = response.headers
        allowed = [method.strip() for method in headers["Allow"].split(",")]
        assert allowed[0] == "OPTIONS" and set(allowed) == methods, (path, allowed, methods)
        assert headers["GS1-EPCIS-Version"] == "2.0.0" and headers["GS1-CBV-Version"] == "2.0.0"
        for name in (
            "GS1-EPCIS-Min", "GS1-EPCIS-Max", "GS1-CBV-Min", "GS1-CBV-Max", "GS1-EPC-Format",
            "GS1-CBV-XML-Format", "GS1-Extensions", "GS1-Vendor-Version",
        ):  # fmt: skip
            assert name in headers, (path, name)


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/", "OPTIONS, GET"),
        ("/capture", "OPTIONS, POST, GET"),
        ("/events", "OPTIONS, GET, POST"),
        ("/eventTypes", "OPTIONS, GET"),
        ("/epcs/" + quote(BAG_DL, safe="") + "/events", "OPTIONS, GET"),
        ("/bizSteps/shipping", "OPTIONS, GET"),
    ],
)
def test_OPTIONS_uses_the_standards_allow_variants(client: EpcisClient, path: str, allow: str) -> None:
    assert client.options(path).headers["Allow"] == allow
