"""Master data lookups of a query (WD_, HASATTR_, EQ_ATTR_) turned into plain conditions."""

from __future__ import annotations

from epcis_repo.query.model import AnyOf, Condition
from epcis_repo.query.params import QueryRequest, Within
from epcis_repo.storage.port import EventStore, Sources


async def resolve(request: QueryRequest, store: EventStore, sources: Sources = None) -> tuple[Condition, ...]:
    """The request's conditions, with each lookup replaced by the element keys it stands for in the
    master data of `sources` (storage/port.py)."""
    conditions = list(request.conditions)
    for lookup in request.lookups:
        if isinstance(lookup, Within):
            keys = await descendants(lookup.keys, store, sources)
        else:
            keys = set()
            for name in lookup.names:
                keys |= await store.vocabulary_with_attribute(name, lookup.values, sources)
        conditions.append(AnyOf(lookup.field, tuple(sorted(keys))))
    return tuple(conditions)


async def descendants(keys: tuple[str, ...], store: EventStore, sources: Sources = None) -> set[str]:
    """The elements and, through the latest master data's children, all below them (cycles stop)."""
    found = set(keys)
    frontier = set(keys)
    while frontier:
        frontier = await store.vocabulary_children(frontier, sources) - found
        found |= frontier
    return found
