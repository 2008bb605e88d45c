"""The lineage edges an event states (trace/model.py), derived when it is captured.

- ObjectEvent ADD: origin, place (bizLocation, else readPoint) -> each object; instance, lot -> each
  SGTIN commissioned with a lotNumber in its ILMD.
- AggregationEvent: contains, parent -> each child, with the action (a DELETE without children:
  parent -> every child). AssociationEvent: assembles, the same for components.
- TransformationEvent: consumes, input -> transformation; produces, transformation -> output.
- Any event: custody, object -> each destination; transaction, object -> each business transaction.

Objects carry their quantity and unit when they are classes (quantityList); an instance is one of
itself. An error declaration states no edges of its own: it voids the edges of the event it names.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

import orjson

from epcis_repo.epcis import cbv, identifiers
from epcis_repo.epcis.context import extension_name, namespaces
from epcis_repo.trace.model import ALL_CHILDREN, TRANSFORMATION_PREFIX, EdgeKind, LineageEdge

# Raise when the derivation changes: stores derive the edges of every event again when they start.
LINEAGE_VERSION = 1
LOT_NUMBER = "{urn:epcglobal:cbv:mda}lotNumber"

# An object as the edges name it: (canonical key, quantity, unit).
_Object = tuple[str, float | None, str | None]


def derive_lineage(
    event: Mapping[str, Any], prefixes: Mapping[str, str], event_id: str
) -> tuple[LineageEdge, ...]:
    """Every lineage edge of a validated event (none for an error declaration)."""
    if "errorDeclaration" in event:
        return ()
    kind = event.get("type")
    action = event.get("action")
    edges: list[LineageEdge] = []
    objects: list[_Object] = []
    if kind in ("ObjectEvent", "TransactionEvent"):
        objects = [*_instances(event.get("epcList")), *_classes(event.get("quantityList"))]
        if kind == "TransactionEvent" and "parentID" in event:
            objects.append((identifiers.canonical_key(event["parentID"]), None, None))
        if kind == "ObjectEvent" and action == "ADD":
            edges += _origins(event, objects)
            edges += _lot_members(event, prefixes)
    elif kind in ("AggregationEvent", "AssociationEvent"):
        edges += _containment(event, EdgeKind.CONTAINS if kind == "AggregationEvent" else EdgeKind.ASSEMBLES)
        children = [*_instances(event.get("childEPCs")), *_classes(event.get("childQuantityList"))]
        parent = [(identifiers.canonical_key(event["parentID"]), None, None)] if "parentID" in event else []
        objects = [*parent, *children]
    elif kind == "TransformationEvent":
        node = TRANSFORMATION_PREFIX + (
            identifiers.canonical_key(event["transformationID"]) if "transformationID" in event else event_id
        )
        inputs = [*_instances(event.get("inputEPCList")), *_classes(event.get("inputQuantityList"))]
        outputs = [*_instances(event.get("outputEPCList")), *_classes(event.get("outputQuantityList"))]
        edges += (LineageEdge(EdgeKind.CONSUMES, key, node, None, q, u) for key, q, u in inputs)
        edges += (LineageEdge(EdgeKind.PRODUCES, node, key, None, q, u) for key, q, u in outputs)
        edges += _lot_members(event, prefixes, "outputEPCList")
        objects = outputs
    edges += _custody(event, objects, action)
    edges += _transactions(event, objects, action)
    return tuple(dict.fromkeys(edges))


def stored_event_lineage(body: bytes) -> tuple[LineageEdge, ...]:
    """The edges of a stored event body (it carries its eventID and the @context it needs)."""
    event = orjson.loads(body)
    return derive_lineage(event, namespaces(event.get("@context")), event["eventID"])


def _instances(uris: Iterable[str] | None) -> Iterator[_Object]:
    for uri in uris or ():
        yield identifiers.canonical_key(uri), None, None


def _classes(elements: Iterable[Mapping[str, Any]] | None) -> Iterator[_Object]:
    for element in elements or ():
        quantity = element.get("quantity")
        yield (
            identifiers.canonical_key(element["epcClass"]),
            float(quantity) if isinstance(quantity, int | float) else None,
            element.get("uom"),
        )


def _place(event: Mapping[str, Any]) -> str:
    for field in ("bizLocation", "readPoint"):
        location = event.get(field)
        if isinstance(location, dict) and "id" in location:
            return identifiers.canonical_key(location["id"])
    return ""


def _origins(event: Mapping[str, Any], objects: list[_Object]) -> Iterator[LineageEdge]:
    place = _place(event)
    for key, quantity, uom in objects:
        yield LineageEdge(EdgeKind.ORIGIN, place, key, "ADD", quantity, uom)


def _lot_members(
    event: Mapping[str, Any], prefixes: Mapping[str, str], field: str = "epcList"
) -> Iterator[LineageEdge]:
    """SGTINs commissioned with a lot number in their ILMD belong to that lot (GTIN + lot)."""
    ilmd = event.get("ilmd")
    if not isinstance(ilmd, dict):
        return
    lot = next((v for k, v in ilmd.items() if extension_name(k, prefixes) == LOT_NUMBER), None)
    if not isinstance(lot, str) or not lot:
        return
    for uri in event.get(field) or ():
        key = identifiers.gs1_key(uri)
        if key is None or key.ai != "01" or key.qualifier is None or key.qualifier[0] != "21":
            continue
        lot_key = identifiers.gs1_key(f"{identifiers.DL_ORIGIN}/01/{key.value}/10/{quote(lot, safe='')}")
        if lot_key is not None:
            yield LineageEdge(EdgeKind.INSTANCE, lot_key.digital_link, key.digital_link)


def _containment(event: Mapping[str, Any], kind: EdgeKind) -> Iterator[LineageEdge]:
    if "parentID" not in event:
        return
    parent = identifiers.canonical_key(event["parentID"])
    action = event.get("action")
    children = [*_instances(event.get("childEPCs")), *_classes(event.get("childQuantityList"))]
    if not children and action == "DELETE":
        yield LineageEdge(kind, parent, ALL_CHILDREN, action)
    for key, quantity, uom in children:
        yield LineageEdge(kind, parent, key, action, quantity, uom)


def _custody(event: Mapping[str, Any], objects: list[_Object], action: str | None) -> Iterator[LineageEdge]:
    for destination in event.get("destinationList") or ():
        party = identifiers.canonical_key(destination["destination"])
        role = cbv.SOURCE_DESTINATION_TYPE.canonical(destination["type"])
        for key, quantity, uom in objects:
            yield LineageEdge(EdgeKind.CUSTODY, key, party, action, quantity, uom, role)


def _transactions(
    event: Mapping[str, Any], objects: list[_Object], action: str | None
) -> Iterator[LineageEdge]:
    for transaction in event.get("bizTransactionList") or ():
        document = identifiers.canonical_key(transaction["bizTransaction"])
        role = cbv.BIZ_TRANSACTION_TYPE.canonical(transaction["type"]) if "type" in transaction else None
        for key, _, _ in objects:
            yield LineageEdge(EdgeKind.TRANSACTION, key, document, action, None, None, role)
