"""EPCIS 2.0 events and documents as typed models (JSON/JSON-LD binding).

They describe the data for Python users and the OpenAPI document; validation of submitted
data is done by the project's JSON Schema (`capture.schema`), which is stricter about CBV
values and extension names. User extensions (namespaced keys) are kept as extra fields, so a
model dumped with ``by_alias=True, exclude_unset=True`` gives back what was parsed.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

Number = int | float


class _Open(BaseModel):
    """An object that may carry user extensions."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class QuantityElement(_Closed):
    epcClass: str
    quantity: Number | None = None
    uom: str | None = None


class Location(_Open):
    id: str


class BizTransaction(_Closed):
    type: str | None = None
    bizTransaction: str


class Source(_Closed):
    type: str
    source: str


class Destination(_Closed):
    type: str
    destination: str


class PersistentDisposition(_Closed):
    set: list[str] | None = None
    unset: list[str] | None = None


class ErrorDeclaration(_Open):
    declarationTime: str
    reason: str | None = None
    correctiveEventIDs: list[str] | None = None


class SensorMetadata(_Open):
    time: str | None = None
    startTime: str | None = None
    endTime: str | None = None
    deviceID: str | None = None
    deviceMetadata: str | None = None
    rawData: str | None = None
    dataProcessingMethod: str | None = None
    bizRules: str | None = None


class SensorReport(_Open):
    type: str | None = None
    exception: str | None = None
    deviceID: str | None = None
    deviceMetadata: str | None = None
    rawData: str | None = None
    dataProcessingMethod: str | None = None
    bizRules: str | None = None
    time: str | None = None
    microorganism: str | None = None
    chemicalSubstance: str | None = None
    coordinateReferenceSystem: str | None = None
    value: Number | None = None
    component: str | None = None
    stringValue: str | None = None
    booleanValue: bool | None = None
    hexBinaryValue: str | None = None
    uriValue: str | None = None
    minValue: Number | None = None
    maxValue: Number | None = None
    meanValue: Number | None = None
    sDev: Number | None = None
    percRank: Number | None = None
    percValue: Number | None = None
    uom: str | None = None


class SensorElement(_Open):
    sensorMetadata: SensorMetadata | None = None
    sensorReport: list[SensorReport]


class EventBase(_Open):
    context: Any = Field(default=None, alias="@context")
    type: str
    eventTime: str
    eventTimeZoneOffset: str
    recordTime: str | None = None
    eventID: str | None = None
    certificationInfo: str | list[str] | None = None
    errorDeclaration: ErrorDeclaration | None = None
    bizStep: str | None = None
    disposition: str | None = None
    readPoint: Location | None = None
    bizLocation: Location | None = None
    bizTransactionList: list[BizTransaction] | None = None
    sourceList: list[Source] | None = None
    destinationList: list[Destination] | None = None
    sensorElementList: list[SensorElement] | None = None


Action = Literal["ADD", "OBSERVE", "DELETE"]


class ObjectEvent(EventBase):
    type: Literal["ObjectEvent"] = "ObjectEvent"
    action: Action
    epcList: list[str] | None = None
    quantityList: list[QuantityElement] | None = None
    persistentDisposition: PersistentDisposition | None = None
    ilmd: dict[str, Any] | None = None


class AggregationEvent(EventBase):
    type: Literal["AggregationEvent"] = "AggregationEvent"
    action: Action
    parentID: str | None = None
    childEPCs: list[str] | None = None
    childQuantityList: list[QuantityElement] | None = None


class TransactionEvent(EventBase):
    type: Literal["TransactionEvent"] = "TransactionEvent"
    action: Action
    bizTransactionList: list[BizTransaction]
    parentID: str | None = None
    epcList: list[str] | None = None
    quantityList: list[QuantityElement] | None = None


class TransformationEvent(EventBase):
    type: Literal["TransformationEvent"] = "TransformationEvent"
    inputEPCList: list[str] | None = None
    inputQuantityList: list[QuantityElement] | None = None
    outputEPCList: list[str] | None = None
    outputQuantityList: list[QuantityElement] | None = None
    transformationID: str | None = None
    persistentDisposition: PersistentDisposition | None = None
    ilmd: dict[str, Any] | None = None


class AssociationEvent(EventBase):
    type: Literal["AssociationEvent"] = "AssociationEvent"
    action: Action
    parentID: str
    childEPCs: list[str] | None = None
    childQuantityList: list[QuantityElement] | None = None


class ExtensionEvent(EventBase):
    """An event of a type defined outside the standard (its type is a URI)."""


STANDARD_EVENT_TYPES = (
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
)


def _event_tag(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return kind if kind in STANDARD_EVENT_TYPES else "extension"


Event = Annotated[
    Annotated[ObjectEvent, Tag("ObjectEvent")]
    | Annotated[AggregationEvent, Tag("AggregationEvent")]
    | Annotated[TransactionEvent, Tag("TransactionEvent")]
    | Annotated[TransformationEvent, Tag("TransformationEvent")]
    | Annotated[AssociationEvent, Tag("AssociationEvent")]
    | Annotated[ExtensionEvent, Tag("extension")],
    Discriminator(_event_tag),
]


class VocabularyAttribute(_Open):
    id: str
    attribute: Any = None


class VocabularyElement(_Open):
    id: str
    attributes: list[VocabularyAttribute] | None = None
    children: list[str] | None = None


class Vocabulary(_Open):
    type: str
    vocabularyElementList: list[VocabularyElement] | None = None


class MasterData(_Open):
    vocabularyList: list[Vocabulary] | None = None


class EPCISHeader(_Open):
    epcisMasterData: MasterData | None = None


class EPCISBody(_Open):
    eventList: list[Event]


class EPCISDocument(_Open):
    context: Any = Field(alias="@context")
    type: Literal["EPCISDocument"] = "EPCISDocument"
    schemaVersion: str
    creationDate: str
    id: str | None = None
    instanceIdentifier: str | None = None
    sender: str | None = None
    receiver: str | None = None
    epcisHeader: EPCISHeader | None = None
    epcisBody: EPCISBody


class ResultsBody(_Open):
    eventList: list[Event]
    vocabularyList: list[Vocabulary] | None = None


class QueryResults(_Open):
    queryName: str
    subscriptionID: str | None = None
    resultsBody: ResultsBody


class EPCISQueryBody(_Open):
    queryResults: QueryResults


class EPCISQueryDocument(_Open):
    context: Any = Field(alias="@context")
    type: Literal["EPCISQueryDocument"] = "EPCISQueryDocument"
    schemaVersion: str | None = None
    creationDate: str | None = None
    id: str | None = None
    epcisBody: EPCISQueryBody
