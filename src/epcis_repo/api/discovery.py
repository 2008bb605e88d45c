"""How the API describes itself in its OpenAPI document: the parameters handlers read from the raw
request, the GS1 headers every request may carry, and the OPTIONS operations.

Query handlers read their parameters from the query string (a query has dozens of fixed names and
open-ended pattern names, and errors must be `QueryParameterException`s naming the parameter), so
FastAPI cannot see them. They are declared here once, as reusable ``components/parameters``, and
referenced from each operation (``openapi_extra``); declaring them changes nothing a handler does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute

from epcis_repo.api.bodies import JSON_MEDIA_TYPES
from epcis_repo.api.headers import discovery_headers
from epcis_repo.api.problems import PROBLEM_JSON
from epcis_repo.query.params import PARAMETER_NAMES

_URI: dict[str, Any] = {"type": "string", "format": "uri"}
_TEXT: dict[str, Any] = {"type": "string"}
_TIME: dict[str, Any] = {"type": "string", "format": "date-time"}
_NUMBER: dict[str, Any] = {"type": "number"}
_COUNT: dict[str, Any] = {"type": "integer", "minimum": 1}
_BOOLEAN: dict[str, Any] = {"type": "boolean"}
_ACTION: dict[str, Any] = {"type": "string", "enum": ["ADD", "OBSERVE", "DELETE"]}
_DIRECTION: dict[str, Any] = {"type": "string", "enum": ["ASC", "DESC"]}


def _list(items: Mapping[str, Any]) -> dict[str, Any]:
    """A list parameter: values separated by ``|`` (or the parameter repeated), ORed."""
    return {"type": "array", "minItems": 1, "items": dict(items)}


_CBV = "a CBV bare word, URN or Web URI, or a custom URI"
_LOCATION = "EPC URN or GS1 Digital Link"

# The fixed-name SimpleEventQuery parameters: name, schema, description.
QUERY_PARAMETERS: tuple[tuple[str, dict[str, Any], str], ...] = (
    ("eventType", _list(_TEXT), "Event types (ObjectEvent ... or a custom type URI)."),
    ("GE_eventTime", _TIME, "eventTime at or after (write + as %2B)."),
    ("LT_eventTime", _TIME, "eventTime before."),
    ("GE_recordTime", _TIME, "recordTime at or after."),
    ("LT_recordTime", _TIME, "recordTime before."),
    ("EQ_action", _list(_ACTION), "action."),
    ("EQ_bizStep", _list(_TEXT), f"bizStep: {_CBV}."),
    ("EQ_disposition", _list(_TEXT), f"disposition: {_CBV}."),
    ("EQ_persistentDisposition_set", _list(_TEXT), f"persistentDisposition.set holds one of these: {_CBV}."),
    ("EQ_persistentDisposition_unset", _list(_TEXT), f"persistentDisposition.unset holds one of: {_CBV}."),
    ("EQ_readPoint", _list(_URI), f"readPoint ({_LOCATION})."),
    ("WD_readPoint", _list(_URI), "readPoint, or a descendant of it in the master data hierarchy."),
    ("EQ_bizLocation", _list(_URI), f"bizLocation ({_LOCATION})."),
    ("WD_bizLocation", _list(_URI), "bizLocation, or a descendant of it in the master data hierarchy."),
    ("EQ_transformationID", _list(_URI), "transformationID."),
    ("MATCH_epc", _list(_URI), "epcList or childEPCs (EPC URNs, Digital Links or EPC patterns)."),
    ("MATCH_parentID", _list(_URI), "parentID (EPCs or EPC patterns)."),
    ("MATCH_inputEPC", _list(_URI), "inputEPCList (EPCs or EPC patterns)."),
    ("MATCH_outputEPC", _list(_URI), "outputEPCList (EPCs or EPC patterns)."),
    ("MATCH_anyEPC", _list(_URI), "epcList, childEPCs, parentID, inputEPCList or outputEPCList."),
    ("MATCH_epcClass", _list(_URI), "epcClass of quantityList or childQuantityList (classes or patterns)."),
    ("MATCH_inputEPCClass", _list(_URI), "epcClass of inputQuantityList."),
    ("MATCH_outputEPCClass", _list(_URI), "epcClass of outputQuantityList."),
    ("MATCH_anyEPCClass", _list(_URI), "epcClass of any quantity list."),
    ("EQ_quantity", _list(_NUMBER), "Some quantity equals one of these."),
    ("GT_quantity", _NUMBER, "Some quantity greater than."),
    ("GE_quantity", _NUMBER, "Some quantity at least."),
    ("LT_quantity", _NUMBER, "Some quantity less than."),
    ("LE_quantity", _NUMBER, "Some quantity at most."),
    ("EQ_eventID", _list(_URI), "eventID (the event and the error declarations made about it)."),
    ("EXISTS_errorDeclaration", _BOOLEAN, "Given (with any value): only events with an error declaration."),
    ("GE_errorDeclarationTime", _TIME, "errorDeclaration.declarationTime at or after."),
    ("LT_errorDeclarationTime", _TIME, "errorDeclaration.declarationTime before."),
    ("GE_errorDeclaration_Time", _TIME, "The query schema's spelling of GE_errorDeclarationTime."),
    ("LT_errorDeclaration_Time", _TIME, "The query schema's spelling of LT_errorDeclarationTime."),
    ("EQ_errorReason", _list(_TEXT), f"errorDeclaration.reason: {_CBV}."),
    ("EQ_correctiveEventID", _list(_URI), "One of the errorDeclaration's correctiveEventIDs."),
    ("orderBy", _TEXT, "eventTime, recordTime, or an extension field (CURIE or IRI)."),
    ("orderDirection", _DIRECTION, "ASC or DESC (the default); needs orderBy."),
    ("eventCountLimit", _COUNT, "At most this many events over all pages; needs orderBy."),
    ("maxEventCount", _COUNT, "QueryTooLargeException (413) when more events match."),
    ("GE_time", _TIME, "sensorReport time at or after."),
    ("LT_time", _TIME, "sensorReport time before."),
    ("GE_startTime", _TIME, "sensorMetadata or sensorReport startTime at or after."),
    ("LT_startTime", _TIME, "sensorMetadata or sensorReport startTime before."),
    ("GE_endTime", _TIME, "sensorMetadata or sensorReport endTime at or after."),
    ("LT_endTime", _TIME, "sensorMetadata or sensorReport endTime before."),
    ("EXISTS_sensorElementList", _BOOLEAN, "Given (with any value): only events with sensor data."),
    ("EQ_type", _list(_TEXT), "sensorReport type (gs1: measurement type or its bare name)."),
    ("EQ_deviceID", _list(_URI), "sensorMetadata or sensorReport deviceID."),
    ("EQ_dataProcessingMethod", _list(_URI), "sensorMetadata or sensorReport dataProcessingMethod."),
    ("EQ_microorganism", _list(_URI), "sensorReport microorganism."),
    ("EQ_chemicalSubstance", _list(_URI), "sensorReport chemicalSubstance."),
    ("EQ_bizRules", _list(_URI), "sensorMetadata bizRules."),
    ("EQ_stringValue", _list(_TEXT), "sensorReport stringValue."),
    ("EQ_hexBinaryValue", _list(_TEXT), "sensorReport hexBinaryValue (case-insensitive)."),
    ("EQ_uriValue", _list(_URI), "sensorReport uriValue."),
    ("EQ_booleanValue", _BOOLEAN, "sensorReport booleanValue."),
    ("GT_percRank", _NUMBER, "sensorReport percRank greater than."),
    ("GE_percRank", _NUMBER, "sensorReport percRank at least."),
    ("LT_percRank", _NUMBER, "sensorReport percRank less than."),
    ("LE_percRank", _NUMBER, "sensorReport percRank at most."),
)


def _pattern_text() -> str:
    """The pattern-named parameters, grouped by what follows the operator (``GT_/GE_quantity_<uom>``)."""
    operators: dict[str, list[str]] = {}
    for name in PARAMETER_NAMES:
        if "<" in name:
            operator, _, rest = name.partition("_")
            operators.setdefault(rest, []).append(operator)
    return ", ".join(f"{'/'.join(f'{o}_' for o in ops)}{rest}" for rest, ops in operators.items())


QUERY_DESCRIPTION = (
    "Every SimpleEventQuery parameter of EPCIS 2.0; different parameters are ANDed, the values of a "
    "list parameter (separated by `|`, or the parameter repeated) are ORed. Besides the fixed names "
    "declared below, parameters are named by pattern, which OpenAPI cannot list one by one: "
    f"{_pattern_text()}. `<type>` is a CBV bare word or a URI; `<uom>` a UN/CEFACT unit code; "
    "`<field>` an extension field as a CURIE whose prefix GS1-Extensions declares, or a full IRI. "
    "docs/conformance.md shows each parameter with an example."
)

_PAGING: dict[str, dict[str, Any]] = {
    "perPage": {
        "name": "perPage",
        "in": "query",
        "required": False,
        "description": "Largest number of items on a page (default 30; see the settings for the cap).",
        "schema": {"type": "integer", "minimum": 1, "default": 30},
    },
    "nextPageToken": {
        "name": "nextPageToken",
        "in": "query",
        "required": False,
        "description": "The token of the next page, from the Link header of the previous one. Tokens "
        "are keyset cursors: they never expire, so no GS1-Next-Page-Token-Expires is sent.",
        "schema": {"type": "string"},
    },
}

_VERSION = {"type": "string", "pattern": r"^\d+(\.\d+)*$", "example": "2.0.0"}
_NEGOTIATION = "Checked on every request: 406 NotAcceptableException when this repository's version"
# The GS1 request headers the middleware (api.headers.gs1_headers) reads on every request.
GS1_HEADERS: dict[str, dict[str, Any]] = {
    name: {"name": name, "in": "header", "required": False, "description": description, "schema": _VERSION}
    for name, description in (
        ("GS1-EPCIS-Version", f"EPCIS version of the request. {_NEGOTIATION} has another major."),
        ("GS1-EPCIS-Min", f"Lowest acceptable EPCIS version. {_NEGOTIATION} (2.0.0) is lower."),
        ("GS1-EPCIS-Max", f"Highest acceptable EPCIS version. {_NEGOTIATION} (2.0.0) is higher."),
        ("GS1-CBV-Version", f"CBV version of the request. {_NEGOTIATION} has another major."),
        ("GS1-CBV-Min", f"Lowest acceptable CBV version. {_NEGOTIATION} (2.0.0) is lower."),
        ("GS1-CBV-Max", f"Highest acceptable CBV version. {_NEGOTIATION} (2.0.0) is higher."),
    )
}
GS1_HEADERS["GS1-Extensions"] = {
    "name": "GS1-Extensions",
    "in": "header",
    "required": False,
    "description": "prefix=namespace pairs, comma separated. Query parameters may use these prefixes in "
    "CURIEs; responses that return events or collections write names and values of these namespaces "
    "with them. Operations that do neither accept the header without effect.",
    "schema": {"type": "string", "example": "ex=https://ns.example.com/epcis/"},
}


def _query_component(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    parameter: dict[str, Any] = {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }
    if schema.get("type") == "array":
        parameter |= {"style": "pipeDelimited", "explode": False}
    return parameter


COMPONENTS: dict[str, dict[str, Any]] = {
    **_PAGING,
    **GS1_HEADERS,
    **{name: _query_component(name, schema, text) for name, schema, text in QUERY_PARAMETERS},
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/parameters/{name}"}


def path_parameter(name: str, description: str, example: str | None = None) -> dict[str, Any]:
    parameter: dict[str, Any] = {"name": name, "in": "path", "required": True, "description": description}
    return parameter | {"schema": {"type": "string"}} | ({"example": example} if example else {})


def paging_extra(*path: dict[str, Any]) -> dict[str, Any]:
    """`openapi_extra` of a paginated collection (with its path parameters, if any)."""
    return {
        "parameters": [*path, _ref("perPage"), _ref("nextPageToken")],
        "responses": {"400": {"description": PARAMETER_PROBLEM}},
    }


def query_extra(*path: dict[str, Any], fixed: str | None = None) -> dict[str, Any]:
    """`openapi_extra` of an events query: paging and every fixed-name parameter but `fixed` (the one
    the resource's path stands for); the query document in JSON or JSON-LD, and its problems."""
    names = [name for name, _, _ in QUERY_PARAMETERS if name != fixed]
    return {
        "parameters": [*path, _ref("perPage"), _ref("nextPageToken"), *map(_ref, names)],
        "responses": query_responses(),
    }


# --- responses ---------------------------------------------------------------------------------------

# The `responses` of a route, by status code.
Responses = dict[int | str, dict[str, Any]]


def json_content(schema: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The `content` of a response in JSON, or in JSON-LD when Accept asks for it (the same body)."""
    return {media_type: {"schema": dict(schema or {})} for media_type in JSON_MEDIA_TYPES}


PARAMETER_PROBLEM = (
    "QueryParameterException naming the parameter (`parameter`, and a pointer to it in `errors`): an "
    "unknown parameter or an invalid value; or a ValidationException for an invalid header."
)


def query_responses() -> Responses:
    """The responses of an operation that answers an events query (GET /events and the like)."""
    return {
        "200": {
            "description": "An EPCISQueryDocument with a page of the events; Link names the next page.",
            "content": json_content(),
        },
        "400": {"description": PARAMETER_PROBLEM},
        "413": {"description": "QueryTooLargeException: more events match than maxEventCount allows."},
    }


# The problems any operation may answer, whatever its own (api.headers.GS1Headers reads the GS1 version
# headers of every request).
_EVERY_OPERATION: dict[str, str] = {
    "400": "ValidationException: a header is malformed (a GS1 version header that is not a version).",
    "406": "NotAcceptableException: the GS1 version headers ask for an EPCIS or CBV version this "
    "repository (2.0.0) does not speak; or, for a response with events or a collection, Accept allows "
    "neither JSON nor JSON-LD.",
}
# The problems of an operation that needs credentials (api.security).
_SECURED: dict[str, str] = {
    "401": "SecurityException: no credentials, or an API key or token that is not valid "
    "(WWW-Authenticate: Bearer).",
    "403": "SecurityException: the credentials lack the role the operation needs.",
    "429": "Too many requests with these credentials (Retry-After says when to try again).",
}
# An RFC 7807 problem as problems.Problem writes it.
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An RFC 7807 problem with the standard's epcisException type.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "pattern": "^(epcisException:[A-Za-z]+Exception|about:blank)$"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string", "description": "The path of the request."},
        "errors": {
            "type": "array",
            "description": "What is wrong, where: a JSON Pointer into the body, or to a query parameter.",
            "items": {
                "type": "object",
                "required": ["pointer", "detail"],
                "properties": {
                    "pointer": {"type": "string"},
                    "detail": {"type": "string"},
                    "rule": {"type": "string"},
                },
            },
        },
        "parameter": {
            "type": "string",
            "description": "The query parameter a QueryParameterException is about.",
        },
        "header": {"type": "string", "description": "The header an invalid-header problem is about."},
    },
    # A QueryParameterException always names its parameter.
    "if": {"properties": {"type": {"const": "epcisException:QueryParameterException"}}},
    "then": {"required": ["parameter", "errors"]},
}


def _problem_content(status: str) -> dict[str, Any]:
    problem = {"$ref": "#/components/schemas/Problem"}
    return {
        PROBLEM_JSON: {"schema": {"allOf": [problem, {"properties": {"status": {"const": int(status)}}}]}}
    }


# --- completing the generated document -----------------------------------------------------------------

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_PATH_PARAMETER = re.compile(r"{(\w+)}")


def served_methods(routes: Sequence[BaseRoute]) -> dict[str, set[str]]:
    """The methods the API answers at each path (as OpenAPI writes it: ``/events/{eventID}``)."""
    methods: dict[str, set[str]] = {}
    for context in iter_route_contexts(routes):
        if isinstance(context.original_route, APIRoute) and context.path_format is not None:
            methods.setdefault(context.path_format, set()).update(context.methods or ())
    return methods


def complete(document: dict[str, Any], routes: Sequence[BaseRoute]) -> None:
    """Add the shared parameters, an OPTIONS operation for every path that answers OPTIONS, and the
    GS1 headers to every operation (the middleware reads them on every request)."""
    components = document.setdefault("components", {})
    components.setdefault("parameters", {}).update(COMPONENTS)
    schemas = components.setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    # FastAPI documents a 422 for the requests it validates; problems.install answers those 400.
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    paths: dict[str, dict[str, Any]] = document.setdefault("paths", {})
    for path, served in served_methods(routes).items():
        if "OPTIONS" in served and "options" not in paths.get(path, {}):
            paths.setdefault(path, {})["options"] = _options_operation(path, served)
    for operations in paths.values():
        for method, operation in operations.items():
            if method in _METHODS:
                _add_headers(operation, document)
                _add_problems(operation)


def _options_operation(path: str, served: set[str]) -> dict[str, Any]:
    allow = ", ".join(["OPTIONS", *sorted(served - {"OPTIONS"})])
    headers: dict[str, Any] = {name: {"schema": {"type": "string"}} for name in discovery_headers(allow)}
    headers["Allow"] = {"description": "The methods of the resource.", "schema": {"type": "string"}}
    responses: dict[str, Any] = {"204": {"description": "The methods and GS1 versions.", "headers": headers}}
    parameters = [path_parameter(name, "As for the other methods.") for name in _PATH_PARAMETER.findall(path)]
    if parameters:
        responses["404"] = {"description": "No such resource."}
    return {
        "tags": ["Discovery"],
        "summary": f"The methods ({allow}) and GS1 versions of {path}",
        "operationId": "options_" + (re.sub(r"\W+", "_", path).strip("_") or "root"),
        "parameters": parameters,
        "responses": responses,
    }


def _add_headers(operation: dict[str, Any], document: dict[str, Any]) -> None:
    parameters: list[dict[str, Any]] = operation.setdefault("parameters", [])
    declared = {(p["in"], p["name"].lower()) for p in (_resolve(p, document) for p in parameters)}
    for name in GS1_HEADERS:
        if ("header", name.lower()) not in declared:
            parameters.append(_ref(name))


def _add_problems(operation: dict[str, Any]) -> None:
    """The problems every operation may answer, and the problem schema for each error response."""
    responses: dict[str, Any] = operation.setdefault("responses", {})
    responses.pop("422", None)
    secured = _SECURED if operation.get("security") else {}
    for status, description in {**_EVERY_OPERATION, **secured}.items():
        responses.setdefault(status, {"description": description})
    for status, response in responses.items():
        if status[0] in "45":
            response.setdefault("content", _problem_content(status))


def _resolve(parameter: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    reference = parameter.get("$ref")
    if not isinstance(reference, str):
        return parameter
    found: Any = document
    for part in reference.removeprefix("#/").split("/"):
        found = found[part]
    resolved: dict[str, Any] = found
    return resolved
