"""The XML binding reader: GS1's XML examples and the event-hash XML vectors become schema-valid JSON-LD
equal to their JSON twins; hostile or foreign XML is refused with a readable XmlBindingError."""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator  # type: ignore[import-untyped,unused-ignore]

from epcis_repo.epcis import cbv
from epcis_repo.epcis.xml import EPCIS_CONTEXT, XmlBindingError, read_xml_document
from tests.standard import ARTIFACTS, EXAMPLES, HASH_VECTORS, STANDARD, requires_standard

# ---------------------------------------------------------------------------------------------------
# The GS1 inputs

# XML files in examples/xml that are not event documents; the reader must refuse them by their root.
NOT_EVENT_DOCUMENTS = {
    "xml/CaptureJob/Example-CaptureJobRunning.xml": "EPCISCaptureJob",
    "xml/CaptureJob/Example-CaptureJobSuccess.xml": "EPCISCaptureJob",
    "xml/CaptureJob/Example-CaptureJobWithErrorFile.xml": "EPCISCaptureJob",
    "xml/CaptureJob/Example-CaptureJobWithErrors.xml": "EPCISCaptureJob",
    "xml/Mimasu/Example-masterData.xml": "EPCISMasterDataDocument",
    "xml/CBV/CBV-11.4-2020-06-16a.xml": "EPCISMasterDataDocument",
}

# Examples whose data cannot give schema-valid JSON, with the reason and the exact errors expected
# as (JSON path, failing keyword).
SCHEMA_EXCEPTIONS: dict[str, tuple[str, set[tuple[str, str]]]] = {
    "xml/Example-PersistentDisposition.xml": (
        "persistentDisposition on AggregationEvents: the XSD allows it, the JSON schema's "
        "AggregationEvent has no such property",
        {("$.epcisBody.eventList[0]", "anyOf"), ("$.epcisBody.eventList[1]", "anyOf")},
    ),
    "xml/WithSensorData/SensorDataExamples.xml": (
        "sensorReports with only `exception` (event 9): the standard allows a report without a "
        "measurement type, the JSON schema requires `type`",
        {
            ("$.epcisBody.eventList[8].sensorElementList[0].sensorReport[0]", "required"),
            ("$.epcisBody.eventList[8].sensorElementList[0].sensorReport[1]", "required"),
        },
    ),
}


def _relative(path: Path) -> str:
    return str(path.relative_to(EXAMPLES if EXAMPLES in path.parents else STANDARD))


def _event_document_inputs() -> list[Path]:
    if not STANDARD.is_dir():
        return []
    examples = [
        p for p in sorted((EXAMPLES / "xml").rglob("*.xml")) if _relative(p) not in NOT_EVENT_DOCUMENTS
    ]
    vectors = sorted((HASH_VECTORS / "examples").glob("*.xml")) + sorted(
        (HASH_VECTORS / "expected_equal").glob("*.xml")
    )
    return examples + vectors


def _params(paths: list[Path]) -> list[Any]:
    if not paths:
        return [pytest.param(None, id="standard-absent", marks=requires_standard)]
    return [pytest.param(p, id=_relative(p)) for p in paths]


@cache
def _validator() -> Draft7Validator:
    schema = json.loads((ARTIFACTS / "EPCIS-JSON-Schema.json").read_text(encoding="utf-8"))
    return Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)


def _events(document: dict[str, Any]) -> list[dict[str, Any]]:
    body = document["epcisBody"]
    events: list[dict[str, Any]] = (
        body["eventList"] if "eventList" in body else body["queryResults"]["resultsBody"]["eventList"]
    )
    return events


@requires_standard
@pytest.mark.parametrize("path", _params(_event_document_inputs()))
def test_gs1_xml_converts_to_schema_valid_json(path: Path) -> None:
    document = read_xml_document(path.read_bytes())

    assert document["type"] in ("EPCISDocument", "EPCISQueryDocument")
    assert document["@context"][0] == EPCIS_CONTEXT
    errors = {(e.json_path, str(e.validator)) for e in _validator().iter_errors(document)}
    expected = SCHEMA_EXCEPTIONS.get(_relative(path))
    if expected is None:
        assert errors == set()
    else:
        reason, expected_errors = expected
        assert errors == expected_errors, reason


@requires_standard
def test_conversion_covers_every_gs1_event_document() -> None:
    inputs = _event_document_inputs()
    converted = [_relative(p) for p in inputs]
    # 31 GS1 example documents, 17 hash-vector documents, 10 expected-equal documents.
    assert len(converted) == 58
    assert sum(len(_events(read_xml_document(p.read_bytes()))) for p in inputs) == 137


@requires_standard
@pytest.mark.parametrize("relative", sorted(NOT_EVENT_DOCUMENTS))
def test_non_event_documents_are_refused_by_root(relative: str) -> None:
    with pytest.raises(XmlBindingError, match=f"root element is <{NOT_EVENT_DOCUMENTS[relative]}>"):
        read_xml_document((EXAMPLES / relative).read_bytes())


# ---------------------------------------------------------------------------------------------------
# Equivalence with the JSON twins, after normalising what legitimately differs between the syntaxes:
# namespace strings (trailing separator) and prefixes, timestamp spelling, number formatting, the
# three forms of CBV values, and the order of unordered lists.

_STANDARD_PREFIXES = {
    "gs1": "https://gs1.org/voc/",
    "cbv": "https://ref.gs1.org/cbv/",
    "cbvmda": "urn:epcglobal:cbv:mda:",
}
_TIME_KEYS = {"eventTime", "recordTime", "declarationTime", "time", "startTime", "endTime"}
_VOCABULARIES = {
    "bizStep": cbv.BIZ_STEP,
    "disposition": cbv.DISPOSITION,
    "set": cbv.DISPOSITION,
    "unset": cbv.DISPOSITION,
    "reason": cbv.ERROR_REASON,
    "component": cbv.COMPONENT,
}
_TIMESTAMP = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def _prefix_map(document: dict[str, Any]) -> dict[str, str]:
    prefixes = dict(_STANDARD_PREFIXES)
    context = document.get("@context", [])
    for item in context if isinstance(context, list) else [context]:
        if isinstance(item, dict):
            prefixes.update({k: v for k, v in item.items() if isinstance(v, str)})
    return prefixes


def _expand(value: str, prefixes: dict[str, str]) -> str:
    prefix, _, rest = value.partition(":")
    return prefixes[prefix] + rest if prefix in prefixes and not rest.startswith("//") else value


def _key(key: str, prefixes: dict[str, str]) -> str:
    if ":" not in key:
        return key
    prefix, _, local = key.partition(":")
    namespace = prefixes.get(prefix, prefix + ":")
    return namespace.rstrip("/:#") + "|" + local


def _instant(value: str) -> Decimal:
    match = _TIMESTAMP.fullmatch(value)
    assert match, value
    whole, fraction, offset = match.groups()
    seconds = datetime.fromisoformat(whole + ("+00:00" if offset == "Z" else offset)).timestamp()
    return Decimal(int(seconds)) + Decimal("0." + (fraction or "0"))


_TYPED_LISTS = {
    "bizTransactionList": cbv.BIZ_TRANSACTION_TYPE,
    "sourceList": cbv.SOURCE_DESTINATION_TYPE,
    "destinationList": cbv.SOURCE_DESTINATION_TYPE,
}


def _normalise(value: Any, prefixes: dict[str, str], key: str | None = None) -> Any:
    """`key` is the JSON key the value sits under (for list items: the list's key)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if k == "type" and key in _TYPED_LISTS:
                out[k] = _TYPED_LISTS[key].word(_expand(v, prefixes)) or v
            elif k in ("type", "exception") and key == "sensorReport":
                vocabulary = cbv.MEASUREMENT_TYPE if k == "type" else cbv.SENSOR_ALERT_TYPE
                expanded = _expand(v, prefixes)
                out[k] = vocabulary.word(expanded) or expanded
            elif v != []:  # the hash treats an empty list as absent
                out[_key(k, prefixes)] = _normalise(v, prefixes, k)
        return out
    if isinstance(value, list):
        items = [_normalise(item, prefixes, key) for item in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True, default=str))
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return Decimal(str(value)).normalize()
    if isinstance(value, str):
        if key in _TIME_KEYS:
            return _instant(value)
        if key in _VOCABULARIES:
            return _VOCABULARIES[key].word(_expand(value, prefixes)) or value
        if _NUMBER.fullmatch(value):
            return Decimal(value).normalize()
    return value


def _normalised_events(document: dict[str, Any]) -> list[Any]:
    prefixes = _prefix_map(document)
    return [_normalise(event, prefixes) for event in _events(document)]


def _twins() -> list[Path]:
    if not STANDARD.is_dir():
        return []
    return [
        p for p in sorted((HASH_VECTORS / "examples").glob("*.xml")) if p.with_suffix(".jsonld").is_file()
    ]


def _summary(event: dict[str, Any], prefixes: dict[str, str]) -> tuple[Any, ...]:
    epc_counts = tuple(
        len(event.get(k, [])) for k in ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
    )
    extensions = {k.partition(":")[2]: event[k] for k in event if ":" in k and not k.startswith("@")}
    return (
        event["type"],
        _instant(event["eventTime"]),
        event.get("action"),
        cbv.BIZ_STEP.word(_expand(event.get("bizStep", ""), prefixes)) or event.get("bizStep"),
        epc_counts,
        json.dumps(extensions, sort_keys=True),
    )


@requires_standard
def test_there_are_xml_json_twins() -> None:
    assert len(_twins()) == 11


@requires_standard
@pytest.mark.parametrize("path", _params(_twins()))
def test_xml_events_equal_their_json_twin(path: Path) -> None:
    from_xml = read_xml_document(path.read_bytes())
    from_json = json.loads(path.with_suffix(".jsonld").read_text(encoding="utf-8"))
    xml_prefixes, json_prefixes = _prefix_map(from_xml), _prefix_map(from_json)

    assert [_summary(e, xml_prefixes) for e in _events(from_xml)] == [
        _summary(e, json_prefixes) for e in _events(from_json)
    ]
    assert _normalised_events(from_xml) == _normalised_events(from_json)


@requires_standard
@pytest.mark.parametrize("path", _params(sorted(HASH_VECTORS.glob("expected_equal/*.xml"))))
def test_expected_equal_representations_convert_to_one_event(path: Path) -> None:
    events = _normalised_events(read_xml_document(path.read_bytes()))
    assert len(events) >= 2
    assert all(event == events[0] for event in events[1:])


# ---------------------------------------------------------------------------------------------------
# Mapping rules, on small documents

EPCIS = 'xmlns:epcis="urn:epcglobal:epcis:xsd:2"'
HEAD = '<?xml version="1.0" encoding="UTF-8"?>'


def _document(events: str, *, namespaces: str = "", header: str = "") -> bytes:
    return (
        f'{HEAD}<epcis:EPCISDocument {EPCIS} {namespaces} schemaVersion="2.0" '
        f'creationDate="2024-01-01T00:00:00Z">{header}<EPCISBody><EventList>{events}'
        "</EventList></EPCISBody></epcis:EPCISDocument>"
    ).encode()


def _object_event(body: str, *, action: str = "OBSERVE", attributes: str = "") -> str:
    return (
        f"<ObjectEvent {attributes}><eventTime>2024-01-01T10:00:00.000+01:00</eventTime>"
        f"<eventTimeZoneOffset>+01:00</eventTimeZoneOffset>{body}<action>{action}</action></ObjectEvent>"
    )


def _one_event(xml: bytes) -> dict[str, Any]:
    events: list[dict[str, Any]] = read_xml_document(xml)["epcisBody"]["eventList"]
    assert len(events) == 1
    return events[0]


def test_document_envelope_and_cbv_words() -> None:
    document = read_xml_document(
        _document(
            _object_event(
                "<epcList><epc>urn:epc:id:sgtin:0614141.107346.2017</epc></epcList>"
                "<bizStep>urn:epcglobal:cbv:bizstep:shipping</bizStep>"
                "<disposition>https://ref.gs1.org/cbv/Disp-in_transit</disposition>"
                "<readPoint><id>urn:epc:id:sgln:0614141.07346.1234</id></readPoint>"
                "<bizTransactionList>"
                '<bizTransaction type="urn:epcglobal:cbv:btt:po">urn:x:po:1</bizTransaction>'
                "<bizTransaction>urn:x:untyped</bizTransaction></bizTransactionList>"
                '<sourceList><source type="https://ref.gs1.org/cbv/SDT-owning_party">urn:x:s</source>'
                "</sourceList><destinationList>"
                '<destination type="urn:x:custom-type">urn:x:d</destination></destinationList>'
            )
        )
    )
    assert document == {
        "@context": [EPCIS_CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-01-01T00:00:00Z",
        "epcisBody": {
            "eventList": [
                {
                    "type": "ObjectEvent",
                    "eventTime": "2024-01-01T10:00:00.000+01:00",
                    "eventTimeZoneOffset": "+01:00",
                    "action": "OBSERVE",
                    "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"],
                    "bizStep": "shipping",
                    "disposition": "in_transit",
                    "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"},
                    "bizTransactionList": [
                        {"type": "po", "bizTransaction": "urn:x:po:1"},
                        {"bizTransaction": "urn:x:untyped"},
                    ],
                    "sourceList": [{"type": "owning_party", "source": "urn:x:s"}],
                    "destinationList": [{"type": "urn:x:custom-type", "destination": "urn:x:d"}],
                }
            ]
        },
    }


def test_custom_and_curie_cbv_values() -> None:
    event = _one_event(
        _document(
            _object_event(
                "<epcList/><bizStep>cbv:BizStep-receiving</bizStep><disposition>urn:x:my-disp</disposition>"
            ),
            namespaces='xmlns:cbv="https://ref.gs1.org/cbv/"',
        )
    )
    assert event["bizStep"] == "receiving"
    assert event["disposition"] == "urn:x:my-disp"


def test_quantities_and_numbers() -> None:
    event = _one_event(
        _document(
            _object_event(
                "<quantityList>"
                "<quantityElement><epcClass>urn:x:a</epcClass><quantity>200</quantity><uom>KGM</uom></quantityElement>"
                "<quantityElement><epcClass>urn:x:b</epcClass><quantity>200.0</quantity></quantityElement>"
                "<quantityElement><epcClass>urn:x:c</epcClass><quantity>1E3</quantity></quantityElement>"
                '<quantityElement><epcClass>urn:x:d</epcClass><quantity xmlns:xsi="http://www.w3.org/2001/'
                'XMLSchema-instance" xsi:nil="true"/></quantityElement>'
                "</quantityList>"
            )
        )
    )
    quantities = event["quantityList"]
    assert quantities[0] == {"epcClass": "urn:x:a", "quantity": 200, "uom": "KGM"}
    assert type(quantities[0]["quantity"]) is int
    assert type(quantities[1]["quantity"]) is float and quantities[1]["quantity"] == 200.0
    assert quantities[2]["quantity"] == 1000.0 and type(quantities[2]["quantity"]) is float
    assert quantities[3] == {"epcClass": "urn:x:d"}
    assert "epcList" not in event


def test_empty_lists() -> None:
    empty = "<epcList/><bizTransactionList/><quantityList/><sourceList/><sensorElementList/>"
    event = _one_event(_document(_object_event(empty)))
    assert event["epcList"] == []  # the schema needs it to know the event is about (no) EPCs
    assert not {"bizTransactionList", "quantityList", "sourceList", "sensorElementList"} & set(event)

    aggregation = read_xml_document(
        _document(
            "<AggregationEvent><eventTime>2024-01-01T10:00:00Z</eventTime>"
            "<eventTimeZoneOffset>+00:00</eventTimeZoneOffset><parentID>urn:x:p</parentID><childEPCs/>"
            "<action>DELETE</action></AggregationEvent>"
        )
    )["epcisBody"]["eventList"][0]
    assert "childEPCs" not in aggregation
    assert not list(_validator_or_skip().iter_errors({**aggregation, "@context": [EPCIS_CONTEXT]}))


def _validator_or_skip() -> Draft7Validator:
    if not STANDARD.is_dir():
        pytest.skip("GS1 standard artefacts not found at ../shared/standard (official JSON schema)")
    return _validator()


def test_extension_namespaces_and_prefixes() -> None:
    event = _one_event(
        _document(
            _object_event(
                "<epcList/>"
                '<ex:plain>  v  </ex:plain><dflt xmlns="http://default.example.com/ns">d</dflt>'
                '<ex:other xmlns:ex="http://other.example.com/">o</ex:other>'
                '<gs1:notGs1 xmlns:gs1="http://not-gs1.example.com/">g</gs1:notGs1>'
                '<gs1:fine xmlns:gs1="https://gs1.org/voc/">f</gs1:fine>'
                '<_u:underscore xmlns:_u="http://underscore.example.com/">u</_u:underscore>'
            ),
            namespaces='xmlns:ex="http://ns.example.com/epcis" xmlns:ext1="http://taken.example.com/"',
        )
    )
    assert event["ex:plain"] == "v"
    assert event["ext2:dflt"] == "d"  # default namespace: generated prefix, avoiding the document's ext1
    assert event["ext3:other"] == "o"  # `ex` already stands for another namespace
    assert event["ext4:notGs1"] == "g"  # `gs1` is a protected term of the EPCIS context
    assert event["gs1:fine"] == "f"
    assert event["ext5:underscore"] == "u"  # `_u` is no URI scheme, so `_u:underscore` would be no URI
    document = read_xml_document(
        _document(
            _object_event("<epcList/><ex:plain>v</ex:plain><dflt xmlns='http://default.example.com/ns'/>"),
            namespaces='xmlns:ex="http://ns.example.com/epcis" xmlns:ext1="http://taken.example.com/"',
        )
    )
    # The namespace string is kept exactly (no trailing slash added), unused declarations are not listed.
    assert document["@context"] == [
        EPCIS_CONTEXT,
        {"ex": "http://ns.example.com/epcis", "ext2": "http://default.example.com/ns"},
    ]


def test_extension_element_structure() -> None:
    event = _one_event(
        _document(
            _object_event(
                "<epcList/>"
                "<ex:repeated>1</ex:repeated><ex:repeated>2</ex:repeated>"
                "<ex:nested><ex:inner><plain>x</plain></ex:inner><ex:list>a</ex:list><ex:list>b</ex:list>"
                "</ex:nested>"
                '<ex:weight unit="KGM" ex:scale="2">3.5</ex:weight>'
                '<ex:typed xsi:type="xsd:integer">10</ex:typed>'
                "<ex:empty/>"
                '<ex:nothing xsi:nil="true"/>'
            ),
            namespaces='xmlns:ex="http://ns.example.com/epcis/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"',
        )
    )
    assert event["ex:repeated"] == ["1", "2"]
    assert event["ex:nested"] == {"ex:inner": {"plain": "x"}, "ex:list": ["a", "b"]}
    assert event["ex:weight"] == {"unit": "KGM", "ex:scale": "2", "#text": "3.5"}
    assert event["ex:typed"] == "10"
    assert event["ex:empty"] == ""
    assert event["ex:nothing"] is None


def test_epcis_1_2_extension_wrappers_are_transparent() -> None:
    xml = _document(
        "<ObjectEvent><eventTime>2024-01-01T10:00:00Z</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset>"
        "<baseExtension><eventID>urn:uuid:1</eventID><errorDeclaration><declarationTime>2024-01-02T00:00:00Z"
        "</declarationTime><reason>urn:epcglobal:cbv:er:incorrect_data</reason><correctiveEventIDs>"
        "<correctiveEventID>urn:uuid:2</correctiveEventID></correctiveEventIDs><ex:why>typo</ex:why>"
        "</errorDeclaration></baseExtension>"
        "<epcList/><action>ADD</action><readPoint><id>urn:x:rp</id><extension><ex:rp>1</ex:rp></extension>"
        "</readPoint>"
        "<extension><quantityList><quantityElement><epcClass>urn:x:c</epcClass><quantity>5</quantity>"
        "</quantityElement></quantityList><ilmd><extension><ex:lot>L1</ex:lot></extension></ilmd>"
        "<extension><ex:deep>d</ex:deep></extension></extension></ObjectEvent>"
        "<extension><TransformationEvent><eventTime>2024-01-01T10:00:00Z</eventTime>"
        "<eventTimeZoneOffset>+00:00</eventTimeZoneOffset><inputEPCList><epc>urn:x:i</epc></inputEPCList>"
        "<outputEPCList><epc>urn:x:o</epc></outputEPCList></TransformationEvent>"
        "<ex:CustomEvent><eventTime>2024-01-01T10:00:00Z</eventTime>"
        "<eventTimeZoneOffset>+00:00</eventTimeZoneOffset><ex:field>f</ex:field></ex:CustomEvent></extension>",
        namespaces='xmlns:ex="http://ns.example.com/epcis/"',
    )
    document = read_xml_document(xml)
    first, second, third = document["epcisBody"]["eventList"]
    assert first["eventID"] == "urn:uuid:1"
    assert first["errorDeclaration"] == {
        "declarationTime": "2024-01-02T00:00:00Z",
        "reason": "incorrect_data",
        "correctiveEventIDs": ["urn:uuid:2"],
        "ex:why": "typo",
    }
    assert first["readPoint"] == {"id": "urn:x:rp", "ex:rp": "1"}
    assert first["quantityList"] == [{"epcClass": "urn:x:c", "quantity": 5}]
    assert first["ilmd"] == {"ex:lot": "L1"}
    assert first["ex:deep"] == "d"
    assert second["type"] == "TransformationEvent"
    assert second["inputEPCList"] == ["urn:x:i"]
    assert third == {
        "type": "ex:CustomEvent",
        "eventTime": "2024-01-01T10:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "ex:field": "f",
    }
    if STANDARD.is_dir():
        assert not list(_validator().iter_errors(document))


def test_certification_info_single_and_repeated() -> None:
    single = _one_event(
        _document(_object_event("<certificationInfo> urn:x:c1 </certificationInfo><epcList/>"))
    )
    assert single["certificationInfo"] == "urn:x:c1"
    repeated = _one_event(
        _document(
            _object_event(
                "<certificationInfo>urn:x:c1</certificationInfo><certificationInfo>urn:x:c2"
                "</certificationInfo><epcList/>"
            )  # fmt: skip
        )
    )
    assert repeated["certificationInfo"] == ["urn:x:c1", "urn:x:c2"]


def test_sensor_elements() -> None:
    event = _one_event(
        _document(
            _object_event(
                "<epcList/><sensorElementList><sensorElement>"
                '<sensorMetadata time="2024-01-01T09:00:00Z" deviceID="urn:x:dev" ex:note="n"/>'
                '<sensorReport type="gs1:Temperature" value="26" uom="CEL" sDev="0.10" booleanValue="1"/>'
                '<sensorReport type="https://ref.gs1.org/voc/RelativeHumidity" value="1.5e1" percRank="50"/>'
                '<sensorReport type="https://gs1.org/voc/Speed" exception="gs1:ALARM_CONDITION"'
                ' component="urn:epcglobal:cbv:comp:x" minValue="-3" maxValue="+4.25"/>'
                '<sensorReport type="ex:Custom" stringValue=" s " hexBinaryValue="0f"/>'
                '<sensorReport type="gs1:NotAGs1Type"/>'
                "<ex:elementExtension>e</ex:elementExtension>"
                "</sensorElement></sensorElementList>"
            ),
            namespaces='xmlns:ex="http://ns.example.com/epcis/"',
        )
    )
    (element,) = event["sensorElementList"]
    assert element["sensorMetadata"] == {
        "time": "2024-01-01T09:00:00Z",
        "deviceID": "urn:x:dev",
        "ex:note": "n",
    }
    first, second, third, fourth, fifth = element["sensorReport"]
    assert first == {"type": "Temperature", "value": 26, "uom": "CEL", "sDev": 0.1, "booleanValue": True}
    assert type(first["value"]) is int
    assert second == {"type": "RelativeHumidity", "value": 15.0, "percRank": 50}
    assert third == {"type": "Speed", "exception": "ALARM_CONDITION", "component": "x", "minValue": -3,
                     "maxValue": 4.25}  # fmt: skip
    assert fourth == {
        "type": "ex:Custom",
        "stringValue": "s",
        "hexBinaryValue": "0f",
    }
    # Means the same in JSON (gs1 is a context prefix), so it stays as written.
    assert fifth == {"type": "gs1:NotAGs1Type"}
    assert element["ex:elementExtension"] == "e"


def test_persistent_disposition_and_ilmd() -> None:
    event = _one_event(
        _document(
            _object_event(
                "<epcList/><persistentDisposition><unset>urn:epcglobal:cbv:disp:completeness_inferred</unset>"
                "<set>https://ref.gs1.org/cbv/Disp-completeness_verified</set><set>urn:x:mine</set>"
                "</persistentDisposition><ilmd><ex:bestBefore>2025-01-01</ex:bestBefore></ilmd>",
                action="ADD",
            ),
            namespaces='xmlns:ex="http://ns.example.com/epcis/"',
        )
    )
    assert event["persistentDisposition"] == {
        "unset": ["completeness_inferred"],
        "set": ["completeness_verified", "urn:x:mine"],
    }
    assert event["ilmd"] == {"ex:bestBefore": "2025-01-01"}


def test_master_data_and_sbdh_header() -> None:
    header = (
        '<EPCISHeader><sbdh:StandardBusinessDocumentHeader xmlns:sbdh="http://www.unece.org/cefact/namespaces/'
        'StandardBusinessDocumentHeader"><sbdh:HeaderVersion>1.0</sbdh:HeaderVersion>'
        '<sbdh:Sender><sbdh:Identifier Authority="SGLN">urn:epc:id:sgln:0353579.00001.0</sbdh:Identifier>'
        "</sbdh:Sender><sbdh:Receiver><sbdh:Identifier>urn:epc:id:sgln:5012345.00001.0</sbdh:Identifier>"
        "</sbdh:Receiver><sbdh:DocumentIdentification><sbdh:Standard>EPCglobal</sbdh:Standard>"
        "<sbdh:InstanceIdentifier>1234567890</sbdh:InstanceIdentifier></sbdh:DocumentIdentification>"
        "</sbdh:StandardBusinessDocumentHeader>"
        "<extension><EPCISMasterData><VocabularyList>"
        '<Vocabulary type="urn:epcglobal:epcis:vtype:BusinessLocation">'
        '<VocabularyElementList><VocabularyElement id="urn:epc:id:sgln:0037000.00729.0">'
        '<attribute id="urn:epcglobal:cbv:mda:sst">201</attribute>'
        '<attribute id="http://epcis.example.com/mda/address"><ex:Address><Street>100 Nowhere Street</Street>'
        "<City>Fancy</City></ex:Address></attribute>"
        "<children><id>urn:epc:id:sgln:0037000.00729.8201</id></children>"
        "</VocabularyElement></VocabularyElementList></Vocabulary></VocabularyList></EPCISMasterData>"
        "</extension></EPCISHeader>"
    )
    document = read_xml_document(
        _document("", namespaces='xmlns:ex="http://epcis.example.com/ns"', header=header)
    )
    assert document["sender"] == "urn:epc:id:sgln:0353579.00001.0"
    assert document["receiver"] == "urn:epc:id:sgln:5012345.00001.0"
    assert document["instanceIdentifier"] == "1234567890"
    assert document["epcisHeader"] == {
        "epcisMasterData": {
            "vocabularyList": [
                {
                    "type": "urn:epcglobal:epcis:vtype:BusinessLocation",
                    "vocabularyElementList": [
                        {
                            "id": "urn:epc:id:sgln:0037000.00729.0",
                            "attributes": [
                                {"id": "urn:epcglobal:cbv:mda:sst", "attribute": "201"},
                                {
                                    "id": "http://epcis.example.com/mda/address",
                                    "attribute": {
                                        "ex:Address": {"Street": "100 Nowhere Street", "City": "Fancy"}
                                    },
                                },
                            ],
                            "children": ["urn:epc:id:sgln:0037000.00729.8201"],
                        }
                    ],
                }
            ]
        }
    }
    assert document["epcisBody"] == {"eventList": []}
    if STANDARD.is_dir():
        assert not list(_validator().iter_errors(document))


QUERY_ROOT = (
    '<epcisq:EPCISQueryDocument xmlns:epcisq="urn:epcglobal:epcis-query:xsd:2" schemaVersion="2.0" '
    'creationDate="2024-01-01T00:00:00Z">'
)


def test_query_document() -> None:
    events = _object_event("<epcList><epc>urn:x:1</epc></epcList>")
    wrapped = (
        f"{HEAD}{QUERY_ROOT}<EPCISBody><epcisq:QueryResults><queryName>SimpleEventQuery</queryName>"
        f"<subscriptionID>sub-1</subscriptionID><resultsBody><EventList>{events}</EventList></resultsBody>"
        "</epcisq:QueryResults></EPCISBody></epcisq:EPCISQueryDocument>"
    ).encode()
    document = read_xml_document(wrapped)
    assert document["type"] == "EPCISQueryDocument"
    results = document["epcisBody"]["queryResults"]
    assert results["queryName"] == "SimpleEventQuery"
    assert results["subscriptionID"] == "sub-1"
    assert results["resultsBody"]["eventList"][0]["epcList"] == ["urn:x:1"]

    unwrapped = (
        f"{HEAD}{QUERY_ROOT}<queryName>SimpleEventQuery</queryName>"
        f"<resultsBody><EventList>{events}</EventList></resultsBody></epcisq:EPCISQueryDocument>"
    ).encode()
    assert read_xml_document(unwrapped)["epcisBody"] == {
        "queryResults": {"queryName": "SimpleEventQuery", "resultsBody": results["resultsBody"]}
    }
    if STANDARD.is_dir():
        assert not list(_validator().iter_errors(document))


# ---------------------------------------------------------------------------------------------------
# Hostile and wrong input

BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
    b'<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">'
    b'<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">'
    b'<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">'
    b'<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">'
    b'<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">'
    b'<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>'
    b'<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0" '
    b'creationDate="2024-01-01T00:00:00Z"><EPCISBody><EventList><ObjectEvent>'
    b"<eventTime>2024-01-01T00:00:00Z</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset>"
    b"<epcList><epc>&lol9;</epc></epcList><action>OBSERVE</action></ObjectEvent></EventList></EPCISBody>"
    b"</epcis:EPCISDocument>"
)

EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE epcis:EPCISDocument [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0" '
    b'creationDate="2024-01-01T00:00:00Z"><EPCISBody><EventList><ObjectEvent>'
    b"<eventTime>2024-01-01T00:00:00Z</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset>"
    b"<epcList><epc>&xxe;</epc></epcList><action>OBSERVE</action></ObjectEvent></EventList></EPCISBody>"
    b"</epcis:EPCISDocument>"
)

EXTERNAL_PARAMETER_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>'
    b'<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0" '
    b'creationDate="2024-01-01T00:00:00Z"><EPCISBody/></epcis:EPCISDocument>'
)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(BILLION_LAUGHS, id="billion-laughs"),
        pytest.param(EXTERNAL_ENTITY, id="external-entity"),
        pytest.param(EXTERNAL_PARAMETER_ENTITY, id="external-parameter-entity"),
    ],
)
def test_entities_are_refused_not_expanded(data: bytes) -> None:
    with pytest.raises(XmlBindingError, match="entit") as caught:
        read_xml_document(data)
    assert "root:" not in str(caught.value)  # nothing of /etc/passwd leaks into the message


def test_plain_doctype_without_declarations_is_accepted() -> None:
    # GS1's own examples carry <!DOCTYPE project>.
    data = _document(_object_event("<epcList/>")).replace(
        HEAD.encode(), HEAD.encode() + b"<!DOCTYPE project>"
    )
    assert _one_event(data)["type"] == "ObjectEvent"


def test_malformed_xml_reports_the_line() -> None:
    data = (
        b'<?xml version="1.0"?>\n<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2">\n'
        b"<EPCISBody>\n</Oops>"
    )
    with pytest.raises(XmlBindingError, match="malformed XML") as caught:
        read_xml_document(data)
    assert caught.value.line == 4
    assert str(caught.value).startswith("line 4: malformed XML")


@pytest.mark.parametrize("data", [b"", b"not xml at all", b"\xff\xfe\x00garbage"])
def test_non_xml_is_refused(data: bytes) -> None:
    with pytest.raises(XmlBindingError, match="malformed XML"):
        read_xml_document(data)


def test_wrong_root_element() -> None:
    data = b'<?xml version="1.0"?>\n<epcis:EPCISCaptureJob xmlns:epcis="urn:epcglobal:epcis:xsd:2"/>'
    with pytest.raises(
        XmlBindingError, match=r"root element is <EPCISCaptureJob>.*expected EPCISDocument"
    ) as c:
        read_xml_document(data)
    assert c.value.line == 2
    with pytest.raises(XmlBindingError, match="root element is <EPCISDocument> in namespace urn:other"):
        read_xml_document(b'<EPCISDocument xmlns="urn:other"/>')


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("<epcList/><unknownField>x</unknownField>", r"unexpected element <unknownField> in <ObjectEvent>"),
        ("<quantityList><quantityElement><epcClass>urn:x</epcClass><quantity>lots</quantity></quantityElement>"
         "</quantityList>", r"quantity 'lots' is not a finite decimal number"),
        ('<epcList/><sensorElementList><sensorElement><sensorReport type="gs1:Speed" value="INF"/>'
         "</sensorElement></sensorElementList>", r"sensorReport value 'INF' is not a finite decimal number"),
        ('<epcList/><sensorElementList><sensorElement><sensorReport bogus="1"/></sensorElement>'
         "</sensorElementList>", r"unexpected attribute 'bogus' on <sensorReport>"),
        ("<epcList/><bizStep>a</bizStep><bizStep>b</bizStep>", r"<bizStep> occurs more than once"),
        ("<epcList><epc>urn:x<b/></epc></epcList>", r"unexpected element <b> in <epc>"),
        ("<epcList/><ilmd><lot>1</lot></ilmd>", r"ilmd fields must be namespace-qualified"),
    ],
)  # fmt: skip
def test_unrepresentable_content_is_refused_with_line(body: str, message: str) -> None:
    with pytest.raises(XmlBindingError, match=message) as caught:
        read_xml_document(_document(_object_event(body)))
    assert caught.value.line == 1


def test_quantity_event_is_not_an_epcis_2_event() -> None:
    with pytest.raises(XmlBindingError, match="<QuantityEvent> is not an EPCIS 2.0 event type"):
        read_xml_document(_document("<QuantityEvent/>"))
