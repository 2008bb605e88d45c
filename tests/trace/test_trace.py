"""Chain reconstruction through GET /traces/back and /traces/forward, on the robusta chain of the
evidence study (tests/trace/robusta.py) and on small chains built to break the rules."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from epcis_repo.epcis.identifiers import canonical_key
from epcis_repo.epcis.timestamps import from_micros, now_micros
from epcis_repo.trace import engine
from epcis_repo.trace.model import EVERY_EDGE
from epcis_repo.trace.result import Direction
from tests.conftest import BACKENDS, EpcisClient, make_client
from tests.trace import robusta as chain

Json = dict[str, Any]

# evidence.md 7.6: trace back from RC-2701 (16,150 kg) gives 19,000 kg of green coffee from 7 plots.
ORIGINS_OF_RC_2701 = {
    "F1": (1425, 0.075),
    "F2": (4275, 0.225),
    "F3": (5700, 0.3),
    "G1": (1900, 0.1),
    "G2": (1900, 0.1),
    "G3": (1900, 0.1),
    "G4": (1900, 0.1),
}
FARM_OF = {chain.FARM_LOTS[name]: name for name in chain.FARM_LOTS}


@pytest.fixture(scope="module", params=BACKENDS)
def robusta(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EpcisClient]:
    with make_client(request.param, tmp_path_factory.mktemp("robusta")) as client:
        for document in chain.DOCUMENTS:
            assert client.capture(document)["success"]
        yield client


def trace(client: EpcisClient, direction: str, target: str, **params: str) -> Json:
    response = client.get(f"/traces/{direction}", params={"id": target, **params})
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


def origins(body: Json) -> dict[str, tuple[float, float]]:
    found = {}
    for origin in body["origins"]:
        name = FARM_OF[origin["id"]]
        assert origin["location"] == chain.PLOTS[name.replace("F", "P").replace("G", "Q")]
        assert origin["quantity"]["uom"] == "KGM"
        found[name] = (origin["quantity"]["value"], origin["share"])
    return found


def errors(body: Json) -> list[Json]:
    return [f for f in body["findings"] if f["severity"] == "error"]


# --- the robusta chain ----------------------------------------------------------------------------------


def test_trace_back_from_the_roasted_lot_finds_the_seven_plots_and_their_quantities(
    robusta: EpcisClient,
) -> None:
    body = trace(robusta, "back", chain.RC_2701)
    assert body["target"] == chain.RC_2701 and body["direction"] == "back"
    assert body["quantity"] == {"value": 16150, "uom": "KGM"}  # 16,150 bags of 1 kg (master data)
    assert origins(body) == ORIGINS_OF_RC_2701
    assert sum(o["quantity"]["value"] for o in body["origins"]) == pytest.approx(19000)
    assert body["unexplained"] == [] and errors(body) == []


def test_trace_back_names_the_events_that_prove_each_step(robusta: EpcisClient) -> None:
    body = trace(robusta, "back", chain.RC_2701)
    proving = {edge["eventID"] for edge in body["edges"]}
    for name in ("roasting", "grading", "bulking_A", "bulking_B", "origin_F1", "origin_G4"):
        assert chain.EVENT_IDS[name] in proving, name
    assert all(edge["reason"] for edge in body["edges"])
    steps = [(s["type"], s["eventIDs"][0]) for s in body["stages"]]
    assert steps[-1] == ("TransformationEvent", chain.EVENT_IDS["roasting"])
    assert steps.index(("TransformationEvent", chain.EVENT_IDS["grading"])) > steps.index(
        ("ObjectEvent", chain.EVENT_IDS["origin_F1"])
    )
    roasting = body["stages"][-1]
    assert roasting["place"] == chain.LOCATIONS["processor"]
    assert roasting["inputs"] == [{"id": chain.EXP_A, "quantity": {"value": 19000, "uom": "KGM"}}]
    assert roasting["outputs"] == [{"id": chain.RC_2701, "quantity": {"value": 16150, "uom": None}}]
    kinds = {node["id"]: node["kind"] for node in body["nodes"]}
    assert kinds[chain.RC_2701] == "class" and kinds[chain.PLOTS["Q3"]] == "place"


def test_trace_back_from_one_retailer_pallet_is_its_share_of_the_lot(robusta: EpcisClient) -> None:
    body = trace(robusta, "back", chain.RETAILER_PALLETS[0])
    assert body["quantity"] == {"value": 950, "uom": "KGM"}
    expected = {name: (q * 950 / 16150, share) for name, (q, share) in ORIGINS_OF_RC_2701.items()}
    found = origins(body)
    assert found.keys() == expected.keys()
    for name, (quantity, share) in expected.items():
        assert found[name][0] == pytest.approx(quantity) and found[name][1] == pytest.approx(share)
    assert found["F3"][0] == pytest.approx(335.294, abs=1e-3)


def test_a_quantity_of_the_lot_is_traced_like_the_pallet_holding_it(robusta: EpcisClient) -> None:
    pallet = origins(trace(robusta, "back", chain.RETAILER_PALLETS[0]))
    for quantity in ("950", "0.95 TNE", "950000 GRM"):
        found = origins(trace(robusta, "back", chain.RC_2701, quantity=quantity))
        assert found.keys() == pallet.keys()
        assert all(found[name] == pytest.approx(pallet[name]) for name in pallet), quantity


def test_either_notation_of_the_target_gives_the_same_trace(robusta: EpcisClient) -> None:
    by_link = trace(robusta, "back", chain.RC_2701)
    by_urn = trace(robusta, "back", "urn:epc:class:lgtin:8935001.000062.RC-2701")
    assert by_urn == by_link


def test_identifiers_come_back_in_the_notation_asked_for(robusta: EpcisClient) -> None:
    response = robusta.get(
        "/traces/back", params={"id": chain.RC_2701}, headers={"GS1-EPC-Format": "Always_EPC_URN"}
    )
    body = response.json()
    assert body["target"] == "urn:epc:class:lgtin:8935001.000062.RC-2701"
    assert {o["location"] for o in body["origins"]} >= {"urn:epc:id:sgln:8934567.20001.0"}


def test_trace_forward_from_a_flagged_plot_reaches_every_tainted_lot_shipment_and_party(
    robusta: EpcisClient,
) -> None:
    body = trace(robusta, "forward", chain.PLOTS["Q3"])
    reached = {r["id"]: (r["quantity"]["value"], r["share"]) for r in body["reached"]}
    assert reached[chain.FARM_LOTS["G3"]] == (4000, 1)
    assert reached[chain.C78] == (4000, 0.25)
    assert reached[chain.EXP_A] == (3800, 0.1)  # 10 % of every output of grading
    assert reached[chain.BP_1] == (200, 0.1)
    assert reached[chain.RC_2701] == (1615, 0.1)  # 1,900 kg of EXP-A roasted into 10 % of the lot
    for pallet in chain.PALLETS:
        assert reached[pallet] == (95, 0.1)
    assert reached[chain.CONTAINER] == (1615, 0.1)
    lots = {chain.FARM_LOTS["G3"], chain.C78, chain.EXP_A, chain.BP_1, chain.RC_2701}
    assert set(reached) == {*lots, *chain.PALLETS, chain.CONTAINER}
    parties = {p["id"]: p["quantity"]["value"] for p in body["parties"]}
    assert parties == {
        chain.PARTIES["collector_B"]: 4000,
        chain.PARTIES["processor"]: 4000,
        chain.PARTIES["domestic_buyer"]: 200,
        chain.PARTIES["second_buyer"]: 1900,
        chain.PARTIES["importer"]: 1615,
        chain.PARTIES["retailer"]: 380,  # 4 pallets
    }
    documents = {d["id"] for d in body["documents"]}
    assert chain.DDS_REFERENCE in documents
    assert errors(body) == []


def test_trace_forward_from_a_lot_does_not_reach_what_only_its_siblings_went_into(
    robusta: EpcisClient,
) -> None:
    body = trace(robusta, "forward", chain.BP_1)
    assert body["reached"] == []
    assert [p["id"] for p in body["parties"]] == [chain.PARTIES["domestic_buyer"]]


def test_tracing_forward_starts_at_the_time_asked(robusta: EpcisClient) -> None:
    after_roasting = chain.event_time("roasting").replace("T", "T23:", 1)[:11] + "23:59:00.000+07:00"
    body = trace(robusta, "forward", chain.EXP_A, at=after_roasting)
    assert chain.RC_2701 not in {r["id"] for r in body["reached"]}
    assert [p["id"] for p in body["parties"]] == [chain.PARTIES["second_buyer"]]


# --- errors --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("direction", "target"),
    [
        ("back", chain.RC_2701),
        ("back", chain.RETAILER_PALLETS[0]),
        ("back", chain.CONTAINER),
        ("back", chain.BP_1),
        ("forward", chain.PLOTS["Q3"]),
        ("forward", chain.EXP_A),
        ("forward", chain.PALLETS[0]),
    ],
)
def test_a_trace_reading_only_its_directions_edges_is_the_trace_reading_every_edge(
    robusta: EpcisClient, monkeypatch: pytest.MonkeyPatch, direction: str, target: str
) -> None:
    # Each direction reads only the edges its walk uses (trace/engine.py); were a walk to use another
    # kind, it would silently miss it: on the robusta chain the answers must be the same.
    selective = trace(robusta, direction, target)
    monkeypatch.setattr(engine, "_READS", dict.fromkeys(Direction, EVERY_EDGE))
    assert trace(robusta, direction, target) == selective


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({}, "id"),
        ({"id": " "}, "id"),
        ({"id": "urn:x", "at": "yesterday"}, "at"),
        ({"id": "urn:x", "at": "0001-01-01T00:00:00+14:00"}, "at"),  # no instant: before the year 1 in UTC
        ({"id": "urn:x", "asOf": "2027-01-01T00:00:00 07:00"}, "asOf"),
        ({"id": "urn:x", "depth": "0"}, "depth"),
        ({"id": "urn:x", "depth": "deep"}, "depth"),
        ({"id": "urn:x", "quantity": "-1"}, "quantity"),
        ({"id": "urn:x", "quantity": "950 kilos"}, "quantity"),
        ({"id": "urn:x", "perPage": "2"}, "perPage"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(
    robusta: EpcisClient, params: Json, parameter: str
) -> None:
    for direction in ("back", "forward"):
        response = robusta.get(f"/traces/{direction}", params=params)
        assert response.status_code == 400, response.text
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["type"] == "epcisException:QueryParameterException"
        assert problem["parameter"] == parameter


@pytest.mark.parametrize("direction", ["back", "forward"])
def test_a_party_or_a_document_named_by_events_is_traced_not_404(
    robusta: EpcisClient, direction: str
) -> None:
    # Neither direction follows the edges to parties and documents, yet events name them.
    for target in (chain.PARTIES["importer"], chain.DDS_REFERENCE):
        body = trace(robusta, direction, target)
        assert body["target"] == target and body["edges"] == []


def test_an_identifier_no_event_names_is_404(robusta: EpcisClient) -> None:
    for target in (
        "urn:epc:id:sgtin:8935001.000062.NOPE",
        "urn:example:unknown",
        "'; DROP TABLE lineage; --",
    ):
        response = robusta.get("/traces/back", params={"id": target})
        assert response.status_code == 404, response.text
        assert response.json()["type"] == "epcisException:NoSuchNameException"


def test_OPTIONS_on_the_trace_resources(robusta: EpcisClient) -> None:
    for direction in ("back", "forward"):
        assert robusta.options(f"/traces/{direction}").headers["allow"] == "OPTIONS, GET"


# --- small chains that break the rules ----------------------------------------------------------------

PREFIX = "8934567"
PLACE = f"urn:epc:id:sgln:{PREFIX}.00001.0"
OTHER_PLACE = f"urn:epc:id:sgln:{PREFIX}.00002.0"
MILL = f"urn:epc:id:sgln:{PREFIX}.00003.0"


def lot(name: str) -> str:
    return f"urn:epc:class:lgtin:{PREFIX}.012345.{name}"


def kg(lot_name: str, amount: float) -> Json:
    return {"epcClass": lot(lot_name), "quantity": amount, "uom": "KGM"}


def created(lot_name: str, amount: float, day: int, where: str = PLACE) -> Json:
    return {
        "type": "ObjectEvent",
        "eventTime": f"2027-01-{day:02d}T08:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "action": "ADD",
        "bizStep": "creating_class_instance",
        "bizLocation": {"id": where},
        "quantityList": [kg(lot_name, amount)],
    }


def made(day: int, inputs: list[Json], outputs: list[Json], transformation: str | None = None) -> Json:
    event: Json = {
        "type": "TransformationEvent",
        "eventTime": f"2027-01-{day:02d}T12:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "bizStep": "commissioning",
        "bizLocation": {"id": MILL},
        "inputQuantityList": inputs,
        "outputQuantityList": outputs,
    }
    if transformation is not None:
        event["transformationID"] = f"urn:epc:id:gdti:{PREFIX}.00001.{transformation}"
    return event


def document(*events: Json) -> Json:
    return {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2027-02-01T00:00:00Z",
        "epcisBody": {"eventList": list(events)},
    }


@pytest.fixture(params=BACKENDS)
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EpcisClient]:
    with make_client(request.param, tmp_path) as client:
        yield client


def test_outputs_beyond_inputs_and_an_input_without_origin_are_findings_never_a_silent_pass(
    empty: EpcisClient,
) -> None:
    job = empty.capture(document(created("A", 100, 1), made(2, [kg("A", 100), kg("B", 50)], [kg("C", 200)])))
    assert job["success"], job
    body = trace(empty, "back", canonical_key(lot("C")))
    rules = {f["rule"]: f for f in errors(body)}
    assert set(rules) == {"outputs-exceed-inputs", "unknown-origin"}
    assert (
        "200" in rules["outputs-exceed-inputs"]["message"]
        and "150" in rules["outputs-exceed-inputs"]["message"]
    )
    assert rules["outputs-exceed-inputs"]["eventIDs"]
    (origin,) = body["origins"]
    assert origin["id"] == canonical_key(lot("A"))
    assert origin["quantity"]["value"] == pytest.approx(100 * 200 / 200) and origin["share"] == pytest.approx(
        2 / 3
    )
    (unexplained,) = body["unexplained"]
    assert unexplained["id"] == canonical_key(lot("B"))
    assert unexplained["quantity"]["value"] == pytest.approx(50) and unexplained["share"] == pytest.approx(
        1 / 3
    )


def test_material_added_to_a_lot_after_it_was_used_is_not_upstream_of_that_use(empty: EpcisClient) -> None:
    # Silo lot S is filled from X on day 2, half of it milled into M on day 3, then topped up from Y on
    # day 5. M cannot contain Y; and Z, created only on day 6, cannot be in a day-4 batch.
    events = [
        created("X", 100, 1, PLACE),
        made(2, [kg("X", 100)], [kg("S", 100)], "FILL1"),
        made(3, [kg("S", 50)], [kg("M", 50)], "MILL"),
        made(4, [kg("S", 10), kg("Z", 10)], [kg("N", 20)], "MIX"),
        created("Y", 80, 4, OTHER_PLACE),
        made(5, [kg("Y", 80)], [kg("S", 80)], "FILL2"),
        created("Z", 10, 6, OTHER_PLACE),
    ]
    assert empty.capture(document(*events))["success"]
    body = trace(empty, "back", canonical_key(lot("M")))
    assert [(o["id"], o["quantity"]["value"]) for o in body["origins"]] == [(canonical_key(lot("X")), 50)]
    assert errors(body) == []
    mixed = trace(empty, "back", canonical_key(lot("N")))
    assert [o["id"] for o in mixed["origins"]] == [canonical_key(lot("X"))]
    assert [u["id"] for u in mixed["unexplained"]] == [canonical_key(lot("Z"))]
    assert [f["rule"] for f in errors(mixed)] == ["unknown-origin"]
    # Forward, the same rule: Y, added on day 5, never reaches M.
    forward = trace(empty, "forward", canonical_key(lot("Y")))
    assert canonical_key(lot("M")) not in {r["id"] for r in forward["reached"]}


def test_a_late_recorded_event_changes_the_answer_but_not_the_answer_as_of_before_it(
    empty: EpcisClient,
) -> None:
    assert empty.capture(document(created("A", 100, 1), made(3, [kg("A", 100)], [kg("C", 100)], "T1")))[
        "success"
    ]
    before = now_micros()
    known_then = trace(empty, "back", canonical_key(lot("C")))
    # Recorded later, about the past: more input went into the same transformation on day 3.
    late = [created("B", 100, 2, OTHER_PLACE), made(3, [kg("B", 100)], [kg("C", 100)], "T1")]
    assert empty.capture(document(*late))["success"]
    now = trace(empty, "back", canonical_key(lot("C")))
    assert {o["id"] for o in now["origins"]} == {canonical_key(lot("A")), canonical_key(lot("B"))}
    as_of = trace(empty, "back", canonical_key(lot("C")), asOf=from_micros(before))
    assert as_of["origins"] == known_then["origins"]
    assert as_of["asOf"] == from_micros(before)


def test_an_event_declared_erroneous_is_left_out_unless_the_declaration_came_later(
    empty: EpcisClient,
) -> None:
    wrong = made(3, [kg("A", 100)], [kg("C", 100)], "T1")
    wrong["eventID"] = "urn:uuid:6f2a3b0e-1d1c-4f6e-9a51-2b3c4d5e6f70"
    assert empty.capture(document(created("A", 100, 1), wrong))["success"]
    before = now_micros()
    declared = {
        **wrong,
        "errorDeclaration": {"declarationTime": "2027-02-01T00:00:00Z", "reason": "incorrect_data"},
    }
    assert empty.capture(document(declared))["success"]
    body = trace(empty, "back", canonical_key(lot("C")))
    assert body["origins"] == []
    assert [u["id"] for u in body["unexplained"]] == [canonical_key(lot("C"))]
    assert "voided-events" in {f["rule"] for f in body["findings"]}
    earlier = trace(empty, "back", canonical_key(lot("C")), asOf=from_micros(before))
    assert [o["id"] for o in earlier["origins"]] == [canonical_key(lot("A"))]


def test_a_trace_back_speaks_only_of_the_chain_behind_its_target(empty: EpcisClient) -> None:
    # C was made from A; later C went into D, by an event then declared erroneous. That event is
    # downstream of C: a trace back from C neither follows nor mentions it; a trace forward does.
    later = made(4, [kg("C", 100)], [kg("D", 100)], "T2")
    later["eventID"] = "urn:uuid:0b1c2d3e-4f50-4a61-8b72-9c8d7e6f5a4b"
    declared = {
        **later,
        "errorDeclaration": {"declarationTime": "2027-02-01T00:00:00Z", "reason": "incorrect_data"},
    }
    events = [created("A", 100, 1), made(3, [kg("A", 100)], [kg("C", 100)], "T1"), later]
    assert empty.capture(document(*events))["success"]
    assert empty.capture(document(declared))["success"]
    back = trace(empty, "back", canonical_key(lot("C")))
    assert [o["id"] for o in back["origins"]] == [canonical_key(lot("A"))]
    assert back["findings"] == []
    forward = trace(empty, "forward", canonical_key(lot("C")))
    assert [f["eventIDs"] for f in forward["findings"] if f["rule"] == "voided-events"] == [
        [later["eventID"]]
    ]


def weighed(*events: Json, kilograms: float = 2) -> Json:
    """A document of these events whose lots' GTIN has this net weight per unit in master data."""
    classes = {f"urn:epc:idpat:sgtin:{PREFIX}.012345.*": {"cbvmda:netWeight": kilograms}}
    return {
        **document(*events),
        "epcisHeader": {
            "epcisMasterData": {"vocabularyList": [chain.vocabulary(chain.CLASS_VOCABULARY, classes)]}
        },
    }


@pytest.mark.parametrize("shipped", [False, True])
def test_a_lot_counted_in_units_is_weighed_by_its_net_weight(empty: EpcisClient, shipped: bool) -> None:
    counted = created("A", 100, 1)
    counted["quantityList"] = [{"epcClass": lot("A"), "quantity": 100, "uom": "EA"}]
    ship = {
        "type": "ObjectEvent",
        "eventTime": "2027-01-05T08:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "action": "OBSERVE",
        "bizStep": "shipping",
        "quantityList": [{"epcClass": lot("A"), "quantity": 100, "uom": "EA"}],
        "bizTransactionList": [{"type": "po", "bizTransaction": f"urn:epc:id:gdti:{PREFIX}.00001.PO1"}],
    }
    assert empty.capture(weighed(counted, *([ship] if shipped else [])))["success"]
    body = trace(empty, "back", canonical_key(lot("A")))
    assert body["quantity"] == {"value": 200, "uom": "KGM"}
    assert [o["quantity"] for o in body["origins"]] == [{"value": 200, "uom": "KGM"}]


def test_a_quantity_asked_in_units_is_weighed_by_the_targets_net_weight(empty: EpcisClient) -> None:
    assert empty.capture(weighed(created("A", 100, 1)))["success"]
    body = trace(empty, "back", canonical_key(lot("A")), quantity="10 EA")
    assert body["quantity"] == {"value": 20, "uom": "KGM"}
    assert errors(body) == []


def test_a_cycle_is_cut_and_reported(empty: EpcisClient) -> None:
    loop = [created("A", 10, 1), made(2, [kg("A", 10), kg("D", 10)], [kg("D", 20)], "LOOP")]
    assert empty.capture(document(*loop))["success"]
    body = trace(empty, "back", canonical_key(lot("D")))
    assert "cycle" in {f["rule"] for f in body["findings"]}
    assert [o["id"] for o in body["origins"]] == [canonical_key(lot("A"))]


def test_a_huge_quantity_is_traced_not_crashed_on(robusta: EpcisClient) -> None:
    body = trace(robusta, "back", chain.RC_2701, quantity="9" * 30)
    assert body["quantity"]["value"] == pytest.approx(1e30)
    assert len(body["origins"]) == 7


def test_a_window_limits_the_events_followed_and_says_what_it_left_out(robusta: EpcisClient) -> None:
    # Back, starting after the farms created their lots: the farm lots are reached but not followed.
    body = trace(robusta, "back", chain.RC_2701, window="2026-12-16T00:00:00Z/")
    assert body["window"] == ["2026-12-16T00:00:00.000Z", None]
    assert body["origins"] == []
    assert {u["id"] for u in body["unexplained"]} == set(chain.FARM_LOTS.values())
    assert errors(body) == []  # not an unknown origin: only outside the window
    assert "window-limit" in {f["rule"] for f in body["findings"]}
    # Forward, ending before the roasting: nothing roasted is reached.
    body = trace(robusta, "forward", chain.PLOTS["Q3"], window="/2027-01-10T00:00:00+07:00")
    reached = {r["id"] for r in body["reached"]}
    assert chain.EXP_A in reached and chain.RC_2701 not in reached


@pytest.mark.parametrize(
    "window",
    [
        "2027-01-01T00:00:00Z",
        "/",
        "2027-02-01T00:00:00Z/2027-01-01T00:00:00Z",
        "x/y",
        "/9999-12-31T23:59:59-14:00",
    ],
)
def test_a_malformed_window_is_400(robusta: EpcisClient, window: str) -> None:
    response = robusta.get("/traces/back", params={"id": chain.RC_2701, "window": window})
    assert response.status_code == 400 and response.json()["parameter"] == "window"
