"""A validated event query: what the query parameters mean, independent of any store.

A query is a conjunction of conditions on fields of the stored events, each condition standing
for one query parameter (so, as the standard says, each is met on its own: ``GE_quantity=5&LT_quantity=10``
holds for an event with quantities 3 and 20). Each store translates the five condition shapes
once; every query parameter reuses them.

Fields are of three kinds:

- columns: one value per event (`Field` members other than the identifier roles);
- identifier roles: lists of canonical keys (`KEY_FIELDS`);
- facts: anything else an event says that a parameter can ask about, named by `fact()` —
  ``bizTransaction:<type>``, ``sensor.deviceID``, ``ilmd:{namespace}name`` ... A fact holds
  text, or, when its name ends in `NUMBER` or `TIME`, a number (times as microseconds).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from epcis_repo.epcis.identifiers import KeyMatch


class Field(StrEnum):
    """The fields every store keeps in a column or an index of their own."""

    TYPE = "type"
    EVENT_TIME = "eventTime"  # microseconds since the epoch, UTC
    RECORD_TIME = "recordTime"
    ACTION = "action"
    BIZ_STEP = "bizStep"  # CBV Web URI or custom URI
    DISPOSITION = "disposition"
    READ_POINT = "readPoint"  # canonical identifier key
    BIZ_LOCATION = "bizLocation"
    EVENT_ID = "eventID"
    CAPTURED_BY = "capturedBy"  # the organisation whose key captured the event (None before access control)
    # Identifier roles: lists of canonical keys.
    EPC = "epc"  # epcList and childEPCs
    PARENT_ID = "parentID"
    INPUT_EPC = "inputEPC"
    OUTPUT_EPC = "outputEPC"
    ANY_EPC = "anyEPC"  # all of the above
    EPC_CLASS = "epcClass"  # quantityList and childQuantityList
    INPUT_EPC_CLASS = "inputEPCClass"
    OUTPUT_EPC_CLASS = "outputEPCClass"
    ANY_EPC_CLASS = "anyEPCClass"  # all quantity lists


# The fields that hold a list of identifier keys per event (the others hold one value).
KEY_FIELDS: tuple[Field, ...] = (
    Field.EPC,
    Field.PARENT_ID,
    Field.INPUT_EPC,
    Field.OUTPUT_EPC,
    Field.ANY_EPC,
    Field.EPC_CLASS,
    Field.INPUT_EPC_CLASS,
    Field.OUTPUT_EPC_CLASS,
    Field.ANY_EPC_CLASS,
)
COLUMNS: tuple[Field, ...] = tuple(f for f in Field if f not in KEY_FIELDS)
# The key fields that are the union of others: an event's keys in any of these roles.
UNIONS: dict[Field, tuple[Field, ...]] = {
    Field.ANY_EPC: (Field.EPC, Field.PARENT_ID, Field.INPUT_EPC, Field.OUTPUT_EPC),
    Field.ANY_EPC_CLASS: (Field.EPC_CLASS, Field.INPUT_EPC_CLASS, Field.OUTPUT_EPC_CLASS),
}


def keys_by_field(roles: Mapping[Field, tuple[str, ...]]) -> dict[Field, tuple[str, ...]]:
    """Every key field's keys, from an event's keys per role: a union holds its roles' keys, once each."""
    found = {field: roles.get(field, ()) for field in KEY_FIELDS if field not in UNIONS}
    for union, parts in UNIONS.items():
        found[union] = tuple(dict.fromkeys(key for part in parts for key in roles.get(part, ())))
    return found


# Fact names ending in these hold numbers: plain numbers, and instants in microseconds.
NUMBER = "#n"
TIME = "#t"


def fact(scope: str, name: str = "", *, kind: str = "") -> str:
    """The name of a fact: ``scope``, ``scope:name``, with `NUMBER` or `TIME` for numeric facts."""
    return f"{scope}:{name}{kind}" if name else f"{scope}{kind}"


def is_numeric(name: str) -> bool:
    return name in (Field.EVENT_TIME, Field.RECORD_TIME) or name.endswith((NUMBER, TIME))


@dataclass(frozen=True, slots=True)
class AnyOf:
    """The field (or, for a list field or a fact, one of its values) equals one of `values`."""

    field: str
    values: tuple[str, ...]

    def __post_init__(self) -> None:
        if is_numeric(self.field):
            raise ValueError(f"{self.field} holds numbers; compare it with InRange")


@dataclass(frozen=True, slots=True)
class InRange:
    """Some value of a numeric field lies within every bound given (``ge <= v``, ``gt < v`` ...)."""

    field: str
    ge: float | None = None
    lt: float | None = None
    gt: float | None = None
    le: float | None = None

    def __post_init__(self) -> None:
        if not is_numeric(self.field):
            raise ValueError(f"{self.field} holds text; compare it with AnyOf or MatchesKey")

    def holds(self, value: float) -> bool:
        return (
            (self.ge is None or value >= self.ge)
            and (self.gt is None or value > self.gt)
            and (self.le is None or value <= self.le)
            and (self.lt is None or value < self.lt)
        )


@dataclass(frozen=True, slots=True)
class AnyNumber:
    """Some value of a numeric field equals one of `values`: exactly for instants, to a relative 1e-9
    for numbers (converted units round)."""

    field: str
    values: tuple[float, ...]

    def __post_init__(self) -> None:
        if not is_numeric(self.field):
            raise ValueError(f"{self.field} holds text; compare it with AnyOf or MatchesKey")

    def ranges(self) -> list[tuple[float, float]]:
        exact = self.field in (Field.EVENT_TIME, Field.RECORD_TIME) or self.field.endswith(TIME)
        return [
            (v, v) if exact else (v - abs(v) * 1e-9, v + abs(v) * 1e-9) for v in dict.fromkeys(self.values)
        ]


@dataclass(frozen=True, slots=True)
class MatchesKey:
    """The field (or one of its values) is an identifier key matched by one of `matches`."""

    field: str
    matches: tuple[KeyMatch, ...]

    def __post_init__(self) -> None:
        if is_numeric(self.field):
            raise ValueError(f"{self.field} holds numbers; compare it with InRange")


@dataclass(frozen=True, slots=True)
class Exists:
    """The event has the field (for a fact: at least one value of it)."""

    field: str


Condition = AnyOf | AnyNumber | InRange | MatchesKey | Exists


@dataclass(frozen=True, slots=True)
class Order:
    """Results sorted by a time column, then by visibility order (ties keep capture order)."""

    field: Field  # EVENT_TIME or RECORD_TIME
    descending: bool = False

    def __post_init__(self) -> None:
        if self.field not in (Field.EVENT_TIME, Field.RECORD_TIME):
            raise ValueError(f"stores order by eventTime or recordTime, not {self.field}")


# Which events a caller may see: any group of conditions that all hold (None: every event).
Visibility = tuple[tuple[Condition, ...], ...]


@dataclass(frozen=True, slots=True)
class EventQuery:
    conditions: tuple[Condition, ...] = field(default_factory=tuple)
    order: Order | None = None
    visible: Visibility | None = None


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a page ends: the last event's place in visibility order (commit, then position in the
    capture), and, for an ordered query, its sort value.

    Events are only ever added after every visible one, so a cursor stays valid while capture goes on.
    """

    commit: int
    position: int
    value: int | None = None
