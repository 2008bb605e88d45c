"""GET /traces/back and /traces/forward: a product's chain, from one identifier (docs/trace.md)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from epcis_repo.api import discovery
from epcis_repo.api.deps import RepositoryDep
from epcis_repo.api.headers import OutputDep, options, response_media_type
from epcis_repo.api.problems import not_found, query_problem
from epcis_repo.api.security import Caller, Reader
from epcis_repo.epcis.rendering import Renderer
from epcis_repo.query.params import QueryParameterError
from epcis_repo.trace.params import MAX_DEPTH, PARAMETERS, trace_request
from epcis_repo.trace.result import DEFAULT_DEPTH, Direction
from epcis_repo.trace.service import trace_report

router = APIRouter(tags=["Traces"])

_TIME: dict[str, Any] = {"type": "string", "format": "date-time"}
_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": "id",
        "in": "query",
        "required": True,
        "description": "What to trace: an instance, a lot or class, a container (EPC URN or GS1 Digital "
        "Link), or, forward, a place where objects were created.",
        "schema": {"type": "string"},
        "example": "urn:epc:class:lgtin:8935001.000062.RC-2701",
    },
    {
        "name": "at",
        "in": "query",
        "description": "The event time to start from (write + as %2B). Back: only what happened before it "
        "(default: now; a container with the contents it last had); forward: only what happened after it.",
        "schema": _TIME,
    },
    {
        "name": "asOf",
        "in": "query",
        "description": "Ignore events recorded after this time (and error declarations recorded after it): "
        "the chain as the repository knew it then.",
        "schema": _TIME,
    },
    {
        "name": "window",
        "in": "query",
        "description": "Only events whose event time is in this ISO 8601 interval, start/end (either side "
        "may be left out; write + as %2B). Material explained only outside it is reported, not followed.",
        "schema": {"type": "string"},
        "example": "2026-11-01T00:00:00Z/2027-03-31T00:00:00Z",
    },
    {
        "name": "depth",
        "in": "query",
        "description": f"Most edges followed along one path (default {DEFAULT_DEPTH}).",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_DEPTH},
    },
    {
        "name": "quantity",
        "in": "query",
        "description": "Back: how much of the target to trace, a number with an optional UN/ECE Rec 20 unit "
        "(950, 950 KGM); default all of it.",
        "schema": {"type": "string"},
    },
]


_RESPONSES: discovery.Responses = {
    200: {"description": "The trace report (docs/trace.md).", "content": discovery.json_content()},
    400: {"description": discovery.PARAMETER_PROBLEM},
    404: {"description": "No event has the identifier."},
}


async def _answer(
    direction: Direction, request: Request, repository: RepositoryDep, output: OutputDep, caller: Caller
) -> Response:
    params = request.query_params
    for name in params:
        if name not in PARAMETERS:
            raise query_problem(name, f"{name} is not a parameter of GET /traces/{direction}")
        if len(params.getlist(name)) > 1:
            raise query_problem(name, f"{name} may be given once")
    media_type = response_media_type(request)
    try:
        asked = trace_request(direction, {name: params.get(name) for name in PARAMETERS})
    except QueryParameterError as error:
        raise query_problem(error.parameter, error.detail) from None
    renderer = Renderer(output, repository.prefixes)
    asked = replace(asked, visible=caller.visible, master_data=caller.master_data)
    report = await trace_report(repository.store, asked, renderer.identifier)
    if report is None:
        raise not_found(f"identifier {params.get('id')!r} in any event")
    return Response(orjson.dumps(report), media_type=media_type)


@router.get(
    "/traces/back",
    summary="Trace back to the origins (plots, farms) with quantities",
    openapi_extra={"parameters": _PARAMETERS},
    responses=_RESPONSES,
)
async def trace_back(
    request: Request, repository: RepositoryDep, output: OutputDep, caller: Reader
) -> Response:
    return await _answer(Direction.BACK, request, repository, output, caller)


@router.get(
    "/traces/forward",
    summary="Trace forward to everything the material went into, and every party it reached",
    openapi_extra={"parameters": _PARAMETERS},
    responses=_RESPONSES,
)
async def trace_forward(
    request: Request, repository: RepositoryDep, output: OutputDep, caller: Reader
) -> Response:
    return await _answer(Direction.FORWARD, request, repository, output, caller)


@router.options("/traces/back", include_in_schema=False)
@router.options("/traces/forward", include_in_schema=False)
async def traces_options() -> Response:
    return options("OPTIONS, GET")
