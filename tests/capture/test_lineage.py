"""The lineage edges each kind of event states (capture/lineage.py)."""

from __future__ import annotations

from typing import Any

import orjson

from epcis_repo.capture.lineage import derive_lineage, stored_event_lineage
from epcis_repo.epcis.context import namespaces
from epcis_repo.epcis.identifiers import canonical_key
from epcis_repo.trace.model import ALL_CHILDREN, EdgeKind, LineageEdge

PLOT = "urn:epc:id:sgln:8934567.00001.0"
SITE = "https://id.gs1.org/414/8934567000024"
LOT = "urn:epc:class:lgtin:8934567.012345.F1"
BLEND = "https://id.gs1.org/01/08934567123457/10/C-77"
PALLET = "urn:epc:id:sscc:8934567.1000000017"
BAG = "urn:epc:id:sgtin:8934567.012345.1"
BUYER = "urn:epc:id:pgln:4012345.00000"
PREFIXES = namespaces({"ex": "https://ns.example.com/"})


def edges(**event: Any) -> set[LineageEdge]:
    found = derive_lineage(event, PREFIXES, "urn:uuid:e1")
    assert len(found) == len(set(found))
    return set(found)


def key(uri: str) -> str:
    return canonical_key(uri)


def test_an_object_created_at_a_place_has_its_origin_there() -> None:
    found = edges(
        type="ObjectEvent",
        action="ADD",
        bizStep="creating_class_instance",
        readPoint={"id": SITE},
        bizLocation={"id": PLOT},
        quantityList=[{"epcClass": LOT, "quantity": 3000, "uom": "KGM"}],
        epcList=[BAG],
    )
    assert found == {
        LineageEdge(EdgeKind.ORIGIN, key(PLOT), key(LOT), "ADD", 3000.0, "KGM"),
        LineageEdge(EdgeKind.ORIGIN, key(PLOT), key(BAG), "ADD"),
    }


def test_instances_commissioned_with_a_lot_number_belong_to_that_lot() -> None:
    found = edges(
        type="ObjectEvent", action="ADD", epcList=[BAG], ilmd={"cbvmda:lotNumber": "L 7/1", "ex:other": 1}
    )
    lot = "https://id.gs1.org/01/08934567123457/10/L%207%2F1"
    assert LineageEdge(EdgeKind.INSTANCE, lot, key(BAG)) in found
    assert LineageEdge(EdgeKind.ORIGIN, "", key(BAG), "ADD") in found  # no place stated


def test_observing_or_deleting_an_object_states_no_origin() -> None:
    for action in ("OBSERVE", "DELETE"):
        assert edges(type="ObjectEvent", action=action, epcList=[BAG], bizLocation={"id": PLOT}) == set()


def test_aggregation_contains_its_children_with_the_action() -> None:
    found = edges(
        type="AggregationEvent",
        action="ADD",
        parentID=PALLET,
        childEPCs=[BAG],
        childQuantityList=[{"epcClass": BLEND, "quantity": 950}],
    )
    assert found == {
        LineageEdge(EdgeKind.CONTAINS, key(PALLET), key(BAG), "ADD"),
        LineageEdge(EdgeKind.CONTAINS, key(PALLET), key(BLEND), "ADD", 950.0),
    }
    assert edges(type="AggregationEvent", action="DELETE", parentID=PALLET) == {
        LineageEdge(EdgeKind.CONTAINS, key(PALLET), ALL_CHILDREN, "DELETE")
    }


def test_association_assembles_its_components() -> None:
    found = edges(type="AssociationEvent", action="ADD", parentID=PALLET, childEPCs=[BAG])
    assert found == {LineageEdge(EdgeKind.ASSEMBLES, key(PALLET), key(BAG), "ADD")}


def test_a_transformation_consumes_its_inputs_and_produces_its_outputs() -> None:
    found = edges(
        type="TransformationEvent",
        transformationID="urn:epc:id:gdti:8934567.00001.T1",
        inputQuantityList=[{"epcClass": LOT, "quantity": 3000, "uom": "KGM"}],
        inputEPCList=[BAG],
        outputQuantityList=[{"epcClass": BLEND, "quantity": 2.5, "uom": "TNE"}],
    )
    node = "transformation:" + key("urn:epc:id:gdti:8934567.00001.T1")
    assert found == {
        LineageEdge(EdgeKind.CONSUMES, key(LOT), node, None, 3000.0, "KGM"),
        LineageEdge(EdgeKind.CONSUMES, key(BAG), node, None),
        LineageEdge(EdgeKind.PRODUCES, node, key(BLEND), None, 2.5, "TNE"),
    }
    without_id = edges(type="TransformationEvent", outputEPCList=[BAG])
    assert without_id == {LineageEdge(EdgeKind.PRODUCES, "transformation:urn:uuid:e1", key(BAG))}


def test_destinations_and_transactions_of_what_an_event_moves() -> None:
    found = edges(
        type="ObjectEvent",
        action="OBSERVE",
        bizStep="shipping",
        quantityList=[{"epcClass": BLEND, "quantity": 19000, "uom": "KGM"}],
        destinationList=[{"type": "owning_party", "destination": BUYER}],
        bizTransactionList=[{"type": "inv", "bizTransaction": "urn:epcglobal:cbv:bt:8934567000017:INV-1"}],
    )
    assert found == {
        LineageEdge(
            EdgeKind.CUSTODY,
            key(BLEND),
            key(BUYER),
            "OBSERVE",
            19000.0,
            "KGM",
            "https://ref.gs1.org/cbv/SDT-owning_party",
        ),
        LineageEdge(
            EdgeKind.TRANSACTION,
            key(BLEND),
            "urn:epcglobal:cbv:bt:8934567000017:INV-1",
            "OBSERVE",
            role="https://ref.gs1.org/cbv/BTT-inv",
        ),
    }


def test_an_error_declaration_states_no_edges() -> None:
    declared = {"type": "ObjectEvent", "action": "ADD", "epcList": [BAG], "errorDeclaration": {}}
    assert derive_lineage(declared, PREFIXES, "urn:uuid:e1") == ()


def test_a_stored_body_gives_the_same_edges() -> None:
    event = {
        "type": "ObjectEvent",
        "eventID": "urn:uuid:e1",
        "action": "ADD",
        "epcList": [BAG],
        "ilmd": {"my:lotNumber": "L1"},
        "@context": [{"my": "urn:epcglobal:cbv:mda#"}],
    }
    from_body = stored_event_lineage(orjson.dumps(event))
    assert set(from_body) == set(derive_lineage(event, namespaces(event["@context"]), "urn:uuid:e1"))
    assert any(e.kind is EdgeKind.INSTANCE for e in from_body)
