"""C-Q-2: every query parameter, positive and negative, in the URL form and the named-query form,
on every store. The table is tests/query/conformance.py; docs/conformance.md is generated from it."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import BACKENDS, EpcisClient, make_client
from tests.query.conformance import CASES, CONTEXT, DOC, EXTENSIONS_HEADER, Case, document, markdown, tag_of

_names = itertools.count()
_NUMBER_PARAMETERS = re.compile(
    r"(EQ|GT|GE|LT|LE)_(quantity|value|minValue|maxValue|meanValue|sDev|percValue|percRank)(_[A-Z0-9]+)?"
)
_SCALARS = re.compile(r"(GE|LT|GT|LE)_.*|orderBy|orderDirection")


@pytest.fixture(scope="module", params=BACKENDS)
def client(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EpcisClient]:
    with make_client(request.param, tmp_path_factory.mktemp("store")) as test_client:
        job = test_client.capture(document())
        assert job["success"], job
        yield test_client


def named_form(params: dict[str, str]) -> dict[str, Any]:
    """The query as a named query's JSON body: lists as arrays, numbers as numbers, EXISTS_ as null."""
    query: dict[str, Any] = {"@context": CONTEXT}
    for name, value in params.items():
        number = _NUMBER_PARAMETERS.fullmatch(name)
        if name.startswith("EXISTS_"):
            query[name] = None
        elif name in ("eventCountLimit", "maxEventCount"):
            query[name] = int(value)
        elif name == "EQ_booleanValue":
            query[name] = value == "true"
        elif number and number.group(1) == "EQ":
            query[name] = [float(v) for v in value.split("|")]
        elif number:
            query[name] = float(value)
        elif _SCALARS.fullmatch(name):
            query[name] = value
        else:
            query[name] = value.split("|")
    return query


def run(client: EpcisClient, form: str, params: dict[str, str]) -> tuple[int, list[str]]:
    """(status, tags of the events returned, every page followed) for a query in the given form."""
    if form == "url":
        response = client.get(
            "/events", params={**params, "perPage": "3"}, headers={"GS1-Extensions": EXTENSIONS_HEADER}
        )
    else:
        name = f"conformance-{next(_names)}"
        created = client.post("/queries", json={"name": name, "query": named_form(params)})
        if created.status_code != 201:
            return created.status_code, []
        response = client.get(f"/queries/{name}/events", params={"perPage": "3"})
    tags: list[str] = []
    while response.status_code == 200:
        tags += [tag_of(e) for e in response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]]
        if "link" not in response.headers:
            break
        response = client.get(response.headers["link"].split(";")[0].strip("<>"))
    return response.status_code, tags


@pytest.mark.parametrize("form", ["url", "named"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.parameter)
def test_C_Q_2_each_parameter_selects_exactly_its_events(client: EpcisClient, case: Case, form: str) -> None:
    status, tags = run(client, form, case.positive)
    assert status == 200, (case.parameter, form, status)
    if case.ordered:
        assert tags == list(case.expected)
    else:
        assert sorted(tags) == sorted(case.expected)
    status, tags = run(client, form, case.negative)
    if case.fails:
        assert status == case.fails
    else:
        assert (status, tags) == (200, [])


def test_the_matrix_covers_every_parameter_of_the_checklist() -> None:
    rows = {c.parameter for c in CASES}
    assert len(rows) == len(CASES) and len(CASES) >= 90


def test_docs_conformance_is_generated_from_the_matrix() -> None:
    assert DOC.read_text() == markdown(), "run: python -m tests.query.conformance"
