"""Tracing one identifier back to its origins or forward to everything it went into.

First the part of the lineage graph the trace can reach is loaded, one store read per hop for all
the nodes of that hop (never one per edge), pruned by time as loosely as any path allows; then the
material is followed over it in memory (trace/back.py, trace/forward.py). The store runs the walk
where it reads (`EventStore.explore_lineage`), so that the graph, its master data and the events
followed come from one snapshot, in one hand-off to a SQLite reader thread.
"""

from __future__ import annotations

from collections.abc import Iterator

from epcis_repo.query.model import AnyOf, EventQuery, Field
from epcis_repo.storage.port import EventStore, VocabularyRecord
from epcis_repo.trace.back import Back
from epcis_repo.trace.forward import Forward
from epcis_repo.trace.graph import Graph
from epcis_repo.trace.measures import Measure
from epcis_repo.trace.model import ALL_CHILDREN, CONTAINMENT, EdgeKind, EdgeSelection, StoredEdge
from epcis_repo.trace.result import Direction, Severity, Trace, TraceRequest
from epcis_repo.trace.walk import Walk


async def run_trace(store: EventStore, request: TraceRequest) -> Trace | None:
    """The trace, or None when the repository knows nothing of the target (no event names it)."""
    found = await _run(store, request, read_events=False)
    return None if found is None else found[0]


async def trace_with_events(
    store: EventStore, request: TraceRequest
) -> tuple[Trace, list[tuple[str, bytes]]] | None:
    """The trace and, read in the same snapshot, the events it followed as captured (eventID, body)
    that the caller may see, in visibility order; None when no event names the target."""
    return await _run(store, request, read_events=True)


async def _run(
    store: EventStore, request: TraceRequest, read_events: bool
) -> tuple[Trace, list[tuple[str, bytes]]] | None:
    graph = Graph(request.as_of, request.window)
    asked: set[str] = set()  # the keys whose net weights the master data read is for
    walked: list[Trace] = []

    def wanted() -> set[str]:
        # Called by the store once the graph is read; its own weight too, for a quantity asked in units.
        asked.update(graph.masses_wanted(request.target))
        return asked

    def walk(elements: list[VocabularyRecord]) -> list[str]:
        # Called by the store with the master data of `wanted` (on its reader thread).
        graph.learn_masses(asked, elements)
        if not graph.knows(request.target):
            return []  # maybe named by events without edges: asked below
        walked.append(_walk(graph, request))
        return walked[0].event_ids if read_events else []

    explored = await store.explore_lineage(
        [request.target],
        request.as_of,
        _Discovery(graph, request).step,
        request.depth + 1,
        request.visible,
        wanted,
        request.master_data,
        walk,
        _READS[request.direction],
    )
    if walked:
        return walked[0], explored.events
    if not await _mentioned(store, request):
        return None
    return _walk(graph, request), []


# The edges of a node that each direction's discovery and walk use; reading only these spares the
# store the rest (back, what a node was shipped with or went into later; forward, who made it).
_READS = {
    Direction.BACK: EdgeSelection(
        leaving=frozenset({EdgeKind.CONTAINS, EdgeKind.ASSEMBLES, EdgeKind.PRODUCES}),
        entering=frozenset({EdgeKind.PRODUCES, EdgeKind.CONSUMES, EdgeKind.INSTANCE, EdgeKind.ORIGIN}),
    ),
    Direction.FORWARD: EdgeSelection(
        entering=frozenset(
            {EdgeKind.CONTAINS, EdgeKind.ASSEMBLES, EdgeKind.CONSUMES, EdgeKind.PRODUCES, EdgeKind.ORIGIN}
        ),
    ),
}


def _walk(graph: Graph, request: TraceRequest) -> Trace:
    """The trace over the loaded graph."""
    trace = Trace(request, request.at, None)
    if request.direction is Direction.BACK:
        back = Back(graph, trace)
        cursor = request.at if request.at is not None else _last_packed(back, request.target)
        quantity = _asked(back, request) if request.quantity else back.total_of(request.target, cursor)
        trace.cursor, trace.quantity = cursor, quantity
        back.run(request.target, cursor, quantity)
    else:
        forward = Forward(graph, trace)
        is_place = bool(graph.out(request.target, EdgeKind.ORIGIN))
        trace.quantity = None if is_place else forward.total_of(request.target, None)
        forward.run(request.target, request.at, trace.quantity, None if is_place else 1.0)
    return trace


async def _mentioned(store: EventStore, request: TraceRequest) -> bool:
    """Whether an event the caller may see names the target: at an end of an edge of any kind (a party
    or a document too, which the direction's reads leave out), or in an identifier or location field."""
    if await store.lineage_names(request.target, request.as_of, request.visible):
        return True
    for field in (Field.ANY_EPC, Field.ANY_EPC_CLASS, Field.BIZ_LOCATION, Field.READ_POINT):
        query = EventQuery((AnyOf(field, (request.target,)),), visible=request.visible)
        if await store.count_events(query, 1):
            return True
    return False


def _asked(walk: Walk, request: TraceRequest) -> Measure | None:
    """The quantity the request asks to trace, as a measure (a finding when it cannot be one)."""
    assert request.quantity is not None
    value, unit = request.quantity
    if unit is None:
        recorded = walk.graph.into(request.target, EdgeKind.PRODUCES, EdgeKind.ORIGIN)
        unit = next((e.edge.uom for e in recorded if e.edge.quantity is not None), None)
    quantity = walk.graph.masses.amount(request.target, value, unit)
    if quantity is None:
        walk.finding(
            "missing-unit-conversion",
            Severity.ERROR,
            f"{value:g} {unit or 'units'} of {request.target} cannot be converted (no netWeight in its "
            "master data); traced without quantities",
        )
    return quantity


def _last_packed(walk: Walk, target: str) -> int | None:
    """Without `at`, a container is traced with the contents it last had (now, or before it was emptied)."""
    history = walk.graph.out(target, *CONTAINMENT)
    if not history or walk.contents(target, None):
        return None
    last_delete = max(e.event_time for e in history if e.edge.action == "DELETE")
    return last_delete - 1


class _Discovery:
    def __init__(self, graph: Graph, request: TraceRequest) -> None:
        self.graph = graph
        self.back = request.direction is Direction.BACK
        self.hops_left = request.depth + 1
        self.frontier: dict[str, int | None] = {request.target: request.at}
        self.bounds: dict[str, int | None] = {}
        self.reading: list[str] = [request.target]

    def step(self, edges: list[StoredEdge]) -> list[str]:
        """Take in the edges just read; the nodes to read next (none: done)."""
        self.graph.add(self.reading, edges)
        while self.frontier and self.hops_left > 0:
            self.hops_left -= 1
            self._expand()
            # Nodes met again with a looser bound are expanded again from the edges already loaded.
            self.reading = self.graph.unloaded(self.frontier)
            if self.reading:
                return self.reading
        return []

    def _expand(self) -> None:
        self.bounds.update(self.frontier)
        found: dict[str, int | None] = {}
        for node, bound in self.frontier.items():
            steps = _upstream(self.graph, node, bound) if self.back else _downstream(self.graph, node, bound)
            for neighbour, time in steps:
                if neighbour in found:
                    time = _looser(found[neighbour], time, self.back)
                found[neighbour] = time
        self.frontier = {
            node: time
            for node, time in found.items()
            if node not in self.bounds or _looser(self.bounds[node], time, self.back) != self.bounds[node]
        }


def _looser(a: int | None, b: int | None, back: bool) -> int | None:
    """Of two cursors, the one that lets more edges through: later going back, earlier going forward."""
    if a is None or b is None:
        return None
    return max(a, b) if back else min(a, b)


def _upstream(graph: Graph, node: str, bound: int | None) -> Iterator[tuple[str, int | None]]:
    def before(time: int) -> bool:
        return bound is None or time <= bound

    for e in graph.out(node, *CONTAINMENT):
        if before(e.event_time) and e.edge.target != ALL_CHILDREN:
            yield e.edge.target, bound
    for e in graph.into(node, EdgeKind.PRODUCES, EdgeKind.CONSUMES):
        if before(e.event_time):
            yield e.edge.source, e.event_time
    for e in graph.into(node, EdgeKind.INSTANCE):
        yield e.edge.source, bound


def _downstream(graph: Graph, node: str, bound: int | None) -> Iterator[tuple[str, int | None]]:
    def after(time: int) -> bool:
        return bound is None or time >= bound

    for e in graph.out(node, EdgeKind.CONSUMES, EdgeKind.PRODUCES, EdgeKind.ORIGIN, EdgeKind.INSTANCE):
        if after(e.event_time) or e.edge.kind is EdgeKind.INSTANCE:
            yield e.edge.target, e.event_time if bound is None else max(bound, e.event_time)
    for e in graph.into(node, *CONTAINMENT):
        if e.edge.action != "DELETE":
            yield e.edge.source, e.event_time if bound is None else max(bound, e.event_time)
