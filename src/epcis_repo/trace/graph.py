"""The part of the lineage graph a trace has loaded: edges by node, in batches, as of a record time."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from epcis_repo.storage.port import VocabularyRecord
from epcis_repo.trace.measures import COUNTS, UnitMasses
from epcis_repo.trace.model import ALL_CHILDREN, TRANSFORMATION_PREFIX, EdgeKind, LineageEdge, StoredEdge


class Graph:
    """Edges of the nodes loaded so far. An event declared erroneous by the record-time horizon
    `as_of` (or at all, without one) counts as never captured; `voided` names such events met.
    Edges of events outside the event-time `window` are left out; `beyond_window` names the nodes
    that had some. Edges of events the caller may not see are left out too; `hidden` names the nodes
    that had some."""

    def __init__(self, as_of: int | None, window: tuple[int | None, int | None] = (None, None)) -> None:
        self.as_of = as_of
        self.window = window
        self.beyond_window: set[str] = set()
        self._hidden: dict[tuple[LineageEdge, str], tuple[str, str]] = {}
        self._voided: dict[tuple[LineageEdge, str], str] = {}
        self.masses = UnitMasses()
        self._loaded: set[str] = set()
        self._from: dict[str, list[StoredEdge]] = defaultdict(list)
        self._to: dict[str, list[StoredEdge]] = defaultdict(list)
        self._seen: set[tuple[LineageEdge, str]] = set()
        self._sorted: set[int] = set()  # edge lists already in time order (ids of the lists)

    @property
    def hidden(self) -> set[str]:
        """The nodes of edges of events the caller may not see (and no copy of which it may)."""
        return {node for seen, nodes in self._hidden.items() if seen not in self._seen for node in nodes}

    @property
    def voided(self) -> set[str]:
        """The events met that were declared erroneous (and no copy of which was not)."""
        return {event_id for seen, event_id in self._voided.items() if seen not in self._seen}

    def is_loaded(self, node: str) -> bool:
        return node in self._loaded

    def unloaded(self, nodes: Iterable[str]) -> list[str]:
        return [n for n in dict.fromkeys(nodes) if n not in self._loaded and n != ALL_CHILDREN]

    def add(self, nodes: Iterable[str], edges: Iterable[StoredEdge]) -> None:
        """Take in the edges read for these nodes."""
        self._loaded.update(nodes)
        for stored in edges:
            # An event two organisations both captured (each keeps its copy) is one event here: the
            # first copy the caller may see and nobody voided is taken.
            seen = (stored.edge, stored.event_id)
            if seen in self._seen:
                continue
            if not stored.visible:
                self._hidden[seen] = (stored.edge.source, stored.edge.target)
                continue
            if stored.voided_at is not None and (self.as_of is None or stored.voided_at <= self.as_of):
                self._voided[seen] = stored.event_id
                continue
            self._seen.add(seen)
            start, end = self.window
            if (start is not None and stored.event_time < start) or (
                end is not None and stored.event_time > end
            ):
                self.beyond_window.update((stored.edge.source, stored.edge.target))
                continue
            for index, node in ((self._from, stored.edge.source), (self._to, stored.edge.target)):
                index[node].append(stored)
                self._sorted.discard(id(index[node]))

    def masses_wanted(self, *also: str) -> set[str]:
        """The keys whose master data may give the net weights of the classes counted (not weighed) by
        the loaded edges, and of `also`, of those not known yet (for `learn_masses`)."""
        counted = (
            key
            for edges in self._from.values()
            for stored in edges
            if stored.edge.uom is None or stored.edge.uom in COUNTS
            for key in (stored.edge.source, stored.edge.target)
        )
        keys = {key for key in (*counted, *also) if key.startswith("https://id.gs1.org/01/")}
        return self.masses.missing(keys)

    def learn_masses(self, asked: Iterable[str], elements: Iterable[VocabularyRecord]) -> None:
        """Take in the master data read for the keys `masses_wanted` gave (those without any: no weight)."""
        self.masses.learn(asked, elements)

    def out(self, node: str, *kinds: EdgeKind) -> list[StoredEdge]:
        """Edges from `node` of these kinds, in time order."""
        return [e for e in self._ordered(self._from, node) if e.edge.kind in kinds]

    def into(self, node: str, *kinds: EdgeKind) -> list[StoredEdge]:
        """Edges to `node` of these kinds, in time order."""
        return [e for e in self._ordered(self._to, node) if e.edge.kind in kinds]

    def _ordered(self, index: dict[str, list[StoredEdge]], node: str) -> list[StoredEdge]:
        edges = index.get(node)
        if not edges:
            return []
        if id(edges) not in self._sorted:
            edges.sort(key=lambda e: (e.event_time, e.record_time, e.event_id))
            self._sorted.add(id(edges))
        return edges

    def knows(self, node: str) -> bool:
        """Whether any loaded edge names `node`."""
        return bool(self._from.get(node) or self._to.get(node))


def is_transformation(node: str) -> bool:
    return node.startswith(TRANSFORMATION_PREFIX)
