"""Named queries: POST/GET /queries, GET/DELETE /queries/{queryName}, GET /queries/{queryName}/events."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from epcis_repo.api import discovery
from epcis_repo.api.bodies import BODY_PROBLEMS, read_json
from epcis_repo.api.deps import Repository, RepositoryDep
from epcis_repo.api.events import answer_query
from epcis_repo.api.headers import OutputDep, options
from epcis_repo.api.pages import PAGING, collection_page, collection_paging
from epcis_repo.api.problems import Problem, not_found, query_problem, validation_problem
from epcis_repo.api.security import Caller, Reader
from epcis_repo.epcis.context import namespaces
from epcis_repo.epcis.timestamps import now_micros
from epcis_repo.epcis.violations import Violation
from epcis_repo.query.named import definition_params
from epcis_repo.query.params import QueryParameterError, parse_query
from epcis_repo.storage.port import NamedQuery

router = APIRouter(tags=["Named queries"])

# A name travels in URL paths: printable, no "/", not too long.
_NAME = re.compile(r"[^\s/\\?#%]{1,200}")


def _definition(query: NamedQuery) -> dict[str, Any]:
    stored: dict[str, Any] = orjson.loads(query.definition)
    return {"name": query.name, "query": stored}


@router.post(
    "/queries",
    status_code=201,
    summary="Create a named query",
    responses={
        201: {"description": "Created; Location names the query."},
        400: {
            "description": "ValidationException: not a named query, or an invalid name; "
            "QueryParameterException naming an invalid parameter of the query."
        },
        409: {"description": "ResourceAlreadyExistsException: the name is taken."},
        **BODY_PROBLEMS,
    },
)
async def create_query(request: Request, repository: RepositoryDep, caller: Reader) -> Response:
    body = await read_json(request, repository.limits)
    if not isinstance(body, dict) or set(body) - {"name", "query"}:
        detail = 'A named query is {"name": <string>, "query": {<query parameters>}}.'
        raise validation_problem(detail, [Violation("", detail)])
    name, query = body.get("name"), body.get("query")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        detail = "name must be 1 to 200 characters, without spaces, '/', '\\', '?', '#' or '%'."
        raise validation_problem(detail, [Violation("/name", detail)])
    if not isinstance(query, dict):
        detail = "query must be an object of query parameters."
        raise validation_problem(detail, [Violation("/query", detail)])
    try:
        params, prefixes = definition_params(query)
        parse_query(params, {**namespaces(None), **prefixes})
    except QueryParameterError as error:
        raise query_problem(error.parameter, error.detail) from None
    stored = NamedQuery(name, now_micros(), orjson.dumps(query), owner=caller.organisation)
    if not await repository.store.save_named_query(stored):
        raise Problem(
            409, "ResourceAlreadyExistsException", "Query exists", f"A query named {name!r} exists."
        )
    location = str(request.url_for("read_query", queryName=quote(name, safe="")))
    return Response(
        orjson.dumps(_definition(stored)),
        status_code=201,
        media_type="application/json",
        headers={"Location": location},
    )


@router.get("/queries", summary="Named queries, in name order", openapi_extra=discovery.paging_extra())
async def list_queries(request: Request, repository: RepositoryDep, caller: Reader) -> Response:
    limit, after = collection_paging(request, repository.settings, "queries", "GET /queries")
    found = await repository.store.list_named_queries(after, limit + 1, caller.own_records)
    queries, headers = collection_page(request, found, limit, "queries", lambda query: query.name)
    return Response(
        orjson.dumps([_definition(q) for q in queries]), media_type="application/json", headers=headers
    )


_NO_QUERY: discovery.Responses = {404: {"description": "No query has this name."}}


@router.get(
    "/queries/{queryName}", name="read_query", summary="A named query's definition", responses=_NO_QUERY
)
async def read_query(
    repository: RepositoryDep, caller: Reader, name: Annotated[str, Path(alias="queryName")]
) -> Response:
    query = await _owned(repository, caller, name)
    return Response(orjson.dumps(_definition(query)), media_type="application/json")


async def _owned(repository: Repository, caller: Caller, name: str) -> NamedQuery:
    """The caller's organisation's query of that name (any, for an administrator); 404 otherwise."""
    query = await repository.store.get_named_query(name)
    if query is None or caller.own_records not in (None, query.owner):
        raise not_found(f"query named {name!r}")
    return query


@router.delete("/queries/{queryName}", status_code=204, summary="Delete a named query", responses=_NO_QUERY)
async def delete_query(
    repository: RepositoryDep, caller: Reader, name: Annotated[str, Path(alias="queryName")]
) -> Response:
    await _owned(repository, caller, name)
    if not await repository.store.delete_named_query(name):
        raise not_found(f"query named {name!r}")
    return Response(status_code=204)


@router.get(
    "/queries/{queryName}/events",
    summary="Run a named query",
    openapi_extra=discovery.paging_extra(),
    responses={**discovery.query_responses(), **_NO_QUERY},
)
async def run_named_query(
    request: Request,
    repository: RepositoryDep,
    output: OutputDep,
    caller: Reader,
    name: Annotated[str, Path(alias="queryName")],
) -> Response:
    query = await _owned(repository, caller, name)
    given = {key: request.query_params.getlist(key) for key in request.query_params}
    unknown = sorted(set(given) - set(PAGING))
    if unknown:
        # Subscription parameters (stream, schedules) ask for a WebSocket; this repository offers none.
        raise query_problem(
            unknown[0], f"{unknown[0]}: a named query's parameters are fixed by its definition"
        )
    params, prefixes = definition_params(orjson.loads(query.definition))
    return await answer_query(request, repository, caller, output, given, params, prefixes, query_name=name)


@router.options("/queries", include_in_schema=False)
async def queries_options() -> Response:
    return options("OPTIONS, GET, POST")


# OPTIONS needs no credentials, so it says nothing of whether a query exists.
@router.options("/queries/{queryName}", include_in_schema=False)
async def query_options() -> Response:
    return options("OPTIONS, GET, DELETE")


@router.options("/queries/{queryName}/events", include_in_schema=False)
async def query_events_options() -> Response:
    return options("OPTIONS, GET")
