"""Errors as RFC 7807 problem responses with the standard's ``epcisException:*`` types."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from epcis_repo.epcis.violations import Violation, pointer
from epcis_repo.storage.deadline import QueryTimeout
from epcis_repo.storage.port import StorageError

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
# A problem response lists at most this many violations (the total is in `detail`).
MAX_LISTED = 100


class Problem(Exception):
    def __init__(
        self,
        status: int,
        exception: str,
        title: str,
        detail: str,
        violations: Iterable[Violation] = (),
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.type = f"epcisException:{exception}" if ":" not in exception else exception
        self.title = title
        self.detail = detail
        self.violations = list(violations)
        self.headers = dict(headers or {})
        self.extra = extra

    def response(self, instance: str | None = None) -> Response:
        body: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if self.violations:
            body["errors"] = [v.to_json() for v in self.violations[:MAX_LISTED]]
        body.update(self.extra)
        return Response(
            orjson.dumps(body), status_code=self.status, media_type=PROBLEM_JSON, headers=self.headers
        )


def validation_problem(detail: str, violations: list[Violation]) -> Problem:
    if len(violations) > MAX_LISTED:
        detail += f" ({len(violations)} problems; the first {MAX_LISTED} are listed)"
    return Problem(400, "ValidationException", "Invalid EPCIS data", detail, violations)


def query_problem(parameter: str, detail: str) -> Problem:
    return Problem(
        400,
        "QueryParameterException",
        "Invalid query parameter",
        detail,
        [Violation(pointer(parameter), detail)],
        parameter=parameter,
    )


def not_found(what: str) -> Problem:
    return Problem(404, "NoSuchNameException", "Not found", f"There is no {what}.")


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, problem: Problem) -> Response:
        return problem.response(request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == 404:
            problem = Problem(
                404, "NoSuchNameException", "Not found", f"There is no resource at {request.url.path}."
            )
        elif error.status_code == 405:
            allowed = (error.headers or {}).get("Allow", "")
            problem = Problem(
                405,
                "about:blank",
                "Method not allowed",
                f"{request.method} is not allowed on {request.url.path}; allowed: {allowed}.",
                headers=error.headers,
            )
        else:
            problem = Problem(error.status_code, "about:blank", str(error.detail), str(error.detail))
        return problem.response(request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, error: RequestValidationError) -> Response:
        violations = [
            Violation(pointer(*[str(part) for part in e.get("loc", ())]), str(e.get("msg", "invalid")))
            for e in error.errors()
        ]
        return validation_problem("The request is not valid.", violations).response(request.url.path)

    @app.exception_handler(QueryTimeout)
    async def _timeout(request: Request, error: QueryTimeout) -> Response:
        seconds = request.app.state.repository.settings.query_timeout_seconds
        detail = (
            f"The query ran longer than {seconds:g} s, the most this repository allows, and was stopped; "
            "narrow it (a shorter time range, fewer values) or ask for smaller pages."
        )
        return Problem(413, "QueryTooComplexException", "Query too complex", detail).response(
            request.url.path
        )

    @app.exception_handler(StorageError)
    async def _storage(request: Request, error: StorageError) -> Response:
        log.error("storage failure on %s %s: %s", request.method, request.url.path, error)
        detail = "The repository's store cannot be reached; try again later."
        problem = Problem(503, "ImplementationException", "Storage unavailable", detail)
        return problem.response(request.url.path)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        detail = "The repository failed to handle this request."
        problem = Problem(500, "ImplementationException", "Internal error", detail)
        return problem.response(request.url.path)
