"""Our OpenAPI document against GS1's (REST bindings, openapi.json): every official path and method is
ours too, and every official path, query and header parameter of each operation is documented in ours,
but for the justified deviations listed here. A path or parameter that disappears fails these tests.

Parameters are compared by where they go and their name (header names without case, as HTTP does),
path-level parameters counting for every operation of the path. Pattern-named query parameters
(``EQ_bizTransaction_<type>``, ``GT_<field>`` ...) cannot be declared one by one; the official document
lists none, and ours names them in each query operation's description (checked below).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import cache
from typing import Any

import pytest

from epcis_repo.api.app import create_app
from epcis_repo.query.params import PARAMETER_NAMES
from epcis_repo.settings import Settings
from tests.standard import ARTIFACTS

OFFICIAL = ARTIFACTS / "openapi.json"
requires_official = pytest.mark.skipif(
    not OFFICIAL.is_file(),
    reason=f"GS1's openapi.json not found at {OFFICIAL} (../shared/standard/artifacts)",
)

Operation = tuple[str, str]  # path, method
Parameter = str  # "query:perPage", "header:gs1-epc-format", "path:epc"

_SUBSCRIPTIONS = "Subscriptions (webhooks and WebSockets) are a later capability."
_WEBSOCKET = (
    "Asks for a WebSocket subscription (Upgrade: websocket, schedule or stream); subscriptions are a later "
    "capability, and GET /queries/{queryName}/events refuses these parameters with a 400 naming them."
)

# Official operations we do not offer, and why.
MISSING_OPERATIONS: dict[Operation, str] = {
    ("/queries/{queryName}/subscriptions", "options"): _SUBSCRIPTIONS,
    ("/queries/{queryName}/subscriptions", "get"): _SUBSCRIPTIONS,
    ("/queries/{queryName}/subscriptions", "post"): _SUBSCRIPTIONS,
    ("/queries/{queryName}/subscriptions/{subscriptionID}", "options"): _SUBSCRIPTIONS,
    ("/queries/{queryName}/subscriptions/{subscriptionID}", "get"): _SUBSCRIPTIONS,
    ("/queries/{queryName}/subscriptions/{subscriptionID}", "delete"): _SUBSCRIPTIONS,
}

# Official parameters of operations we offer that ours do not document, and why.
MISSING_PARAMETERS: dict[tuple[str, str, Parameter], str] = {
    **{
        ("/queries/{queryName}/events", "get", parameter): _WEBSOCKET
        for parameter in (
            "header:upgrade",
            "header:connection",
            "query:stream",
            "query:second",
            "query:minute",
            "query:hour",
            "query:dayOfMonth",
            "query:month",
            "query:dayOfWeek",
            "query:reportIfEmpty",
            "query:initialRecordTime",
        )
    },  # fmt: skip
    # Every other value resource leaves out the parameter its path fixes; the official document keeps
    # EQ_disposition here, an oversight. Ours refuses it (400): the path already says the disposition.
    ("/dispositions/{disposition}/events", "get", "query:EQ_disposition"): "Fixed by the path.",
}

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@cache
def official() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(OFFICIAL.read_text())
    return document


@cache
def ours() -> dict[str, Any]:
    return create_app(Settings()).openapi()


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        found: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            found = found[part]
        node = found
    return node


def operations(document: dict[str, Any]) -> set[Operation]:
    return {
        (path, method) for path, item in document["paths"].items() for method in item if method in _METHODS
    }


def parameters(document: dict[str, Any], path: str, method: str) -> Counter[Parameter]:
    item = document["paths"][path]
    declared = [
        _resolve(document, p) for p in item.get("parameters", []) + item[method].get("parameters", [])
    ]
    return Counter(f"{p['in']}:{p['name'].lower() if p['in'] == 'header' else p['name']}" for p in declared)


@requires_official
def test_every_official_path_and_method_is_ours() -> None:
    missing = operations(official()) - operations(ours())
    assert missing == set(MISSING_OPERATIONS), sorted(missing - set(MISSING_OPERATIONS))


@requires_official
def test_every_official_parameter_is_documented_in_ours() -> None:
    missing: set[tuple[str, str, Parameter]] = set()
    for path, method in sorted(operations(official()) - set(MISSING_OPERATIONS)):
        expected = parameters(official(), path, method)
        declared = parameters(ours(), path, method)
        missing |= {(path, method, parameter) for parameter in expected if parameter not in declared}
    allowed = set(MISSING_PARAMETERS)
    assert missing - allowed == set(), sorted(missing - allowed)
    # A deviation that no longer is one must leave the lists.
    assert allowed - missing == set(), sorted(allowed - missing)


@requires_official
def test_the_official_document_has_what_the_deviations_name() -> None:
    every = operations(official())
    assert set(MISSING_OPERATIONS) <= every
    for path, method, parameter in MISSING_PARAMETERS:
        assert parameter in parameters(official(), path, method), (path, method, parameter)


def test_every_operation_declares_its_path_parameters_once_and_nothing_twice() -> None:
    document = ours()
    for path, method in operations(document):
        declared = parameters(document, path, method)
        assert [p for p, n in declared.items() if n > 1] == [], (path, method)
        in_path = {f"path:{name}" for name in re.findall(r"{(\w+)}", path)}
        assert {p for p in declared if p.startswith("path:")} == in_path, (path, method)


def test_operation_ids_are_unique() -> None:
    document = ours()
    ids = Counter(document["paths"][path][method].get("operationId") for path, method in operations(document))
    assert [i for i, n in ids.items() if n > 1] == []


def test_every_path_documents_OPTIONS() -> None:
    document = ours()
    assert [path for path, item in document["paths"].items() if "options" not in item] == []


QUERY_OPERATIONS = [
    ("/events", None),
    ("/eventTypes/{eventType}/events", "eventType"),
    ("/epcs/{epc}/events", "MATCH_anyEPC"),
    ("/bizSteps/{bizStep}/events", "EQ_bizStep"),
    ("/dispositions/{disposition}/events", "EQ_disposition"),
    ("/readPoints/{readPoint}/events", "EQ_readPoint"),
    ("/bizLocations/{bizLocation}/events", "EQ_bizLocation"),
]


@pytest.mark.parametrize(("path", "fixed"), QUERY_OPERATIONS)
def test_query_operations_declare_every_parameter_the_repository_reads(path: str, fixed: str | None) -> None:
    """Ours against the repository itself: every fixed-name parameter the query parser knows is declared
    (but the one a value's path fixes), and every pattern-named one is described."""
    operation = ours()["paths"][path]["get"]
    declared = {p.removeprefix("query:") for p in parameters(ours(), path, "get") if p.startswith("query:")}
    fixed_names = {name for name in PARAMETER_NAMES if "<" not in name} - {fixed}
    assert fixed_names | {"perPage", "nextPageToken"} == declared
    for name in PARAMETER_NAMES:
        if "<" in name:
            assert name.partition("_")[2] in operation["description"], name


def _responses(document: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    return [
        (path, method, status, response)
        for path, method in sorted(operations(document))
        for status, response in document["paths"][path][method]["responses"].items()
    ]


def test_every_operation_documents_the_problems_of_every_request() -> None:
    """The GS1 version headers are read on every request: 400 when malformed, 406 when not ours."""
    document = ours()
    for path, method in operations(document):
        responses = document["paths"][path][method]["responses"]
        assert {"400", "406"} <= set(responses), (path, method)
        assert "422" not in responses, (path, method)  # invalid requests are 400 problems here
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_every_error_response_is_a_problem_with_its_status() -> None:
    document = ours()
    problem = document["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail"} <= set(problem["required"])
    for path, method, status, response in _responses(document):
        if status[0] in "45":
            (media_type,) = response["content"]
            schema = response["content"][media_type]["schema"]
            assert media_type == "application/problem+json", (path, method, status)
            assert schema["allOf"][0] == {"$ref": "#/components/schemas/Problem"}, (path, method, status)
            assert schema["allOf"][1]["properties"]["status"] == {"const": int(status)}


@pytest.mark.parametrize(
    ("path", "method", "statuses"),
    [
        ("/capture", "post", {"202", "400", "406", "413", "415"}),
        ("/events", "post", {"201", "400", "406", "409", "413", "415"}),
        ("/queries", "post", {"201", "400", "406", "409", "413", "415"}),
        ("/events", "get", {"200", "400", "406", "413"}),
        ("/events/{eventID}", "get", {"200", "400", "404", "406"}),
        ("/queries/{queryName}/events", "get", {"200", "400", "404", "406", "413"}),
        ("/epcs/{epc}/events", "get", {"200", "400", "404", "406", "413"}),
        ("/traces/back", "get", {"200", "400", "404", "406"}),
        ("/capture/{captureID}", "get", {"200", "400", "404", "406"}),
    ],
)
def test_operations_document_the_statuses_they_answer(path: str, method: str, statuses: set[str]) -> None:
    # Every one needs credentials: 401 without valid ones, 403 without the role, 429 over the rate.
    assert set(ours()["paths"][path][method]["responses"]) == statuses | {"401", "403", "429"}


def test_every_operation_but_discovery_needs_a_bearer_credential() -> None:
    document = ours()
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["bearer"]["description"],
    }
    open_operations = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method in {"get", "post", "delete", "options"}:
                if operation.get("security") == [{"bearer": []}]:
                    assert {"401", "403", "429"} <= set(operation["responses"]), (path, method)
                else:
                    open_operations.append((path, method))
    assert all(method == "options" for _, method in open_operations if _ != "/"), open_operations
    assert ("/", "get") in open_operations


def test_bodies_are_documented_as_answered() -> None:
    paths = ours()["paths"]
    # The 202 of a capture has no body (FastAPI would document a JSON one).
    assert "content" not in paths["/capture"]["post"]["responses"]["202"]
    # Events and collections come in JSON-LD when Accept asks for it.
    for path in ("/events", "/events/{eventID}", "/", "/epcs", "/epcs/{epc}", "/traces/forward"):
        content = paths[path]["get"]["responses"]["200"]["content"]
        assert set(content) == {"application/json", "application/ld+json"}, path
