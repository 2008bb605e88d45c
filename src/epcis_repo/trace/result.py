"""What a trace asks and what it finds."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

from epcis_repo.query.model import Visibility
from epcis_repo.storage.port import Sources
from epcis_repo.trace.measures import Measure

DEFAULT_DEPTH = 100
K = TypeVar("K")


class Direction(StrEnum):
    BACK = "back"
    FORWARD = "forward"


@dataclass(frozen=True, slots=True)
class TraceRequest:
    target: str  # canonical key
    direction: Direction
    at: int | None = (
        None  # the instant to start from (microseconds); None: the latest (back), the first (forward)
    )
    as_of: int | None = None  # ignore what was recorded later
    window: tuple[int | None, int | None] = (None, None)  # only events in [start, end] (event time)
    depth: int = DEFAULT_DEPTH  # most edges followed along one path
    # How much of the target to trace back: a number and a unit code (None: the unit it is recorded
    # in, or a count); None: all of it.
    quantity: tuple[float, str | None] | None = None
    # The events the caller may see (None: every one); the trace stops where they end.
    visible: Visibility | None = None
    # Whose master data (net weights) converts units (storage/port.py; None: anyone's).
    master_data: Sources = None


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    severity: Severity
    message: str
    event_ids: tuple[str, ...] = ()


@dataclass(slots=True)
class Portion:
    """Part of the traced material: at an origin, in a reached object, or unexplained."""

    node: str
    quantity: Measure | None
    share: float | None
    event_ids: list[str] = field(default_factory=list)
    location: str | None = None
    kind: str = "object"  # of a node: instance, class, transformation, place, other

    def add(self, quantity: Measure | None, share: float | None, event_ids: list[str]) -> None:
        self.quantity = None if self.quantity is None or quantity is None else self.quantity + quantity
        self.share = None if self.share is None or share is None else self.share + share
        self.event_ids += [e for e in event_ids if e not in self.event_ids]


def tally(book: dict[K, Portion], key: K, portion: Portion) -> None:
    """Add `portion` to the one `book` holds at `key`, or hold it there."""
    held = book.get(key)
    if held is None:
        book[key] = portion
    else:
        held.add(portion.quantity, portion.share, portion.event_ids)


@dataclass(slots=True)
class Reference:
    """A party the material went to, or a business document about it."""

    id: str
    role: str | None
    quantity: Measure | None
    event_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class FollowedEdge:
    kind: str
    source: str
    target: str
    event_id: str
    event_time: int
    quantity: Measure | None
    reason: str


@dataclass(slots=True)
class Trace:
    request: TraceRequest
    cursor: int | None  # where the trace started, in event time
    quantity: Measure | None  # how much of the target was traced
    origins: list[Portion] = field(default_factory=list)
    unexplained: list[Portion] = field(default_factory=list)
    reached: list[Portion] = field(default_factory=list)
    parties: list[Reference] = field(default_factory=list)
    documents: list[Reference] = field(default_factory=list)
    nodes: dict[str, Portion] = field(default_factory=dict)
    edges: list[FollowedEdge] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def event_ids(self) -> list[str]:
        """Every event the trace followed an edge of, in the order first followed."""
        return list(dict.fromkeys(edge.event_id for edge in self.edges))
