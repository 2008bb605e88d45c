"""The query interface: GET /events and GET /events/{eventID}."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from epcis_repo.api.deps import RepositoryDep
from epcis_repo.api.documents import query_document
from epcis_repo.api.headers import options
from epcis_repo.api.pages import next_link, page_size
from epcis_repo.api.problems import Problem, not_found, query_problem
from epcis_repo.query.model import AnyOf, EventQuery, Field
from epcis_repo.query.params import QUERY_PARAMETERS, QueryParameterError, parse_query
from epcis_repo.query.tokens import InvalidToken, PageToken

router = APIRouter(tags=["Query"])

_PAGING = ("perPage", "nextPageToken")
# Every event sharing an eventID: the event and the error declarations made about it.
_SAME_ID_LIMIT = 1000


def _media_type(request: Request) -> str:
    accept = request.headers.get("accept", "*/*").lower()
    if "application/ld+json" in accept and "application/json" not in accept:
        return "application/ld+json"
    if any(t in accept for t in ("application/json", "application/ld+json", "*/*", "application/*")):
        return "application/json"
    detail = "This repository answers queries in application/json or application/ld+json."
    raise Problem(406, "NotAcceptableException", "Not acceptable", detail)


@router.get(
    "/events",
    summary="Query events (SimpleEventQuery)",
    description="Filters: " + ", ".join(sorted(QUERY_PARAMETERS)) + ". Lists are pipe-delimited.",
)
async def query_events(request: Request, repository: RepositoryDep) -> Response:
    media_type = _media_type(request)
    given = {name: request.query_params.getlist(name) for name in request.query_params}
    filters = {name: values for name, values in given.items() if name not in _PAGING}
    per_page_values = given.get("perPage", [])
    if len(per_page_values) > 1 or (per_page_values and not per_page_values[0].isdigit()):
        raise query_problem("perPage", "perPage must be one positive integer")
    limit = page_size(int(per_page_values[0]) if per_page_values else None, repository.settings)
    after = None
    if "nextPageToken" in given:
        try:
            token = PageToken.decode(given["nextPageToken"][0])
        except InvalidToken as error:
            raise query_problem("nextPageToken", str(error)) from None
        if not token.matches(filters):
            raise query_problem(
                "nextPageToken", "the query parameters differ from those the token was issued for"
            )
        filters, after = token.params, token.cursor
    try:
        query = parse_query(filters)
    except QueryParameterError as error:
        raise query_problem(error.parameter, error.detail) from None
    events = await repository.store.find_events(query, after, limit + 1)
    headers = {}
    if len(events) > limit:
        events = events[:limit]
        headers["Link"] = next_link(request, limit, PageToken(filters, events[-1].cursor).encode())
    return Response(query_document(events), media_type=media_type, headers=headers)


@router.get("/events/{eventID:path}", name="read_event", summary="One event and its error declarations")
async def read_event(
    request: Request, repository: RepositoryDep, event_id: Annotated[str, Path(alias="eventID")]
) -> Response:
    media_type = _media_type(request)
    query = EventQuery((AnyOf(Field.EVENT_ID, (event_id,)),))
    events = await repository.store.find_events(query, None, _SAME_ID_LIMIT)
    if not events:
        raise not_found(f"event with eventID {event_id!r}")
    return Response(query_document(events), media_type=media_type)


@router.options("/events", include_in_schema=False)
async def events_options() -> Response:
    return options("OPTIONS, GET, POST")


@router.options("/events/{eventID:path}", include_in_schema=False)
async def event_options() -> Response:
    return options("OPTIONS, GET")
