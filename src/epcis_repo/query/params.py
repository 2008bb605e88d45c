"""EPCIS query parameters (SimpleEventQuery, REST form) -> one validated EventQuery.

Every value is taken as a literal: identifiers and vocabulary values are reduced to their
canonical forms here, so the store only ever compares canonical literals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from epcis_repo.epcis import cbv, identifiers, timestamps
from epcis_repo.query.model import AnyOf, Condition, EventQuery, Field, InRange, MatchesKey

ACTIONS = ("ADD", "OBSERVE", "DELETE")
T = TypeVar("T")


class QueryParameterError(ValueError):
    def __init__(self, parameter: str, detail: str) -> None:
        super().__init__(detail)
        self.parameter = parameter
        self.detail = detail


@dataclass(frozen=True, slots=True)
class _ListParameter:
    field: Field
    canonical: Callable[[str], str]


def _action(value: str) -> str:
    if value not in ACTIONS:
        raise ValueError(f"{value!r} is not an action; use ADD, OBSERVE or DELETE")
    return value


def _uri(value: str) -> str:
    return value.strip()


def _instance_matches(value: str) -> tuple[identifiers.KeyMatch, ...]:
    return tuple(identifiers.instance_matches(value))


_LISTS: Mapping[str, _ListParameter] = {
    "eventType": _ListParameter(Field.TYPE, _uri),
    "EQ_action": _ListParameter(Field.ACTION, _action),
    "EQ_bizStep": _ListParameter(Field.BIZ_STEP, cbv.BIZ_STEP.canonical),
    "EQ_disposition": _ListParameter(Field.DISPOSITION, cbv.DISPOSITION.canonical),
    "EQ_readPoint": _ListParameter(Field.READ_POINT, identifiers.canonical_key),
    "EQ_bizLocation": _ListParameter(Field.BIZ_LOCATION, identifiers.canonical_key),
    "EQ_eventID": _ListParameter(Field.EVENT_ID, _uri),
}
_MATCHES: Mapping[str, Field] = {"MATCH_epc": Field.EPC, "MATCH_anyEPC": Field.ANY_EPC}
# name -> (field, True for the lower bound GE_, False for the upper bound LT_)
_TIMES: Mapping[str, tuple[Field, bool]] = {
    "GE_eventTime": (Field.EVENT_TIME, True),
    "LT_eventTime": (Field.EVENT_TIME, False),
    "GE_recordTime": (Field.RECORD_TIME, True),
    "LT_recordTime": (Field.RECORD_TIME, False),
}
QUERY_PARAMETERS = frozenset({*_LISTS, *_MATCHES, *_TIMES})


def parse_query(params: Mapping[str, Sequence[str]]) -> EventQuery:
    """The query the parameters describe. `params` maps each name to every value given for it
    (a list parameter may be repeated or pipe-delimited: the values are ORed).

    Raises QueryParameterError naming the first unknown or malformed parameter.
    """
    conditions: list[Condition] = []
    bounds: dict[Field, dict[bool, int]] = {}
    for name in sorted(params):
        values = params[name]
        if name in _LISTS:
            spec = _LISTS[name]
            conditions.append(AnyOf(spec.field, tuple(_each(name, values, spec.canonical))))
        elif name in _MATCHES:
            matches = tuple(m for ms in _each(name, values, _instance_matches) for m in ms)
            conditions.append(MatchesKey(_MATCHES[name], matches))
        elif name in _TIMES:
            field, lower = _TIMES[name]
            bounds.setdefault(field, {})[lower] = _instant(name, values)
        else:
            raise QueryParameterError(name, f"{name} is not a query parameter this repository knows")
    for field, bound in bounds.items():
        conditions.append(InRange(field, ge=bound.get(True), lt=bound.get(False)))
    return EventQuery(tuple(conditions))


def _each(name: str, values: Sequence[str], canonical: Callable[[str], T]) -> list[T]:
    result: list[T] = []
    for value in (part for given in values for part in given.split("|")):
        if not value.strip():
            raise QueryParameterError(name, f"{name} has an empty value")
        try:
            result.append(canonical(value))
        except ValueError as error:
            raise QueryParameterError(name, f"{name}: {error}") from None
    return list(dict.fromkeys(result))


def _instant(name: str, values: Sequence[str]) -> int:
    if len(values) != 1:
        raise QueryParameterError(name, f"{name} may be given once")
    value = values[0]
    try:
        return timestamps.to_micros(value)
    except ValueError:
        hint = " (a '+' in a URL must be written %2B)" if " " in value else ""
        raise QueryParameterError(
            name, f"{name} must be a date-time with a time zone offset, e.g. 2024-05-01T10:00:00Z{hint}"
        ) from None
