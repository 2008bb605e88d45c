"""The CBV 2.0 event hash ID (``ni:///sha-256;<hex>?ver=CBV2.0``).

An event is reduced to a canonical pre-hash string that does not depend on its syntax
(JSON or XML), key order, time zone, number spelling, CBV form or identifier notation,
then hashed with SHA-256. The algorithm follows the CBV 2.0 standard as pinned down by the
reference implementation's test vectors:

1. ``eventType=<type>``, then the standard fields in a fixed order, each ``name=value``;
   lists print their name once followed by their sorted elements.
2. Then every other field (bizTransactionList, sourceList, destinationList, ilmd and user
   extensions as ``{namespace}local=value``), each rendered to a string, sorted.
3. recordTime, eventID and errorDeclaration are left out, so an error declaration hashes
   like the event it declares erroneous; so are rdfs:comment annotations.

Values are trimmed; timestamps become UTC with three fraction digits; numbers their shortest
form; CBV values and ``cbv:``/``gs1:`` CURIEs their Web URIs; GS1 identifiers their canonical
Digital Link.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

from epcis_repo.epcis import cbv, identifiers, timestamps
from epcis_repo.epcis.context import RDFS_COMMENT, expand_name

_Canon = Callable[[str], str]
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_EXCLUDED = frozenset({"type", "eventID", "recordTime", "errorDeclaration", "@context"})
_CURIE_PREFIXES = (("gs1:", cbv.GS1_VOC), ("cbv:", cbv.CBV_WEB))


def hash_id(pre_hash: str) -> str:
    return "ni:///sha-256;" + hashlib.sha256(pre_hash.encode("utf-8")).hexdigest() + "?ver=CBV2.0"


def event_hash(event: Mapping[str, Any], prefixes: Mapping[str, str], ignore: Collection[str] = ()) -> str:
    """The hash ID of a JSON-form event. `prefixes` maps its extension prefixes to namespaces
    (see `epcis.context.namespaces`); `ignore` names extra top-level keys to leave out."""
    return hash_id(pre_hash(event, prefixes, ignore))


def pre_hash(event: Mapping[str, Any], prefixes: Mapping[str, str], ignore: Collection[str] = ()) -> str:
    return _Renderer(prefixes).event(event, frozenset(ignore))


@functools.lru_cache(maxsize=65536)
def canonical_value(text: str) -> str:
    """The canonical form of any value in a pre-hash string (cached: steps, places, lots and classes
    recur from event to event)."""
    value = cbv.urn_to_web(text.strip())
    for curie, namespace in _CURIE_PREFIXES:
        if value.startswith(curie):
            value = namespace + value[len(curie) :]
            break
    if _NUMBER.fullmatch(value):
        number = float(value)
        value = str(int(number)) if number.is_integer() else str(number)
    return identifiers.to_digital_link(value) or value


def _vocabulary(vocab: cbv.Vocabulary) -> _Canon:
    return lambda text: canonical_value(vocab.canonical(text))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


# name -> canonical form of its value, in the order the pre-hash string lists them.
_SENSOR_METADATA: tuple[tuple[str, _Canon], ...] = tuple(
    (name, timestamps.to_hash_form if name.endswith(("time", "Time")) else canonical_value)
    for name in (
        "time", "startTime", "endTime", "deviceID", "deviceMetadata", "rawData",
        "dataProcessingMethod", "bizRules",
    )
)  # fmt: skip
_SENSOR_REPORT: tuple[tuple[str, _Canon], ...] = (
    ("type", _vocabulary(cbv.MEASUREMENT_TYPE)),
    ("exception", _vocabulary(cbv.SENSOR_ALERT_TYPE)),
    *((name, canonical_value) for name in ("deviceID", "deviceMetadata", "rawData", "dataProcessingMethod")),
    ("time", timestamps.to_hash_form),
    *((name, canonical_value) for name in ("microorganism", "chemicalSubstance", "value")),
    ("component", _vocabulary(cbv.COMPONENT)),
    *(
        (name, canonical_value)
        for name in (
            "stringValue",
            "booleanValue",
            "hexBinaryValue",
            "uriValue",
            "minValue",
            "maxValue",
            "meanValue",
            "sDev",
            "percRank",
            "percValue",
            "uom",
            "coordinateReferenceSystem",
        )
    ),  # fmt: skip
)
_QUANTITY = (("epcClass", canonical_value), ("quantity", canonical_value), ("uom", canonical_value))
_LOCATION = (("id", canonical_value),)
_SENSOR_PARTS = frozenset({"sensorMetadata", "sensorReport"})
_EPC_LISTS = ("epcList", "inputEPCList", "childEPCs", "outputEPCList")
_QUANTITY_LISTS = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")
_TOP_ORDER = (
    "eventTime", "eventTimeZoneOffset", "certificationInfo", "parentID", "epcList", "inputEPCList",
    "childEPCs", "quantityList", "childQuantityList", "inputQuantityList", "outputEPCList",
    "outputQuantityList", "action", "transformationID", "bizStep", "disposition", "persistentDisposition",
    "readPoint", "bizLocation", "sensorElementList",
)  # fmt: skip
_SCALARS: Mapping[str, _Canon] = {
    "eventTime": timestamps.to_hash_form,
    "eventTimeZoneOffset": canonical_value,
    "parentID": canonical_value,
    "action": canonical_value,
    "transformationID": canonical_value,
    "bizStep": _vocabulary(cbv.BIZ_STEP),
    "disposition": _vocabulary(cbv.DISPOSITION),
}
# Members of these lists print their `type` first, then their value, as CBV 2.0 orders them.
_TYPED_LISTS: Mapping[str, tuple[str, cbv.Vocabulary]] = {
    "bizTransactionList": ("bizTransaction", cbv.BIZ_TRANSACTION_TYPE),
    "sourceList": ("source", cbv.SOURCE_DESTINATION_TYPE),
    "destinationList": ("destination", cbv.SOURCE_DESTINATION_TYPE),
}


class _Renderer:
    """Renders one event. Nested standard objects (readPoint, bizLocation, sensor elements, their
    metadata and reports) print their standard fields in order, then their user extensions; a field
    that is neither (sensorReport.bizRules, or an extension whose namespace does not end in ``/``) is
    a *leftover* that the reference algorithm prints again, nested in its containers, among the
    top-level fields at the end. The vectors pin that behaviour, so it is reproduced here.
    """

    def __init__(self, prefixes: Mapping[str, str]) -> None:
        self.prefixes = prefixes

    def event(self, event: Mapping[str, Any], ignore: frozenset[str]) -> str:
        ignored = {self.iri(name) for name in ignore}
        parts = ["eventType=" + _text(event.get("type", ""))]
        rest: list[str] = []
        for name in _TOP_ORDER:
            if name not in event:
                continue
            text, leftovers = self.standard_field(name, event[name])
            parts.append(text)
            if leftovers:
                rest.append(self.any_field(name, leftovers))
        rest.extend(
            self.any_field(name, value)
            for name, value in event.items()
            if name not in _EXCLUDED and name not in _TOP_ORDER and self.iri(name) not in ignored
            and not self.is_comment(name)
        )  # fmt: skip
        return "".join(parts) + "".join(sorted(rest))

    def standard_field(self, name: str, value: Any) -> tuple[str, Any]:
        """The ordered rendering of a top-level standard field, and its leftovers (None if none)."""
        if name in _SCALARS:
            return f"{name}={_SCALARS[name](_text(value))}", None
        if name == "certificationInfo":
            values = value if isinstance(value, list) else [value]
            return "".join(sorted(f"certificationInfo={canonical_value(_text(v))}" for v in values)), None
        if name in _EPC_LISTS:
            return self.listed(name, [f"epc={canonical_value(_text(e))}" for e in value]), None
        if name in _QUANTITY_LISTS:
            return self.listed(name, ["quantityElement" + self.ordered(q, _QUANTITY) for q in value]), None
        if name == "persistentDisposition":
            parts = [
                "".join(sorted(f"{key}={_vocabulary(cbv.DISPOSITION)(_text(v))}" for v in value.get(key, [])))
                for key in ("set", "unset")
            ]
            return self.listed(name, ["".join(parts)]), None
        if name in ("readPoint", "bizLocation"):
            return self.container(name, value, _LOCATION)
        if name == "sensorElementList":
            rendered = [self.sensor_element(element) for element in value]
            leftovers = [left for _, left in rendered if left]
            return self.listed(name, [text for text, _ in rendered]), {
                "sensorElement": leftovers
            } if leftovers else None
        raise AssertionError(name)

    def sensor_element(self, element: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        own_extensions, leftovers = self.container("", element, ())
        text = "sensorElement"
        if "sensorMetadata" in element:
            metadata, left = self.container("sensorMetadata", element["sensorMetadata"], _SENSOR_METADATA)
            text += metadata
            if left:
                leftovers["sensorMetadata"] = left
        reports = [self.container("sensorReport", r, _SENSOR_REPORT) for r in element.get("sensorReport", [])]
        report_leftovers = [left for _, left in reports if left]
        if report_leftovers:
            leftovers["sensorReport"] = report_leftovers
        return text + "".join(sorted(r for r, _ in reports)) + own_extensions, leftovers

    def container(
        self, name: str, obj: Mapping[str, Any], order: tuple[tuple[str, _Canon], ...]
    ) -> tuple[str, dict[str, Any]]:
        """A nested standard object: its name, ordered standard fields, then its user extensions; and
        its leftovers. A sensor element's metadata and reports are rendered by the caller."""
        standard = {field for field, _ in order} | _SENSOR_PARTS
        members = {key: value for key, value in obj.items() if not self.is_comment(key)}
        # The reference only sets extensions apart in an object with more than one member.
        gather = len(members) > 1
        extensions: list[str] = []
        leftovers: dict[str, Any] = {}
        for key, value in members.items():
            if key in standard:
                continue
            parts = expand_name(key, self.prefixes)
            if gather and parts is not None and parts[0].endswith("/"):
                extensions.append(self.any_field(key, value))
            else:
                leftovers[key] = value
        return name + self.ordered(obj, order) + "".join(sorted(extensions)), leftovers

    @staticmethod
    def listed(name: str, members: list[str]) -> str:
        joined = "".join(sorted(members))
        return name + joined if joined else ""

    @staticmethod
    def ordered(obj: Mapping[str, Any], order: tuple[tuple[str, _Canon], ...]) -> str:
        return "".join(f"{name}={canon(_text(obj[name]))}" for name, canon in order if name in obj)

    def any_field(self, name: str, value: Any) -> str:
        """A field outside the fixed order: a typed list, ilmd, a user extension, or leftovers."""
        if name in _TYPED_LISTS:
            member_key, vocab = _TYPED_LISTS[name]
            members = []
            for entry in value:
                typed = f"type={_vocabulary(vocab)(_text(entry['type']))}" if "type" in entry else ""
                members.append(typed + f"{member_key}={canonical_value(_text(entry.get(member_key, '')))}")
            return self.listed(name, members) if members else name
        return "".join(sorted(self.generic(self.display_name(name), value)))

    def generic(self, name: str, value: Any) -> list[str]:
        """One rendered string per value: lists repeat their name, objects nest their sorted members."""
        if isinstance(value, list):
            return [text for item in value for text in self.generic(name, item)]
        if isinstance(value, dict):
            members = sorted(
                text
                for key, inner in value.items()
                if key != "#text" and not self.is_comment(key)
                for text in self.generic(self.display_name(key), inner)
            )
            # An XML extension element with attributes keeps its own text under "#text".
            own = canonical_value(_text(value["#text"])) if "#text" in value else ""
            return [name + (f"={own}" if own else "") + "".join(members)]
        text = canonical_value(_text(value)) if value is not None else ""
        return [f"{name}={text}" if text else name]

    def display_name(self, name: str) -> str:
        parts = expand_name(name, self.prefixes)
        return "{" + parts[0] + "}" + parts[1] if parts else name

    def iri(self, name: str) -> str:
        parts = expand_name(name, self.prefixes)
        return parts[0] + parts[1] if parts else name

    def is_comment(self, name: str) -> bool:
        return self.iri(name) == RDFS_COMMENT
