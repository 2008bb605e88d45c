"""The storage port: what the repository needs from a store, whatever the database.

Every backend keeps the same promises, checked by one contract suite (tests/storage/):

- An event is stored once by each organisation: `EventRecord.dedup_key` is unique within the
  organisation that captured it, and so is the eventID of every event that is not an error
  declaration (`scoped`). Two organisations may each hold the same event, and neither learns from
  its capture that the other does.
- `append` is all or nothing for a capture under rollback; under proceed it stores every
  record that is not a duplicate. Either way readers see none of a capture until all of what
  it stores is there, and then see it at once, ordered after everything visible before.
- `open` finishes what a crash interrupted: a capture whose job was settled becomes visible,
  any other is removed and its job says it failed.
- Events are read in that visibility order, so a page cursor stays valid while capture goes on.
- Driver errors never leave a backend: they become the errors below.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from epcis_repo.query.model import Cursor, EventQuery, Field, Visibility
from epcis_repo.trace.model import EVERY_EDGE, EdgeSelection, LineageEdge, StoredEdge


class StorageError(Exception):
    """The store could not do what was asked (unreachable, misconfigured, corrupted)."""


# The organisations whose master data a reader goes by (None among them: versions no organisation
# captured); None: every organisation's.
Sources = frozenset[str | None] | None


def scoped(organisation: str | None, key: str) -> str:
    """A dedup key or an eventID as a store keeps it unique: within the organisation that captured it
    (as it is, for an event no organisation captured, as stored before access control)."""
    return key if organisation is None else f"{len(organisation)}:{organisation}:{key}"


@dataclass(frozen=True, slots=True)
class EventRecord:
    """A captured event ready to store: the event as sent, plus the fields queries use."""

    event_id: str
    event_hash: str
    dedup_key: str  # the hash; for an error declaration, the hash plus a digest of the declaration
    is_declaration: bool
    event_type: str
    event_time: int  # microseconds since the epoch, UTC
    body: bytes  # the event as JSON, with its eventID and @context, without recordTime
    action: str | None = None
    biz_step: str | None = None
    disposition: str | None = None
    read_point: str | None = None
    biz_location: str | None = None
    keys: Mapping[Field, tuple[str, ...]] = field(default_factory=dict)  # canonical keys per identifier role
    facts: tuple[tuple[str, str | float], ...] = ()  # see capture/facts.py and query.model.fact
    lineage: tuple[LineageEdge, ...] = ()  # see capture/lineage.py


@dataclass(frozen=True, slots=True)
class Explored:
    """What `EventStore.explore_lineage` read after the walk."""

    elements: list[VocabularyRecord]  # the master data asked for
    events: list[tuple[str, bytes]]  # (eventID, the event as captured) of the events asked for


@dataclass(frozen=True, slots=True)
class VocabularyRecord:
    """A master data element as captured in a document's header, kept per capture (a new capture
    declaring the same element makes a new version; the latest counts)."""

    type: str  # the vocabulary type URI, e.g. urn:epcglobal:epcis:vtype:BusinessLocation
    key: str  # the element id's canonical key
    element: bytes  # the vocabulary element as captured (JSON)
    attributes: tuple[tuple[str, str], ...] = ()  # (attribute field name, value text)
    children: tuple[str, ...] = ()  # canonical keys


@dataclass(frozen=True, slots=True)
class NamedQuery:
    name: str
    created_at: int
    definition: bytes  # the query as its client defined it (JSON)
    owner: str | None = None  # the organisation that defined it


@dataclass(frozen=True, slots=True)
class StoredEvent:
    event_id: str
    record_time: int
    body: bytes
    cursor: Cursor


class Behaviour(StrEnum):
    """GS1-Capture-Error-Behaviour."""

    ROLLBACK = "rollback"
    PROCEED = "proceed"


@dataclass(frozen=True, slots=True)
class AppendResult:
    record_time: int
    stored: int
    duplicates: tuple[int, ...] = ()  # indexes of the records that were already stored


@dataclass(slots=True)
class CaptureJob:
    """A capture job as the standard describes it, plus what the repository needs to recover it."""

    capture_id: str
    created_at: int
    behaviour: Behaviour
    running: bool = True
    success: bool = True
    finished_at: int | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    event_count: int = 0
    stored_count: int = 0
    commit: int | None = None  # the store's commit number once its events are written
    organisation: str | None = None  # whose capture it is: its events record it (visibility)
    principal: str | None = None  # the key (or token subject) that sent it


# Finishes a capture job once the store knows what it stored; called before the events become visible.
Settle = Callable[[AppendResult], Awaitable[None]]


def settle_interrupted(job: CaptureJob, finished_at: int) -> None:
    """Fail the job of a capture that a crash stopped before it was committed (every store's `open`)."""
    job.running = False
    job.success = False
    job.finished_at = finished_at
    job.stored_count = 0
    job.errors.append(
        {
            "type": "epcisException:ImplementationException",
            "title": "Capture interrupted",
            "status": 500,
            "detail": "The repository stopped before this capture was committed; none of its "
            "events were stored. Capture the document again.",
        }
    )


class EventStore(Protocol):
    async def open(self) -> None:
        """Create what the store needs (indexes, tables) and finish or undo interrupted captures."""

    async def close(self) -> None: ...

    async def append(
        self,
        records: Sequence[EventRecord],
        job: CaptureJob,
        settle: Settle,
        vocabulary: Sequence[VocabularyRecord] = (),
        company_prefixes: Collection[str] = (),
    ) -> AppendResult:
        """Store the records of `job` under its behaviour, as the module docstring describes, with the
        master data its document declared and the GS1 Company Prefixes its EPC URNs state (both kept
        only if the capture stores something).

        Once the records are written (or, under rollback with a duplicate, removed again) the store
        awaits `settle(result)` to finish the job, and saves the job together with making its events
        visible: after a crash, the job and the visible events always agree.
        """

    async def stored_keys(self, dedup_keys: Collection[str], organisation: str | None = None) -> set[str]:
        """Which of these dedup keys are already stored by `organisation`."""

    async def used_event_ids(self, event_ids: Collection[str], organisation: str | None = None) -> set[str]:
        """Which of these eventIDs already name a stored event of `organisation` that is not an error
        declaration."""

    async def find_events(self, query: EventQuery, after: Cursor | None, limit: int) -> list[StoredEvent]:
        """Up to `limit` visible events matching `query`, after `after`, in visibility order or in the
        query's order (then visibility order)."""

    async def count_events(self, query: EventQuery, cap: int) -> int:
        """How many visible events match, counting no further than `cap`."""

    async def distinct_values(
        self, field: Field, after: str | None, limit: int, visible: Visibility | None = None
    ) -> list[str]:
        """Distinct values of a column or identifier role among visible events (and among those
        `visible` allows, when given), ascending, after `after`."""

    # Master data: `sources` names the organisations whose versions count (None for versions no
    # organisation captured); the latest version is the latest of theirs. None: every version.

    async def vocabulary_children(self, keys: Collection[str], sources: Sources = None) -> set[str]:
        """The children (canonical keys) the latest master data gives these elements."""

    async def vocabulary_with_attribute(
        self, name: str, values: Collection[str] | None, sources: Sources = None
    ) -> set[str]:
        """Keys of the elements whose latest master data has attribute `name` (with one of `values`)."""

    async def vocabulary_elements(
        self, keys: Collection[str], sources: Sources = None
    ) -> list[VocabularyRecord]:
        """The latest version of each of these elements (of every vocabulary type that has it)."""

    async def lineage(
        self, nodes: Collection[str], recorded_by: int | None, visible: Visibility | None = None
    ) -> list[StoredEdge]:
        """The lineage edges of visible events recorded at or before `recorded_by` (all when None) whose
        source or target is one of `nodes`, each with the record time of the first visible error
        declaration about its event made by the organisation that captured it (whenever that was
        recorded), and, when `visible` is given,
        whether it allows the event (an edge it does not allow says nothing else of its event)."""

    async def lineage_names(
        self, node: str, recorded_by: int | None, visible: Visibility | None = None
    ) -> bool:
        """Whether `node` is an end of an edge of any kind of an event `visible` allows (when given),
        recorded at or before `recorded_by` (when given): one probe, however many edges it has."""

    async def explore_lineage(
        self,
        start: Collection[str],
        recorded_by: int | None,
        step: Callable[[list[StoredEdge]], Collection[str]],
        hops: int,
        visible: Visibility | None = None,
        master_data: Callable[[], Collection[str]] | None = None,
        sources: Sources = None,
        followed: Callable[[list[VocabularyRecord]], Collection[str]] | None = None,
        selection: EdgeSelection = EVERY_EDGE,
    ) -> Explored:
        """Read the edges of `start` as `lineage` does (only those `selection` takes), hand them to
        `step`, read the edges of the nodes it names, and so on until it names none or `hops` reads
        were made. Then, all in the same
        snapshot: when `master_data` is given, the latest master data (as `vocabulary_elements` reads it
        from `sources`) of the keys it names; when `followed` is given, it is handed those elements and
        names eventIDs, and the events with these eventIDs that `visible` allows are read, in
        visibility order: not error declarations, nor a copy that its organisation declared erroneous
        by `recorded_by` (as `lineage` voids its edges). `step`, `master_data` and `followed` are plain
        Python that neither block nor await; a store may call them on the thread it reads on, so that a
        whole trace costs one hand-off however many hops it takes."""

    async def lineage_version(self) -> int:
        """The version of the lineage derivation the stored edges come from (0: none yet)."""

    async def rebuild_lineage(self, derive: Callable[[bytes], Sequence[LineageEdge]], version: int) -> int:
        """Replace the edges of every stored event that is not an error declaration by `derive(body)`,
        and record `version`; the number of events derived. Runs before the store serves captures."""

    async def company_prefixes(self) -> set[str]:
        """Every GS1 Company Prefix a stored capture stated (an EPC URN spells out where it ends)."""

    async def save_named_query(self, query: NamedQuery) -> bool:
        """Store a named query; False (and nothing stored) if the name is taken."""

    async def get_named_query(self, name: str) -> NamedQuery | None: ...

    async def list_named_queries(
        self, after: str | None, limit: int, owner: str | None = None
    ) -> list[NamedQuery]:
        """Named queries in name order, after the name `after` (only those of `owner`, when given)."""

    async def delete_named_query(self, name: str) -> bool:
        """Delete a named query; whether it existed."""

    async def save_job(self, job: CaptureJob) -> None:
        """Insert or replace a capture job."""

    async def get_job(self, capture_id: str) -> CaptureJob | None: ...

    async def list_jobs(
        self, after: str | None, limit: int, organisation: str | None = None
    ) -> list[CaptureJob]:
        """Capture jobs, newest first, after the job with id `after` (only those of `organisation`,
        when given)."""
