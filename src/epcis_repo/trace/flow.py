"""Material flow over a loaded lineage graph: where a quantity came from, and where it went.

Time: going back, an edge is followed only if it happened at or before the cursor, and the cursor
moves to it (a lot cannot be made of material that arrived after it was made); going forward, only
at or after it. Containment is evaluated at the cursor.

Quantities are allocated by mass (or any one base unit). Back through a transformation, a quantity
q of its outputs stands for q * In_i / sum(Out) of each input i (input-equivalent); its share of
the traced material is share * In_i / sum(In). Forward, a portion m of its inputs puts
m / sum(In) * Out_o of each output o (output-equivalent), and that output's share is that over all
of the output. What cannot be allocated (unknown units, no upstream events) is reported, never
dropped: an unexplained portion and a finding.
"""

from __future__ import annotations

from collections.abc import Iterable

from epcis_repo.epcis import identifiers
from epcis_repo.epcis.timestamps import from_micros
from epcis_repo.trace.graph import Graph, is_transformation
from epcis_repo.trace.measures import Measure, total
from epcis_repo.trace.model import ALL_CHILDREN, CONTAINMENT, EdgeKind, StoredEdge
from epcis_repo.trace.result import Finding, FollowedEdge, Portion, Reference, Severity, Trace

# Relative slack when comparing outputs with inputs (floating point, not a yield tolerance).
_SLACK = 1e-9
_BUDGET = 200_000  # most steps one trace takes


class Flow:
    def __init__(self, graph: Graph, trace: Trace) -> None:
        self.graph = graph
        self.trace = trace
        self._steps = 0
        self._findings: set[Finding] = set()
        self._followed: set[tuple[str, str, str, str]] = set()
        self._checked: set[str] = set()  # transformations whose balance was checked
        self._contents: dict[tuple[str, int | None], dict[str, StoredEdge]] = {}
        self._masses: dict[tuple[str, int | None], Measure | None] = {}
        self._origins: dict[tuple[str, str], Portion] = {}
        self._unexplained: dict[str, Portion] = {}
        self._reached: dict[str, Portion] = {}
        # (party or document, its role) -> (the traced portions that reached it, event IDs)
        self._parties: dict[tuple[str, str | None], tuple[list[Measure | None], list[str]]] = {}
        self._documents: dict[tuple[str, str | None], tuple[list[Measure | None], list[str]]] = {}

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
        known = self.trace.nodes.get(key)
        if known is None:
            self.trace.nodes[key] = Portion(key, quantity, share, kind=kind or _kind(key))
        else:
            known.add(quantity, share, [])

    def _step(self, path: tuple[str, ...], node: str) -> bool:
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

    def _balance(self, node: str, inputs: list[StoredEdge], outputs: list[StoredEdge]) -> None:
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

    def results(self) -> None:
        self.trace.origins = list(self._origins.values())
        self.trace.unexplained = list(self._unexplained.values())
        self.trace.reached = list(self._reached.values())
        self.trace.parties = [
            Reference(key, role, total(parts), events)
            for (key, role), (parts, events) in self._parties.items()
        ]
        self.trace.documents = [
            Reference(key, role, None, events) for (key, role), (_, events) in self._documents.items()
        ]
        outside = self.graph.beyond_window & set(self.trace.nodes)
        if outside:
            self.finding(
                "window-limit",
                Severity.INFO,
                f"events outside the window were not followed at {len(outside)} of the nodes reached",
            )
        if self.graph.voided:
            self.finding(
                "voided-events",
                Severity.INFO,
                "events declared erroneous were left out: " + ", ".join(sorted(self.graph.voided)),
                sorted(self.graph.voided),
            )

    # --- back -------------------------------------------------------------------------------------------

    def back(
        self, node: str, cursor: int | None, q: Measure | None, share: float | None, path: tuple[str, ...]
    ) -> None:
        self.node(node, q, share)
        if not self._step(path, node):
            return
        path = (*path, node)
        children = self.contents(node, cursor)
        if children:
            amounts = {child: self.amount(e, child, cursor) for child, e in children.items()}
            whole = total(amounts.values())
            for child, stored in children.items():
                fraction = _ratio(amounts[child], whole) if len(children) > 1 else 1.0
                part = _scaled(q, fraction)
                self.follow(stored, amounts[child], f"contained in {node} at {_when(cursor)}")
                self.back(child, cursor, part, _times(share, fraction), path)
            return
        producers = [
            e for e in self.graph.into(node, EdgeKind.PRODUCES) if cursor is None or e.event_time <= cursor
        ]
        if producers:
            made = {e: self.amount(e, node, e.event_time) for e in producers}
            whole = total(made.values())
            for stored in producers:
                fraction = _ratio(made[stored], whole) if len(producers) > 1 else 1.0
                self.follow(stored, made[stored], f"{node} was produced by {stored.edge.source}")
                self.back_through(
                    stored.edge.source, stored.event_time, _scaled(q, fraction), _times(share, fraction), path
                )
            return
        lots = self.graph.into(node, EdgeKind.INSTANCE)
        if lots:
            for stored in lots:
                self.follow(stored, None, f"{node} belongs to lot {stored.edge.source}")
                self.back(
                    stored.edge.source, cursor, _scaled(q, 1 / len(lots)), _times(share, 1 / len(lots)), path
                )
            return
        origins = [
            e for e in self.graph.into(node, EdgeKind.ORIGIN) if cursor is None or e.event_time <= cursor
        ]
        if origins:
            for stored in origins:
                fraction = 1 / len(origins)
                self.follow(
                    stored,
                    self.amount(stored, node, stored.event_time),
                    f"{node} was created at {stored.edge.source or 'an unstated place'}",
                )
                key = (node, stored.edge.source)
                if stored.edge.source:
                    self.node(stored.edge.source, None, None, "place")
                portion = self._origins.get(key)
                part, part_share = _scaled(q, fraction), _times(share, fraction)
                if portion is None:
                    self._origins[key] = Portion(
                        node, part, part_share, [stored.event_id], stored.edge.source or None
                    )
                else:
                    portion.add(part, part_share, [stored.event_id])
            return
        self._unexplain(node, q, share, cursor)

    def back_through(
        self, transformation: str, cursor: int, q: Measure | None, share: float | None, path: tuple[str, ...]
    ) -> None:
        self.node(transformation, q, share)
        if not self._step(path, transformation):
            return
        path = (*path, transformation)
        outputs = self.graph.out(transformation, EdgeKind.PRODUCES)
        inputs = [e for e in self.graph.into(transformation, EdgeKind.CONSUMES) if e.event_time <= cursor]
        self._balance(transformation, inputs, [e for e in outputs if e.event_time <= cursor])
        if not inputs:
            self._unexplain(transformation, q, share, cursor)
            return
        put_in = {e: self.amount(e, e.edge.source, e.event_time) for e in inputs}
        whole_in = total(put_in.values())
        whole_out = total(self.amount(e, e.edge.target, e.event_time) for e in outputs)
        for stored in inputs:
            used = put_in[stored]
            part = (
                None
                if q is None or used is None or whole_out is None or used.unit != whole_out.unit
                else q.times(used.value / whole_out.value)
                if whole_out.value
                else None
            )
            part_share = _times(share, _ratio(used, whole_in)) if len(inputs) > 1 else share
            self.follow(stored, used, f"{stored.edge.source} went into {transformation}")
            self.back(stored.edge.source, stored.event_time, part, part_share, path)

    def _unexplain(self, node: str, q: Measure | None, share: float | None, cursor: int | None) -> None:
        portion = self._unexplained.get(node)
        if portion is None:
            self._unexplained[node] = Portion(node, q, share)
        else:
            portion.add(q, share, [])
        amount = f"{q.value:g} {q.unit} of " if q is not None else ""
        if node in self.graph.beyond_window:
            self.finding(
                "window-limit",
                Severity.WARNING,
                f"{amount}{node} is explained only by events outside the window; not followed there",
            )
            return
        self.finding(
            "unknown-origin",
            Severity.ERROR,
            f"{amount}{node} has no origin, production or containment recorded at or before {_when(cursor)}",
        )

    # --- forward ----------------------------------------------------------------------------------------

    def forward(
        self, node: str, cursor: int | None, q: Measure | None, share: float | None, path: tuple[str, ...]
    ) -> None:
        place = not path and bool(self.graph.out(node, EdgeKind.ORIGIN))
        self.node(node, q, share, "place" if place else None)
        if path and not is_transformation(node):
            portion = self._reached.get(node)
            if portion is None:
                self._reached[node] = Portion(node, q, share)
            else:
                portion.add(q, share, [])
        if not self._step(path, node):
            return
        path = (*path, node)
        after = [
            e
            for e in self.graph.out(
                node,
                EdgeKind.CUSTODY,
                EdgeKind.TRANSACTION,
                EdgeKind.CONSUMES,
                EdgeKind.INSTANCE,
                EdgeKind.ORIGIN,
            )
            if cursor is None or e.event_time >= cursor
        ]
        here: dict[tuple[str, str | None], Measure | None] = {}
        for stored in after:
            kind = stored.edge.kind
            if kind is EdgeKind.ORIGIN:
                made = self.amount(stored, stored.edge.target, stored.event_time)
                self.follow(stored, made, f"{stored.edge.target} was created at {node}")
                self.forward(stored.edge.target, stored.event_time, made, 1.0, path)
            elif kind is EdgeKind.CONSUMES:
                used = self.amount(stored, node, stored.event_time)
                self.follow(stored, used, f"{node} went into {stored.edge.target}")
                self.forward_through(stored.edge.target, stored.event_time, _portion_of(used, share), path)
            elif kind is EdgeKind.INSTANCE:
                self.follow(stored, None, f"{stored.edge.target} belongs to lot {node}")
                unit = self.mass(stored.edge.target, stored.event_time)
                self.forward(
                    stored.edge.target,
                    max(stored.event_time, cursor or stored.event_time),
                    _portion_of(unit, share),
                    share,
                    path,
                )
            else:
                moved = self.amount(stored, node, stored.event_time)
                part = _portion_of(moved, share) if stored.edge.quantity is not None else q
                book = self._parties if kind is EdgeKind.CUSTODY else self._documents
                key = (stored.edge.target, stored.edge.role)
                # This portion counts once per party, however many events (shipping, receiving) took it there.
                here[key] = part if key not in here else _larger(here[key], part)
                events = book.setdefault(key, ([], []))[1]
                if stored.event_id not in events:
                    events.append(stored.event_id)
                what = "went to" if kind is EdgeKind.CUSTODY else "is named by"
                self.follow(stored, part, f"{node} {what} {stored.edge.target}")
        for key, part in here.items():
            (self._parties if key in self._parties else self._documents)[key][0].append(part)
        self._into_parents(node, cursor, share, path)

    def _into_parents(
        self, node: str, cursor: int | None, share: float | None, path: tuple[str, ...]
    ) -> None:
        followed: set[str] = set()
        for stored in self.graph.into(node, *CONTAINMENT):
            parent = stored.edge.source
            if stored.edge.action == "DELETE" or parent in followed:
                continue
            at = stored.event_time if cursor is None else max(stored.event_time, cursor)
            if stored.event_time < (cursor or stored.event_time) and node not in self.contents(
                parent, cursor
            ):
                continue  # it had left that parent before the cursor
            followed.add(parent)
            inside = _portion_of(self.amount(stored, node, at), share)
            whole = self.mass(parent, at)
            self.follow(stored, inside, f"{node} was put in {parent}")
            self.forward(parent, at, inside, _ratio(inside, whole), path)

    def forward_through(
        self, transformation: str, cursor: int, m: Measure | None, path: tuple[str, ...]
    ) -> None:
        self.node(transformation, m, None)
        if not self._step(path, transformation):
            return
        path = (*path, transformation)
        inputs = self.graph.into(transformation, EdgeKind.CONSUMES)
        outputs = [e for e in self.graph.out(transformation, EdgeKind.PRODUCES) if e.event_time >= cursor]
        self._balance(transformation, inputs, outputs)
        whole_in = total(self.amount(e, e.edge.source, e.event_time) for e in inputs)
        for stored in outputs:
            made = self.amount(stored, stored.edge.target, stored.event_time)
            part = None
            if (
                m is not None
                and whole_in is not None
                and made is not None
                and m.unit == whole_in.unit
                and whole_in.value
            ):
                part = made.times(m.value / whole_in.value)
            self.follow(stored, made, f"{transformation} produced {stored.edge.target}")
            whole = self.total_of(stored.edge.target, None)
            self.forward(stored.edge.target, stored.event_time, part, _ratio(part, whole), path)


def _kind(key: str) -> str:
    return "transformation" if is_transformation(key) else str(identifiers.kind(key))


def _ratio(part: Measure | None, whole: Measure | None) -> float | None:
    if part is None or whole is None or part.unit != whole.unit or not whole.value:
        return None
    return part.value / whole.value


def _scaled(q: Measure | None, fraction: float | None) -> Measure | None:
    return None if q is None or fraction is None else q.times(fraction)


def _times(share: float | None, fraction: float | None) -> float | None:
    return None if share is None or fraction is None else share * fraction


def _larger(a: Measure | None, b: Measure | None) -> Measure | None:
    return None if a is None or b is None else max(a, b, key=lambda m: m.value)


def _portion_of(amount: Measure | None, share: float | None) -> Measure | None:
    return None if amount is None or share is None else amount.times(share)


def _when(cursor: int | None) -> str:
    return "now" if cursor is None else from_micros(cursor)
