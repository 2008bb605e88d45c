"""Output control on the responses that return events: GS1-EPC-Format, GS1-CBV-XML-Format, GS1-Extensions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from rdflib.compare import isomorphic

from epcis_repo.api.app import create_app
from epcis_repo.epcis.context import namespaces
from epcis_repo.epcis.hashing import event_hash
from epcis_repo.settings import Settings
from tests.api.test_capture import (
    AS_CAPTURED,
    CONTEXT,
    all_events,
    document,
    events_of,
    hashes,
    rdf_graph,
)
from tests.conftest import EpcisClient, make_client, store_factory
from tests.standard import ARTIFACTS, example_id, json_examples, requires_standard

EX = CONTEXT[1]["ex"]
FORMATS = ("Always_GS1_Digital_Link", "Always_EPC_URN", "Never_Translates", "No_Preference")

# Captured as EPC URNs (company prefix 8934567), in every field GS1-EPC-Format rewrites.
URN_EVENT: dict[str, Any] = {
    "type": "ObjectEvent",
    "eventID": "urn:uuid:00000000-0000-4000-8000-000000000001",
    "eventTime": "2024-05-01T10:00:00.000+07:00",
    "eventTimeZoneOffset": "+07:00",
    "action": "ADD",
    "bizStep": "commissioning",
    "epcList": ["urn:epc:id:sgtin:8934567.012345.1", "urn:example:private:bag:1"],
    "quantityList": [{"epcClass": "urn:epc:class:lgtin:8934567.012345.LOT-7", "quantity": 2}],
    "readPoint": {"id": "urn:epc:id:sgln:8934567.00001.0"},
    "bizLocation": {"id": "urn:epc:id:sgln:8934567.00002.12"},
    "bizTransactionList": [{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:8934567000017:P1"}],
    "sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:8934567.00001"}],
    "destinationList": [{"type": "location", "destination": "urn:epc:id:sgln:8934567.00003.0"}],
    "ilmd": {"ex:bestBefore": "2025-01-01"},
}
URN_AS_LINKS = {
    "epcList": ["https://id.gs1.org/01/08934567123457/21/1", "urn:example:private:bag:1"],
    "quantityList": [{"epcClass": "https://id.gs1.org/01/08934567123457/10/LOT-7", "quantity": 2}],
    "readPoint": {"id": "https://id.gs1.org/414/8934567000017"},
    "bizLocation": {"id": "https://id.gs1.org/414/8934567000024/254/12"},
    "sourceList": [{"type": "owning_party", "source": "https://id.gs1.org/417/8934567000017"}],
    "destinationList": [{"type": "location", "destination": "https://id.gs1.org/414/8934567000031"}],
}

# Captured as Digital Links: the pallet's company prefix (8934567) is known from the URN event, the
# bags' (9520123) from no URN; the readPoint is on another domain.
DL_EVENT: dict[str, Any] = {
    "type": "AggregationEvent",
    "eventID": "urn:uuid:00000000-0000-4000-8000-000000000002",
    "eventTime": "2024-05-02T10:00:00.000+07:00",
    "eventTimeZoneOffset": "+07:00",
    "action": "ADD",
    "bizStep": "packing",
    "parentID": "https://id.gs1.org/00/189345670000000175",
    "childEPCs": ["https://id.gs1.org/01/09520123456788/21/B1"],
    "childQuantityList": [{"epcClass": "https://id.gs1.org/01/09520123456788", "quantity": 5}],
    "readPoint": {"id": "https://example.com/gln/8934567000024?src=erp"},
}
DL_AS_URNS = {
    "parentID": "urn:epc:id:sscc:8934567.1000000017",
    "readPoint": {"id": "urn:epc:id:sgln:8934567.00002.0"},
}
DL_AS_CANONICAL = {"readPoint": {"id": "https://id.gs1.org/414/8934567000024"}}
BAG_PREFIX_URN = "urn:epc:id:sgtin:9520123.045678.B2"


def returned(client: EpcisClient, epc_format: str | None = None, **headers: str) -> dict[str, dict[str, Any]]:
    """Every event by eventID, without what the repository adds, as GET /events returns it."""
    if epc_format is not None:
        headers["GS1-EPC-Format"] = epc_format
    return {e["eventID"]: as_sent(e) for e in all_events(client, headers)}


def as_sent(event: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k not in ("recordTime", "@context")}


@pytest.fixture
def captured(client: EpcisClient) -> EpcisClient:
    assert client.capture(document(URN_EVENT, DL_EVENT))["success"]
    return client


# --- GS1-EPC-Format -------------------------------------------------------------------------------


@pytest.mark.parametrize("epc_format", [None, "Always_GS1_Digital_Link"])
def test_digital_link_is_the_default(captured: EpcisClient, epc_format: str | None) -> None:
    events = returned(captured, epc_format)
    assert events[URN_EVENT["eventID"]] == {**URN_EVENT, **URN_AS_LINKS}
    assert events[DL_EVENT["eventID"]] == {**DL_EVENT, **DL_AS_CANONICAL}


def test_urns_where_the_company_prefix_is_known(captured: EpcisClient) -> None:
    events = returned(captured, "Always_EPC_URN")
    assert events[URN_EVENT["eventID"]] == URN_EVENT
    # The bags' prefix length is unknown: they stay Digital Links (as captured).
    assert events[DL_EVENT["eventID"]] == {**DL_EVENT, **DL_AS_URNS}


def test_a_captured_urn_makes_its_company_prefix_known(captured: EpcisClient) -> None:
    unknown = returned(captured, "Always_EPC_URN")[DL_EVENT["eventID"]]
    assert unknown["childEPCs"] == DL_EVENT["childEPCs"]
    event = {**URN_EVENT, "@context": CONTEXT, "eventID": "urn:uuid:3", "epcList": [BAG_PREFIX_URN]}
    created = captured.post("/events", json=event)
    assert created.status_code == 201, created.text
    events = returned(captured, "Always_EPC_URN")
    assert events[DL_EVENT["eventID"]] == {
        **DL_EVENT,
        **DL_AS_URNS,
        "childEPCs": ["urn:epc:id:sgtin:9520123.045678.B1"],
        "childQuantityList": [{"epcClass": "urn:epc:idpat:sgtin:9520123.045678.*", "quantity": 5}],
    }


def test_company_prefixes_stated_at_capture_outlive_a_restart(backend: str, tmp_path: Path) -> None:
    stores = store_factory(backend, tmp_path)
    with EpcisClient(create_app(Settings(), store_factory=stores)) as first:
        assert first.capture(document(URN_EVENT))["success"]
    # A new application on the same store: nothing carried over in memory, no event read yet.
    with EpcisClient(create_app(Settings(), store_factory=stores)) as second:
        assert second.capture(document(DL_EVENT))["success"]
        path = "/events/" + quote(DL_EVENT["eventID"], safe="")
        urns = second.get(path, headers={"GS1-EPC-Format": "Always_EPC_URN"})
        (event,) = urns.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        assert as_sent(event) == {**DL_EVENT, **DL_AS_URNS}


def test_master_data_urns_state_company_prefixes_too(client: EpcisClient) -> None:
    sent = document(DL_EVENT)
    sent["epcisHeader"] = {
        "epcisMasterData": {
            "vocabularyList": [
                {
                    "type": "urn:epcglobal:epcis:vtype:ReadPoint",
                    "vocabularyElementList": [{"id": "urn:epc:id:sgln:9520123.00001.0"}],
                }
            ]
        }
    }
    assert client.capture(sent)["success"]
    (event,) = returned(client, "Always_EPC_URN").values()
    assert event["childEPCs"] == ["urn:epc:id:sgtin:9520123.045678.B1"]


@pytest.mark.parametrize(
    "table", ["9520123 7\n", '{"GCPPrefixFormatList": {"entry": [{"prefix": "952", "gcpLength": 7}]}}']
)
def test_a_configured_gcp_length_table_gives_urns_for_prefixes_no_urn_stated(
    backend: str, tmp_path: Path, table: str
) -> None:
    path = tmp_path / "gcp-lengths"
    path.write_text(table)
    settings = Settings(gcp_length_table=path)
    with EpcisClient(create_app(settings, store_factory=store_factory(backend, tmp_path))) as client:
        assert client.capture(document(DL_EVENT))["success"]
        (event,) = returned(client, "Always_EPC_URN").values()
        assert event["childEPCs"] == ["urn:epc:id:sgtin:9520123.045678.B1"]
        assert event["parentID"] == DL_EVENT["parentID"]  # 8934567: neither stated nor in the table


@pytest.mark.parametrize("epc_format", ["Never_Translates", "No_Preference"])
def test_as_captured(captured: EpcisClient, epc_format: str) -> None:
    assert returned(captured, epc_format) == {e["eventID"]: e for e in (URN_EVENT, DL_EVENT)}


@pytest.mark.parametrize("epc_format", FORMATS)
def test_the_event_hash_does_not_change(captured: EpcisClient, epc_format: str) -> None:
    for event in all_events(captured, {"GS1-EPC-Format": epc_format}):
        sent = URN_EVENT if event["eventID"] == URN_EVENT["eventID"] else DL_EVENT
        assert event_hash(event, namespaces(event.get("@context"))) == event_hash(sent, namespaces(CONTEXT))


def test_one_event_by_its_id_is_translated_too(captured: EpcisClient) -> None:
    path = "/events/" + quote(DL_EVENT["eventID"], safe="")
    (default,) = captured.get(path).json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert as_sent(default) == {**DL_EVENT, **DL_AS_CANONICAL}
    urns = captured.get(path, headers={"GS1-EPC-Format": "Always_EPC_URN"})
    (event,) = urns.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert as_sent(event) == {**DL_EVENT, **DL_AS_URNS}


def test_the_201_of_post_events_is_translated_too(client: EpcisClient) -> None:
    event = {**URN_EVENT, "@context": CONTEXT}
    created = client.post("/events", json=event)
    assert created.status_code == 201
    assert as_sent(created.json()) == {**URN_EVENT, **URN_AS_LINKS}
    again = {**event, "eventID": "urn:uuid:4", "epcList": ["urn:epc:id:sgtin:8934567.012345.2"]}
    created = client.post("/events", json=again, headers=AS_CAPTURED)
    assert as_sent(created.json()) == as_sent(again)


@requires_standard
@pytest.mark.parametrize("path", json_examples(), ids=example_id)
def test_official_examples_keep_their_hashes_in_every_format(
    path: Path, backend: str, tmp_path: Path
) -> None:
    doc = json.loads(path.read_text())
    with make_client(backend, tmp_path) as client:
        assert client.capture(doc)["success"]
        for epc_format in FORMATS:
            events = all_events(client, {"GS1-EPC-Format": epc_format})
            assert hashes(events) == hashes(events_of(doc), doc["@context"]), epc_format


# --- GS1-CBV-XML-Format ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["No_Preference", "Always_Web_URI", "Always_URN", "Never_Translates"])
def test_the_cbv_xml_format_is_accepted_and_changes_nothing_in_json(
    captured: EpcisClient, value: str
) -> None:
    assert returned(captured, **{"GS1-CBV-XML-Format": value}) == returned(captured)


# --- GS1-Extensions -------------------------------------------------------------------------------

EXTENDED: dict[str, Any] = {
    **URN_EVENT,
    "eventID": "urn:uuid:00000000-0000-4000-8000-000000000005",
    "ex:lot": {"ex:grade": "A", "other:note": "x", "ex:tags": [{"ex:tag": "washed"}]},
    "other:flag": True,
}
EXTENDED_CONTEXT = [*CONTEXT, {"other": "https://other.example/"}]


@pytest.fixture
def extended(client: EpcisClient) -> EpcisClient:
    doc = {**document(EXTENDED), "@context": EXTENDED_CONTEXT}
    assert client.capture(doc)["success"]
    return client


def test_extension_keys_take_the_clients_prefix(extended: EpcisClient) -> None:
    response = extended.get("/events", headers={"GS1-Extensions": f"mine={EX}", **AS_CAPTURED})
    assert response.headers["GS1-Extensions"] == f"mine={EX}, other=https://other.example/"
    (event,) = response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert event["mine:lot"] == {"mine:grade": "A", "other:note": "x", "mine:tags": [{"mine:tag": "washed"}]}
    assert event["ilmd"] == {"mine:bestBefore": "2025-01-01"} and event["other:flag"] is True
    assert {"mine": EX} in event["@context"]
    assert event_hash(event, namespaces(event["@context"])) == event_hash(
        EXTENDED, namespaces(EXTENDED_CONTEXT)
    )


@requires_standard
@pytest.mark.parametrize(
    "declared", [f"mine={EX}", "ex=https://other.example/", f"a={EX}, b=https://other.example/"]
)
def test_renamed_events_mean_the_same_linked_data(extended: EpcisClient, declared: str) -> None:
    (sent,) = all_events(extended, AS_CAPTURED)
    (renamed,) = all_events(extended, {"GS1-Extensions": declared, **AS_CAPTURED})
    assert renamed != sent
    base = CONTEXT[:1]  # the standard context, read from its local copy
    sent_graph = rdf_graph({k: v for k, v in sent.items() if k != "@context"}, base + sent["@context"])
    renamed_graph = rdf_graph(
        {k: v for k, v in renamed.items() if k != "@context"}, base + renamed["@context"]
    )
    assert len(sent_graph) > 10 and isomorphic(sent_graph, renamed_graph)


def test_without_declarations_the_response_lists_the_prefixes_in_use(extended: EpcisClient) -> None:
    response = extended.get("/events")
    assert response.headers["GS1-Extensions"] == f"ex={EX}, other=https://other.example/"
    (event,) = response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert event["ex:lot"] == EXTENDED["ex:lot"]


def test_no_extensions_no_header(captured: EpcisClient) -> None:
    response = captured.get("/events", params={"eventType": "AggregationEvent"})
    assert "GS1-Extensions" not in response.headers


# --- invalid headers ------------------------------------------------------------------------------

BAD_HEADERS = [
    ("GS1-EPC-Format", "Always_DL"),
    ("GS1-EPC-Format", "always_epc_urn"),
    ("GS1-EPC-Format", "Client_Chooses"),
    ("GS1-CBV-XML-Format", "Always_Bare_Word"),
    ("GS1-Extensions", "ex"),
    ("GS1-Extensions", "ex=not a namespace"),
    ("GS1-Extensions", "urn=urn:example:"),
    ("GS1-Extensions", "type=https://ns.example.com/"),
    ("GS1-Extensions", "ex=https://a.example/, ex=https://b.example/"),
]


@pytest.mark.parametrize(("header", "value"), BAD_HEADERS)
def test_an_invalid_header_is_a_400_naming_it(captured: EpcisClient, header: str, value: str) -> None:
    event = {**URN_EVENT, "@context": CONTEXT, "eventID": "urn:uuid:6"}
    for response in (
        captured.get("/events", headers={header: value}),
        captured.get("/events/" + quote(URN_EVENT["eventID"], safe=""), headers={header: value}),
        captured.post("/events", json=event, headers={header: value}),
    ):
        assert response.status_code == 400, response.text
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["type"] == "epcisException:ValidationException"
        assert problem["header"] == header and header in problem["detail"]
    if header != "GS1-Extensions":
        assert "Never_Translates" in problem["detail"]  # the allowed values are listed
    assert len(all_events(captured)) == 2  # the refused POST stored nothing


# --- discovery ------------------------------------------------------------------------------------


def test_OPTIONS_announces_the_output_control(client: EpcisClient) -> None:
    for path in ("/events", "/events/urn%3Auuid%3Ax", "/capture"):
        headers = client.options(path).headers
        assert headers["GS1-EPC-Format"] == "No_Preference"
        assert headers["GS1-CBV-XML-Format"] == "Never_Translates"


@requires_standard
def test_the_announced_values_are_in_the_openapi_enums(client: EpcisClient) -> None:
    schemas = json.loads((ARTIFACTS / "openapi.json").read_text())["components"]["schemas"]
    headers = client.options("/events").headers
    for name in ("GS1-EPC-Format", "GS1-CBV-XML-Format"):
        assert headers[name] in schemas[name]["enum"]
    assert set(FORMATS) == set(schemas["GS1-EPC-Format"]["enum"])
