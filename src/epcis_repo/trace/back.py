"""Tracing back: where a quantity of the target came from.

An edge is followed only if it happened at or before the cursor, and the cursor moves to it (a lot
cannot be made of material that arrived after it was made). Back through a transformation, a
quantity q of its outputs stands for q * In_i / sum(Out) of each input i (input-equivalent), with
the share share * In_i / sum(In) of the traced material. What cannot be explained is reported,
never dropped: an unexplained portion and a finding.
"""

from __future__ import annotations

from epcis_repo.trace.graph import Graph
from epcis_repo.trace.measures import Measure, total
from epcis_repo.trace.model import EdgeKind
from epcis_repo.trace.result import Portion, Severity, Trace, tally
from epcis_repo.trace.walk import Walk, ratio, scaled, times, when


class Back(Walk):
    def __init__(self, graph: Graph, trace: Trace) -> None:
        super().__init__(graph, trace)
        self._origins: dict[tuple[str, str], Portion] = {}  # by (object, place)
        self._unexplained: dict[str, Portion] = {}

    def run(self, target: str, cursor: int | None, quantity: Measure | None) -> None:
        self.back(target, cursor, quantity, 1.0, ())
        self.trace.origins = list(self._origins.values())
        self.trace.unexplained = list(self._unexplained.values())
        self.finish()

    def back(
        self, node: str, cursor: int | None, q: Measure | None, share: float | None, path: tuple[str, ...]
    ) -> None:
        self.node(node, q, share)
        if not self.may_enter(path, node):
            return
        path = (*path, node)
        children = self.contents(node, cursor)
        if children:
            amounts = {child: self.amount(e, child, cursor) for child, e in children.items()}
            whole = total(amounts.values())
            for child, stored in children.items():
                fraction = ratio(amounts[child], whole) if len(children) > 1 else 1.0
                part = scaled(q, fraction)
                self.follow(stored, amounts[child], f"contained in {node} at {when(cursor)}")
                self.back(child, cursor, part, times(share, fraction), path)
            return
        producers = [
            e for e in self.graph.into(node, EdgeKind.PRODUCES) if cursor is None or e.event_time <= cursor
        ]
        if producers:
            made = {e: self.amount(e, node, e.event_time) for e in producers}
            whole = total(made.values())
            for stored in producers:
                fraction = ratio(made[stored], whole) if len(producers) > 1 else 1.0
                self.follow(stored, made[stored], f"{node} was produced by {stored.edge.source}")
                self.back_through(
                    stored.edge.source, stored.event_time, scaled(q, fraction), times(share, fraction), path
                )
            return
        lots = self.graph.into(node, EdgeKind.INSTANCE)
        if lots:
            for stored in lots:
                self.follow(stored, None, f"{node} belongs to lot {stored.edge.source}")
                self.back(
                    stored.edge.source, cursor, scaled(q, 1 / len(lots)), times(share, 1 / len(lots)), path
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
                part, part_share = scaled(q, fraction), times(share, fraction)
                origin = Portion(node, part, part_share, [stored.event_id], stored.edge.source or None)
                tally(self._origins, key, origin)
            return
        self._unexplain(node, q, share, cursor)

    def back_through(
        self, transformation: str, cursor: int, q: Measure | None, share: float | None, path: tuple[str, ...]
    ) -> None:
        self.node(transformation, q, share)
        if not self.may_enter(path, transformation):
            return
        path = (*path, transformation)
        outputs = self.graph.out(transformation, EdgeKind.PRODUCES)
        inputs = [e for e in self.graph.into(transformation, EdgeKind.CONSUMES) if e.event_time <= cursor]
        self.balance(transformation, inputs, [e for e in outputs if e.event_time <= cursor])
        if not inputs:
            self._unexplain(transformation, q, share, cursor)
            return
        put_in = {e: self.amount(e, e.edge.source, e.event_time) for e in inputs}
        whole_in = total(put_in.values())
        whole_out = total(self.amount(e, e.edge.target, e.event_time) for e in outputs)
        for stored in inputs:
            used = put_in[stored]
            part = scaled(q, ratio(used, whole_out))
            part_share = times(share, ratio(used, whole_in)) if len(inputs) > 1 else share
            self.follow(stored, used, f"{stored.edge.source} went into {transformation}")
            self.back(stored.edge.source, stored.event_time, part, part_share, path)

    def _unexplain(self, node: str, q: Measure | None, share: float | None, cursor: int | None) -> None:
        tally(self._unexplained, node, Portion(node, q, share))
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
            f"{amount}{node} has no origin, production or containment recorded at or before {when(cursor)}",
        )
