"""What a sender is told when the schema rejects a body: pointers, wording, entry points.

These tests need none of the GS1 artefacts: they use small events written here.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema_rs
import pytest

from epcis_repo.capture.schema import SCHEMA_FILE, SchemaValidator
from epcis_repo.epcis import cbv
from epcis_repo.epcis.violations import Violation
from epcis_repo.resources import schemas_dir

CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
EPC = "urn:epc:id:sgtin:0614141.107346.2017"
EVENT0 = "/epcisBody/eventList/0"
_DELETE = object()


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((schemas_dir() / SCHEMA_FILE).read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def validator() -> SchemaValidator:
    return SchemaValidator.load()


def object_event(**changes: Any) -> dict[str, Any]:
    """A valid ObjectEvent; keyword arguments replace fields, or remove them when given ``_DELETE``."""
    event: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventTime": "2024-03-01T10:00:00.000+01:00",
        "eventTimeZoneOffset": "+01:00",
        "epcList": [EPC],
        "action": "OBSERVE",
        "bizStep": "shipping",
        "disposition": "in_transit",
        "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"},
    }
    for key, value in changes.items():
        if value is _DELETE:
            event.pop(key, None)
        else:
            event[key] = value
    return event


def document(*events: Any) -> dict[str, Any]:
    return {
        "@context": [CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-03-01T10:00:01Z",
        "epcisBody": {"eventList": list(events)},
    }


def bare(event: dict[str, Any]) -> dict[str, Any]:
    return {"@context": CONTEXT, **event}


def only(violations: list[Violation]) -> Violation:
    assert len(violations) == 1, violations
    return violations[0]


# ---- the schema file itself ---------------------------------------------------------------------


def test_schema_is_draft_2020_12_and_well_formed(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert jsonschema_rs.meta.is_valid(schema)
    for entry in ("documentEnvelope", "documentEvent", "standaloneEvent"):
        assert entry in schema["$defs"]


@pytest.mark.parametrize("vocabulary", cbv.ALL, ids=lambda v: v.name)
def test_vocabulary_words_match_cbv_module(schema: dict[str, Any], vocabulary: cbv.Vocabulary) -> None:
    definition = schema["$defs"][vocabulary.name]
    [words] = [branch["enum"] for branch in definition["anyOf"] if "enum" in branch]
    assert len(words) == len(set(words)), "duplicate word in the schema"
    assert set(words) == set(vocabulary.words)
    assert len(words) == len(vocabulary.words)


def test_formats_are_asserted(validator: SchemaValidator) -> None:
    """jsonschema-rs treats 2020-12 `format` as an annotation unless asked; GS1's rules need it asserted."""
    assert not validator.root_is_valid(bare(object_event(eventTime="yesterday")))
    assert not validator.root_is_valid(bare(object_event(eventID="not a uri")))
    assert not validator.root_is_valid(bare(object_event(note="x")))
    assert validator.root_is_valid(bare(object_event(**{"example:note": "x"})))


def test_load_compiles_once() -> None:
    assert SchemaValidator.load() is SchemaValidator.load()


# ---- entry points -------------------------------------------------------------------------------


def test_valid_bodies_have_no_violations(validator: SchemaValidator) -> None:
    assert validator.root(document(object_event())) == []
    assert validator.root(bare(object_event())) == []
    assert validator.document_envelope(document(object_event())) == []
    assert validator.document_event(object_event()) == []
    assert validator.standalone_event(bare(object_event())) == []


def test_document_event_pointers_are_relative_to_the_event(validator: SchemaValidator) -> None:
    event = object_event(action="MOVE")
    assert only(validator.document_event(event)).pointer == "/action"
    assert only(validator.root(document(object_event(), event))).pointer == "/epcisBody/eventList/1/action"


def test_standalone_event_needs_context_document_event_does_not(validator: SchemaValidator) -> None:
    assert validator.document_event(object_event()) == []
    violation = only(validator.standalone_event(object_event()))
    assert violation.pointer == ""
    assert violation.message.startswith("@context is required")
    assert only(validator.root(object_event())).message.startswith("@context is required")


def test_envelope_does_not_look_into_events(validator: SchemaValidator) -> None:
    doc = document(object_event(action="MOVE"), "not an event")
    assert validator.document_envelope(doc) == []
    assert not validator.root_is_valid(doc)


def test_envelope_checks_its_own_fields(validator: SchemaValidator) -> None:
    doc = document()
    doc["epcisBody"]["eventList"] = {}
    del doc["creationDate"]
    assert {(v.pointer, v.message) for v in validator.document_envelope(doc)} == {
        ("", "creationDate is required"),
        ("/epcisBody/eventList", "eventList must be an array, not an object"),
    }
    assert validator.document_envelope(bare(object_event()))


def test_query_document_envelope(validator: SchemaValidator) -> None:
    query: dict[str, Any] = {
        "@context": CONTEXT,
        "type": "EPCISQueryDocument",
        "epcisBody": {"queryResults": {"queryName": "SimpleEventQuery", "resultsBody": {"eventList": []}}},
    }
    assert validator.document_envelope(query) == []
    broken = copy.deepcopy(query)
    del broken["epcisBody"]["queryResults"]["queryName"]
    broken["epcisBody"]["queryResults"]["resultsBody"]["eventList"].append(object_event(action="MOVE"))
    violation = only(validator.document_envelope(broken))
    assert (violation.pointer, violation.message) == ("/epcisBody/queryResults", "queryName is required")
    pointers = {v.pointer for v in validator.root(broken)}
    assert pointers == {"/epcisBody/queryResults", "/epcisBody/queryResults/resultsBody/eventList/0/action"}


def test_body_that_is_not_an_object(validator: SchemaValidator) -> None:
    assert only(validator.root([])).message == "the body must be an object, not an array"
    assert (
        only(validator.document_event("ObjectEvent")).message == "the event must be an object, not a string"
    )


# ---- CBV and GS1 vocabulary fields --------------------------------------------------------------


def test_cbv_urn_in_bare_word_field(validator: SchemaValidator) -> None:
    doc = document(object_event(bizStep="urn:epcglobal:cbv:bizstep:receiving"))
    violation = only(validator.root(doc))
    assert violation.pointer == f"{EVENT0}/bizStep"
    assert violation.message == (
        "'urn:epcglobal:cbv:bizstep:receiving' is not allowed in bizStep: in JSON, standard values are "
        "bare words such as 'receiving'; other values must be absolute URIs"
    )


@pytest.mark.parametrize(
    ("changes", "pointer", "word"),
    [
        ({"disposition": "https://ns.gs1.org/cbv/Disp-in_transit"}, "/disposition", "'in_transit'"),
        ({"disposition": "http://ns.gs1.org/cbv/Disp-active"}, "/disposition", "'active'"),
        (
            {"bizTransactionList": [{"type": "urn:epcglobal:cbv:btt:po", "bizTransaction": "urn:x:po:1"}]},
            "/bizTransactionList/0/type",
            "'po'",
        ),
        (
            {"sourceList": [{"type": "urn:epcglobal:cbv:sdt:owning_party", "source": "urn:x:party:1"}]},
            "/sourceList/0/type",
            "'owning_party'",
        ),
        (
            {"persistentDisposition": {"set": ["urn:epcglobal:cbv:disp:recalled"]}},
            "/persistentDisposition/set/0",
            "'recalled'",
        ),
        (
            {
                "errorDeclaration": {
                    "declarationTime": "2024-03-02T00:00:00Z",
                    "reason": "urn:epcglobal:cbv:er:incorrect_data",
                }
            },
            "/errorDeclaration/reason",
            "'incorrect_data'",
        ),
        (
            {"sensorElementList": [{"sensorReport": [{"type": "https://gs1.org/voc/Temperature"}]}]},
            "/sensorElementList/0/sensorReport/0/type",
            "'Temperature'",
        ),
        (
            {
                "sensorElementList": [
                    {
                        "sensorReport": [
                            {"type": "Temperature", "exception": "http://www.gs1.org/voc/ALARM_CONDITION"}
                        ]
                    }
                ]
            },
            "/sensorElementList/0/sensorReport/0/exception",
            "'ALARM_CONDITION'",
        ),
        (
            {
                "sensorElementList": [
                    {"sensorReport": [{"type": "Length", "component": "urn:epcglobal:cbv:comp:x"}]}
                ]
            },
            "/sensorElementList/0/sensorReport/0/component",
            "'x'",
        ),
    ],
)
def test_standard_value_in_uri_form_names_the_bare_word(
    validator: SchemaValidator, changes: dict[str, Any], pointer: str, word: str
) -> None:
    violation = only(validator.document_event(object_event(**changes)))
    assert violation.pointer == pointer
    assert f"in JSON, standard values are bare words such as {word}" in violation.message


def test_ref_gs1_org_uris_pass_as_custom_values(validator: SchemaValidator) -> None:
    event = object_event(
        bizStep="https://ref.gs1.org/cbv/BizStep-receiving", disposition="https://example.org/d/x"
    )
    assert validator.document_event(event) == []


def test_unknown_bare_word(validator: SchemaValidator) -> None:
    assert only(validator.document_event(object_event(bizStep="Receiving"))).message == (
        "'Receiving' is not a standard bizStep value (did you mean 'receiving'?): use a bare word such as "
        "'receiving' or an absolute URI"
    )
    assert (
        "'in_progress' is a disposition value"
        in only(validator.document_event(object_event(bizStep="in_progress"))).message
    )


def test_unknown_urn_in_cbv_namespace(validator: SchemaValidator) -> None:
    message = only(
        validator.document_event(object_event(bizStep="urn:epcglobal:cbv:bizstep:teleporting"))
    ).message
    assert "reserved for standard values" in message


# ---- required fields, types, formats ------------------------------------------------------------


def test_missing_required_field_points_at_the_object(validator: SchemaValidator) -> None:
    violation = only(validator.root(document(object_event(eventTimeZoneOffset=_DELETE))))
    assert (violation.pointer, violation.message) == (EVENT0, "eventTimeZoneOffset is required")


def test_missing_type_is_reported_once(validator: SchemaValidator) -> None:
    violations = validator.root({"@context": CONTEXT})
    assert [v.message for v in violations] == ["type is required"]


def test_wrong_json_type(validator: SchemaValidator) -> None:
    event = object_event(
        quantityList=[{"epcClass": "urn:epc:class:lgtin:4012345.012345.998877", "quantity": "5"}]
    )
    violation = only(validator.document_event(event))
    assert (violation.pointer, violation.message) == (
        "/quantityList/0/quantity",
        "quantityList[0].quantity must be a number, not a string",
    )


@pytest.mark.parametrize(
    "value", ["2024-03-01T10:00:00", "2024-13-01T10:00:00Z", "2024-03-01 10:00:00Z", "today"]
)
def test_bad_timestamp(validator: SchemaValidator, value: str) -> None:
    violation = only(validator.document_event(object_event(eventTime=value)))
    assert violation.pointer == "/eventTime"
    assert violation.message.startswith("eventTime must be an RFC 3339 date-time with a time zone")
    assert repr(value) in violation.message


def test_leap_second(validator: SchemaValidator) -> None:
    violation = only(validator.document_event(object_event(eventTime="2016-12-31T23:59:60Z")))
    assert "leap seconds" in violation.message


def test_bad_time_zone_offset(validator: SchemaValidator) -> None:
    violation = only(validator.document_event(object_event(eventTimeZoneOffset="+15:00")))
    assert violation.pointer == "/eventTimeZoneOffset"
    assert "between -14:00 and +14:00" in violation.message


def test_bad_action(validator: SchemaValidator) -> None:
    violation = only(validator.document_event(object_event(action="MOVE")))
    assert violation.message == "'MOVE' is not a valid action: use ADD, OBSERVE or DELETE"


def test_uri_field(validator: SchemaValidator) -> None:
    violation = only(validator.document_event(object_event(epcList=[EPC, "0614141.107346.2018"])))
    assert violation.pointer == "/epcList/1"
    assert violation.message.startswith("epcList[1] must be an absolute URI")


def test_uom_pattern(validator: SchemaValidator) -> None:
    event = object_event(
        quantityList=[{"epcClass": "urn:epc:class:lgtin:4012345.012345.998877", "uom": "kg"}]
    )
    assert "UN/CEFACT" in only(validator.document_event(event)).message


def test_closest_alternative_of_any_of(validator: SchemaValidator) -> None:
    violation = only(validator.document_event(object_event(certificationInfo=["https://example.org/c/1", 2])))
    assert (violation.pointer, violation.message) == (
        "/certificationInfo/1",
        "certificationInfo[1] must be a string, not a number",
    )
    violation = only(validator.document_event(object_event(certificationInfo=3)))
    assert violation.message == "certificationInfo must be a string or an array, not a number"


# ---- keys ---------------------------------------------------------------------------------------


def test_non_namespaced_extension_key(validator: SchemaValidator) -> None:
    violation = only(validator.root(document(object_event(note="x"))))
    assert violation.pointer == f"{EVENT0}/note"
    assert "'note' is not a field of an ObjectEvent" in violation.message
    assert "'example:note'" in violation.message


def test_non_namespaced_ilmd_key(validator: SchemaValidator) -> None:
    violation = only(validator.document_event(object_event(action="ADD", ilmd={"lotNumber": "A1"})))
    assert violation.pointer == "/ilmd/lotNumber"
    assert violation.message.startswith("'lotNumber' is not allowed in ilmd")


def test_extra_key_in_closed_object(validator: SchemaValidator) -> None:
    event = object_event(
        quantityList=[{"epcClass": "urn:epc:class:lgtin:4012345.012345.998877", "ex:lot": "1"}]
    )
    violation = only(validator.document_event(event))
    assert (violation.pointer, violation.message) == (
        "/quantityList/0/ex:lot",
        "'ex:lot' is not allowed in quantityList[0]: its only fields are epcClass, quantity, uom",
    )


def test_key_pointer_is_escaped(validator: SchemaValidator) -> None:
    event = object_event(readPoint={"id": "urn:epc:id:sgln:0614141.07346.1234"}, **{"a/b": 1})
    assert only(validator.document_event(event)).pointer == "/a~1b"


def test_standard_field_on_the_wrong_event_type(validator: SchemaValidator) -> None:
    event = {
        "type": "AggregationEvent",
        "eventTime": "2024-03-01T10:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "action": "DELETE",
        "persistentDisposition": {"set": ["recalled"]},
    }
    violation = only(validator.document_event(event))
    assert (violation.pointer, violation.message) == (
        "/persistentDisposition",
        "persistentDisposition is not allowed in an AggregationEvent "
        "(only in ObjectEvent and TransformationEvent)",
    )


# ---- event rules --------------------------------------------------------------------------------


def test_ilmd_needs_action_add(validator: SchemaValidator) -> None:
    violation = only(validator.document_event(object_event(action="OBSERVE", ilmd={"ex:lot": "A1"})))
    assert (violation.pointer, violation.message) == (
        "/ilmd",
        "ilmd is only allowed on an ObjectEvent whose action is ADD, not 'OBSERVE'",
    )
    assert validator.document_event(object_event(action="ADD", ilmd={"ex:lot": "A1"})) == []


def test_object_event_what(validator: SchemaValidator) -> None:
    violation = only(validator.document_event(object_event(epcList=_DELETE)))
    assert violation.pointer == ""
    assert violation.message.startswith("an ObjectEvent must have epcList (which may be empty)")


def test_aggregation_without_children(validator: SchemaValidator) -> None:
    event = {
        "type": "AggregationEvent",
        "eventTime": "2024-03-01T10:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "action": "ADD",
        "parentID": "urn:epc:id:sscc:0614141.1234567890",
    }
    assert only(validator.document_event(event)).message == (
        "an AggregationEvent whose action is 'ADD' must have a non-empty childEPCs or childQuantityList; "
        "only action DELETE may leave both out"
    )
    assert validator.document_event({**event, "action": "DELETE"}) == []


def test_transformation_event_rules(validator: SchemaValidator) -> None:
    event = {
        "type": "TransformationEvent",
        "eventTime": "2024-03-01T10:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "inputEPCList": [EPC],
    }
    violation = only(validator.document_event(event))
    assert violation.message.startswith("a TransformationEvent without transformationID must have outputs")
    assert (
        validator.document_event(
            {**event, "transformationID": "urn:uuid:7d5b0ea0-d4f4-4b57-b23e-0a8f0c8e4a35"}
        )
        == []
    )
    assert validator.document_event({**event, "action": "ADD", "outputEPCList": [EPC]})[0].message == (
        "action is not allowed in a TransformationEvent "
        "(only in ObjectEvent, AggregationEvent, TransactionEvent and AssociationEvent)"
    )


def test_extension_event_type(validator: SchemaValidator) -> None:
    event = {"type": "CustomEvent", "eventTime": "2024-03-01T10:00:00Z", "eventTimeZoneOffset": "+00:00"}
    violation = only(validator.document_event(event))
    assert violation.pointer == "/type"
    assert violation.message.startswith("'CustomEvent' is not an event type")
    assert validator.document_event({**event, "type": "example:CustomEvent", "note": 1}) == []


def test_persistent_disposition_needs_set_or_unset(validator: SchemaValidator) -> None:
    violation = only(validator.document_event(object_event(persistentDisposition={})))
    assert violation.message == "persistentDisposition must have set, unset, or both"
    violation = only(validator.document_event(object_event(persistentDisposition={"set": []})))
    assert (violation.pointer, violation.message) == (
        "/persistentDisposition/set",
        "persistentDisposition.set must not be empty",
    )


def test_violations_are_unique(validator: SchemaValidator) -> None:
    broken = document(
        object_event(eventTime=_DELETE, bizStep="urn:epcglobal:cbv:bizstep:receiving", note=1),
        {"type": "TransactionEvent"},
        {},
    )
    violations = validator.root(broken)
    assert len(violations) == len({(v.pointer, v.message) for v in violations})
    assert len(violations) >= 6
