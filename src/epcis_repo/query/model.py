"""A validated event query: what the query parameters mean, independent of any store.

A query is a conjunction of conditions on indexed fields of the stored events. Each store
translates the three condition shapes once; new query parameters reuse them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from epcis_repo.epcis.identifiers import KeyMatch


class Field(StrEnum):
    """The indexed fields of a stored event (values in their canonical forms)."""

    TYPE = "type"
    EVENT_TIME = "eventTime"  # microseconds since the epoch, UTC
    RECORD_TIME = "recordTime"
    ACTION = "action"
    BIZ_STEP = "bizStep"  # CBV Web URI or custom URI
    DISPOSITION = "disposition"
    READ_POINT = "readPoint"  # canonical identifier key
    BIZ_LOCATION = "bizLocation"
    EVENT_ID = "eventID"
    # Identifier roles: list fields of canonical keys.
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


# The fields that hold a number (microseconds since the epoch); every other field holds text.
NUMERIC_FIELDS = frozenset({Field.EVENT_TIME, Field.RECORD_TIME})


@dataclass(frozen=True, slots=True)
class AnyOf:
    """The field (or, for a list field, one of its values) equals one of `values`."""

    field: Field
    values: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.field in NUMERIC_FIELDS:
            raise ValueError(f"{self.field} holds numbers; compare it with InRange")


@dataclass(frozen=True, slots=True)
class InRange:
    """``ge <= field < lt`` on a numeric field; an open bound is None."""

    field: Field
    ge: int | None = None
    lt: int | None = None

    def __post_init__(self) -> None:
        if self.field not in NUMERIC_FIELDS:
            raise ValueError(f"{self.field} holds text; compare it with AnyOf or MatchesKey")


@dataclass(frozen=True, slots=True)
class MatchesKey:
    """The field (or one of its values) is an identifier key matched by one of `matches`."""

    field: Field
    matches: tuple[KeyMatch, ...]

    def __post_init__(self) -> None:
        if self.field in NUMERIC_FIELDS:
            raise ValueError(f"{self.field} holds numbers; compare it with InRange")


Condition = AnyOf | InRange | MatchesKey


@dataclass(frozen=True, slots=True)
class EventQuery:
    conditions: tuple[Condition, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a page ends, in the stores' visibility order (commit, then position in the capture).

    Events are only ever added after every visible one, so a cursor stays valid while capture goes on.
    """

    commit: int
    position: int
