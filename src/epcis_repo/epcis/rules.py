"""Rules of the EPCIS 2.0 standard that a JSON Schema cannot express.

Each rule has a stable id (used in error reports and tests) and the reason it exists.
They run on events that already satisfy the schema. The draft conformance case TCR-53 would
also forbid repeating a sensorMetadata attribute in a sensorReport, but GS1's own "all possible
fields" examples do exactly that, so it is not enforced.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from epcis_repo.epcis import identifiers, timestamps
from epcis_repo.epcis.identifiers import Kind
from epcis_repo.epcis.violations import Violation, pointer

RULES: Mapping[str, str] = {
    "aggregation-parent": "An AggregationEvent with action ADD or DELETE names its parent (parentID); "
    "only OBSERVE may omit it (EPCIS 2.0, AggregationEvent fields).",
    "epc-syntax": "An urn:epc: identifier of a GS1 scheme follows the GS1 Tag Data Standard.",
    "instance-identifier": "epcList, childEPCs, inputEPCList, outputEPCList and parentID name individual "
    "objects; classes, lots and patterns belong in a quantity list (EPCIS 2.0, what dimension).",
    "class-identifier": "epcClass names a class of objects (a GTIN, a lot, a pattern), never one "
    "serialised object (EPCIS 2.0, QuantityElement).",
    "timestamp-range": "The repository keeps, orders and hashes timestamps as instants of the years 0001 "
    "to 9999 in UTC; RFC 3339 allows some it cannot hold (0001-01-01T00:00:00+14:00).",
}

_INSTANCE_LISTS = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
_QUANTITY_LISTS = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")
_SENSOR_TIMES = ("time", "startTime", "endTime")


def check_event(event: Mapping[str, Any]) -> list[Violation]:
    """Every rule the event breaks, with JSON Pointers relative to the event."""
    return list(_violations(event))


def _violations(event: Mapping[str, Any]) -> Iterator[Violation]:
    if event.get("type") == "AggregationEvent" and event.get("action") in ("ADD", "DELETE"):
        if "parentID" not in event:
            detail = f"parentID is required for an AggregationEvent with action {event['action']}"
            yield Violation("", detail, "aggregation-parent")
    for name in _INSTANCE_LISTS:
        for i, epc in enumerate(event.get(name) or ()):
            yield from _identifier(epc, pointer(name, i), instance=True)
    if "parentID" in event:
        yield from _identifier(event["parentID"], pointer("parentID"), instance=True)
    for name in _QUANTITY_LISTS:
        for i, element in enumerate(event.get(name) or ()):
            yield from _identifier(element.get("epcClass", ""), pointer(name, i, "epcClass"), instance=False)
    yield from _timestamps(event)


def _timestamps(event: Mapping[str, Any]) -> Iterator[Violation]:
    """The timestamps the repository reads as instants (to store, query and hash them)."""
    found: list[tuple[Any, str]] = [(event.get("eventTime"), pointer("eventTime"))]
    declaration = event.get("errorDeclaration") or {}
    found.append((declaration.get("declarationTime"), pointer("errorDeclaration", "declarationTime")))
    for i, element in enumerate(event.get("sensorElementList") or ()):
        parts = [(element.get("sensorMetadata") or {}, pointer("sensorElementList", i, "sensorMetadata"))]
        parts += [
            (report, pointer("sensorElementList", i, "sensorReport", j))
            for j, report in enumerate(element.get("sensorReport") or ())
        ]
        found += [(part.get(name), f"{where}/{name}") for part, where in parts for name in _SENSOR_TIMES]
    for value, where in found:
        if isinstance(value, str):
            try:
                timestamps.to_micros(value)
                timestamps.to_hash_form(value)
            except ValueError as error:
                yield Violation(where, str(error), "timestamp-range")


def _identifier(uri: str, where: str, *, instance: bool) -> Iterator[Violation]:
    if uri[:8].lower() == "urn:epc:":
        problem = identifiers.validate_epc_urn(uri)
        if problem:
            yield Violation(where, problem, "epc-syntax")
            return
    kind = identifiers.kind(uri)
    key = identifiers.gs1_key(uri)
    if instance and kind in (Kind.CLASS, Kind.PATTERN):
        detail = (
            f"{uri!r} names a class or pattern, not an individual object; use a quantity list for classes"
        )
        yield Violation(where, detail, "instance-identifier")
    elif not instance and key is not None and key.ai in ("01", "8006") and key.kind is Kind.INSTANCE:
        yield Violation(where, f"{uri!r} names an individual object, not a class", "class-identifier")
