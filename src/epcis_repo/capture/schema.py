"""JSON Schema validation of EPCIS 2.0 JSON / JSON-LD bodies, with violations a sender can act on.

The schema (``schemas/epcis.schema.json``) accepts and rejects what GS1's EPCIS 2.0 JSON Schema
does. It is compiled once; each entry point is a subschema of the same compiled map:

- ``root``: a document, or a bare event carrying ``@context`` (GS1's root semantics);
- ``document_envelope``: an EPCISDocument / EPCISQueryDocument without checking its events;
- ``document_event``: one event of a document's eventList (``@context`` optional);
- ``standalone_event``: a bare event, the body of ``POST /events`` (``@context`` required).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

import jsonschema_rs
from jsonschema_rs import ValidationError
from jsonschema_rs import ValidationErrorKind as Kind

from epcis_repo.epcis import cbv
from epcis_repo.epcis.violations import Violation, pointer
from epcis_repo.resources import schemas_dir

SCHEMA_FILE: Final = "epcis.schema.json"

_ROOT: Final = "#"
_DOCUMENT_ENVELOPE: Final = "#/$defs/documentEnvelope"
_DOCUMENT_EVENT: Final = "#/$defs/documentEvent"
_STANDALONE_EVENT: Final = "#/$defs/standaloneEvent"

_VOCABULARIES: Final[Mapping[str, cbv.Vocabulary]] = {v.name: v for v in cbv.ALL}
_EXAMPLE_WORD: Final[Mapping[str, str]] = {
    "bizStep": "receiving",
    "disposition": "in_transit",
    "bizTransactionType": "po",
    "sourceDestinationType": "owning_party",
    "errorReason": "incorrect_data",
    "component": "x",
    "measurementType": "Temperature",
    "sensorAlertType": "ALARM_CONDITION",
}
_CBV_RESERVED: Final = re.compile(r"urn:epcglobal:cbv|https?://ns\.gs1\.org/cbv/")
_NS_CBV: Final = re.compile(r"https?://ns\.gs1\.org/cbv/")
_GS1_VOC_RESERVED: Final = re.compile(r"https?://(www\.)?gs1\.org/voc/")

# How an object governed by a $defs entry is named in messages.
_OBJECT_LABEL: Final[Mapping[str, str]] = {
    "epcisDocument": "an EPCISDocument",
    "epcisQueryDocument": "an EPCISQueryDocument",
    "queryDocumentBody": "the epcisBody of an EPCISQueryDocument",
    "queryResults": "queryResults",
    "resultsBody": "resultsBody",
    "epcisHeader": "epcisHeader",
    "objectEvent": "an ObjectEvent",
    "aggregationEvent": "an AggregationEvent",
    "transactionEvent": "a TransactionEvent",
    "transformationEvent": "a TransformationEvent",
    "associationEvent": "an AssociationEvent",
    "errorDeclaration": "errorDeclaration",
    "sensorElement": "a sensorElementList entry",
    "sensorMetadata": "sensorMetadata",
    "sensorReport": "a sensorReport",
    "ilmd": "ilmd",
}
_EVENT_DEFS: Final = (
    "objectEvent",
    "aggregationEvent",
    "transactionEvent",
    "transformationEvent",
    "associationEvent",
)
_ENTRY_LABEL: Final[Mapping[str, str]] = {
    "root": "the body",
    "documentEnvelope": "the document",
    "documentEvent": "the event",
    "standaloneEvent": "the event",
}
# Keys named together with their parent in messages ("persistentDisposition.set", "readPoint.id").
_GENERIC_KEYS: Final = frozenset(
    {"set", "unset", "id", "type", "uom", "quantity", "time", "value", "attribute"}
)
_PATTERN_RULE: Final[Mapping[str, str]] = {
    "timeZoneOffset": "a UTC offset written +hh:mm or -hh:mm between -14:00 and +14:00, such as '-06:00'",
    "schemaVersion": "a version number such as '2.0'",
    "uom": "a UN/CEFACT Recommendation 20 unit code of 2 or 3 capital letters or digits, such as 'KGM'",
    "hexBinary": "hexadecimal digits (0-9, A-F), such as 'f0f0f0'",
}
_JSON_TYPE_ARTICLE: Final[Mapping[str, str]] = {
    "object": "an object",
    "array": "an array",
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "a boolean",
    "null": "null",
}


@dataclass(frozen=True, slots=True)
class _Compiled:
    defs: Mapping[str, Any]
    standard_fields: frozenset[str]
    validators: jsonschema_rs.ValidatorMap


@cache
def _compiled() -> _Compiled:
    schema: dict[str, Any] = json.loads((schemas_dir() / SCHEMA_FILE).read_text(encoding="utf-8"))
    defs: dict[str, Any] = schema.get("$defs", {})
    fields = frozenset(name for d in defs.values() if isinstance(d, dict) for name in d.get("properties", {}))
    # Draft 2020-12 makes `format` an annotation and jsonschema-rs follows that unless told otherwise;
    # GS1's rules (URI/CURIE extension keys, timestamps) only hold when formats are asserted.
    validators = jsonschema_rs.validator_map_for(schema, validate_formats=True)
    return _Compiled(defs, fields, validators)


class SchemaValidator:
    """The compiled EPCIS schema. Obtain with :meth:`load`; instances are immutable and thread-safe.

    Instances to check are parsed JSON (dict, list, str, int, float, bool, None); jsonschema-rs
    raises ``ValueError`` for other Python objects.
    """

    __slots__ = ("_compiled", "_document_envelope", "_document_event", "_root", "_standalone_event")

    def __init__(self, compiled: _Compiled) -> None:
        validators = compiled.validators
        self._compiled = compiled
        self._root = validators[_ROOT]
        self._document_envelope = validators[_DOCUMENT_ENVELOPE]
        self._document_event = validators[_DOCUMENT_EVENT]
        self._standalone_event = validators[_STANDALONE_EVENT]

    @classmethod
    def load(cls) -> SchemaValidator:
        """The schema shipped with the package, read and compiled on first use; later calls share it."""
        return _shared()

    def root_is_valid(self, instance: object) -> bool:
        return self._root.is_valid(instance)

    def root(self, instance: object) -> list[Violation]:
        return self._check(self._root, "root", instance)

    def document_envelope(self, doc: object) -> list[Violation]:
        return self._check(self._document_envelope, "documentEnvelope", doc)

    def document_event(self, event: object) -> list[Violation]:
        """Violations of one eventList item; pointers are relative to the event (``/action``)."""
        return self._check(self._document_event, "documentEvent", event)

    def standalone_event(self, event: object) -> list[Violation]:
        return self._check(self._standalone_event, "standaloneEvent", event)

    def _check(self, validator: jsonschema_rs.Validator, entry: str, instance: object) -> list[Violation]:
        if validator.is_valid(instance):
            return []
        return _Explainer(self._compiled, entry).explain(validator.iter_errors(instance))


@cache
def _shared() -> SchemaValidator:
    return SchemaValidator(_compiled())


class _Explainer:
    """Turns jsonschema-rs errors into de-duplicated, readable violations."""

    def __init__(self, compiled: _Compiled, entry: str) -> None:
        self._defs = compiled.defs
        self._standard_fields = compiled.standard_fields
        self._entry = entry

    def explain(self, errors: Iterable[ValidationError]) -> list[Violation]:
        seen: set[tuple[str, str]] = set()
        out: list[Violation] = []
        for error in errors:
            for violation in self._violations(error):
                key = (violation.pointer, violation.message)
                if key not in seen:
                    seen.add(key)
                    out.append(violation)
        return out

    def _definition(self, path: Sequence[str | int]) -> str:
        """The $defs entry holding the end of a schema path, or the entry point when outside any."""
        for i in range(len(path) - 2, -1, -1):
            if path[i] == "$defs":
                return str(path[i + 1])
        return self._entry

    def _field(self, path: Sequence[str | int]) -> str:
        """``epcList[2]``, ``quantityList[0].uom``: the last key, qualified when it means little alone."""
        label = ""
        end = len(path)
        while end:
            step = path[end - 1]
            end -= 1
            if isinstance(step, int):
                label = f"[{step}]{label}"
                continue
            label = f"{step}{label}"
            if step not in _GENERIC_KEYS:
                return label
            label = "." + label
        return label.removeprefix(".") if label.startswith(".") else _ENTRY_LABEL[self._entry] + label

    def _violations(self, error: ValidationError) -> list[Violation]:
        kind = error.kind
        where = self._definition(error.schema_path)
        path = error.instance_path
        here = pointer(*path)
        field = self._field(path)
        value = error.instance

        if where in _VOCABULARIES:
            return [Violation(here, _vocabulary_message(_VOCABULARIES[where], value, path))]
        if isinstance(kind, Kind.Required):
            return [Violation(here, _required_message(kind.property, where))]
        if isinstance(kind, Kind.PropertyNames):
            # Name the object's own definition, not the one its key failed in. A propertyNames that is a
            # bare $ref (ilmd's) is reported at the referenced schema, so fall back to the member name.
            if "propertyNames" in error.schema_path:
                owner = self._definition(error.schema_path[: error.schema_path.index("propertyNames")])
            else:
                owner = next((str(p) for p in reversed(path) if isinstance(p, str)), self._entry)
            return [self._property_name(kind.error, path, owner)]
        if isinstance(kind, Kind.AdditionalProperties):
            allowed = ", ".join(self._defs.get(where, {}).get("properties", {}))
            return [
                Violation(
                    pointer(*path, key),
                    f"{key!r} is not allowed in {field}: its only fields are {allowed}",
                )
                for key in kind.unexpected
            ]
        if isinstance(kind, Kind.AnyOf):
            return self._any_of(error, kind, where, field)
        if isinstance(kind, Kind.Type):
            return [Violation(here, f"{field} must be {_types(kind.types)}, not {_json_type(value)}")]
        if isinstance(kind, Kind.Format):
            return [Violation(here, _format_message(kind.format, where, field, value))]
        if isinstance(kind, Kind.Pattern):
            rule = _PATTERN_RULE.get(where, f"a string matching {kind.pattern}")
            return [Violation(here, f"{field} must be {rule}; got {_show(value)}")]
        if isinstance(kind, Kind.Not) and where == "dateTime":
            return [
                Violation(
                    here,
                    f"{field} must have seconds 00-59 and a year from 0001; leap seconds and year 0000 "
                    f"are not accepted (got {_show(value)})",
                )
            ]
        if isinstance(kind, Kind.Enum):
            if where == "action":
                return [Violation(here, f"{_show(value)} is not a valid action: use ADD, OBSERVE or DELETE")]
            allowed = ", ".join(_show(o) for o in kind.options)
            return [Violation(here, f"{_show(value)} is not allowed in {field}; allowed values: {allowed}")]
        if isinstance(kind, Kind.Constant):
            if where == "ilmdOnlyWithAdd":
                return [
                    Violation(
                        pointer(*path[:-1], "ilmd"),
                        f"ilmd is only allowed on an ObjectEvent whose action is ADD, not {_show(value)}",
                    )
                ]
            return [Violation(here, f"{field} must be {_show(kind.expected_value)}, not {_show(value)}")]
        if isinstance(kind, Kind.MinItems):
            need = "must not be empty" if kind.limit == 1 else f"must have at least {kind.limit} items"
            return [Violation(here, f"{field} {need}")]
        if isinstance(kind, Kind.UniqueItems):
            return [Violation(here, f"{field} must not contain the same value twice")]
        return [Violation(here, f"{field}: {error.message}")]

    def _property_name(self, inner: ValidationError, path: Sequence[str | int], where: str) -> Violation:
        key = str(inner.instance)
        at = pointer(*path, key)
        if where == "ilmd":
            return Violation(
                at,
                f"{key!r} is not allowed in ilmd: ilmd fields must be namespaced, a URI or a prefix:name "
                f"declared in @context such as 'example:{key}'",
            )
        owner = _OBJECT_LABEL.get(where, self._field(path))
        if key in self._standard_fields:
            allowed_in = [
                _OBJECT_LABEL[name].split()[-1]
                for name in _EVENT_DEFS
                if name != where and key in self._defs.get(name, {}).get("properties", {})
            ]
            hint = f" (only in {_join(allowed_in)})" if where in _EVENT_DEFS and allowed_in else ""
            return Violation(at, f"{key} is not allowed in {owner}{hint}")
        return Violation(
            at,
            f"{key!r} is not a field of {owner}; extension fields must be namespaced, a URI or a "
            f"prefix:name declared in @context such as 'example:{key}'",
        )

    def _any_of(self, error: ValidationError, kind: Kind.AnyOf, where: str, field: str) -> list[Violation]:
        here = pointer(*error.instance_path)
        event = error.instance if isinstance(error.instance, dict) else {}
        action = event.get("action")
        rule = {
            "objectEventWhat": "an ObjectEvent must have epcList (which may be empty), a non-empty "
            "quantityList, or a non-empty sensorElementList together with readPoint",
            "childrenUnlessDelete": f"{_an(event.get('type'))} whose action is {_show(action)} must have a "
            "non-empty childEPCs or childQuantityList; only action DELETE may leave both out",
            "transactionEventWhat": f"a TransactionEvent whose action is {_show(action)} must have epcList "
            "or a non-empty quantityList; only action DELETE may leave both out",
            "transformationEventWhat": "a TransformationEvent must have a non-empty inputEPCList, "
            "inputQuantityList, outputEPCList or outputQuantityList",
            "transformationInput": "a TransformationEvent without transformationID must have inputs: a "
            "non-empty inputEPCList or inputQuantityList",
            "transformationOutput": "a TransformationEvent without transformationID must have outputs: a "
            "non-empty outputEPCList or outputQuantityList",
            "persistentDisposition": "persistentDisposition must have set, unset, or both",
        }.get(where)
        if rule is not None:
            return [Violation(here, rule)]
        return self._best_branch(error, kind, field)

    def _best_branch(self, error: ValidationError, kind: Kind.AnyOf, field: str) -> list[Violation]:
        """Explain the alternative the value came closest to: skip those of the wrong JSON type."""
        depth = len(error.instance_path)

        def wrong_type(e: ValidationError) -> bool:
            return isinstance(e.kind, Kind.Type) and len(e.instance_path) == depth

        fitting = [branch for branch in kind.context if branch and not any(wrong_type(e) for e in branch)]
        if not fitting:
            expected: list[str] = []
            for branch in kind.context:
                for e in branch:
                    if isinstance(e.kind, Kind.Type):
                        expected.extend(t for t in e.kind.types if t not in expected)
            if not expected:
                return [Violation(pointer(*error.instance_path), f"{field}: {error.message}")]
            return [
                Violation(
                    pointer(*error.instance_path),
                    f"{field} must be {_types(expected)}, not {_json_type(error.instance)}",
                )
            ]
        best = min(fitting, key=lambda b: (-max(len(e.instance_path) for e in b), len(b)))
        return [v for e in best for v in self._violations(e)]


def _required_message(prop: str, where: str) -> str:
    if prop == "@context" and where in ("standaloneEvent", "root"):
        return "@context is required: a single event sent on its own must carry its JSON-LD @context"
    return f"{prop} is required"


def _format_message(fmt: str, where: str, field: str, value: object) -> str:
    if fmt == "date-time":
        return (
            f"{field} must be an RFC 3339 date-time with a time zone, such as "
            f"'2005-04-03T20:33:31.116-06:00'; got {_show(value)}"
        )
    if where == "extensionEventType":
        return (
            f"{_show(value)} is not an event type: use ObjectEvent, AggregationEvent, TransactionEvent, "
            "TransformationEvent or AssociationEvent, or a URI naming an extension event type"
        )
    if fmt == "uri":
        return (
            f"{field} must be an absolute URI, with a scheme such as 'urn:' or 'https:'; got {_show(value)}"
        )
    return f"{field} must be a valid {fmt}; got {_show(value)}"


def _vocabulary_label(vocabulary: cbv.Vocabulary, path: Sequence[str | int]) -> str:
    keys = [p for p in path if isinstance(p, str)]
    name = vocabulary.name
    if name == "disposition" and len(keys) >= 2 and keys[-2] == "persistentDisposition":
        return f"persistentDisposition {keys[-1]}"
    if name in ("bizTransactionType", "sourceDestinationType") and len(keys) >= 2:
        return f"{keys[-2].removesuffix('List')} type"
    if name == "errorReason":
        return "errorDeclaration reason"
    if name in ("measurementType", "sensorAlertType"):
        return f"sensorReport {keys[-1] if keys else 'type'}"
    return name


def _standard_word(vocabulary: cbv.Vocabulary, value: str) -> str | None:
    """The bare word behind a URN or Web URI spelling of a standard value, if any."""
    spelled = _NS_CBV.sub(cbv.CBV_WEB, value, count=1)
    spelled = _GS1_VOC_RESERVED.sub(cbv.GS1_VOC, spelled, count=1)
    word = vocabulary.word(spelled)
    return word if word is not None and word != value else None


def _vocabulary_message(vocabulary: cbv.Vocabulary, value: object, path: Sequence[str | int]) -> str:
    label = _vocabulary_label(vocabulary, path)
    example = _EXAMPLE_WORD.get(vocabulary.name, vocabulary.words[0])
    gs1_voc = vocabulary.web_prefix.startswith(cbv.GS1_VOC)
    if not isinstance(value, str):
        return f"{label} must be a string: a standard bare word such as {example!r} or an absolute URI"
    word = _standard_word(vocabulary, value)
    if word is not None and word == value.strip():
        return f"{value!r} is not allowed in {label}: remove the spaces around {word!r}"
    if word is not None:
        return (
            f"{value!r} is not allowed in {label}: in JSON, standard values are bare words "
            f"such as {word!r}; other values must be absolute URIs"
        )
    reserved = _GS1_VOC_RESERVED if gs1_voc else _CBV_RESERVED
    if reserved.match(value):
        namespace = "the GS1 Web Vocabulary" if gs1_voc else "a CBV namespace"
        return (
            f"{value!r} is not allowed in {label}: it is in {namespace}, which is reserved for standard "
            f"values, and those are written as bare words in JSON such as {example!r}; "
            "other values must be absolute URIs"
        )
    close = difflib.get_close_matches(value, vocabulary.words, n=1, cutoff=0.75)
    elsewhere = [v.name for v in cbv.ALL if v is not vocabulary and value in v.words]
    if close:
        hint = f" (did you mean {close[0]!r}?)"
    elif elsewhere:
        hint = f" ({value!r} is a {_join(elsewhere, 'or')} value)"
    else:
        hint = ""
    return (
        f"{value!r} is not a standard {label} value{hint}: use a bare word such as {example!r} "
        "or an absolute URI"
    )


def _join(items: Sequence[str], last: str = "and") -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {last} {items[-1]}"


def _types(types: Sequence[str]) -> str:
    return _join([_JSON_TYPE_ARTICLE.get(t, t) for t in types], "or")


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _an(event_type: object) -> str:
    name = event_type if isinstance(event_type, str) else "event"
    return f"{'an' if name[:1] in 'AEIOUaeiou' else 'a'} {name}"


def _show(value: object) -> str:
    text = repr(value) if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."
