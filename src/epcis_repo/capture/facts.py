"""What an event says that a query parameter can ask about, beyond the columns and identifier roles.

Each fact is a (name, value) pair: text, or a number for names ending in `NUMBER` / `TIME`.
Values are canonical: identifiers as canonical keys, CBV values as Web URIs, measurements in their
dimension's base unit, instants as microseconds. Extension fields are named by namespace and
local name, ``{namespace}local``, the namespace without its trailing ``/``, ``#`` or ``:`` (JSON
and XML spell it both ways).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from epcis_repo.epcis import cbv, identifiers, timestamps, units
from epcis_repo.epcis.context import RDFS_COMMENT, extension_name, field_name
from epcis_repo.query.model import NUMBER, TIME, fact

Fact = tuple[str, str | float]
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_SENSOR_URIS = ("deviceID", "deviceMetadata", "rawData", "dataProcessingMethod", "bizRules", "microorganism",
                "chemicalSubstance", "uriValue")  # fmt: skip
_SENSOR_STATISTICS = ("value", "minValue", "maxValue", "meanValue", "percValue")
_COMMENT = field_name(RDFS_COMMENT[: RDFS_COMMENT.index("#") + 1], "comment")
_STANDARD_OBJECT_KEYS = {
    "readPoint": {"id"},
    "bizLocation": {"id"},
    "errorDeclaration": {"declarationTime", "reason", "correctiveEventIDs"},
    "sensorElement": {"sensorMetadata", "sensorReport"},
}


def event_facts(event: Mapping[str, Any], prefixes: Mapping[str, str]) -> list[Fact]:
    facts: list[Fact] = []
    add = facts.append
    if "transformationID" in event:
        add(("transformationID", identifiers.canonical_key(event["transformationID"])))
    for part in ("set", "unset"):
        for disposition in (event.get("persistentDisposition") or {}).get(part, ()):
            add((f"persistentDisposition.{part}", cbv.DISPOSITION.canonical(disposition)))
    for list_name, member, vocabulary in (
        ("bizTransactionList", "bizTransaction", cbv.BIZ_TRANSACTION_TYPE),
        ("sourceList", "source", cbv.SOURCE_DESTINATION_TYPE),
        ("destinationList", "destination", cbv.SOURCE_DESTINATION_TYPE),
    ):
        for entry in event.get(list_name) or ():
            kind = vocabulary.canonical(entry["type"]) if "type" in entry else ""
            add((fact(member, kind), identifiers.canonical_key(entry[member])))
    declaration = event.get("errorDeclaration")
    if declaration is not None:
        add((fact("errorDeclarationTime", kind=TIME), timestamps.to_micros(declaration["declarationTime"])))
        if "reason" in declaration:
            add(("errorReason", cbv.ERROR_REASON.canonical(declaration["reason"])))
        for corrective in declaration.get("correctiveEventIDs") or ():
            add(("correctiveEventID", corrective.strip()))
        facts.extend(
            _extensions(declaration, "errorDeclaration", prefixes, _STANDARD_OBJECT_KEYS["errorDeclaration"])
        )
    for list_name in ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"):
        for element in event.get(list_name) or ():
            if isinstance(element.get("quantity"), int | float):
                facts.extend(_quantity(element["quantity"], element.get("uom")))
    for element in event.get("sensorElementList") or ():
        facts.extend(_sensor_element(element, prefixes))
    for scope in ("readPoint", "bizLocation"):
        if isinstance(event.get(scope), dict):
            facts.extend(_extensions(event[scope], scope, prefixes, _STANDARD_OBJECT_KEYS[scope]))
    if isinstance(event.get("ilmd"), dict):
        facts.extend(_extensions(event["ilmd"], "ilmd", prefixes, set()))
    facts.extend(_extensions(event, "ext", prefixes, set(), inner_scope="inner"))
    return list(dict.fromkeys(facts))


def _quantity(quantity: float, uom: str | None) -> Iterator[Fact]:
    yield fact("quantity", kind=NUMBER), float(quantity)
    if uom:
        base, value = units.to_base(float(quantity), uom)
        yield fact(f"quantity@{base}", kind=NUMBER), value


def _sensor_element(element: Mapping[str, Any], prefixes: Mapping[str, str]) -> Iterator[Fact]:
    yield "sensorElementList", "true"
    metadata = element.get("sensorMetadata") or {}
    for part in (metadata, *(element.get("sensorReport") or ())):
        for name in ("time", "startTime", "endTime"):
            if name in part:
                yield fact(f"sensor.{name}", kind=TIME), timestamps.to_micros(part[name])
        for name in _SENSOR_URIS:
            if name in part:
                yield f"sensor.{name}", identifiers.canonical_key(part[name])
    for report in element.get("sensorReport") or ():
        if "type" in report:
            yield "sensor.type", cbv.MEASUREMENT_TYPE.canonical(report["type"])
        if "stringValue" in report:
            yield "sensor.stringValue", report["stringValue"]
        if "hexBinaryValue" in report:
            yield "sensor.hexBinaryValue", report["hexBinaryValue"].upper()
        if "booleanValue" in report:
            yield "sensor.booleanValue", "true" if report["booleanValue"] else "false"
        if isinstance(report.get("percRank"), int | float):
            yield fact("sensor.percRank", kind=NUMBER), float(report["percRank"])
        uom = report.get("uom") or ""
        for name in _SENSOR_STATISTICS:
            if isinstance(report.get(name), int | float):
                base, value = units.to_base(float(report[name]), uom)
                yield fact(f"sensor.{name}@{base}", kind=NUMBER), value
        if isinstance(report.get("sDev"), int | float):
            base, value = units.spread_to_base(float(report["sDev"]), uom)
            yield fact(f"sensor.sDev@{base}", kind=NUMBER), value
        yield from _extensions(report, "sensorReport", prefixes, set())
    yield from _extensions(metadata, "sensorMetadata", prefixes, set())
    yield from _extensions(element, "sensorElement", prefixes, _STANDARD_OBJECT_KEYS["sensorElement"])


def _extensions(
    obj: Mapping[str, Any], scope: str, prefixes: Mapping[str, str], standard: set[str], inner_scope: str = ""
) -> Iterator[Fact]:
    """Facts of the extension fields directly in `obj` (scope ``scope``) and of those nested in them at
    any depth (scope ``<scope>Inner``, or `inner_scope`)."""
    inner = inner_scope or scope + "Inner"
    for key, value in obj.items():
        if key in standard:
            continue
        name = extension_name(key, prefixes)
        if name is None or name == _COMMENT:
            continue
        yield from _values(scope, name, value)
        yield from _nested(value, inner, prefixes)


def _nested(value: Any, scope: str, prefixes: Mapping[str, str]) -> Iterator[Fact]:
    if isinstance(value, list):
        for item in value:
            yield from _nested(item, scope, prefixes)
    elif isinstance(value, dict):
        for key, inner in value.items():
            name = extension_name(key, prefixes)
            if name is not None:
                yield from _values(scope, name, inner)
                yield from _nested(inner, scope, prefixes)


def _values(scope: str, name: str, value: Any) -> Iterator[Fact]:
    """A field's text, and its number or instant when it reads as one; objects just exist."""
    if isinstance(value, list):
        for item in value:
            yield from _values(scope, name, item)
        return
    if isinstance(value, dict):
        yield fact(scope, name), ""
        if "#text" in value:  # an XML element with attributes keeps its text here
            yield from _values(scope, name, value["#text"])
        return
    if value is None:
        yield fact(scope, name), ""
        return
    if isinstance(value, bool):
        yield fact(scope, name), "true" if value else "false"
        return
    if isinstance(value, int | float):
        yield fact(scope, name), number_text(value)
        yield fact(scope, name, kind=NUMBER), float(value)
        return
    text = str(value)
    yield fact(scope, name), text
    stripped = text.strip()
    if _NUMBER.fullmatch(stripped):
        yield fact(scope, name, kind=NUMBER), float(stripped)
    elif len(stripped) >= 20 and stripped[4:5] == "-":
        try:
            yield fact(scope, name, kind=TIME), timestamps.to_micros(stripped)
        except ValueError:
            pass


def number_text(value: float) -> str:
    """A number as text facts and master-data attributes compare it: integral values as integers."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 2**63 else repr(value)
