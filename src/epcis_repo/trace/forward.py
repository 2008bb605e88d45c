"""Tracing forward: everything the target's material went into, and every party it reached.

Only edges at or after the cursor are followed. A portion m of a transformation's inputs puts
m / sum(In) * Out_o of each output o (output-equivalent), and that output's share is that over all
of the output; a lot put in a container goes with the quantity the container holds; a lot shipped
in part goes with the part.
"""

from __future__ import annotations

from epcis_repo.trace.graph import is_transformation
from epcis_repo.trace.measures import Measure, total
from epcis_repo.trace.model import CONTAINMENT, EdgeKind
from epcis_repo.trace.result import Portion, Reference, tally
from epcis_repo.trace.walk import Walk, larger, ratio, scaled

# (party or document, its role) -> (the traced portions that reached it, event IDs)
_Book = dict[tuple[str, str | None], tuple[list[Measure | None], list[str]]]


class Forward(Walk):
    def run(self, target: str, cursor: int | None, quantity: Measure | None, share: float | None) -> None:
        self._reached: dict[str, Portion] = {}
        self._parties: _Book = {}
        self._documents: _Book = {}
        self.forward(target, cursor, quantity, share, ())
        self.trace.reached = list(self._reached.values())
        self.trace.parties = [
            Reference(key, role, total(parts), events)
            for (key, role), (parts, events) in self._parties.items()
        ]
        self.trace.documents = [
            Reference(key, role, None, events) for (key, role), (_, events) in self._documents.items()
        ]
        self.finish()

    def forward(
        self, node: str, cursor: int | None, q: Measure | None, share: float | None, path: tuple[str, ...]
    ) -> None:
        place = not path and bool(self.graph.out(node, EdgeKind.ORIGIN))
        self.node(node, q, share, "place" if place else None)
        if path and not is_transformation(node):
            tally(self._reached, node, Portion(node, q, share))
        if not self.may_enter(path, node):
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
        # By book (parties or documents) and (target, role): the book a key goes to is the edge's.
        here: dict[tuple[bool, tuple[str, str | None]], Measure | None] = {}
        for stored in after:
            kind = stored.edge.kind
            if kind is EdgeKind.ORIGIN:
                made = self.amount(stored, stored.edge.target, stored.event_time)
                self.follow(stored, made, f"{stored.edge.target} was created at {node}")
                self.forward(stored.edge.target, stored.event_time, made, 1.0, path)
            elif kind is EdgeKind.CONSUMES:
                used = self.amount(stored, node, stored.event_time)
                self.follow(stored, used, f"{node} went into {stored.edge.target}")
                self.forward_through(stored.edge.target, stored.event_time, scaled(used, share), path)
            elif kind is EdgeKind.INSTANCE:
                self.follow(stored, None, f"{stored.edge.target} belongs to lot {node}")
                unit = self.mass(stored.edge.target, stored.event_time)
                self.forward(
                    stored.edge.target,
                    max(stored.event_time, cursor or stored.event_time),
                    scaled(unit, share),
                    share,
                    path,
                )
            else:
                moved = self.amount(stored, node, stored.event_time)
                part = scaled(moved, share) if stored.edge.quantity is not None else q
                custody = kind is EdgeKind.CUSTODY
                book = self._parties if custody else self._documents
                key = (stored.edge.target, stored.edge.role)
                # This portion counts once per party, however many events (shipping, receiving) took it there.
                held = (custody, key)
                here[held] = part if held not in here else larger(here[held], part)
                events = book.setdefault(key, ([], []))[1]
                if stored.event_id not in events:
                    events.append(stored.event_id)
                what = "went to" if kind is EdgeKind.CUSTODY else "is named by"
                self.follow(stored, part, f"{node} {what} {stored.edge.target}")
        for (custody, key), part in here.items():
            (self._parties if custody else self._documents)[key][0].append(part)
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
            inside = scaled(self.amount(stored, node, at), share)
            whole = self.mass(parent, at)
            self.follow(stored, inside, f"{node} was put in {parent}")
            self.forward(parent, at, inside, ratio(inside, whole), path)

    def forward_through(
        self, transformation: str, cursor: int, m: Measure | None, path: tuple[str, ...]
    ) -> None:
        self.node(transformation, m, None)
        if not self.may_enter(path, transformation):
            return
        path = (*path, transformation)
        inputs = self.graph.into(transformation, EdgeKind.CONSUMES)
        outputs = [e for e in self.graph.out(transformation, EdgeKind.PRODUCES) if e.event_time >= cursor]
        self.balance(transformation, inputs, outputs)
        whole_in = total(self.amount(e, e.edge.source, e.event_time) for e in inputs)
        for stored in outputs:
            made = self.amount(stored, stored.edge.target, stored.event_time)
            part = scaled(made, ratio(m, whole_in))
            self.follow(stored, made, f"{transformation} produced {stored.edge.target}")
            whole = self.total_of(stored.edge.target, None)
            self.forward(stored.edge.target, stored.event_time, part, ratio(part, whole), path)
