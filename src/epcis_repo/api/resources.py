"""The resources of the REST query interface besides /events, /capture and /queries: the top-level
collection; the lists of the event types, EPCs, business steps, dispositions, read points and business
locations the repository knows; each value's sub-resources and events; the release of page tokens.

A value's resource exists when the standard defines it (the five event types, the CBV business steps
and dispositions) or when a visible event has it. Otherwise the value, its events and its OPTIONS are
404: the lists are what exists, and what is not listed is not found. A path value is matched in any
notation (EPC URN or Digital Link; CBV bare word, URN or Web URI), since each is reduced to the form
the stores keep. Lists come from the stores' `distinct_values` (an index seek a value), ordered by
that stored form, and are paged by the last stored value of a page (`AfterToken`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any
from urllib.parse import unquote_to_bytes

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from epcis_repo.api import discovery
from epcis_repo.api.deps import Repository, RepositoryDep
from epcis_repo.api.events import answer_query
from epcis_repo.api.headers import OutputDep, options, response_media_type
from epcis_repo.api.pages import collection_page, collection_paging
from epcis_repo.api.problems import not_found, query_problem
from epcis_repo.api.security import Caller, Reader
from epcis_repo.epcis import cbv
from epcis_repo.epcis.context import STANDARD_CONTEXT
from epcis_repo.epcis.identifiers import canonical_key
from epcis_repo.epcis.rendering import (
    CompanyPrefixes,
    ExtensionPrefixes,
    OutputControl,
    Renderer,
    extensions_header,
)
from epcis_repo.query.model import AnyOf, EventQuery, Field
from epcis_repo.query.tokens import AfterToken, InvalidToken, PageToken

router = APIRouter()

TOP_LEVEL = (
    "queries", "capture", "events", "eventTypes", "epcs", "readPoints", "bizLocations", "dispositions",
    "bizSteps",
)  # fmt: skip
EVENT_TYPES = (
    "AggregationEvent",
    "AssociationEvent",
    "ObjectEvent",
    "TransactionEvent",
    "TransformationEvent",
)
# What a value's resource offers (HATEOAS): its events.
SUB_RESOURCES = ("events",)
_SUB_RESOURCES_KIND = "sub-resources"

# Members as a response shows them, from their stored forms.
Display = Callable[[list[str], OutputControl, CompanyPrefixes], list[str]]


def _as_stored(values: list[str], output: OutputControl, prefixes: CompanyPrefixes) -> list[str]:
    return values


def _identifiers(values: list[str], output: OutputControl, prefixes: CompanyPrefixes) -> list[str]:
    """Canonical keys in the notation GS1-EPC-Format asks for, by the very rules of returned events.

    The stores index canonical keys (Digital Links), not the captured spelling, so Never_Translates
    and No_Preference give the canonical Digital Link too.
    """
    renderer = Renderer(output, prefixes)
    return [renderer.identifier(value) for value in values]


def _words(vocabulary: cbv.Vocabulary) -> Display:
    """Standard values as bare words (the JSON form), custom values as the URIs they are."""

    def display(values: list[str], output: OutputControl, prefixes: CompanyPrefixes) -> list[str]:
        return [vocabulary.render(value, cbv.Form.BARE_WORD) for value in values]

    return display


@dataclass(frozen=True, slots=True)
class Family:
    """A top-level list of values, each value with its resource and its events."""

    collection: str  # the path segment, and the kind of its page tokens
    parameter: str  # the path parameter naming one value
    what: str  # for messages
    field: Field  # where the stores keep the values
    filter: str  # the query parameter the value's events stand for
    canonical: Callable[[str], str]  # a path value -> the stored form
    display: Display
    schema: str  # the official schema of the list
    example: str
    standard: tuple[str, ...] = ()  # stored forms that exist whatever the events say

    @property
    def one(self) -> str:
        return f"{'an' if self.what[0] in 'aeiouAEIOU' else 'a'} {self.what}"


def _standard(vocabulary: cbv.Vocabulary) -> tuple[str, ...]:
    return tuple(sorted(vocabulary.canonical(word) for word in vocabulary.words))


FAMILIES = (
    Family(
        "eventTypes", "eventType", "event type", Field.TYPE, "eventType", str.strip, _as_stored,
        "EventTypeCollection", "ObjectEvent", EVENT_TYPES,
    ),
    Family(
        "epcs", "epc", "EPC", Field.ANY_EPC, "MATCH_anyEPC", canonical_key, _identifiers, "UriCollection",
        "urn:epc:id:sgtin:0614141.107346.2018",
    ),
    Family(
        "bizSteps", "bizStep", "business step", Field.BIZ_STEP, "EQ_bizStep", cbv.BIZ_STEP.canonical,
        _words(cbv.BIZ_STEP), "BizStepCollection", "urn:epcglobal:cbv:bizstep:receiving",
        _standard(cbv.BIZ_STEP),
    ),
    Family(
        "dispositions", "disposition", "disposition", Field.DISPOSITION, "EQ_disposition",
        cbv.DISPOSITION.canonical, _words(cbv.DISPOSITION), "DispositionCollection", "in_progress",
        _standard(cbv.DISPOSITION),
    ),
    Family(
        "readPoints", "readPoint", "read point", Field.READ_POINT, "EQ_readPoint", canonical_key,
        _identifiers, "UriCollection", "urn:epc:id:sgln:0012345.11111.400",
    ),
    Family(
        "bizLocations", "bizLocation", "business location", Field.BIZ_LOCATION, "EQ_bizLocation",
        canonical_key, _identifiers, "UriCollection", "urn:epc:id:sgln:0012345.11111.0",
    ),
)  # fmt: skip

# Every kind of page token this repository issues. Tokens are stateless (see release_page_token), so
# a token is only ever checked to be one of these.
_TOKEN_KINDS = (*(family.collection for family in FAMILIES), _SUB_RESOURCES_KIND, "capture jobs", "queries")


# --- responses ----------------------------------------------------------------------------------------


def _compact(values: list[str], declared: ExtensionPrefixes) -> tuple[list[str], dict[str, str]]:
    """Members in a namespace the client declared in GS1-Extensions, written with its prefix (as the
    standard's examples show: ``ex:aCustomBizStep``); and the prefixes used."""
    namespaces = sorted(((ns, prefix) for prefix, ns in declared.by_prefix.items()), key=lambda p: -len(p[0]))
    used: dict[str, str] = {}
    compacted: list[str] = []
    for value in values:
        for namespace, prefix in namespaces:
            local = value[len(namespace) :]
            if value.startswith(namespace) and local and not local.startswith("//"):
                value = f"{prefix}:{local}"
                used[prefix] = namespace
                break
        compacted.append(value)
    return compacted, used


def _collection(
    request: Request,
    members: list[str],
    output: OutputControl | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    used: dict[str, str] = {}
    if output is not None:
        members, used = _compact(members, output.extensions)
    headers = dict(headers or {})
    if used:
        headers["GS1-Extensions"] = extensions_header(used)
    body = {
        "@context": [STANDARD_CONTEXT, used] if used else STANDARD_CONTEXT,
        "type": "Collection",
        "member": members,
    }
    return Response(orjson.dumps(body), media_type=response_media_type(request), headers=headers)


def _schema(items: dict[str, Any], description: str, minimum: int = 0) -> dict[int | str, dict[str, Any]]:
    """The documented 200 response of a collection (the shape of the official ...Collection schemas)."""
    member: dict[str, Any] = {"type": "array", "items": items, "uniqueItems": True}
    if minimum:
        member["minItems"] = minimum
    schema = {
        "type": "object",
        "required": ["@context", "type", "member"],
        "properties": {"@context": {}, "type": {"type": "string", "enum": ["Collection"]}, "member": member},
    }
    return {200: {"description": description, "content": discovery.json_content(schema)}}


# --- the top level ------------------------------------------------------------------------------------


@router.get(
    "/",
    tags=["Discovery"],
    summary="The top-level resources (TopLevelResourceCollection)",
    responses={
        **_schema({"type": "string", "enum": list(TOP_LEVEL)}, "The top-level resources.", len(TOP_LEVEL)),
        400: {"description": discovery.PARAMETER_PROBLEM},
    },
)
async def top_level(request: Request) -> Response:
    if request.query_params:
        name = next(iter(request.query_params))
        raise query_problem(name, f"{name} is not a parameter of GET /")
    return _collection(request, list(TOP_LEVEL))


@router.options("/", include_in_schema=False)
async def top_level_options() -> Response:
    return options("OPTIONS, GET")


# --- lists, values, their events ---------------------------------------------------------------------


async def _stored(family: Family, value: str, repository: Repository, caller: Caller) -> str:
    """The stored form of a path value that names a resource (a standard value, or one an event the
    caller may see has); 404 otherwise."""
    stored = family.canonical(value) if value.strip() else ""
    if stored and stored not in family.standard:
        query = EventQuery((AnyOf(family.field, (stored,)),), visible=caller.visible)
        if not await repository.store.count_events(query, 1):
            stored = ""
    if not stored:
        raise not_found(f"{family.what} {value!r} (no event has it)")
    return stored


def _value(request: Request, family: Family, events: bool) -> tuple[str, bool]:
    """The value a path names, and whether the request is for its events.

    The path converter matches ``/epcs/X/events`` as the events of X, but an encoded
    ``/epcs/https:%2F%2Fid.gs1.org%2F01%2F...%2F21%2Fevents`` is the EPC whose serial is "events":
    the undecoded path tells them apart.
    """
    value: str = request.path_params[family.parameter]
    raw = request.scope.get("raw_path")
    if events and isinstance(raw, bytes) and unquote_to_bytes(raw.rsplit(b"/", 1)[-1]) != b"events":
        return f"{value}/events", False
    return value, events


def _add_family(family: Family) -> None:
    path = f"/{family.collection}"
    item = f"{path}/{{{family.parameter}:path}}"
    declared = discovery.path_parameter(
        family.parameter,
        f"{family.one[0].upper()}{family.one[1:]}, percent-encoded (a Digital Link or URI contains '/').",
        family.example,
    )

    async def list_values(
        request: Request, repository: RepositoryDep, output: OutputDep, caller: Reader
    ) -> Response:
        limit, after = collection_paging(request, repository.settings, family.collection, f"GET {path}")
        found = await repository.store.distinct_values(family.field, after, limit + 1, caller.visible)
        standard = (value for value in family.standard if after is None or value > after)
        # The store gave every value up to its last one, so the first limit + 1 of the union are right.
        union = sorted({*found, *standard})[: limit + 1]
        values, headers = collection_page(request, union, limit, family.collection, str)
        return _collection(request, family.display(values, output, repository.prefixes), output, headers)

    async def read(value: str, request: Request, repository: Repository, caller: Caller) -> Response:
        where = f"GET {path}/{{{family.parameter}}}"
        limit, after = collection_paging(request, repository.settings, _SUB_RESOURCES_KIND, where)
        await _stored(family, value, repository, caller)
        members = [name for name in SUB_RESOURCES if after is None or name > after]
        return _collection(request, members[:limit])

    async def read_value(request: Request, repository: RepositoryDep, caller: Reader) -> Response:
        return await read(_value(request, family, False)[0], request, repository, caller)

    async def value_events(
        request: Request, repository: RepositoryDep, output: OutputDep, caller: Reader
    ) -> Response:
        value, events = _value(request, family, True)
        if not events:
            return await read(value, request, repository, caller)
        if family.filter in request.query_params:
            raise query_problem(
                family.filter, f"{family.filter} is fixed by the path of {path}/{{{family.parameter}}}/events"
            )
        stored = await _stored(family, value, repository, caller)
        given = {name: request.query_params.getlist(name) for name in request.query_params}
        return await answer_query(request, repository, caller, output, given, {family.filter: [stored]})

    # OPTIONS needs no credentials, so it says nothing of whether a value is known.
    async def options_answer() -> Response:
        return options("OPTIONS, GET")

    tags: list[str | Enum] = ["Top-level"]
    Endpoint = Callable[..., Awaitable[Response]]
    routes: list[tuple[str, Endpoint, Endpoint, str, dict[str, Any]]] = [
        (path, list_values, options_answer, f"list_{family.collection}", {
            "summary": f"The {family.what}s the repository knows ({family.schema})",
            "description": _list_description(family),
            "openapi_extra": discovery.paging_extra(),
            "responses": _schema({"type": "string"}, f"A page of {family.what}s; Link names the next."),
        }),
        (f"{item}/events", value_events, options_answer, f"{family.parameter}_events", {
            "summary": f"Events of {family.one} (SimpleEventQuery with {family.filter} fixed)",
            "description": f"{discovery.QUERY_DESCRIPTION} The path stands for {family.filter}, which "
            "may not be given as well.",
            "openapi_extra": discovery.query_extra(declared, fixed=family.filter),
            "responses": {404: {"description": f"No event has this {family.what}."}},
        }),
        (item, read_value, options_answer, f"read_{family.parameter}", {
            "summary": f"The sub-resources of {family.one} (ResourceCollection)",
            "openapi_extra": discovery.paging_extra(declared),
            "responses": {
                **_schema({"type": "string", "enum": list(SUB_RESOURCES)}, "The sub-resources.", 1),
                404: {"description": f"No event has this {family.what}."},
            },
        }),
    ]  # fmt: skip
    # In this order: /x/{v:path} would also match /x/v/events.
    for route_path, endpoint, answer, name, documentation in routes:
        router.add_api_route(route_path, endpoint, methods=["GET"], name=name, tags=tags, **documentation)
        router.add_api_route(
            route_path, answer, methods=["OPTIONS"], name=f"{name}_options", include_in_schema=False
        )


def _list_description(family: Family) -> str:
    order = "ordered by their stored form (canonical Digital Link, CBV Web URI)"
    if family.display is _identifiers:
        shown = (
            "in the notation GS1-EPC-Format asks for (the canonical GS1 Digital Link by default, and "
            "for Never_Translates and No_Preference, since identifiers are indexed by it)"
        )
    elif family.standard and family.collection != "eventTypes":
        shown = "every CBV standard value (as a bare word) and every custom value an event has (a URI)"
    else:
        shown = "the five standard event types and every other type an event has"
    return (
        f"The {family.collection}: {shown}, {order}. Values in a namespace GS1-Extensions declares are "
        "written with its prefix, and the @context declares it."
    )


for _family in FAMILIES:
    _add_family(_family)


# --- page tokens -------------------------------------------------------------------------------------


@router.delete(
    "/nextPageToken/{token}",
    status_code=204,
    tags=["Queries"],
    summary="Release a page token",
    description="Page tokens are stateless keyset cursors: the token itself holds the query and where "
    "its page ended, and the repository keeps nothing for it. Releasing one frees nothing, so any "
    "token this repository issues is answered 204; a string that is not such a token is a 400.",
    responses={
        204: {"description": "Released (nothing was held)."},
        400: {
            "description": "QueryParameterException naming `token`: not a page token this repository issued."
        },
    },
)
async def release_page_token(token: str, caller: Reader) -> Response:
    try:
        PageToken.decode(token)
    except InvalidToken:
        if not any(_issued(token, kind) for kind in _TOKEN_KINDS):
            raise query_problem("token", "token is not a page token this repository issued") from None
    return Response(status_code=204)


def _issued(token: str, kind: str) -> bool:
    try:
        AfterToken.decode(token, kind)
    except InvalidToken:
        return False
    return True


@router.options("/nextPageToken/{token}", include_in_schema=False)
async def page_token_options() -> Response:
    return options("OPTIONS, DELETE")
