"""Deterministic mutations of the official GS1 JSON examples, for the differential schema test.

Every case starts from an official example (mostly the ``WithFullCombinationOfFields`` documents,
which carry every standard field) and changes one thing. No case's expected verdict is written
here: the differential test asks GS1's schema. There is no randomness, so the list and its order
are the same on every run.

Strings whose verdict would only depend on regular-expression dialect (Python ``re`` versus the
ECMA-262 dialect JSON Schema prescribes) are deliberately not generated: a trailing newline, which
Python's ``$`` accepts before, and non-ASCII digits, which Python's ``\\d`` matches. Those are pinned
separately in ``test_schema_differential.py``.

Run ``python -m tests.capture.mutations`` for a count per category.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from epcis_repo.epcis import cbv
from tests.standard import EXAMPLES

Json = Any
Path = tuple[str | int, ...]

EVENT: Path = ("epcisBody", "eventList", 0)
QUERY_EVENTS: Path = ("epcisBody", "queryResults", "resultsBody", "eventList")
EVENT_TYPES = (
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
)
_FULL_EXAMPLE = {
    "ObjectEvent": "object",
    "AggregationEvent": "aggregation",
    "TransactionEvent": "transaction",
    "TransformationEvent": "transformation",
    "AssociationEvent": "association",
}
SENSOR_ELEMENT: Path = ("sensorElementList", 0)
SENSOR_REPORT: Path = (*SENSOR_ELEMENT, "sensorReport", 0)
SENSOR_METADATA: Path = (*SENSOR_ELEMENT, "sensorMetadata")

MASTER_DATA: Json = {
    "epcisMasterData": {
        "vocabularyList": [
            {
                "type": "urn:epcglobal:epcis:vtype:BusinessLocation",
                "vocabularyElementList": [
                    {
                        "id": "urn:epc:id:sgln:0614141.00777.0",
                        "attributes": [
                            {"id": "urn:epcglobal:cbv:mda:site", "attribute": "0614141007770"},
                            {"id": "urn:epcglobal:cbv:mda:sst", "attribute": 201},
                        ],
                        "children": ["urn:epc:id:sgln:0614141.00777.1"],
                    }
                ],
            }
        ]
    }
}


@dataclass(frozen=True)
class Mutation:
    category: str
    name: str
    instance: Json

    @property
    def id(self) -> str:
        return f"{self.category}: {self.name}"


def _load(relative: str) -> Json:
    return json.loads((EXAMPLES / "json" / relative).read_text(encoding="utf-8"))


def _get(obj: Json, path: Path) -> Json:
    for step in path:
        obj = obj[step]
    return obj


def _set(obj: Json, path: Path, value: Json) -> Json:
    """Set (or add) the member at `path` in place; returns `obj` for chaining."""
    _get(obj, path[:-1])[path[-1]] = copy.deepcopy(value)
    return obj


def _delete(obj: Json, *paths: Path) -> Json:
    for path in paths:
        del _get(obj, path[:-1])[path[-1]]
    return obj


def _show(value: Json) -> str:
    return json.dumps(value, ensure_ascii=True)


class _Generator:
    def __init__(self) -> None:
        self.cases: list[Mutation] = []
        self._full = {
            t: _load(f"WithFullCombinationOfFields/{stem}_event_all_possible_fields.jsonld")
            for t, stem in _FULL_EXAMPLE.items()
        }
        self._query = _load("EPCISQueryDocument.jsonld")
        self._sbdh = _load("Example_9.6.1-ObjectEvent-with-pseudo-SBDH-headers.jsonld")
        self._bare_extension = json.loads(
            (EXAMPLES / "json" / "single-events" / "Extended-Event.json").read_text(encoding="utf-8")
        )

    # ---- bases (fresh deep copies) ------------------------------------------------------------
    def doc(self, event_type: str = "ObjectEvent") -> Json:
        return copy.deepcopy(self._full[event_type])

    def event(self, event_type: str = "ObjectEvent") -> Json:
        return self.doc(event_type)["epcisBody"]["eventList"][0]

    def bare(self, event_type: str = "ObjectEvent") -> Json:
        doc = self.doc(event_type)
        return {"@context": doc["@context"], **doc["epcisBody"]["eventList"][0]}

    def query(self) -> Json:
        return copy.deepcopy(self._query)

    def extension(self) -> Json:
        return copy.deepcopy(self._bare_extension)

    def plain_object_doc(self) -> Json:
        """The ObjectEvent document without ilmd, so every action is possible."""
        return _delete(self.doc(), (*EVENT, "ilmd"))

    def add(self, category: str, name: str, instance: Json) -> None:
        self.cases.append(Mutation(category, name, instance))

    def in_event(self, category: str, event_type: str, path: Path, values: Iterable[Json]) -> None:
        for value in values:
            self.add(
                category,
                f"{event_type} {'.'.join(map(str, path))} = {_show(value)}",
                _set(self.doc(event_type), (*EVENT, *path), value),
            )

    # ---- categories ---------------------------------------------------------------------------
    def missing_required(self) -> None:
        c = "missing field"
        for t in EVENT_TYPES:
            for field in ("eventTime", "eventTimeZoneOffset", "type", "action"):
                if field in self.event(t):
                    self.add(c, f"{t} without {field}", _delete(self.doc(t), (*EVENT, field)))
            self.add(c, f"bare {t} without @context", _delete(self.bare(t), ("@context",)))
            self.add(c, f"bare {t} with @context", self.bare(t))
            self.add(
                c, f"bare {t} without eventTimeZoneOffset", _delete(self.bare(t), ("eventTimeZoneOffset",))
            )
        self.add(c, "bare extension event without @context", _delete(self.extension(), ("@context",)))
        self.add(c, "bare extension event without eventTime", _delete(self.extension(), ("eventTime",)))
        for t, field in [
            ("TransactionEvent", "bizTransactionList"),
            ("TransactionEvent", "parentID"),
            ("AssociationEvent", "parentID"),
            ("AggregationEvent", "parentID"),
            ("ObjectEvent", "eventID"),
            ("ObjectEvent", "recordTime"),
            ("TransformationEvent", "transformationID"),
        ]:
            doc = self.doc(t)
            if field in _get(doc, EVENT):
                _delete(doc, (*EVENT, field))
            self.add(c, f"{t} without {field}", doc)
        for field in (
            "@context",
            "type",
            "schemaVersion",
            "creationDate",
            "epcisBody",
            "id",
            "sender",
            "receiver",
        ):
            self.add(c, f"EPCISDocument without {field}", _delete(copy.deepcopy(self._sbdh), (field,)))
        self.add(
            c, "EPCISDocument without epcisBody.eventList", _delete(self.doc(), ("epcisBody", "eventList"))
        )
        results = ("epcisBody", "queryResults")
        for path in [
            ("@context",),
            ("epcisBody",),
            ("schemaVersion",),
            ("creationDate",),
            results,
            (*results, "queryName"),
            (*results, "subscriptionID"),
            (*results, "resultsBody"),
            (*results, "resultsBody", "eventList"),
        ]:
            self.add(c, f"EPCISQueryDocument without {'.'.join(path)}", _delete(self.query(), path))
        nested: list[tuple[str, Path]] = [
            ("ObjectEvent", ("errorDeclaration", "declarationTime")),
            ("ObjectEvent", ("errorDeclaration", "reason")),
            ("ObjectEvent", ("errorDeclaration", "correctiveEventIDs")),
            ("ObjectEvent", ("quantityList", 0, "epcClass")),
            ("ObjectEvent", ("quantityList", 0, "quantity")),
            ("ObjectEvent", ("quantityList", 0, "uom")),
            ("ObjectEvent", ("bizTransactionList", 0, "bizTransaction")),
            ("ObjectEvent", ("bizTransactionList", 0, "type")),
            ("ObjectEvent", ("sourceList", 0, "type")),
            ("ObjectEvent", ("sourceList", 0, "source")),
            ("ObjectEvent", ("destinationList", 0, "destination")),
            ("ObjectEvent", ("readPoint", "id")),
            ("AggregationEvent", ("bizLocation", "id")),
            ("ObjectEvent", (*SENSOR_REPORT, "type")),
            ("ObjectEvent", (*SENSOR_ELEMENT, "sensorReport")),
            ("ObjectEvent", SENSOR_METADATA),
            ("TransformationEvent", ("inputQuantityList", 0, "epcClass")),
        ]
        for t, member in nested:
            self.add(c, f"{t} without {'.'.join(map(str, member))}", _delete(self.doc(t), (*EVENT, *member)))
        header: Path = ("epcisHeader", "epcisMasterData", "vocabularyList", 0)
        for member in [(*header, "type"), (*header, "vocabularyElementList", 0, "id")]:
            doc = _set(self.doc(), ("epcisHeader",), MASTER_DATA)
            self.add(c, f"master data without {member[-1]}", _delete(doc, member))

    def wrong_enum(self) -> None:
        c = "action"
        values = [
            "ADD",
            "OBSERVE",
            "DELETE",
            "MOVE",
            "add",
            "Observe",
            "",
            " ADD",
            "DELETE ",
            "ADD,OBSERVE",
            1,
            None,
        ]
        for t in ("AggregationEvent", "TransactionEvent", "AssociationEvent"):
            self.in_event(c, t, ("action",), values)
        for value in values:
            doc = _set(self.plain_object_doc(), (*EVENT, "action"), value)
            self.add(c, f"ObjectEvent without ilmd action = {_show(value)}", doc)
        self.add(
            c,
            "TransformationEvent with action ADD",
            _set(self.doc("TransformationEvent"), (*EVENT, "action"), "ADD"),
        )

    def vocabulary_fields(self) -> None:
        c = "vocabulary"
        fields: list[tuple[cbv.Vocabulary, str, Path]] = [
            (cbv.BIZ_STEP, "ObjectEvent", ("bizStep",)),
            (cbv.BIZ_STEP, "TransformationEvent", ("bizStep",)),
            (cbv.DISPOSITION, "ObjectEvent", ("disposition",)),
            (cbv.DISPOSITION, "ObjectEvent", ("persistentDisposition", "set", 0)),
            (cbv.DISPOSITION, "TransformationEvent", ("persistentDisposition", "unset", 0)),
            (cbv.BIZ_TRANSACTION_TYPE, "TransactionEvent", ("bizTransactionList", 0, "type")),
            (cbv.SOURCE_DESTINATION_TYPE, "AggregationEvent", ("sourceList", 0, "type")),
            (cbv.SOURCE_DESTINATION_TYPE, "AssociationEvent", ("destinationList", 0, "type")),
            (cbv.ERROR_REASON, "ObjectEvent", ("errorDeclaration", "reason")),
            (cbv.COMPONENT, "ObjectEvent", (*SENSOR_REPORT, "component")),
            (cbv.MEASUREMENT_TYPE, "ObjectEvent", (*SENSOR_REPORT, "type")),
            (cbv.SENSOR_ALERT_TYPE, "AggregationEvent", (*SENSOR_REPORT, "exception")),
        ]
        other_word = {"bizStep": "in_transit"}
        for vocabulary, t, path in fields:
            words = vocabulary.words
            suffix = vocabulary.web_prefix[len(cbv.CBV_WEB) :] if vocabulary.urn_prefix else ""
            word = words[len(words) // 2]
            values: list[Json] = [
                words[0],
                word,
                words[-1],
                other_word.get(vocabulary.name, "receiving"),
                word.upper() if word.upper() != word else word.lower(),
                word + " ",
                "",
                42,
                None,
                [word],
                "https://example.org/vocab/" + word,
                "urn:example:vocab:" + word,
                "example:" + word,
                vocabulary.web_prefix + word,
                "urn:epcglobal:cbv:unknown:" + word,
                "urn:epcglobal:cbvx:" + word,
                "https://ns.gs1.org/cbv/" + suffix + word,
                "http://ns.gs1.org/cbv/" + suffix + word,
                "https://ref.gs1.org/voc/" + word,
                "https://gs1.org/voc/" + word,
                "http://gs1.org/voc/" + word,
                "https://www.gs1.org/voc/" + word,
                "http://www.gs1.org/voc/" + word,
                "https://gs1.org/vocabulary/" + word,
            ]
            if vocabulary.urn_prefix:
                values += [vocabulary.urn_prefix + word, vocabulary.urn_prefix.upper() + word]
            unique = {_show(v): v for v in values}  # small vocabularies repeat some values
            self.in_event(c, t, path, unique.values())

    def timestamps(self) -> None:
        c = "timestamp"
        values: list[Json] = [
            "2020-01-01T10:00:00Z",
            "2020-01-01T10:00:00.123+05:30",
            "2020-02-29T23:59:59.999999999-14:00",
            "2020-01-01t10:00:00z",
            "2020-01-01T10:00:00-00:00",
            "2020-01-01T10:00:00",
            "2020-13-01T10:00:00Z",
            "2020-00-10T10:00:00Z",
            "yesterday",
            "2020-01-01",
            "2020-01-01 10:00:00Z",
            "2019-02-29T10:00:00Z",
            "2020-04-31T10:00:00Z",
            "2020-01-01T24:00:00Z",
            "2020-01-01T10:00Z",
            "2020-01-01T10:00:00+0100",
            "2020-01-01T10:00:00+24:00",
            "2016-12-31T23:59:60Z",
            "0000-01-01T00:00:00Z",
            "20200101T100000Z",
            1577872800,
            "",
        ]
        event_times: list[tuple[str, Path]] = [
            ("ObjectEvent", ("eventTime",)),
            ("AggregationEvent", ("recordTime",)),
        ]
        for t, path in event_times:
            self.in_event(c, t, path, values)
        # For the other fields: two valid values, the common mistakes, a leap second and year 0000.
        few = values[:2] + values[5:12] + values[17:19]
        for t, path in [
            ("ObjectEvent", ("errorDeclaration", "declarationTime")),
            ("ObjectEvent", (*SENSOR_METADATA, "time")),
            ("TransactionEvent", (*SENSOR_METADATA, "startTime")),
            ("AssociationEvent", (*SENSOR_METADATA, "endTime")),
            ("TransformationEvent", (*SENSOR_REPORT, "time")),
        ]:
            self.in_event(c, t, path, few)
        for value in few:
            self.add(
                c, f"EPCISDocument creationDate = {_show(value)}", _set(self.doc(), ("creationDate",), value)
            )
            self.add(
                c,
                f"EPCISQueryDocument creationDate = {_show(value)}",
                _set(self.query(), ("creationDate",), value),
            )
            self.add(
                c,
                f"bare extension event eventTime = {_show(value)}",
                _set(self.extension(), ("eventTime",), value),
            )

    def time_zone_offsets(self) -> None:
        c = "eventTimeZoneOffset"
        values: list[Json] = [
            "+01:00", "-06:00", "+14:00", "-14:00", "+13:59", "+00:00", "-00:00", "+05:30",
            "+14:01", "+15:00", "-14:30", "01:00", "+1:00", "+0100", "+01", "Z", "+01:60",
            "\u221201:00", " +01:00", "+01:00 ", "", "UTC", 1, None,
        ]  # fmt: skip
        self.in_event(c, "ObjectEvent", ("eventTimeZoneOffset",), values)
        for value in values[::4]:
            self.add(
                c,
                f"bare AssociationEvent = {_show(value)}",
                _set(self.bare("AssociationEvent"), ("eventTimeZoneOffset",), value),
            )
            self.add(
                c,
                f"bare extension event = {_show(value)}",
                _set(self.extension(), ("eventTimeZoneOffset",), value),
            )

    def json_types(self) -> None:
        c = "JSON type"
        obj, doc, query = "ObjectEvent", ("",), ("query",)
        cases: list[tuple[tuple[str, ...] | str, Path, Json]] = [
            (obj, ("quantityList", 0, "quantity"), "200"),
            (obj, ("quantityList", 0, "quantity"), 200.5),
            (obj, ("quantityList", 0, "quantity"), -1),
            (obj, ("quantityList", 0, "quantity"), True),
            (obj, ("quantityList", 0, "epcClass"), 5),
            (obj, ("epcList",), "urn:epc:id:sgtin:0614141.107346.2018"),
            (obj, ("epcList",), {"epc": "urn:epc:id:sgtin:0614141.107346.2018"}),
            (obj, ("epcList", 0), 614141),
            (obj, ("eventTime",), 1112561611),
            (obj, ("readPoint",), "urn:epc:id:sgln:0012345.11111.400"),
            (obj, ("readPoint",), ["urn:epc:id:sgln:0012345.11111.400"]),
            (
                obj,
                ("bizTransactionList",),
                {"type": "po", "bizTransaction": "urn:epc:id:gdti:0614141.00001.1"},
            ),
            (obj, ("ilmd",), ["cbvmda:lotNumber"]),
            (obj, (*SENSOR_REPORT, "value"), "26"),
            (obj, (*SENSOR_REPORT, "value"), 26.5e3),
            (obj, (*SENSOR_REPORT, "booleanValue"), "true"),
            (obj, (*SENSOR_REPORT, "booleanValue"), False),
            (obj, (*SENSOR_REPORT, "stringValue"), 5),
            (obj, (*SENSOR_REPORT, "uriValue"), "not a uri"),
            (obj, (*SENSOR_REPORT, "sDev"), None),
            (obj, ("sensorElementList",), {"sensorReport": [{"type": "Temperature"}]}),
            (obj, ("errorDeclaration",), "incorrect_data"),
            (
                obj,
                ("errorDeclaration", "correctiveEventIDs"),
                "urn:uuid:374d95fc-9457-4a51-bd6a-0bba133845a8",
            ),
            (obj, ("certificationInfo",), ["https://example.org/cert/1", "https://example.org/cert/2"]),
            (obj, ("certificationInfo",), 12345),
            (obj, ("certificationInfo",), ["https://example.org/cert/1", 2]),
            (obj, ("certificationInfo",), "not a uri"),
            (obj, ("@context",), 5),
            (obj, ("@context",), {"ex": "https://example.org/"}),
            (obj, ("@context",), "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"),
            (obj, ("@context",), ["not a uri"]),
            (obj, ("eventID",), "not a uri"),
            (obj, ("eventID",), None),
            (obj, ("action",), None),
            (obj, ("type",), None),
            (obj, ("type",), 5),
            (obj, ("persistentDisposition",), ["completeness_verified"]),
            ("AggregationEvent", ("parentID",), 5),
            ("AggregationEvent", ("childEPCs",), "urn:epc:id:sgtin:0614141.107346.2018"),
            ("TransformationEvent", ("transformationID",), "not a uri"),
            ("TransformationEvent", ("inputEPCList", 0), {"epc": "x"}),
            ("TransactionEvent", ("bizTransactionList", 0), "urn:epc:id:gdti:0614141.00001.1"),
            (doc, ("schemaVersion",), 2.0),
            (doc, ("schemaVersion",), "2"),
            (doc, ("schemaVersion",), "2.0.1"),
            (doc, ("schemaVersion",), "v2.0"),
            (doc, ("schemaVersion",), "2."),
            (doc, ("instanceIdentifier",), 1234567890),
            (doc, ("sender",), None),
            (doc, ("receiver",), {"id": "urn:epc:id:sgln:5012345.00001.0"}),
            (doc, ("id",), "document-1"),
            (doc, ("epcisBody",), [{"eventList": []}]),
            (doc, ("epcisBody", "eventList"), {}),
            (doc, ("epcisBody", "eventList", 0), "ObjectEvent"),
            (doc, ("epcisBody", "eventList", 0), []),
            (doc, ("epcisBody", "eventList"), []),
            (doc, ("@context",), []),
            (doc, ("epcisHeader",), []),
            (query, ("epcisBody", "queryResults", "queryName"), 5),
            (query, ("epcisBody", "queryResults", "subscriptionID"), None),
            (query, ("epcisBody", "queryResults", "resultsBody", "eventList"), {}),
            (query, ("epcisBody", "queryResults", "resultsBody", "vocabularyList"), {}),
            (query, ("epcisBody", "queryResults", "resultsBody", "vocabularyList"), []),
        ]
        for base, path, value in cases:
            if base == doc:
                instance, label = _set(self.doc(), path, value), "EPCISDocument"
            elif base == query:
                instance, label = _set(self.query(), path, value), "EPCISQueryDocument"
            else:
                assert isinstance(base, str)
                instance, label = _set(self.doc(base), (*EVENT, *path), value), base
            self.add(c, f"{label} {'.'.join(map(str, path))} = {_show(value)}", instance)
        header = ("epcisHeader", "epcisMasterData", "vocabularyList", 0, "vocabularyElementList", 0)
        for value in ["Warehouse 1", 3.5, {"ex:street": "Main St"}, True, None, ["a"]]:
            doc = _set(self.doc(), ("epcisHeader",), MASTER_DATA)
            self.add(
                c,
                f"master data attribute = {_show(value)}",
                _set(doc, (*header, "attributes", 0, "attribute"), value),
            )
        for path, value in [
            (("epcisHeader", "epcisMasterData"), []),
            (("epcisHeader", "epcisMasterData", "vocabularyList", 0, "type"), "BusinessLocation"),
            ((*header, "children"), "urn:epc:id:sgln:0614141.00777.1"),
            ((*header, "attributes"), {"id": "urn:epcglobal:cbv:mda:site"}),
            ((*header, "id"), "location 1"),
        ]:
            doc = _set(self.doc(), ("epcisHeader",), MASTER_DATA)
            self.add(
                c, f"master data {'.'.join(map(str, path[1:]))} = {_show(value)}", _set(doc, path, value)
            )
        for value in [[], "ObjectEvent", 5, None, True]:
            self.add(c, f"root = {_show(value)}", value)
        self.add(c, "root object without type", _delete(self.doc(), ("type",)))
        self.add(c, "root type = 5", _set(self.doc(), ("type",), 5))

    def extension_keys(self) -> None:
        c = "extension key"
        keys = ["foo", "my_field", "example:foo", "https://example.org/epcis/foo", "1st:foo", "ex:foo bar"]
        doc_levels: list[tuple[str, Json, Path]] = [
            ("EPCISDocument", self.doc(), ()),
            ("epcisHeader", _set(self.doc(), ("epcisHeader",), MASTER_DATA), ("epcisHeader",)),
            (
                "epcisMasterData",
                _set(self.doc(), ("epcisHeader",), MASTER_DATA),
                ("epcisHeader", "epcisMasterData"),
            ),
            ("EPCISDocument epcisBody", self.doc(), ("epcisBody",)),
            ("EPCISQueryDocument", self.query(), ()),
            ("EPCISQueryDocument epcisBody", self.query(), ("epcisBody",)),
            ("queryResults", self.query(), ("epcisBody", "queryResults")),
            ("resultsBody", self.query(), ("epcisBody", "queryResults", "resultsBody")),
            ("query event", self.query(), (*QUERY_EVENTS, 0)),
            ("bare extension event", self.extension(), ()),
            ("bare ObjectEvent", self.bare(), ()),
        ]
        for t in EVENT_TYPES:
            doc_levels.append((t, self.doc(t), EVENT))
        for t, path in [
            ("ObjectEvent", ("errorDeclaration",)),
            ("TransactionEvent", ("errorDeclaration",)),
            ("ObjectEvent", SENSOR_METADATA),
            ("AggregationEvent", SENSOR_METADATA),
            ("ObjectEvent", SENSOR_REPORT),
            ("AssociationEvent", SENSOR_REPORT),
            ("ObjectEvent", SENSOR_ELEMENT),
            ("TransformationEvent", SENSOR_ELEMENT),
            ("ObjectEvent", ("ilmd",)),
            ("TransformationEvent", ("ilmd",)),
            ("ObjectEvent", ("readPoint",)),
            ("TransactionEvent", ("bizLocation",)),
            ("ObjectEvent", ("quantityList", 0)),
            ("ObjectEvent", ("bizTransactionList", 0)),
            ("ObjectEvent", ("sourceList", 0)),
            ("ObjectEvent", ("destinationList", 0)),
            ("ObjectEvent", ("persistentDisposition",)),
        ]:
            doc_levels.append((f"{t} {'.'.join(map(str, path))}", self.doc(t), (*EVENT, *path)))
        for label, base, path in doc_levels:
            for key in keys:
                self.add(c, f"{label} + {key!r}", _set(copy.deepcopy(base), (*path, key), "x"))

    def closed_objects(self) -> None:
        c = "closed object"
        for t, path in [
            ("ObjectEvent", ("quantityList", 0)),
            ("AggregationEvent", ("childQuantityList", 0)),
            ("TransformationEvent", ("outputQuantityList", 0)),
            ("TransactionEvent", ("bizTransactionList", 0)),
            ("AssociationEvent", ("sourceList", 0)),
            ("AggregationEvent", ("destinationList", 0)),
            ("TransformationEvent", ("persistentDisposition",)),
        ]:
            for key, value in [
                ("id", "urn:epc:id:sgln:0614141.00777.0"),
                ("@id", "urn:x:y"),
                ("quantity", 5),
            ]:
                if key not in _get(self.event(t), path):
                    doc = _set(self.doc(t), (*EVENT, *path, key), value)
                    self.add(c, f"{t} {'.'.join(map(str, path))} + {key!r}", doc)

    def list_cardinality(self) -> None:
        c = "list size"
        obj, epc = "ObjectEvent", "urn:epc:id:sgtin:0614141.107346.2018"
        for t, path, value in [
            (obj, ("epcList",), []),
            (obj, ("epcList",), [epc, epc]),
            ("TransactionEvent", ("epcList",), [epc, epc]),
            ("TransformationEvent", ("inputEPCList",), [epc, epc]),
            ("TransformationEvent", ("outputEPCList",), [epc, epc]),
            ("AggregationEvent", ("childEPCs",), [epc, epc]),
            ("AssociationEvent", ("childEPCs",), []),
            (obj, ("persistentDisposition",), {"set": []}),
            (obj, ("persistentDisposition",), {"unset": []}),
            (obj, ("persistentDisposition",), {}),
            (obj, ("persistentDisposition",), {"set": ["recalled", "recalled"]}),
            (obj, ("persistentDisposition",), {"set": ["recalled"]}),
            (obj, ("persistentDisposition",), {"unset": ["recalled", "https://example.org/disp/x"]}),
            (obj, ("persistentDisposition",), {"set": ["recalled"], "unset": []}),
            (obj, (*SENSOR_ELEMENT, "sensorReport"), []),
            (obj, ("sensorElementList",), []),
            (obj, ("quantityList",), []),
            (obj, ("bizTransactionList",), []),
            (obj, ("sourceList",), []),
            (obj, ("certificationInfo",), []),
            (obj, ("errorDeclaration", "correctiveEventIDs"), []),
            (obj, ("@context",), ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"] * 2),
            ("TransactionEvent", ("bizTransactionList",), []),
            ("TransactionEvent", ("bizTransactionList", 1), {"type": "po", "bizTransaction": "urn:x:po:1"}),
        ]:
            self.in_event(c, t, path, [value])
        context = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]
        contexts: list[Json] = [
            [],
            context * 2,
            [{"ex": "https://example.org/"}] * 2,
            [*context, {"ex": "urn:x:"}],
        ]
        for ctx in contexts:
            self.add(c, f"EPCISDocument @context = {_show(ctx)}", _set(self.doc(), ("@context",), ctx))

    def ilmd(self) -> None:
        c = "ilmd"
        ilmd = self.event()["ilmd"]
        for action in ("ADD", "OBSERVE", "DELETE"):
            self.add(c, f"ObjectEvent {action} with ilmd", _set(self.doc(), (*EVENT, "action"), action))
            self.add(
                c,
                f"ObjectEvent {action} with empty ilmd",
                _set(_set(self.doc(), (*EVENT, "action"), action), (*EVENT, "ilmd"), {}),
            )
            self.add(
                c,
                f"ObjectEvent {action} without ilmd",
                _set(self.plain_object_doc(), (*EVENT, "action"), action),
            )
            self.add(c, f"bare ObjectEvent {action} with ilmd", _set(self.bare(), ("action",), action))
        for t in EVENT_TYPES[1:]:
            self.add(c, f"{t} with ilmd", _set(self.doc(t), (*EVENT, "ilmd"), ilmd))
        self.add(
            c, "TransformationEvent without ilmd", _delete(self.doc("TransformationEvent"), (*EVENT, "ilmd"))
        )
        for value in [
            [],
            "lot 1",
            {"lotNumber": "ABC"},
            {"cbvmda:lotNumber": "ABC"},
            {"urn:epcglobal:cbv:mda:lotNumber": 1},
        ]:
            self.add(c, f"ObjectEvent ilmd = {_show(value)}", _set(self.doc(), (*EVENT, "ilmd"), value))
        self.add(c, "extension event with ilmd", _set(self.extension(), ("ilmd",), {"lotNumber": "x"}))

    def persistent_disposition(self) -> None:
        c = "persistentDisposition"
        value = {"set": ["completeness_verified"], "unset": ["completeness_inferred"]}
        for t in EVENT_TYPES:
            self.add(
                c,
                f"{t} with persistentDisposition",
                _set(self.doc(t), (*EVENT, "persistentDisposition"), value),
            )
            self.add(
                c,
                f"bare {t} with persistentDisposition",
                _set(self.bare(t), ("persistentDisposition",), value),
            )
        self.add(
            c,
            "extension event with persistentDisposition",
            _set(self.extension(), ("persistentDisposition",), value),
        )
        query = self.query()
        self.add(
            c,
            "query document event with persistentDisposition",
            _set(query, (*QUERY_EVENTS, 0, "persistentDisposition"), value),
        )

    def what_rules(self) -> None:
        c = "what rule"
        obj = [
            ("epcList only", ("quantityList", "sensorElementList")),
            ("quantityList only", ("epcList", "sensorElementList")),
            ("sensors and readPoint only", ("epcList", "quantityList")),
            ("sensors without readPoint", ("epcList", "quantityList", "readPoint")),
            ("readPoint without sensors", ("epcList", "quantityList", "sensorElementList")),
            ("nothing", ("epcList", "quantityList", "sensorElementList", "readPoint")),
        ]
        for name, drop in obj:
            self.add(c, f"ObjectEvent {name}", _delete(self.doc(), *[(*EVENT, f) for f in drop]))
        self.add(
            c,
            "ObjectEvent empty quantityList only",
            _set(
                _delete(self.doc(), (*EVENT, "epcList"), (*EVENT, "sensorElementList")),
                (*EVENT, "quantityList"),
                [],
            ),
        )
        self.add(
            c,
            "ObjectEvent empty sensorElementList and readPoint only",
            _set(
                _delete(self.doc(), (*EVENT, "epcList"), (*EVENT, "quantityList")),
                (*EVENT, "sensorElementList"),
                [],
            ),
        )
        self.add(
            c,
            "ObjectEvent empty epcList only",
            _set(
                _delete(self.doc(), (*EVENT, "quantityList"), (*EVENT, "sensorElementList")),
                (*EVENT, "epcList"),
                [],
            ),
        )
        for t in ("AggregationEvent", "AssociationEvent"):
            for action in ("ADD", "OBSERVE", "DELETE"):
                bare = _delete(self.doc(t), (*EVENT, "childEPCs"), (*EVENT, "childQuantityList"))
                self.add(c, f"{t} {action} without children", _set(bare, (*EVENT, "action"), action))
                empty = _set(_set(self.doc(t), (*EVENT, "childEPCs"), []), (*EVENT, "childQuantityList"), [])
                self.add(c, f"{t} {action} with empty children", _set(empty, (*EVENT, "action"), action))
            self.add(c, f"{t} childEPCs only", _delete(self.doc(t), (*EVENT, "childQuantityList")))
            self.add(c, f"{t} childQuantityList only", _delete(self.doc(t), (*EVENT, "childEPCs")))
            self.add(
                c, f"{t} empty childEPCs and childQuantityList", _set(self.doc(t), (*EVENT, "childEPCs"), [])
            )
        t = "TransactionEvent"
        for action in ("ADD", "OBSERVE", "DELETE"):
            bare = _delete(self.doc(t), (*EVENT, "epcList"), (*EVENT, "quantityList"))
            self.add(
                c, f"{t} {action} without epcList and quantityList", _set(bare, (*EVENT, "action"), action)
            )
            only_empty_quantities = _set(bare, (*EVENT, "quantityList"), [])
            self.add(
                c,
                f"{t} {action} with empty quantityList only",
                _set(only_empty_quantities, (*EVENT, "action"), action),
            )
        self.add(
            c,
            f"{t} empty epcList only",
            _set(_delete(self.doc(t), (*EVENT, "quantityList")), (*EVENT, "epcList"), []),
        )
        self.add(c, f"{t} quantityList only", _delete(self.doc(t), (*EVENT, "epcList")))

    def transformations(self) -> None:
        c = "TransformationEvent"
        t = "TransformationEvent"
        lists = ("inputEPCList", "inputQuantityList", "outputEPCList", "outputQuantityList")
        # Every subset of the four lists, with and without transformationID.
        for mask in range(16):
            kept = [name for i, name in enumerate(lists) if mask >> i & 1]
            for with_id in (True, False):
                doc = _delete(self.doc(t), *[(*EVENT, name) for name in lists if name not in kept])
                if not with_id:
                    _delete(doc, (*EVENT, "transformationID"))
                self.add(
                    c,
                    f"{'+'.join(kept) or 'no lists'} {'with' if with_id else 'without'} transformationID",
                    doc,
                )
        for name in lists:
            for with_id in (True, False):
                doc = _set(self.doc(t), (*EVENT, name), [])
                others = [n for n in lists if n != name and n[:5] == name[:5]]
                _delete(doc, *[(*EVENT, n) for n in others])
                if not with_id:
                    _delete(doc, (*EVENT, "transformationID"))
                self.add(
                    c,
                    f"empty {name}, other side present, {'with' if with_id else 'no'} transformationID",
                    doc,
                )

    def units_and_hex(self) -> None:
        c = "uom / hexBinary"
        uoms: list[Json] = ["KGM", "KG", "K1", "CEL", "kgm", "K", "KGMS", "", "K G", "ÄBC", 5, None]
        self.in_event(c, "ObjectEvent", ("quantityList", 0, "uom"), uoms)
        self.in_event(c, "AggregationEvent", ("childQuantityList", 0, "uom"), uoms[:6])
        self.in_event(c, "ObjectEvent", (*SENSOR_REPORT, "uom"), ["CEL", "kg", "°C", "", 5])
        hexes: list[Json] = ["f0f0f0", "F0", "0123456789abcdefABCDEF", "xyz", "", "0x12", "f0 f0", "g", 12]
        self.in_event(c, "ObjectEvent", (*SENSOR_REPORT, "hexBinaryValue"), hexes)

    def event_types(self) -> None:
        c = "event type"
        types: list[Json] = [
            "example:CustomEvent",
            "https://example.org/events/MyEvent",
            "urn:example:event:1",
            "CustomEvent",
            "objectEvent",
            "Object Event",
            "EPCISDocument",
            "EPCISQueryDocument",
            "",
            5,
        ]
        for value in types:
            self.add(c, f"document event type = {_show(value)}", _set(self.doc(), (*EVENT, "type"), value))
            ext = _set(self.extension(), ("type",), value)
            self.add(c, f"bare extension-like event type = {_show(value)}", ext)
        self.add(
            c,
            "extension event in a document",
            _set(self.doc(), (*EVENT,), {k: v for k, v in self.extension().items() if k != "@context"}),
        )
        self.add(c, "bare extension event with arbitrary keys", _set(self.extension(), ("foo",), {"bar": 1}))
        self.add(
            c, "bare extension event with bad eventID", _set(self.extension(), ("eventID",), "not a uri")
        )
        self.add(
            c,
            "bare extension event with bizStep URN",
            _set(self.extension(), ("bizStep",), "urn:epcglobal:cbv:bizstep:receiving"),
        )

    def query_documents(self) -> None:
        c = "EPCISQueryDocument"
        results = ("epcisBody", "queryResults")
        self.add(c, "as is", self.query())
        self.add(c, "with epcisHeader", _set(self.query(), ("epcisHeader",), MASTER_DATA))
        self.add(c, "with example:header", _set(self.query(), ("example:header",), MASTER_DATA))
        self.add(c, "queryName empty", _set(self.query(), (*results, "queryName"), ""))
        self.add(
            c,
            "event bizStep URN",
            _set(self.query(), (*QUERY_EVENTS, 0, "bizStep"), "urn:epcglobal:cbv:bizstep:shipping"),
        )
        self.add(c, "event without eventTime", _delete(self.query(), (*QUERY_EVENTS, 1, "eventTime")))
        self.add(c, "event list emptied", _set(self.query(), (*QUERY_EVENTS,), []))
        self.add(
            c,
            "vocabularyList with master data",
            _set(
                self.query(),
                (*results, "resultsBody", "vocabularyList"),
                MASTER_DATA["epcisMasterData"]["vocabularyList"],
            ),
        )
        self.add(c, "eventList in epcisBody instead", _set(self.query(), ("epcisBody", "eventList"), []))
        self.add(c, "type EPCISDocument on a query body", _set(self.query(), ("type",), "EPCISDocument"))
        doc = self.doc()
        self.add(
            c, "EPCISDocument with a queryResults body", _set(doc, ("epcisBody",), self.query()["epcisBody"])
        )
        doc = self.doc()
        self.add(
            c,
            "EPCISDocument epcisBody.queryResults (ignored)",
            _set(doc, ("epcisBody", "queryResults"), {"queryName": 5}),
        )

    def generate(self) -> list[Mutation]:
        self.missing_required()
        self.wrong_enum()
        self.vocabulary_fields()
        self.timestamps()
        self.time_zone_offsets()
        self.json_types()
        self.extension_keys()
        self.closed_objects()
        self.list_cardinality()
        self.ilmd()
        self.persistent_disposition()
        self.what_rules()
        self.transformations()
        self.units_and_hex()
        self.event_types()
        self.query_documents()
        return self.cases


def full_document(event_type: str = "ObjectEvent") -> Json:
    """A fresh copy of the official document carrying every field of one event type."""
    return _Generator().doc(event_type)


def generate() -> list[Mutation]:
    """Build the mutations afresh (``mutations()`` caches this)."""
    return _Generator().generate()


@cache
def _all() -> tuple[Mutation, ...]:
    if not EXAMPLES.is_dir():
        return ()
    cases = generate()
    ids = Counter(m.id for m in cases)
    duplicated = [i for i, n in ids.items() if n > 1]
    assert not duplicated, f"mutation ids must be unique: {duplicated}"
    return tuple(cases)


def mutations() -> Sequence[Mutation]:
    """All mutations, in a fixed order; empty when the GS1 examples are not available."""
    return _all()


def summary() -> str:
    counts = Counter(m.category for m in mutations())
    lines = [f"{n:5d}  {category}" for category, n in counts.items()]
    return "\n".join([*lines, f"{sum(counts.values()):5d}  total"])


if __name__ == "__main__":
    print(summary())  # noqa: T201
