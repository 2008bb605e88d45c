"""EPCIS query parameters (SimpleEventQuery) -> one validated query.

The same parameters arrive in the URL of ``GET /events`` and in the body of a named query
(`query.named` turns that body into the same string lists). Every value is taken as a literal:
identifiers are reduced to canonical keys, vocabulary values to Web URIs, measurements to their
dimension's base unit, times to instants, so a store only ever compares canonical literals.

Parameters that need master data (``WD_``, ``HASATTR_``, ``EQ_ATTR_``) are kept as lookups, which
`query.resolve` turns into conditions with the store's help.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from epcis_repo.epcis import cbv, identifiers, timestamps, units
from epcis_repo.epcis.context import extension_name
from epcis_repo.query.model import (
    NUMBER,
    TIME,
    AnyNumber,
    AnyOf,
    Condition,
    Exists,
    Field,
    InRange,
    MatchesKey,
    Order,
    fact,
)

T = TypeVar("T")
ACTIONS = ("ADD", "OBSERVE", "DELETE")


class QueryParameterError(ValueError):
    def __init__(self, parameter: str, detail: str) -> None:
        super().__init__(detail)
        self.parameter = parameter
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Within:
    """WD_: the field is one of `keys` or a descendant of one in the master data hierarchy."""

    field: Field
    keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class WithAttribute:
    """HASATTR_ / EQ_ATTR_: the field names an element whose master data has one of the attributes
    `names` (with one of `values`, when given)."""

    field: Field
    names: tuple[str, ...]
    values: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class QueryRequest:
    """What a set of query parameters asks for, before master data lookups."""

    conditions: tuple[Condition, ...] = ()
    lookups: tuple[Within | WithAttribute, ...] = ()
    order: Order | None = None
    order_by_extension: str | None = None  # a field name {namespace}local; sorted by the query layer
    descending: bool = True
    event_count_limit: int | None = None
    max_event_count: int | None = None


# --- value readers ---------------------------------------------------------------------------------


def _action(value: str) -> str:
    if value not in ACTIONS:
        raise ValueError(f"{value!r} is not an action; use ADD, OBSERVE or DELETE")
    return value


def _literal(value: str) -> str:
    return value.strip()


def _number(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"{value!r} is not a finite number")
    return number


def instant(value: str) -> int:
    try:
        return timestamps.to_micros(value)
    except timestamps.OutOfRange:
        raise
    except ValueError:
        hint = " (a '+' in a URL must be written %2B)" if " " in value else ""
        raise ValueError(
            f"{value!r} is not a date-time with a time zone offset, e.g. 2024-05-01T10:00:00Z{hint}"
        ) from None


def _boolean(value: str) -> str:
    if value.lower() not in ("true", "false"):
        raise ValueError(f"{value!r} is not true or false")
    return value.lower()


def _instances(value: str) -> tuple[identifiers.KeyMatch, ...]:
    return tuple(identifiers.instance_matches(value))


def _classes(value: str) -> tuple[identifiers.KeyMatch, ...]:
    return tuple(identifiers.class_matches(value))


# --- the fixed names -------------------------------------------------------------------------------

# name -> (field, how each value becomes a literal): matched with AnyOf.
_EQUALS: Mapping[str, tuple[str, Callable[[str], str]]] = {
    "eventType": (Field.TYPE, _literal),
    "EQ_action": (Field.ACTION, _action),
    "EQ_bizStep": (Field.BIZ_STEP, cbv.BIZ_STEP.canonical),
    "EQ_disposition": (Field.DISPOSITION, cbv.DISPOSITION.canonical),
    "EQ_persistentDisposition_set": ("persistentDisposition.set", cbv.DISPOSITION.canonical),
    "EQ_persistentDisposition_unset": ("persistentDisposition.unset", cbv.DISPOSITION.canonical),
    "EQ_readPoint": (Field.READ_POINT, identifiers.canonical_key),
    "EQ_bizLocation": (Field.BIZ_LOCATION, identifiers.canonical_key),
    "EQ_transformationID": ("transformationID", identifiers.canonical_key),
    "EQ_eventID": (Field.EVENT_ID, _literal),
    "EQ_errorReason": ("errorReason", cbv.ERROR_REASON.canonical),
    "EQ_correctiveEventID": ("correctiveEventID", _literal),
    "EQ_type": ("sensor.type", cbv.MEASUREMENT_TYPE.canonical),
    **{
        f"EQ_{name}": (f"sensor.{name}", identifiers.canonical_key)
        for name in (
            "deviceID",
            "dataProcessingMethod",
            "microorganism",
            "chemicalSubstance",
            "bizRules",
            "uriValue",
        )
    },
    "EQ_stringValue": ("sensor.stringValue", lambda value: value),
    "EQ_hexBinaryValue": ("sensor.hexBinaryValue", lambda value: value.strip().upper()),
    "EQ_booleanValue": ("sensor.booleanValue", _boolean),
}
_MATCHES: Mapping[str, tuple[Field, Callable[[str], tuple[identifiers.KeyMatch, ...]]]] = {
    "MATCH_epc": (Field.EPC, _instances),
    "MATCH_parentID": (Field.PARENT_ID, _instances),
    "MATCH_inputEPC": (Field.INPUT_EPC, _instances),
    "MATCH_outputEPC": (Field.OUTPUT_EPC, _instances),
    "MATCH_anyEPC": (Field.ANY_EPC, _instances),
    "MATCH_epcClass": (Field.EPC_CLASS, _classes),
    "MATCH_inputEPCClass": (Field.INPUT_EPC_CLASS, _classes),
    "MATCH_outputEPCClass": (Field.OUTPUT_EPC_CLASS, _classes),
    "MATCH_anyEPCClass": (Field.ANY_EPC_CLASS, _classes),
}
# name -> numeric field of instants; the prefix (GE_, LT_) says which bound.
_TIMES: Mapping[str, str] = {
    "eventTime": Field.EVENT_TIME,
    "recordTime": Field.RECORD_TIME,
    "errorDeclarationTime": fact("errorDeclarationTime", kind=TIME),
    "errorDeclaration_Time": fact("errorDeclarationTime", kind=TIME),  # the query schema's spelling
    "time": fact("sensor.time", kind=TIME),
    "startTime": fact("sensor.startTime", kind=TIME),
    "endTime": fact("sensor.endTime", kind=TIME),
}
_EXISTS: Mapping[str, str] = {
    "EXISTS_errorDeclaration": fact("errorDeclarationTime", kind=TIME),
    "EXISTS_sensorElementList": "sensorElementList",
}
_WITHIN: Mapping[str, Field] = {"WD_readPoint": Field.READ_POINT, "WD_bizLocation": Field.BIZ_LOCATION}
# Fields a HASATTR_/EQ_ATTR_ parameter may name: those whose value is a master data element.
_ATTRIBUTE_FIELDS: Mapping[str, Field] = {
    "readPoint": Field.READ_POINT,
    "bizLocation": Field.BIZ_LOCATION,
    "epcClass": Field.ANY_EPC_CLASS,
}
_TYPED_LISTS = {
    "bizTransaction": cbv.BIZ_TRANSACTION_TYPE,
    "source": cbv.SOURCE_DESTINATION_TYPE,
    "destination": cbv.SOURCE_DESTINATION_TYPE,
}
_COMPARISONS = {"GT": "gt", "GE": "ge", "LT": "lt", "LE": "le"}
_STATISTICS = ("value", "minValue", "maxValue", "meanValue", "sDev", "percValue")
# Extension-field parameter scopes: the part of the name after the operator -> fact scope.
_SCOPES = {
    "": "ext",
    "INNER_": "inner",
    "ILMD_": "ilmd",
    "INNER_ILMD_": "ilmdInner",
    "ERROR_DECLARATION_": "errorDeclaration",
    "INNER_ERROR_DECLARATION_": "errorDeclarationInner",
    "SENSORELEMENT_": "sensorElement",
    "INNER_SENSORELEMENT_": "sensorElementInner",
    "SENSORMETADATA_": "sensorMetadata",
    "INNER_SENSORMETADATA_": "sensorMetadataInner",
    "SENSORREPORT_": "sensorReport",
    "INNER_SENSORREPORT_": "sensorReportInner",
    "readPoint_": "readPoint",
    "INNER_readPoint_": "readPointInner",
    "bizLocation_": "bizLocation",
    "INNER_bizLocation_": "bizLocationInner",
}
_SCOPE_PATTERN = "|".join(re.escape(s) for s in sorted(_SCOPES, key=len, reverse=True) if s)
_EXTENSION = re.compile(rf"(EQ|GT|GE|LT|LE|EXISTS)_({_SCOPE_PATTERN})?(.+)")
_UNIT_PARAMETER = re.compile(rf"(EQ|GT|GE|LT|LE)_(quantity|{'|'.join(_STATISTICS)})_([A-Z0-9]{{2,4}})")
_SHAPING = ("orderBy", "orderDirection", "eventCountLimit", "maxEventCount")
_COUNT = re.compile(r"[0-9]{1,18}")


def parse_query(
    params: Mapping[str, Sequence[str]], prefixes: Mapping[str, str] | None = None
) -> QueryRequest:
    """What the parameters ask for. `params` maps each name to every value given for it (a list
    parameter may be repeated or pipe-delimited: its values are ORed); `prefixes` resolves the CURIEs
    of extension field names. Raises QueryParameterError naming the first unknown or bad parameter.
    """
    parser = _Parser(prefixes or {})
    for name in sorted(params):
        try:
            parser.parameter(name, params[name])
        except ValueError as error:
            if isinstance(error, QueryParameterError):
                raise
            raise QueryParameterError(name, f"{name}: {error}") from None
    return parser.request()


@dataclass
class _Parser:
    prefixes: Mapping[str, str]
    conditions: list[Condition] = field(default_factory=list)
    lookups: list[Within | WithAttribute] = field(default_factory=list)
    shaping: dict[str, str] = field(default_factory=dict)

    def parameter(self, name: str, given: Sequence[str]) -> None:
        if name in _SHAPING:
            self.shaping[name] = _single(name, given)
        elif name in _EQUALS:
            target, canonical = _EQUALS[name]
            self.conditions.append(AnyOf(target, tuple(_each(name, given, canonical))))
        elif name in _MATCHES:
            key_field, matcher = _MATCHES[name]
            self.conditions.append(
                MatchesKey(key_field, tuple(m for ms in _each(name, given, matcher) for m in ms))
            )
        elif name[:3] in ("GE_", "LT_") and name[3:] in _TIMES:
            bound = "ge" if name.startswith("GE_") else "lt"
            self.conditions.append(InRange(_TIMES[name[3:]], **{bound: instant(_single(name, given))}))
        elif name in _EXISTS:
            self.conditions.append(Exists(_EXISTS[name]))
        elif name in _WITHIN:
            self.lookups.append(Within(_WITHIN[name], tuple(_each(name, given, identifiers.canonical_key))))
        elif name in ("EQ_quantity", "GT_quantity", "GE_quantity", "LT_quantity", "LE_quantity"):
            self._numbers(name, fact("quantity", kind=NUMBER), given, lambda v: v)
        elif name[3:] == "percRank" and name[:2] in _COMPARISONS:
            self._numbers(name, fact("sensor.percRank", kind=NUMBER), given, lambda v: v)
        elif match := _UNIT_PARAMETER.fullmatch(name):
            self._unit_parameter(name, match, given)
        elif match := re.fullmatch(r"EQ_(bizTransaction|source|destination)_(.+)", name):
            kind = _TYPED_LISTS[match[1]].canonical(match[2])
            self.conditions.append(
                AnyOf(fact(match[1], kind), tuple(_each(name, given, identifiers.canonical_key)))
            )
        elif name.startswith("HASATTR_"):
            attribute_field = self._attribute_field(name, name[len("HASATTR_") :])
            names = tuple(self._field_name(name, a) for a in _each(name, given, _literal))
            self.lookups.append(WithAttribute(attribute_field, names))
        elif name.startswith("EQ_ATTR_"):
            field_part, _, attribute = name[len("EQ_ATTR_") :].partition("_")
            if not attribute:
                raise QueryParameterError(name, f"{name}: write EQ_ATTR_<field>_<attribute name>")
            values = tuple(_each(name, given, identifiers.canonical_key))
            self.lookups.append(
                WithAttribute(
                    self._attribute_field(name, field_part), (self._field_name(name, attribute),), values
                )
            )
        elif match := _EXTENSION.fullmatch(name):
            self._extension(name, match[1], _SCOPES[match[2] or ""], self._field_name(name, match[3]), given)
        else:
            raise QueryParameterError(name, f"{name} is not a query parameter this repository knows")

    def _numbers(
        self, name: str, target: str, given: Sequence[str], convert: Callable[[float], float]
    ) -> None:
        operator = name[:2]
        if operator == "EQ":
            self.conditions.append(AnyNumber(target, tuple(convert(v) for v in _each(name, given, _number))))
        else:
            self.conditions.append(
                InRange(target, **{_COMPARISONS[operator]: convert(_number(_single(name, given)))})
            )

    def _unit_parameter(self, name: str, match: re.Match[str], given: Sequence[str]) -> None:
        operator, statistic, uom = match.groups()
        if operator == "EQ" and statistic not in ("quantity", "value"):
            raise QueryParameterError(name, f"{name} is not a query parameter this repository knows")
        to_base = units.spread_to_base if statistic == "sDev" else units.to_base
        base = to_base(0.0, uom)[0]
        target = f"quantity@{base}" if statistic == "quantity" else f"sensor.{statistic}@{base}"
        self._numbers(name, fact(target, kind=NUMBER), given, lambda v: to_base(v, uom)[1])

    def _extension(self, name: str, operator: str, scope: str, field_name: str, given: Sequence[str]) -> None:
        text = fact(scope, field_name)
        if operator == "EXISTS":
            self.conditions.append(Exists(text))
            return
        values = _each(name, given, lambda value: value)
        if all(_is_number(v) for v in values):
            self._numbers(name, fact(scope, field_name, kind=NUMBER), values, lambda v: v)
        elif len(values) == 1 and _is_instant(values[0]):
            instant = float(timestamps.to_micros(values[0]))
            target = fact(scope, field_name, kind=TIME)
            if operator == "EQ":
                self.conditions.append(AnyNumber(target, (instant,)))
            else:
                self.conditions.append(InRange(target, **{_COMPARISONS[operator]: instant}))
        elif operator == "EQ":
            self.conditions.append(AnyOf(text, tuple(values)))
        else:
            raise QueryParameterError(
                name, f"{name} compares with a number or a date-time, not {values[0]!r}"
            )

    def _field_name(self, parameter: str, written: str) -> str:
        """An extension field or attribute as written in a parameter: a CURIE whose prefix is declared,
        a full IRI, or ``namespace#local`` (the EPCIS 1.x form)."""
        prefix, colon, rest = written.partition(":")
        if (
            colon
            and not rest.startswith("//")
            and prefix not in self.prefixes
            and not written.startswith("urn:")
        ):
            raise QueryParameterError(
                parameter,
                f"{parameter}: the prefix {prefix!r} is not declared; declare it in GS1-Extensions "
                "(or the query's @context) or write the full namespace IRI",
            )
        name = extension_name(written, self.prefixes)
        if name is None:
            raise QueryParameterError(parameter, f"{parameter}: {written!r} is not a namespaced field name")
        return name

    @staticmethod
    def _attribute_field(parameter: str, written: str) -> Field:
        if written not in _ATTRIBUTE_FIELDS:
            fields = ", ".join(_ATTRIBUTE_FIELDS)
            raise QueryParameterError(
                parameter, f"{parameter}: master data attributes can be asked of {fields}"
            )
        return _ATTRIBUTE_FIELDS[written]

    def request(self) -> QueryRequest:
        shaping = self.shaping
        order: Order | None = None
        by_extension: str | None = None
        direction = shaping.get("orderDirection", "DESC")
        if direction not in ("ASC", "DESC"):
            raise QueryParameterError("orderDirection", "orderDirection must be ASC or DESC")
        if "orderBy" in shaping:
            written = shaping["orderBy"]
            if written in ("eventTime", "recordTime"):
                order = Order(Field(written), descending=direction == "DESC")
            else:
                by_extension = self._field_name("orderBy", written)
        elif "orderDirection" in shaping:
            raise QueryParameterError("orderDirection", "orderDirection needs orderBy")
        limit = _count(shaping, "eventCountLimit")
        most = _count(shaping, "maxEventCount")
        if limit is not None and "orderBy" not in shaping:
            raise QueryParameterError("eventCountLimit", "eventCountLimit needs orderBy")
        if limit is not None and most is not None:
            raise QueryParameterError(
                "maxEventCount", "eventCountLimit and maxEventCount cannot both be given"
            )
        return QueryRequest(
            tuple(self.conditions),
            tuple(self.lookups),
            order,
            by_extension,
            direction == "DESC",
            limit,
            most,
        )


def _count(shaping: Mapping[str, str], name: str) -> int | None:
    if name not in shaping:
        return None
    written = shaping[name]
    # ASCII digits only (str.isdigit also takes "²", which int() refuses), few enough for any store.
    if not _COUNT.fullmatch(written) or int(written) < 1:
        raise QueryParameterError(name, f"{name} must be a positive integer of at most 18 digits")
    return int(written)


def _single(name: str, values: Sequence[str]) -> str:
    if len(values) != 1:
        raise QueryParameterError(name, f"{name} may be given once")
    return values[0]


def _each(name: str, values: Iterable[str], canonical: Callable[[str], T]) -> list[T]:
    result: list[T] = []
    for value in (part for given in values for part in given.split("|")):
        if not value.strip():
            raise QueryParameterError(name, f"{name} has an empty value")
        try:
            result.append(canonical(value))
        except ValueError as error:
            raise QueryParameterError(name, f"{name}: {error}") from None
    return list(dict.fromkeys(result))


def _is_number(value: str) -> bool:
    try:
        _number(value)
    except ValueError:
        return False
    return True


def _is_instant(value: str) -> bool:
    try:
        timestamps.to_micros(value)
    except ValueError:
        return False
    return True


# All the names a client may use (the patterns spelled with <...>), for documentation.
PARAMETER_NAMES = (
    *_EQUALS,
    *_MATCHES,
    *(f"{b}_{t}" for t in _TIMES for b in ("GE", "LT")),
    *_EXISTS,
    *_WITHIN,
    "EQ_quantity", "GT_quantity", "GE_quantity", "LT_quantity", "LE_quantity",
    "GT_percRank", "GE_percRank", "LT_percRank", "LE_percRank",
    "EQ_quantity_<uom>", "GT_quantity_<uom>", "GE_quantity_<uom>", "LT_quantity_<uom>", "LE_quantity_<uom>",
    "EQ_value_<uom>",
    *(f"{op}_{s}_<uom>" for s in _STATISTICS for op in _COMPARISONS),
    "EQ_bizTransaction_<type>", "EQ_source_<type>", "EQ_destination_<type>",
    "HASATTR_<field>", "EQ_ATTR_<field>_<attribute>",
    *(f"{op}_{scope}<field>" for scope in _SCOPES for op in ("EQ", "GT", "GE", "LT", "LE", "EXISTS")),
    *_SHAPING,
)  # fmt: skip
