"""Lineage edges: how captured events link objects, lots, places, transformations and parties.

Capture derives them from each event (capture/lineage.py) and stores them with it; the trace engine
walks them. Every node is a canonical key (epcis.identifiers), except transformations, which are
named ``transformation:`` + their transformationID (or the event's id when it has none), and the
"every child" target of an aggregation that removes all its children (`ALL_CHILDREN`).
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple


class EdgeKind(StrEnum):
    CONTAINS = "contains"  # parent -> child (AggregationEvent), ADD / OBSERVE / DELETE
    ASSEMBLES = "assembles"  # parent -> component (AssociationEvent), ADD / OBSERVE / DELETE
    CONSUMES = "consumes"  # input -> transformation
    PRODUCES = "produces"  # transformation -> output
    ORIGIN = "origin"  # place -> object created there (ObjectEvent ADD)
    CUSTODY = "custody"  # object -> the party it went to (destinationList); role: the destination type
    TRANSACTION = "transaction"  # object -> business transaction; role: its type
    INSTANCE = "instance"  # lot -> an instance commissioned with that lot number (ILMD)


CONTAINMENT = (EdgeKind.CONTAINS, EdgeKind.ASSEMBLES)
ALL_CHILDREN = "*"
TRANSFORMATION_PREFIX = "transformation:"


# Named tuples rather than frozen dataclasses: a trace makes and hashes many of them; a named tuple
# is made about three times faster, and hashed in C.
class LineageEdge(NamedTuple):
    kind: EdgeKind
    source: str
    target: str
    action: str | None = None  # the event's action, where it has one
    quantity: float | None = None  # a class's quantity; None for an instance (one of it)
    uom: str | None = None  # the quantity's unit (UN/ECE Rec 20); None for a count
    role: str | None = None  # the party's or transaction's type, as a CBV Web URI or custom URI


class StoredEdge(NamedTuple):
    """An edge of a visible event, with what the trace needs of that event."""

    edge: LineageEdge
    event_id: str
    event_time: int  # microseconds since the epoch, UTC
    record_time: int
    voided_at: int | None = None  # record time of the first error declaration about the event, if any
    visible: bool = True  # whether the caller may see the event (if not, the edge is only counted)


class EdgeSelection(NamedTuple):
    """Which edges of a node a read takes: those of these kinds leaving it, and these entering it."""

    leaving: frozenset[EdgeKind] = frozenset(EdgeKind)
    entering: frozenset[EdgeKind] = frozenset(EdgeKind)


EVERY_EDGE = EdgeSelection()


@lru_cache(maxsize=64)
def kind_test(kinds: frozenset[EdgeKind]) -> tuple[str, ...] | None:
    """The kinds, as stored, that an edge read for one end must be of; None when any kind will do
    (every kind: no test to make)."""
    return None if kinds == frozenset(EdgeKind) else tuple(sorted(map(str, kinds)))
