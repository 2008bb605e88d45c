"""The robusta worked example (tests/trace/robusta.py) is valid EPCIS that the repository stores whole."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from epcis_repo.epcis.identifiers import canonical_key, parse_epc_urn, to_digital_link
from tests.conftest import EpcisClient, make_client
from tests.trace import robusta

COFFEE_GEOMETRY = robusta.COFFEE + "geometry"


def all_events() -> list[dict[str, Any]]:
    return [event for doc in robusta.DOCUMENTS for event in doc["epcisBody"]["eventList"]]


def stored(client: EpcisClient, **params: str) -> list[dict[str, Any]]:
    response = client.get("/events", params={"perPage": "1000", **params})
    assert response.status_code == 200, response.text
    assert "link" not in response.headers  # one page holds them all
    events: list[dict[str, Any]] = response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    return events


def test_every_document_is_captured_and_every_event_stored(backend: str, tmp_path: Path) -> None:
    with make_client(backend, tmp_path) as client:
        for doc in robusta.DOCUMENTS:
            job = client.capture(doc)
            assert job["success"] and job["errors"] == [], job
        events = stored(client)
        geolocated = stored(client, HASATTR_bizLocation=COFFEE_GEOMETRY)
    assert len(events) == len(all_events()) == len(robusta.EVENT_IDS)
    assert {e["eventID"] for e in events} == set(robusta.EVENT_IDS.values())
    # The plots' master data arrived: the polygon plots (above 4 ha) are P3 and Q3.
    assert {e["eventID"] for e in geolocated} == {
        robusta.EVENT_IDS["origin_F3"],
        robusta.EVENT_IDS["origin_G3"],
    }


def test_event_names_times_and_ids_agree_with_the_documents() -> None:
    events = all_events()
    assert [e["eventID"] for e in events] == list(robusta.EVENT_IDS.values())
    assert [e["eventTime"] for e in events] == list(robusta.EVENT_TIMES.values())
    assert len(set(robusta.EVENT_IDS.values())) == len(events)
    for name in (
        "origin_F1",
        "receive_G4",
        "bulking_A",
        "bulking_B",
        "grading",
        "roasting",
        "pack_pallet_01",
    ):
        assert robusta.event_time(name) == robusta.EVENTS[name]["eventTime"]
    for name in ("pack_pallet_17", "load_container", "ship_container", "ship_exp_a_second_buyer", "ship_bp1"):
        assert name in robusta.EVENT_IDS
    for name in ("import_receive", "unpack_container", "retailer_receive"):
        assert robusta.EVENTS[name]["eventTimeZoneOffset"] == robusta.EU
    for doc in robusta.DOCUMENTS:  # each document lists its events in time order
        times = [datetime.fromisoformat(e["eventTime"]) for e in doc["epcisBody"]["eventList"]]
        assert times == sorted(times)


def test_the_quantities_of_the_worked_example() -> None:
    q = robusta.LOT_QUANTITIES
    assert [q[f] for f in ("F1", "F2", "F3", "G1", "G2", "G3", "G4")] == [3000, 9000, 12000] + [4000] * 4
    assert (q["C-77"], q["C-78"], q["EXP-A"], q["BP-1"], q["RC-2701"]) == (24000, 16000, 38000, 2000, 16150)
    grading = robusta.EVENTS["grading"]
    assert sum(i["quantity"] for i in grading["inputQuantityList"]) == 40000
    assert sum(o["quantity"] for o in grading["outputQuantityList"]) == 40000
    roasting = robusta.EVENTS["roasting"]
    assert roasting["inputQuantityList"][0]["quantity"] == 19000
    assert roasting["outputQuantityList"] == [
        {"epcClass": roasting["outputQuantityList"][0]["epcClass"], "quantity": 16150}
    ]
    packed = [
        robusta.EVENTS[f"pack_pallet_{n:02d}"]["childQuantityList"][0]["quantity"] for n in range(1, 18)
    ]
    assert packed == [950] * 17
    assert robusta.EVENTS["ship_exp_a_second_buyer"]["quantityList"][0]["quantity"] == 19000


def test_urn_and_digital_link_spellings_name_the_same_objects() -> None:
    """The notations are mixed on purpose; each exported key is what both spellings reduce to."""
    keys = [
        *robusta.PLOTS.values(),
        *robusta.FARM_LOTS.values(),
        robusta.C77,
        robusta.C78,
        robusta.EXP_A,
        robusta.BP_1,
        robusta.RC_2701,
        *robusta.PALLETS,
        robusta.CONTAINER,
        *robusta.PARTIES.values(),
        *robusta.LOCATIONS.values(),
    ]
    assert len(set(keys)) == len(keys)
    gs1_ids = [
        *robusta.FARM_LOT_IDS.values(),
        *robusta.BULK_LOT_IDS.values(),
        robusta.EXP_A_ID,
        robusta.BP_1_ID,
        robusta.RC_2701_ID,
        *robusta.PALLET_IDS,
        robusta.CONTAINER_ID,
    ]
    for gs1 in gs1_ids:
        assert parse_epc_urn(gs1.urn) is not None
        assert gs1.dl.startswith("https://id.gs1.org/")
        assert canonical_key(gs1.urn) == canonical_key(gs1.dl) == gs1.key
    # The same object appears under both spellings in the documents, and both reduce to the exported key.
    receive_c77 = robusta.EVENTS["receive_C77"]
    bulking_a = robusta.EVENTS["bulking_A"]
    assert bulking_a["outputQuantityList"][0]["epcClass"].startswith("urn:epc:class:lgtin:")
    assert receive_c77["quantityList"][0]["epcClass"].startswith("https://id.gs1.org/01/")
    assert canonical_key(bulking_a["outputQuantityList"][0]["epcClass"]) == robusta.C77
    assert canonical_key(receive_c77["quantityList"][0]["epcClass"]) == robusta.C77
    packing = robusta.EVENTS["pack_pallet_01"]
    assert packing["parentID"].startswith("urn:epc:id:sscc:")
    assert canonical_key(packing["parentID"]) == robusta.PALLETS[0]
    assert canonical_key(packing["childQuantityList"][0]["epcClass"]) == robusta.RC_2701
    roasting = robusta.EVENTS["roasting"]
    assert canonical_key(roasting["outputQuantityList"][0]["epcClass"]) == robusta.RC_2701
    unpacking = robusta.EVENTS["unpack_container"]
    assert all(child.startswith("https://id.gs1.org/00/") for child in unpacking["childEPCs"])
    assert [canonical_key(c) for c in unpacking["childEPCs"]] == robusta.PALLETS
    assert [canonical_key(c) for c in robusta.EVENTS["load_container"]["childEPCs"]] == robusta.PALLETS
    assert [
        canonical_key(c) for c in robusta.EVENTS["retailer_receive"]["epcList"]
    ] == robusta.RETAILER_PALLETS
    assert canonical_key(robusta.EVENTS["import_receive"]["epcList"][0]) == robusta.CONTAINER
    farm = robusta.EVENTS["origin_F1"]
    assert canonical_key(farm["bizLocation"]["id"]) == robusta.PLOTS["P1"]
    assert canonical_key(farm["ilmd"]["coffee:producer"]) == robusta.PARTIES["farmer_F1"]
    site = robusta.EVENTS["receive_C78"]["bizLocation"]["id"]
    assert site.startswith("urn:epc:id:sgln:") and canonical_key(site) == robusta.LOCATIONS["processor"]
    site = robusta.EVENTS["grading"]["bizLocation"]["id"]
    assert site == to_digital_link(site) and canonical_key(site) == robusta.LOCATIONS["processor"]
    shipped = robusta.EVENTS["ship_container"]
    assert canonical_key(shipped["destinationList"][0]["destination"]) == robusta.PARTIES["importer"]
    assert not robusta.PARTIES["importer"].startswith("https://id.gs1.org/417/893")
