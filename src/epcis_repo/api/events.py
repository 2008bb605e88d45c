"""The query interface: GET /events and GET /events/{eventID}."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from epcis_repo.api import discovery
from epcis_repo.api.deps import Repository, RepositoryDep
from epcis_repo.api.documents import query_document
from epcis_repo.api.headers import OutputDep, options, response_media_type
from epcis_repo.api.pages import PAGING, next_link, page_size
from epcis_repo.api.problems import Problem, not_found, query_problem
from epcis_repo.api.security import Caller, Reader
from epcis_repo.epcis.context import namespaces
from epcis_repo.epcis.rendering import OutputControl
from epcis_repo.query.model import AnyOf, EventQuery, Field
from epcis_repo.query.params import QueryParameterError
from epcis_repo.query.service import QueryTooLarge, run_query
from epcis_repo.query.tokens import InvalidToken, PageToken

router = APIRouter(tags=["Query"])

# Every event sharing an eventID: the event and the error declarations made about it.
_SAME_ID_LIMIT = 1000
# Pages at least this long are rendered off the event loop (translation costs ~10 µs an event).
_RENDER_IN_THREAD = 100


@router.get(
    "/events",
    summary="Query events (SimpleEventQuery)",
    description=discovery.QUERY_DESCRIPTION,
    # The parameters are read from the query string (answer_query); this only declares them.
    openapi_extra=discovery.query_extra(),
)
async def query_events(
    request: Request, repository: RepositoryDep, output: OutputDep, caller: Reader
) -> Response:
    given = {name: request.query_params.getlist(name) for name in request.query_params}
    return await answer_query(request, repository, caller, output, given, {})


async def answer_query(
    request: Request,
    repository: Repository,
    caller: Caller,
    output: OutputControl,
    given: dict[str, list[str]],
    fixed: dict[str, list[str]],
    prefixes: Mapping[str, str] | None = None,
    query_name: str = "SimpleEventQuery",
) -> Response:
    """A page of events for query parameters `given` in a request (with perPage and nextPageToken),
    plus `fixed` parameters the resource itself stands for (a named query's, or /epcs/{epc}'s), among
    the events the caller may see."""
    media_type = response_media_type(request)
    filters = {name: values for name, values in given.items() if name not in PAGING}
    limit = page_size(given.get("perPage", []), repository.settings)
    token = None
    if "nextPageToken" in given:
        try:
            token = PageToken.decode(given["nextPageToken"][0])
        except InvalidToken as error:
            raise query_problem("nextPageToken", str(error)) from None
        if not token.matches({**fixed, **filters}):
            raise query_problem(
                "nextPageToken", "the query parameters differ from those the token was issued for"
            )
    params = token.params if token is not None else {**filters, **fixed}
    declared = {**namespaces(None), **output.extensions.by_prefix, **(prefixes or {})}
    try:
        page = await run_query(
            repository.store, params, declared, limit, token, caller.visible, caller.master_data
        )
    except QueryParameterError as error:
        raise query_problem(error.parameter, error.detail) from None
    except QueryTooLarge as error:
        raise Problem(413, "QueryTooLargeException", "Query too large", str(error)) from None
    headers = {}
    if page.next_token is not None:
        headers["Link"] = next_link(request, limit, page.next_token.encode())
    if len(page.events) >= _RENDER_IN_THREAD:
        document, rendering = await asyncio.to_thread(
            query_document, page.events, output, repository.prefixes, query_name
        )
    else:
        document, rendering = query_document(page.events, output, repository.prefixes, query_name)
    return Response(document, media_type=media_type, headers={**headers, **rendering})


@router.get(
    "/events/{eventID:path}",
    name="read_event",
    summary="One event and its error declarations",
    responses={
        200: {"description": "An EPCISQueryDocument with the event.", "content": discovery.json_content()},
        404: {"description": "No event has this eventID."},
    },
)
async def read_event(
    request: Request,
    repository: RepositoryDep,
    output: OutputDep,
    caller: Reader,
    event_id: Annotated[str, Path(alias="eventID")],
) -> Response:
    media_type = response_media_type(request)
    query = EventQuery((AnyOf(Field.EVENT_ID, (event_id,)),), visible=caller.visible)
    events = await repository.store.find_events(query, None, _SAME_ID_LIMIT)
    if not events:
        raise not_found(f"event with eventID {event_id!r}")
    document, rendering = query_document(events, output, repository.prefixes)
    return Response(document, media_type=media_type, headers=rendering)


@router.options("/events", include_in_schema=False)
async def events_options() -> Response:
    return options("OPTIONS, GET, POST")


@router.options("/events/{eventID:path}", include_in_schema=False)
async def event_options() -> Response:
    return options("OPTIONS, GET")
