"""The parameter-by-parameter conformance matrix of the query interface (checklist C-Q-2).

`EVENTS` is a small, hand-built set of events (E1 to E6, and E5d declaring E5 erroneous) with
master data, chosen so that every SimpleEventQuery parameter can select some of them and miss
the others. `CASES` lists, per parameter, a query that must return exactly some events (positive)
and one that must return none of them, or fail the way the standard says (negative).
`tests/query/test_conformance.py` runs every case in the URL form and the named-query form on
every store; ``python -m tests.query.conformance`` writes docs/conformance.md from this table.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from epcis_repo.epcis.identifiers import to_digital_link

EX = "https://ns.example.com/epcis/"
CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"ex": EX}]
EXTENSIONS_HEADER = f"ex={EX}"

SITE = "urn:epc:id:sgln:8934567.00001.0"
DOCK = "urn:epc:id:sgln:8934567.00002.0"  # inside SITE (master data)
YARD = "urn:epc:id:sgln:8934567.00003.0"
STORE = "urn:epc:id:sgln:8934567.00004.0"
PALLET = "urn:epc:id:sscc:8934567.1000000001"
CRATE = "urn:epc:id:grai:8934567.00005.77"
LOT_1 = "urn:epc:class:lgtin:8934567.012345.LOT1"
LOT_2 = "urn:epc:class:lgtin:8934567.012345.LOT2"
ROASTED = "urn:epc:class:lgtin:8934567.054321.R1"
OWNER = "urn:epc:id:pgln:8934567.00010"
BUYER = "urn:epc:id:pgln:4012345.00000"
CORRECTION = "urn:uuid:0b5a3b5e-62f6-4a0b-9a25-7d2d1c0c6e01"


def sgtin(serial: str) -> str:
    return f"urn:epc:id:sgtin:8934567.012345.{serial}"


def _event(tag: str, kind: str, time: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "eventID": f"urn:uuid:00000000-0000-4000-8000-00000000000{tag[1]}",
        "eventTime": time,
        "eventTimeZoneOffset": "+07:00",
        **fields,
    }


E1 = _event(
    "E1",
    "ObjectEvent",
    "2024-03-01T08:00:00+07:00",
    action="ADD",
    bizStep="commissioning",
    disposition="active",
    epcList=[sgtin("A1"), sgtin("A2")],
    quantityList=[{"epcClass": LOT_1, "quantity": 100, "uom": "KGM"}],
    persistentDisposition={"set": ["active"], "unset": ["completeness_inferred"]},
    readPoint={"id": DOCK, "ex:dock": "3", "ex:gate": {"ex:side": "north"}},
    bizLocation={"id": SITE, "ex:zone": "cold", "ex:aisle": {"ex:row": "R9"}},
    bizTransactionList=[{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:8934567000017:PO-1"}],
    sourceList=[{"type": "owning_party", "source": OWNER}],
    destinationList=[{"type": "owning_party", "destination": BUYER}],
    ilmd={"ex:bestBefore": "2025-01-01T00:00:00Z", "ex:grade": "A", "ex:origin": {"ex:province": "Đắk Lắk"}},
    **{
        "ex:limit": 8,
        "ex:note": "fragile",
        "ex:batch": {"ex:line": "L7"},
        "ex:packedAt": "2024-03-01T00:00:00Z",
    },
)
E2 = _event(
    "E2",
    "ObjectEvent",
    "2024-03-02T08:00:00+07:00",
    action="OBSERVE",
    bizStep="shipping",
    disposition="in_transit",
    epcList=[sgtin("A1")],
    readPoint={"id": YARD},
    sensorElementList=[
        {
            "sensorMetadata": {
                "time": "2024-03-02T01:00:00Z",
                "startTime": "2024-03-02T00:00:00Z",
                "endTime": "2024-03-02T01:00:00Z",
                "deviceID": "urn:epc:id:giai:8934567.D1",
                "dataProcessingMethod": "https://example.org/method/avg",
                "bizRules": "https://example.org/rules/cold",
                "ex:calibrated": "2024-01-01T00:00:00Z",
            },
            "sensorReport": [
                {
                    "type": "Temperature",
                    "value": 4.5,
                    "uom": "CEL",
                    "minValue": 3,
                    "maxValue": 6,
                    "meanValue": 4.5,
                    "sDev": 0.5,
                    "percRank": 50,
                    "percValue": 4.4,
                    "ex:probe": "P-1",
                    "ex:detail": {"ex:channel": 2},
                },
                {
                    "type": "Dimensionless",
                    "stringValue": "ok",
                    "hexBinaryValue": "0AFF",
                    "uriValue": "https://example.org/u",
                    "booleanValue": True,
                    "microorganism": "https://www.ncbi.nlm.nih.gov/taxonomy/1126011",
                    "chemicalSubstance": "https://identifiers.org/inchikey:CZMRCDWAGMRECN-UGDNZRGBSA-N",
                },
            ],
            "ex:site": "dock",
            "ex:placement": {"ex:level": 2},
        }
    ],
)
E3 = _event(
    "E3",
    "AggregationEvent",
    "2024-03-03T08:00:00+07:00",
    action="ADD",
    bizStep="packing",
    disposition="container_closed",
    parentID=PALLET,
    childEPCs=[sgtin("A1"), sgtin("A2")],
    childQuantityList=[{"epcClass": LOT_2, "quantity": 5, "uom": "KGM"}],
    readPoint={"id": DOCK},
)
E4 = _event(
    "E4",
    "TransformationEvent",
    "2024-03-04T08:00:00+07:00",
    bizStep="commissioning",
    transformationID="urn:epc:id:gdti:8934567.00001.T1",
    inputEPCList=[sgtin("A2")],
    outputEPCList=[sgtin("B1")],
    inputQuantityList=[{"epcClass": LOT_1, "quantity": 50, "uom": "KGM"}],
    outputQuantityList=[{"epcClass": ROASTED, "quantity": 40000, "uom": "GRM"}],
    persistentDisposition={"unset": ["active"]},
    readPoint={"id": STORE},
)
E5 = _event(
    "E5",
    "TransactionEvent",
    "2024-03-05T08:00:00+07:00",
    action="ADD",
    bizStep="shipping",
    bizTransactionList=[{"type": "inv", "bizTransaction": "urn:epcglobal:cbv:bt:8934567000017:INV-9"}],
    epcList=[sgtin("A3")],
    sourceList=[{"type": "possessing_party", "source": OWNER}],
    destinationList=[{"type": "location", "destination": STORE}],
)
E6 = _event(
    "E6",
    "AssociationEvent",
    "2024-03-06T08:00:00+07:00",
    action="ADD",
    bizStep="installing",
    parentID=CRATE,
    childEPCs=[sgtin("A4")],
    bizLocation={"id": STORE},
)
E5d = {
    **E5,
    "errorDeclaration": {
        "declarationTime": "2024-03-10T00:00:00Z",
        "reason": "incorrect_data",
        "correctiveEventIDs": [CORRECTION],
        "ex:declaredBy": "auditor",
        "ex:ticket": {"ex:number": 42},
    },
}
EVENTS = [E1, E2, E3, E4, E5, E6, E5d]
TAGS = {id(e): name for name, e in zip(("E1", "E2", "E3", "E4", "E5", "E6", "E5d"), EVENTS, strict=True)}

MASTER_DATA = {
    "vocabularyList": [
        {
            "type": "urn:epcglobal:epcis:vtype:BusinessLocation",
            "vocabularyElementList": [
                {"id": SITE, "attributes": [{"id": "cbvmda:sst", "attribute": "201"}], "children": [DOCK]},
                {"id": STORE, "attributes": [{"id": "ex:certified", "attribute": "true"}]},
            ],
        },
        {
            "type": "urn:epcglobal:epcis:vtype:ReadPoint",
            "vocabularyElementList": [{"id": DOCK, "attributes": [{"id": "cbvmda:sst", "attribute": "202"}]}],
        },
    ]
}


def document() -> dict[str, Any]:
    return {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-03-10T00:00:00Z",
        "epcisHeader": {"epcisMasterData": MASTER_DATA},
        "epcisBody": {"eventList": EVENTS},
    }


def tag_of(event: dict[str, Any]) -> str:
    """The name (E1 ... E6, E5d) of a returned event."""
    number = event["eventID"][-1]
    return f"E{number}d" if "errorDeclaration" in event else f"E{number}"


@dataclass(frozen=True)
class Case:
    """One parameter: what it means, a query returning exactly `expected`, and one selecting none
    (`negative`), or failing with `fails` (HTTP status) where the standard says so."""

    parameter: str
    meaning: str
    positive: dict[str, str]
    expected: tuple[str, ...]
    negative: dict[str, str] = field(default_factory=dict)
    fails: int | None = None
    ordered: bool = False  # the expected order matters

    @property
    def name(self) -> str:
        return self.parameter


ALL = ("E1", "E2", "E3", "E4", "E5", "E6", "E5d")
LATER = "2030-01-01T00:00:00Z"
EARLIER = "2000-01-01T00:00:00Z"

CASES: tuple[Case, ...] = (
    # c.1 event type and time
    Case(
        "eventType",
        "event type in the list",
        {"eventType": "ObjectEvent|AggregationEvent"},
        ("E1", "E2", "E3"),
        {"eventType": "https://example.org/MyEvent"},
    ),
    Case(
        "GE_eventTime",
        "eventTime ≥ value (as instants)",
        {"GE_eventTime": "2024-03-05T01:00:00Z"},
        ("E5", "E6", "E5d"),
        {"GE_eventTime": LATER},
    ),
    Case(
        "LT_eventTime",
        "eventTime < value",
        {"LT_eventTime": "2024-03-02T01:00:00Z"},
        ("E1",),
        {"LT_eventTime": EARLIER},
    ),
    Case("GE_recordTime", "recordTime ≥ value", {"GE_recordTime": EARLIER}, ALL, {"GE_recordTime": LATER}),
    Case("LT_recordTime", "recordTime < value", {"LT_recordTime": LATER}, ALL, {"LT_recordTime": EARLIER}),
    # c.2 what, why, where
    Case("EQ_action", "action in the list", {"EQ_action": "OBSERVE"}, ("E2",), {"EQ_action": "DELETE"}),
    Case(
        "EQ_bizStep",
        "bizStep in the list (bare word, URN or Web URI)",
        {"EQ_bizStep": "urn:epcglobal:cbv:bizstep:shipping"},
        ("E2", "E5", "E5d"),
        {"EQ_bizStep": "receiving"},
    ),
    Case(
        "EQ_disposition",
        "disposition in the list",
        {"EQ_disposition": "https://ref.gs1.org/cbv/Disp-in_transit"},
        ("E2",),
        {"EQ_disposition": "destroyed"},
    ),
    Case(
        "EQ_persistentDisposition_set",
        "a disposition set",
        {"EQ_persistentDisposition_set": "active"},
        ("E1",),
        {"EQ_persistentDisposition_set": "recalled"},
    ),
    Case(
        "EQ_persistentDisposition_unset",
        "a disposition unset",
        {"EQ_persistentDisposition_unset": "active"},
        ("E4",),
        {"EQ_persistentDisposition_unset": "recalled"},
    ),
    Case(
        "EQ_readPoint",
        "readPoint in the list (URN or Digital Link)",
        {"EQ_readPoint": "https://id.gs1.org/414/8934567000024"},
        ("E1", "E3"),
        {"EQ_readPoint": SITE},
    ),
    Case(
        "WD_readPoint",
        "readPoint is a value or below one in the master data",
        {"WD_readPoint": SITE},
        ("E1", "E3"),
        {"WD_readPoint": "urn:epc:id:sgln:8934567.00099.0"},
    ),
    Case(
        "EQ_bizLocation",
        "bizLocation in the list",
        {"EQ_bizLocation": STORE},
        ("E6",),
        {"EQ_bizLocation": DOCK},
    ),
    Case(
        "WD_bizLocation",
        "bizLocation is a value or below one",
        {"WD_bizLocation": SITE},
        ("E1",),
        {"WD_bizLocation": YARD},
    ),
    Case(
        "EQ_transformationID",
        "transformationID in the list",
        {"EQ_transformationID": "urn:epc:id:gdti:8934567.00001.T1"},
        ("E4",),
        {"EQ_transformationID": "urn:epc:id:gdti:8934567.00001.T2"},
    ),
    Case(
        "EQ_eventID",
        "eventID in the list (with the error declarations sharing it)",
        {"EQ_eventID": "urn:uuid:00000000-0000-4000-8000-000000000005"},
        ("E5", "E5d"),
        {"EQ_eventID": "urn:uuid:00000000-0000-4000-8000-000000000009"},
    ),
    Case(
        "EQ_bizTransaction_<type>",
        "a business transaction of that type and value",
        {"EQ_bizTransaction_inv": "urn:epcglobal:cbv:bt:8934567000017:INV-9"},
        ("E5", "E5d"),
        {"EQ_bizTransaction_po": "urn:epcglobal:cbv:bt:8934567000017:INV-9"},
    ),
    Case(
        "EQ_source_<type>",
        "a source of that type and value",
        {"EQ_source_owning_party": str(to_digital_link(OWNER))},
        ("E1",),
        {"EQ_source_location": OWNER},
    ),
    Case(
        "EQ_destination_<type>",
        "a destination of that type and value",
        {"EQ_destination_location": STORE},
        ("E5", "E5d"),
        {"EQ_destination_owning_party": STORE},
    ),
    # c.3 identifiers
    Case(
        "MATCH_epc",
        "epcList or childEPCs (patterns allowed)",
        {"MATCH_epc": "urn:epc:idpat:sgtin:8934567.012345.*"},
        ("E1", "E2", "E3", "E5", "E6", "E5d"),
        {"MATCH_epc": "urn:epc:idpat:sgtin:8934567.099999.*"},
    ),
    Case(
        "MATCH_parentID",
        "parentID",
        {"MATCH_parentID": str(to_digital_link(PALLET))},
        ("E3",),
        {"MATCH_parentID": sgtin("A1")},
    ),
    Case(
        "MATCH_inputEPC",
        "inputEPCList",
        {"MATCH_inputEPC": sgtin("A2")},
        ("E4",),
        {"MATCH_inputEPC": sgtin("A1")},
    ),
    Case(
        "MATCH_outputEPC",
        "outputEPCList",
        {"MATCH_outputEPC": "urn:epc:idpat:sgtin:8934567.*.*"},
        ("E4",),
        {"MATCH_outputEPC": sgtin("A2")},
    ),
    Case(
        "MATCH_anyEPC",
        "any EPC list or parentID",
        {"MATCH_anyEPC": CRATE},
        ("E6",),
        {"MATCH_anyEPC": "urn:epc:id:grai:8934567.00005.78"},
    ),
    Case(
        "MATCH_epcClass",
        "quantityList and childQuantityList classes",
        {"MATCH_epcClass": LOT_2},
        ("E3",),
        {"MATCH_epcClass": ROASTED},
    ),
    Case(
        "MATCH_inputEPCClass",
        "inputQuantityList classes",
        {"MATCH_inputEPCClass": "urn:epc:idpat:sgtin:8934567.012345.*"},
        ("E4",),
        {"MATCH_inputEPCClass": LOT_2},
    ),
    Case(
        "MATCH_outputEPCClass",
        "outputQuantityList classes",
        {"MATCH_outputEPCClass": str(to_digital_link("urn:epc:idpat:sgtin:8934567.054321.*"))},
        ("E4",),
        {"MATCH_outputEPCClass": LOT_1},
    ),
    Case(
        "MATCH_anyEPCClass",
        "any quantity list class",
        {"MATCH_anyEPCClass": LOT_1},
        ("E1", "E4"),
        {"MATCH_anyEPCClass": "urn:epc:class:lgtin:8934567.012345.LOT9"},
    ),
    # c.4 quantities
    Case(
        "EQ_quantity",
        "some quantity equals a value",
        {"EQ_quantity": "5|40000"},
        ("E3", "E4"),
        {"EQ_quantity": "7"},
    ),
    Case("GT_quantity", "some quantity > value", {"GT_quantity": "100"}, ("E4",), {"GT_quantity": "40000"}),
    Case(
        "GE_quantity", "some quantity ≥ value", {"GE_quantity": "100"}, ("E1", "E4"), {"GE_quantity": "40001"}
    ),
    Case("LT_quantity", "some quantity < value", {"LT_quantity": "50"}, ("E3",), {"LT_quantity": "5"}),
    Case("LE_quantity", "some quantity ≤ value", {"LE_quantity": "50"}, ("E3", "E4"), {"LE_quantity": "4"}),
    Case(
        "EQ_quantity_<uom>",
        "some quantity equals a value in that unit (converted)",
        {"EQ_quantity_KGM": "40"},
        ("E4",),
        {"EQ_quantity_KGM": "41"},
    ),
    Case(
        "GT_quantity_<uom>",
        "some quantity > value in that unit",
        {"GT_quantity_TNE": "0.09"},
        ("E1",),
        {"GT_quantity_TNE": "0.1"},
    ),
    Case(
        "GE_quantity_<uom>",
        "some quantity ≥ value in that unit",
        {"GE_quantity_GRM": "50000"},
        ("E1", "E4"),
        {"GE_quantity_GRM": "100001"},
    ),
    Case(
        "LT_quantity_<uom>",
        "some quantity < value in that unit",
        {"LT_quantity_GRM": "6000"},
        ("E3",),
        {"LT_quantity_GRM": "5000"},
    ),
    Case(
        "LE_quantity_<uom>",
        "some quantity ≤ value in that unit",
        {"LE_quantity_LBR": "11.1"},
        ("E3",),
        {"LE_quantity_LBR": "11"},
    ),
    # c.5 error declarations
    Case(
        "EXISTS_errorDeclaration",
        "the event is an error declaration",
        {"EXISTS_errorDeclaration": ""},
        ("E5d",),
        {"EXISTS_errorDeclaration": "", "eventType": "ObjectEvent"},
    ),
    Case(
        "GE_errorDeclarationTime",
        "declarationTime ≥ value",
        {"GE_errorDeclarationTime": "2024-03-09T00:00:00Z"},
        ("E5d",),
        {"GE_errorDeclarationTime": LATER},
    ),
    Case(
        "LT_errorDeclarationTime",
        "declarationTime < value",
        {"LT_errorDeclarationTime": LATER},
        ("E5d",),
        {"LT_errorDeclarationTime": "2024-03-10T00:00:00Z"},
    ),
    Case(
        "GE_errorDeclaration_Time",
        "the query schema's spelling of GE_errorDeclarationTime",
        {"GE_errorDeclaration_Time": EARLIER},
        ("E5d",),
        {"GE_errorDeclaration_Time": LATER},
    ),
    Case(
        "LT_errorDeclaration_Time",
        "the query schema's spelling of LT_errorDeclarationTime",
        {"LT_errorDeclaration_Time": LATER},
        ("E5d",),
        {"LT_errorDeclaration_Time": EARLIER},
    ),
    Case(
        "EQ_errorReason",
        "the declaration's reason",
        {"EQ_errorReason": "incorrect_data"},
        ("E5d",),
        {"EQ_errorReason": "did_not_occur"},
    ),
    Case(
        "EQ_correctiveEventID",
        "a corrective event id",
        {"EQ_correctiveEventID": CORRECTION},
        ("E5d",),
        {"EQ_correctiveEventID": "urn:uuid:0b5a3b5e-62f6-4a0b-9a25-7d2d1c0c6e02"},
    ),
    Case(
        "EQ_ERROR_DECLARATION_<f>",
        "an extension field of the declaration",
        {"EQ_ERROR_DECLARATION_ex:declaredBy": "auditor"},
        ("E5d",),
        {"EQ_ERROR_DECLARATION_ex:declaredBy": "owner"},
    ),
    Case(
        "GT/GE/LT/LE_ERROR_DECLARATION_<f>",
        "compare it",
        {"GE_INNER_ERROR_DECLARATION_ex:number": "42"},
        ("E5d",),
        {"GT_INNER_ERROR_DECLARATION_ex:number": "42"},
    ),
    Case(
        "EXISTS_ERROR_DECLARATION_<f>",
        "the declaration has it",
        {"EXISTS_ERROR_DECLARATION_ex:ticket": ""},
        ("E5d",),
        {"EXISTS_ERROR_DECLARATION_ex:number": ""},
    ),
    Case(
        "EQ_INNER_ERROR_DECLARATION_<f>",
        "nested in one of its extension fields",
        {"EQ_INNER_ERROR_DECLARATION_ex:number": "42"},
        ("E5d",),
        {"EQ_INNER_ERROR_DECLARATION_ex:ticket": "42"},
    ),
    # c.6 sensor data
    Case(
        "EXISTS_sensorElementList",
        "the event has sensor data",
        {"EXISTS_sensorElementList": ""},
        ("E2",),
        {"EXISTS_sensorElementList": "", "EQ_action": "ADD"},
    ),
    Case(
        "GE_time", "a sensor time ≥ value", {"GE_time": "2024-03-02T01:00:00Z"}, ("E2",), {"GE_time": LATER}
    ),
    Case(
        "LT_time", "a sensor time < value", {"LT_time": LATER}, ("E2",), {"LT_time": "2024-03-02T01:00:00Z"}
    ),
    Case(
        "GE_startTime",
        "a sensor startTime ≥ value",
        {"GE_startTime": EARLIER},
        ("E2",),
        {"GE_startTime": LATER},
    ),
    Case(
        "LT_startTime",
        "a sensor startTime < value",
        {"LT_startTime": LATER},
        ("E2",),
        {"LT_startTime": EARLIER},
    ),
    Case(
        "GE_endTime",
        "a sensor endTime ≥ value",
        {"GE_endTime": "2024-03-02T01:00:00Z"},
        ("E2",),
        {"GE_endTime": LATER},
    ),
    Case("LT_endTime", "a sensor endTime < value", {"LT_endTime": LATER}, ("E2",), {"LT_endTime": EARLIER}),
    Case(
        "EQ_type",
        "a sensor report's measurement type",
        {"EQ_type": "Temperature"},
        ("E2",),
        {"EQ_type": "Pressure"},
    ),
    Case(
        "EQ_deviceID",
        "a device (metadata or report)",
        {"EQ_deviceID": "https://id.gs1.org/8004/8934567D1"},
        ("E2",),
        {"EQ_deviceID": "urn:epc:id:giai:8934567.D2"},
    ),
    Case(
        "EQ_dataProcessingMethod",
        "a data processing method",
        {"EQ_dataProcessingMethod": "https://example.org/method/avg"},
        ("E2",),
        {"EQ_dataProcessingMethod": "https://example.org/method/max"},
    ),
    Case(
        "EQ_microorganism",
        "a microorganism",
        {"EQ_microorganism": "https://www.ncbi.nlm.nih.gov/taxonomy/1126011"},
        ("E2",),
        {"EQ_microorganism": "https://www.ncbi.nlm.nih.gov/taxonomy/1"},
    ),
    Case(
        "EQ_chemicalSubstance",
        "a chemical substance",
        {"EQ_chemicalSubstance": "https://identifiers.org/inchikey:CZMRCDWAGMRECN-UGDNZRGBSA-N"},
        ("E2",),
        {"EQ_chemicalSubstance": "https://identifiers.org/inchikey:X"},
    ),
    Case(
        "EQ_bizRules",
        "business rules",
        {"EQ_bizRules": "https://example.org/rules/cold"},
        ("E2",),
        {"EQ_bizRules": "https://example.org/rules/warm"},
    ),
    Case(
        "EQ_stringValue",
        "a report's string value",
        {"EQ_stringValue": "ok"},
        ("E2",),
        {"EQ_stringValue": "OK"},
    ),
    Case(
        "EQ_booleanValue",
        "a report's boolean value",
        {"EQ_booleanValue": "true"},
        ("E2",),
        {"EQ_booleanValue": "false"},
    ),
    Case(
        "EQ_hexBinaryValue",
        "a report's hex value (any case)",
        {"EQ_hexBinaryValue": "0aff"},
        ("E2",),
        {"EQ_hexBinaryValue": "0AFE"},
    ),
    Case(
        "EQ_uriValue",
        "a report's URI value",
        {"EQ_uriValue": "https://example.org/u"},
        ("E2",),
        {"EQ_uriValue": "https://example.org/v"},
    ),
    Case(
        "EQ_value_<uom>",
        "a value equals one in that unit (converted)",
        {"EQ_value_KEL": "277.65"},
        ("E2",),
        {"EQ_value_CEL": "4.6"},
    ),
    Case(
        "GT/GE/LT/LE_value_<uom>",
        "compare a value in that unit (a query in kelvin finds celsius)",
        {"GE_value_KEL": "277", "LT_value_FAH": "41"},
        ("E2",),
        {"GT_value_KEL": "278"},
    ),
    Case(
        "GT/GE/LT/LE_minValue_<uom>",
        "compare minValue",
        {"LE_minValue_CEL": "3"},
        ("E2",),
        {"LT_minValue_CEL": "3"},
    ),
    Case(
        "GT/GE/LT/LE_maxValue_<uom>",
        "compare maxValue",
        {"GE_maxValue_KEL": "279"},
        ("E2",),
        {"GT_maxValue_KEL": "279.2"},
    ),
    Case(
        "GT/GE/LT/LE_meanValue_<uom>",
        "compare meanValue",
        {"GT_meanValue_FAH": "40"},
        ("E2",),
        {"GT_meanValue_FAH": "41"},
    ),
    Case(
        "GT/GE/LT/LE_sDev_<uom>",
        "compare sDev (a spread: scaled, never offset)",
        {"GE_sDev_KEL": "0.5"},
        ("E2",),
        {"GE_sDev_KEL": "0.6"},
    ),
    Case(
        "GT/GE/LT/LE_percValue_<uom>",
        "compare percValue",
        {"LT_percValue_CEL": "4.5"},
        ("E2",),
        {"LT_percValue_CEL": "4.4"},
    ),
    Case("GT/GE/LT/LE_percRank", "compare percRank", {"GE_percRank": "50"}, ("E2",), {"GT_percRank": "50"}),
    Case(
        "EQ_SENSORELEMENT_<f>",
        "a sensorElement extension field",
        {"EQ_SENSORELEMENT_ex:site": "dock"},
        ("E2",),
        {"EQ_SENSORELEMENT_ex:site": "yard"},
    ),
    Case(
        "EQ_INNER_SENSORELEMENT_<f>",
        "nested in a sensorElement extension",
        {"EQ_INNER_SENSORELEMENT_ex:level": "2"},
        ("E2",),
        {"LT_INNER_SENSORELEMENT_ex:level": "2"},
    ),
    Case(
        "EQ_SENSORMETADATA_<f>",
        "a sensorMetadata extension field (times compared as instants)",
        {"EQ_SENSORMETADATA_ex:calibrated": "2024-01-01T07:00:00+07:00"},
        ("E2",),
        {"GT_SENSORMETADATA_ex:calibrated": "2024-01-01T00:00:00Z"},
    ),
    Case(
        "EQ_SENSORREPORT_<f>",
        "a sensorReport extension field",
        {"EQ_SENSORREPORT_ex:probe": "P-1"},
        ("E2",),
        {"EQ_SENSORREPORT_ex:probe": "P-2"},
    ),
    Case(
        "EQ_INNER_SENSORREPORT_<f>",
        "nested in a sensorReport extension",
        {"GE_INNER_SENSORREPORT_ex:channel": "2"},
        ("E2",),
        {"EQ_INNER_SENSORREPORT_ex:channel": "3"},
    ),
    Case(
        "EXISTS_SENSORELEMENT/SENSORMETADATA/SENSORREPORT_<f>",
        "has that extension field",
        {"EXISTS_SENSORREPORT_ex:probe": "", "EXISTS_SENSORMETADATA_ex:calibrated": ""},
        ("E2",),
        {"EXISTS_SENSORELEMENT_ex:probe": ""},
    ),
    # c.8 extension fields and master data
    Case(
        "EQ_<f>",
        "a top-level extension field equals a value",
        {"EQ_ex:note": "fragile|broken"},
        ("E1",),
        {"EQ_ex:note": "sturdy"},
    ),
    Case(
        "GT/GE/LT/LE_<f>",
        "compare a top-level extension field (number or time)",
        {"GE_ex:limit": "8", "LT_ex:packedAt": "2024-03-02T00:00:00Z"},
        ("E1",),
        {"GT_ex:limit": "8"},
    ),
    Case(
        "EXISTS_<f>",
        "has the top-level extension field",
        {"EXISTS_ex:batch": ""},
        ("E1",),
        {"EXISTS_ex:line": ""},
    ),
    Case("EQ_ILMD_<f>", "an ILMD field", {"EQ_ILMD_ex:grade": "A"}, ("E1",), {"EQ_ILMD_ex:grade": "B"}),
    Case(
        "GT/GE/LT/LE_ILMD_<f>",
        "compare an ILMD field",
        {"GE_ILMD_ex:bestBefore": "2024-12-31T00:00:00Z"},
        ("E1",),
        {"GE_ILMD_ex:bestBefore": "2025-01-02T00:00:00Z"},
    ),
    Case(
        "EXISTS_ILMD_<f>",
        "has the ILMD field",
        {"EXISTS_ILMD_ex:origin": ""},
        ("E1",),
        {"EXISTS_ILMD_ex:province": ""},
    ),
    Case(
        "EQ_INNER_<f>",
        "nested at any depth in a top-level extension field",
        {"EQ_INNER_ex:line": "L7"},
        ("E1",),
        {"EQ_INNER_ex:batch": "L7"},
    ),
    Case(
        "EXISTS_INNER_<f>",
        "has the nested field",
        {"EXISTS_INNER_ex:line": ""},
        ("E1",),
        {"EXISTS_INNER_ex:note": ""},
    ),
    Case(
        "EQ_INNER_ILMD_<f>",
        "nested in an ILMD field",
        {"EQ_INNER_ILMD_ex:province": "Đắk Lắk"},
        ("E1",),
        {"EQ_INNER_ILMD_ex:grade": "A"},
    ),
    Case(
        "EQ_readPoint_<f>",
        "an extension field of readPoint",
        {"EQ_readPoint_ex:dock": "3"},
        ("E1",),
        {"EQ_readPoint_ex:dock": "4"},
    ),
    Case(
        "EQ_INNER_readPoint_<f>",
        "nested in a readPoint extension",
        {"EQ_INNER_readPoint_ex:side": "north"},
        ("E1",),
        {"EQ_INNER_readPoint_ex:side": "south"},
    ),
    Case(
        "EQ_bizLocation_<f>",
        "an extension field of bizLocation",
        {"EQ_bizLocation_ex:zone": "cold"},
        ("E1",),
        {"EQ_bizLocation_ex:zone": "ambient"},
    ),
    Case(
        "EQ_INNER_bizLocation_<f>",
        "nested in a bizLocation extension",
        {"EQ_INNER_bizLocation_ex:row": "R9"},
        ("E1",),
        {"EQ_INNER_bizLocation_ex:row": "R1"},
    ),
    Case(
        "HASATTR_<field>",
        "the field's master data has the attribute",
        {"HASATTR_bizLocation": "ex:certified"},
        ("E6",),
        {"HASATTR_bizLocation": "ex:unknown"},
    ),
    Case(
        "EQ_ATTR_<field>_<attribute>",
        "the field's master data attribute equals a value",
        {"EQ_ATTR_readPoint_urn:epcglobal:cbv:mda:sst": "202"},
        ("E1", "E3"),
        {"EQ_ATTR_bizLocation_cbvmda:sst": "202"},
    ),
    # c.9 result shaping
    Case(
        "orderBy",
        "order by eventTime, recordTime or an extension field",
        {"orderBy": "eventTime", "EQ_bizStep": "shipping|packing"},
        ("E5d", "E5", "E3", "E2"),
        {"orderBy": "eventTime", "EQ_bizStep": "receiving"},
        ordered=True,
    ),
    Case(
        "orderDirection",
        "ASC or DESC (the default)",
        {"orderBy": "eventTime", "orderDirection": "ASC", "EQ_bizStep": "shipping|packing"},
        ("E2", "E3", "E5", "E5d"),
        {"orderDirection": "ASC"},
        fails=400,
        ordered=True,
    ),
    Case(
        "eventCountLimit",
        "at most N events, in the order (needs orderBy)",
        {"orderBy": "eventTime", "orderDirection": "ASC", "eventCountLimit": "2"},
        ("E1", "E2"),
        {"eventCountLimit": "2"},
        fails=400,
        ordered=True,
    ),
    Case(
        "maxEventCount",
        "more matches than N is an error (413 QueryTooLargeException)",
        {"maxEventCount": "3", "eventType": "ObjectEvent"},
        ("E1", "E2"),
        {"maxEventCount": "1"},
        fails=413,
    ),
)

# The checklist's parameters that are not rows of their own: each is covered by the row named.
COVERED_BY = {
    "GT_<f>": "GT/GE/LT/LE_<f>",
    "EXISTS_INNER_ILMD_<f>": "EXISTS_ILMD_<f> and EQ_INNER_ILMD_<f>",
    "EXISTS_INNER_ERROR_DECLARATION_<f>": "EXISTS_ERROR_DECLARATION_<f>",
}


def markdown() -> str:
    lines = [
        "# Query conformance",
        "",
        "Every SimpleEventQuery parameter of EPCIS 2.0 (checklist section c), each with a query that must",
        "return exactly the events listed and one that must return none (or fail as the standard says).",
        "Every row runs in the URL form (`GET /events?…`) and the named-query form",
        "(`POST /queries`, then `GET /queries/{queryName}/events`), on the SQLite and the MongoDB store.",
        "",
        "Generated from `tests/query/conformance.py` by `python -m tests.query.conformance`; the test",
        "`tests/query/test_conformance.py` runs the rows and checks this page is up to date.",
        "The events (E1–E6, and E5d declaring E5 erroneous) and master data are defined there.",
        "",
        "| Parameter | Matches | Positive query | Returns | Negative query |",
        "|---|---|---|---|---|",
    ]
    for case in CASES:
        positive = "&".join(f"{k}={v}" for k, v in case.positive.items())
        negative = "&".join(f"{k}={v}" for k, v in case.negative.items())
        if case.fails:
            negative += f" → {case.fails}"
        returns = ", ".join(case.expected) or "none"
        lines.append(f"| `{case.parameter}` | {case.meaning} | `{positive}` | {returns} | `{negative}` |")
    lines += [
        "",
        "Extension fields use the prefix `ex` for `" + EX + "`, declared in the URL form by the",
        "header `GS1-Extensions: "
        + EXTENSIONS_HEADER
        + "` and in the named-query form by the query's `@context`.",
        "",
    ]
    return "\n".join(lines)


DOC = Path(__file__).resolve().parents[2] / "docs" / "conformance.md"

if __name__ == "__main__":
    DOC.write_text(markdown())
    sys.stdout.write(f"wrote {DOC} ({len(CASES)} parameters)\n")
