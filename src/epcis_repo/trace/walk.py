"""Walking a loaded lineage graph (trace/graph.py): what back and forward walks share.

Containment is evaluated at the walk's cursor; amounts are measures in one base unit
(trace/measures.py); every edge followed, node met and finding made is recorded on the trace.
"""

from __future__ import annotations

from collections.abc import Iterable

from epcis_repo.epcis import identifiers
from epcis_repo.epcis.timestamps import from_micros
from epcis_repo.trace.graph import Graph, is_transformation
from epcis_repo.trace.measures import Measure, total
from epcis_repo.trace.model import ALL_CHILDREN, CONTAINMENT, EdgeKind, StoredEdge
from epcis_repo.trace.result import Finding, FollowedEdge, Portion, Severity, Trace, tally

# Relative slack when comparing outputs with inputs (floating point, not a yield tolerance).
_SLACK = 1e-9
_BUDGET = 200_000  # most steps one trace takes


class Walk:
    def __init__(self, graph: Graph, trace: Trace) -> None:
        self.graph = graph
        self.trace = trace
        self._steps = 0
        self._findings: set[Finding] = set()
        self._followed: set[tuple[str, str, str, str]] = set()
        self._checked: set[str] = set()  # transformations whose balance was checked
        self._contents: dict[tuple[str, int | None], dict[str, StoredEdge]] = {}
        self._masses: dict[tuple[str, int | None], Measure | None] = {}

    # --- containment and amounts ----------------------------------------------------------------------

    def contents(self, node: str, cursor: int | None) -> dict[str, StoredEdge]:
        """The children of `node` at `cursor` (None: now), each with the edge that put it there."""
        known = self._contents.get((node, cursor))
        if known is None:
            known = self._contents[(node, cursor)] = self._contents_at(node, cursor)
        return known

    def _contents_at(self, node: str, cursor: int | None) -> dict[str, StoredEdge]:
        present: dict[str, StoredEdge] = {}
        for stored in self.graph.out(node, *CONTAINMENT):
            if cursor is not None and stored.event_time > cursor:
                break
            if stored.edge.action == "DELETE":
                if stored.edge.target == ALL_CHILDREN:
                    present.clear()
                else:
                    present.pop(stored.edge.target, None)
            elif stored.edge.target != ALL_CHILDREN:
                present[stored.edge.target] = stored
        return present

    def amount(self, stored: StoredEdge, node: str, at: int | None, depth: int = 0) -> Measure | None:
        """How much of `node` an edge moves: its class quantity, or the whole of an instance."""
        edge = stored.edge
        if edge.quantity is not None or edge.uom is not None:
            return self.graph.masses.amount(node, edge.quantity, edge.uom)
        return self.mass(node, at, depth + 1)

    def mass(self, node: str, at: int | None, depth: int = 0) -> Measure | None:
        """The mass of an instance: its contents at `at`, or its class's net weight per unit."""
        if (node, at) in self._masses:
            return self._masses[(node, at)]
        children = self.contents(node, at) if depth < 32 else {}
        if children:
            found = total(self.amount(e, child, at, depth) for child, e in children.items())
        else:
            found = self.graph.masses.amount(node, None, None)
        self._masses[(node, at)] = found
        return found

    def total_of(self, node: str, at: int | None) -> Measure | None:
        """All of a lot made or created by `at` (None: ever), or the mass of an instance."""
        made = [
            e
            for e in self.graph.into(node, EdgeKind.PRODUCES, EdgeKind.ORIGIN)
            if at is None or e.event_time <= at
        ]
        if made and all(e.edge.quantity is not None for e in made):
            return total(self.amount(e, node, at) for e in made)
        return self.mass(node, at)

    # --- recording ------------------------------------------------------------------------------------

    def finding(self, rule: str, severity: Severity, message: str, event_ids: Iterable[str] = ()) -> None:
        found = Finding(rule, severity, message, tuple(dict.fromkeys(event_ids)))
        if found not in self._findings:
            self._findings.add(found)
            self.trace.findings.append(found)

    def follow(self, stored: StoredEdge, quantity: Measure | None, reason: str) -> None:
        edge = stored.edge
        key = (str(edge.kind), edge.source, edge.target, stored.event_id)
        if key not in self._followed:
            self._followed.add(key)
            self.trace.edges.append(
                FollowedEdge(
                    str(edge.kind),
                    edge.source,
                    edge.target,
                    stored.event_id,
                    stored.event_time,
                    quantity,
                    reason,
                )
            )

    def node(self, key: str, quantity: Measure | None, share: float | None, kind: str | None = None) -> None:
        tally(self.trace.nodes, key, Portion(key, quantity, share, kind=kind or node_kind(key)))

    def may_enter(self, path: tuple[str, ...], node: str) -> bool:
        """Whether the walk may go on to `node` (no cycle, within depth and budget)."""
        self._steps += 1
        if self._steps > _BUDGET:
            self.finding("trace-truncated", Severity.WARNING, f"the trace stopped after {_BUDGET} steps")
            return False
        if node in path:
            self.finding("cycle", Severity.WARNING, f"{node} leads back to itself; the loop was cut")
            return False
        if len(path) >= self.trace.request.depth:
            self.finding(
                "depth-limit", Severity.WARNING, f"stopped at depth {self.trace.request.depth}, at {node}"
            )
            return False
        if not self.graph.is_loaded(node):
            self.finding("depth-limit", Severity.WARNING, f"not explored beyond {node}")
            return False
        return True

    def balance(self, node: str, inputs: list[StoredEdge], outputs: list[StoredEdge]) -> None:
        if node in self._checked:
            return
        self._checked.add(node)
        events = [e.event_id for e in (*inputs, *outputs)]
        put_in = total(self.amount(e, e.edge.source, e.event_time) for e in inputs)
        came_out = total(self.amount(e, e.edge.target, e.event_time) for e in outputs)
        if not inputs:
            self.finding(
                "transformation-without-inputs",
                Severity.ERROR,
                f"{node} states outputs but no inputs: their material has no origin",
                events,
            )
        elif put_in is None or came_out is None:
            self.finding(
                "missing-unit-conversion",
                Severity.ERROR,
                f"{node}: quantities cannot be converted to one unit (give each class its netWeight in "
                "master data); its material is traced without quantities",
                events,
            )
        elif came_out.value > put_in.value * (1 + _SLACK):
            self.finding(
                "outputs-exceed-inputs",
                Severity.ERROR,
                f"{node} puts out {came_out.value:g} {came_out.unit} from {put_in.value:g} {put_in.unit}",
                events,
            )

    def finish(self) -> None:
        """Put what the walk found on the trace."""
        outside = self.graph.beyond_window & set(self.trace.nodes)
        if outside:
            self.finding(
                "window-limit",
                Severity.INFO,
                f"events outside the window were not followed at {len(outside)} of the nodes reached",
            )
        hidden = self.graph.hidden & set(self.trace.nodes)
        if hidden:
            self.finding(
                "not-visible",
                Severity.WARNING,
                "the chain goes on in events this caller may not see, at "
                + ", ".join(sorted(hidden))
                + " (their owners may grant access)",
            )
        voided = sorted(self.graph.voided)
        if voided:
            self.finding(
                "voided-events",
                Severity.INFO,
                "events declared erroneous were left out: " + ", ".join(voided),
                voided,
            )


def node_kind(key: str) -> str:
    return "transformation" if is_transformation(key) else str(identifiers.kind(key))


def ratio(part: Measure | None, whole: Measure | None) -> float | None:
    if part is None or whole is None or part.unit != whole.unit or not whole.value:
        return None
    return part.value / whole.value


def scaled(q: Measure | None, fraction: float | None) -> Measure | None:
    return None if q is None or fraction is None else q.times(fraction)


def times(share: float | None, fraction: float | None) -> float | None:
    return None if share is None or fraction is None else share * fraction


def larger(a: Measure | None, b: Measure | None) -> Measure | None:
    return None if a is None or b is None else max(a, b, key=lambda m: m.value)


def when(cursor: int | None) -> str:
    return "now" if cursor is None else from_micros(cursor)
