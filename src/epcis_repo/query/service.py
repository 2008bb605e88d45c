"""Running a query a page at a time: the same for GET /events, named queries and resource lists.

Pages follow keyset cursors (see `query.model.Cursor`), so a page token stays correct while capture
goes on. Two result-shaping parameters change that: ``eventCountLimit`` caps the total over all
pages (the token counts what was returned), and ``orderBy`` on an extension field, which no index
serves, sorts every match in memory — allowed up to `SORT_LIMIT` matches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from epcis_repo.epcis import timestamps
from epcis_repo.epcis.context import extension_name, namespaces
from epcis_repo.query.model import Cursor, EventQuery, Visibility
from epcis_repo.query.params import QueryRequest, parse_query
from epcis_repo.query.resolve import resolve
from epcis_repo.query.tokens import PageToken
from epcis_repo.storage.port import EventStore, Sources, StoredEvent

SORT_LIMIT = 10_000


class QueryTooLarge(Exception):
    """More events match than the query allows (maxEventCount) or than can be sorted in memory."""


@dataclass(frozen=True, slots=True)
class Page:
    events: list[StoredEvent]
    next_token: PageToken | None


async def run_query(
    store: EventStore,
    params: Mapping[str, Sequence[str]],
    prefixes: Mapping[str, str],
    per_page: int,
    token: PageToken | None = None,
    visible: Visibility | None = None,
    sources: Sources = None,
) -> Page:
    """One page of the query `params` describe, after `token` (which must carry the same `params`),
    among the events `visible` allows (all when None), master-data lookups going by `sources`.

    Raises QueryParameterError for a bad parameter and QueryTooLarge when maxEventCount is exceeded.
    """
    request = parse_query(params, prefixes)
    query = EventQuery(await resolve(request, store, sources), request.order, visible)
    if request.max_event_count is not None and token is None:
        if await store.count_events(query, request.max_event_count + 1) > request.max_event_count:
            raise QueryTooLarge(f"more than maxEventCount={request.max_event_count} events match")
    returned = token.returned if token is not None else 0
    limit = per_page
    if request.event_count_limit is not None:
        limit = min(limit, request.event_count_limit - returned)
        if limit <= 0:
            return Page([], None)
    if request.order_by_extension is not None:
        events = await _sorted_by_extension(store, query, request, returned, limit + 1)
    else:
        events = await store.find_events(query, token.cursor if token is not None else None, limit + 1)
    more = len(events) > limit
    events = events[:limit]
    total = returned + len(events)
    if request.event_count_limit is not None and total >= request.event_count_limit:
        more = False
    kept = {name: list(values) for name, values in params.items()}
    next_token = PageToken(kept, events[-1].cursor, total) if more and events else None
    return Page(events, next_token)


async def _sorted_by_extension(
    store: EventStore, query: EventQuery, request: QueryRequest, offset: int, limit: int
) -> list[StoredEvent]:
    """Every match sorted by an extension field (events without it last), then the window asked for.

    The window is an offset into that order; the events' cursors carry their place in it.
    """
    assert request.order_by_extension is not None
    matches = await store.find_events(query, None, SORT_LIMIT + 1)
    if len(matches) > SORT_LIMIT:
        raise QueryTooLarge(
            f"ordering by an extension field sorts at most {SORT_LIMIT} events; narrow the query or order by "
            "eventTime or recordTime"
        )
    field = request.order_by_extension
    keyed = [(_sort_key(event.body, field), place, event) for place, event in enumerate(matches)]
    present = [(key, place, event) for key, place, event in keyed if key is not None]
    present.sort(key=lambda item: item[0], reverse=request.descending)
    ordered = [event for _, _, event in present] + [event for key, _, event in keyed if key is None]
    window = ordered[offset : offset + limit]
    return [
        StoredEvent(e.event_id, e.record_time, e.body, Cursor(0, offset + i + 1))
        for i, e in enumerate(window)
    ]


def _sort_key(body: bytes, field: str) -> tuple[int, Any] | None:
    """The event's value of a top-level extension field: numbers before instants before text."""
    event = orjson.loads(body)
    prefixes = namespaces(event.get("@context"))
    for key, value in event.items():
        if extension_name(key, prefixes) != field:
            continue
        if isinstance(value, bool):
            return (2, str(value).lower())
        if isinstance(value, int | float):
            return (0, float(value))
        if isinstance(value, str):
            try:
                return (1, timestamps.to_micros(value))
            except ValueError:
                return (2, value)
    return None
