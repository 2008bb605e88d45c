"""Fuzzing the API from its own OpenAPI document (schemathesis, in process).

Every operation of the document the application serves at /openapi.json gets generated requests: valid
ones, and ones that break the declaration (negative mode: wrong types, missing or malformed parameters,
headers and bodies). Every response must not be a server error, must have a status code the operation
documents and, where the operation documents media types and a schema for that status, must have one of
those media types and conform to that schema.

Schemathesis prepares each request with `requests`; a transport adapter hands it to the application
through the suite's own test client (which runs the application's lifespan once, on one event loop).
Runs are bounded (examples per operation, a deadline per example) and derandomized, so CI sees the same
cases; how long the whole run took is printed, not asserted.
"""

from __future__ import annotations

import io
import time
import traceback
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from requests.adapters import BaseAdapter, HTTPAdapter
from schemathesis import APIOperation, Case
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from urllib3 import HTTPResponse
from urllib3._collections import HTTPHeaderDict

from epcis_repo.api.app import create_app
from epcis_repo.demo import demo_document
from epcis_repo.settings import Settings
from tests.conftest import EpcisClient, store_factory

BASE_URL = "http://testserver"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Valid and invalid requests together, per operation; OPTIONS reads nothing but its path and headers.
EXAMPLES_PER_OPERATION = 12
EXAMPLES_PER_OPTIONS = 4


class InProcess(BaseAdapter):
    """A `requests` transport that sends each prepared request to the application in process."""

    def __init__(self, client: TestClient) -> None:
        super().__init__()
        self.client = client

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        body = request.body.encode() if isinstance(request.body, str) else request.body
        # On the wire, as `requests` would send them: header values in Latin-1.
        headers = [(name.encode("latin-1"), _latin1(value)) for name, value in request.headers.items()]
        answer = self.client.request(str(request.method), str(request.url), headers=headers, content=body)
        raw = HTTPResponse(
            body=io.BytesIO(answer.content),
            headers=HTTPHeaderDict(answer.headers.multi_items()),
            status=answer.status_code,
            reason=answer.reason_phrase,
            version=11,
            preload_content=False,
            decode_content=False,
        )
        return HTTPAdapter().build_response(request, raw)

    def close(self) -> None:
        pass


def _latin1(value: str | bytes) -> bytes:
    return value.encode("latin-1") if isinstance(value, str) else value


def format_exception(error: BaseException) -> str:
    """An error that is not a check's failure (in the test's own machinery), with where it was raised."""
    return "".join(traceback.format_exception(error, limit=-8))


def fuzz(operation: APIOperation, session: requests.Session, cases: dict[str, int]) -> None:
    """Send generated requests, valid and invalid, to one operation and check every response."""
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @settings(
        max_examples=EXAMPLES_PER_OPTIONS if operation.method == "options" else EXAMPLES_PER_OPERATION,
        deadline=2000,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Case) -> None:
        cases[operation.label] += 1
        case.call_and_validate(session=session, base_url=BASE_URL, checks=CHECKS)

    run()


def test_every_operation_answers_generated_requests_as_its_declaration_says(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    app = create_app(Settings(), store_factory=store_factory("sqlite", tmp_path))
    cases: dict[str, int] = {}
    failures: list[str] = []
    # A 500 is answered as a problem response, which not_a_server_error reports with its case.
    with EpcisClient(app, base_url=BASE_URL, raise_server_exceptions=False) as client:
        # Queries and value resources have events to find and render: the demonstration chain.
        assert client.capture(demo_document())["success"]
        schema = schemathesis.openapi.from_dict(
            client.get("/openapi.json").json(), config=schemathesis.Config()
        )
        session = requests.Session()
        session.mount(BASE_URL, InProcess(client))
        for result in schema.get_all_operations():
            operation = result.ok()
            cases[operation.label] = 0
            try:
                fuzz(operation, session, cases)
            except (Exception, BaseExceptionGroup) as error:  # schemathesis's FailureGroup is a Base one
                report = str(error) if isinstance(error, BaseExceptionGroup) else format_exception(error)
                failures.append(f"{operation.label}: {report}")
    elapsed = time.monotonic() - started
    total = sum(cases.values())
    with capsys.disabled():
        print(f"\nfuzz: {total} cases over {len(cases)} operations in {elapsed:.1f} s")  # noqa: T201
    assert failures == [], "\n\n".join(failures)
    assert total > 0
