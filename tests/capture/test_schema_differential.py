"""Our EPCIS schema accepts and rejects exactly what GS1's official EPCIS 2.0 JSON Schema does.

The oracle is GS1's draft-07 schema run by the Python ``jsonschema`` package with its format
checker (``uri`` and ``date-time`` asserted, as the ``format-nongpl`` extra provides). Inputs are
every official JSON example plus the deterministic mutations of ``mutations.py``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from epcis_repo.capture.schema import SchemaValidator
from tests.capture.mutations import EVENT, Mutation, full_document, generate, mutations
from tests.standard import (
    ARTIFACTS,
    EXAMPLES,
    example_id,
    json_examples,
    requires_standard,
    single_event_examples,
)

pytestmark = requires_standard

# The one official JSON file GS1's schema rejects: CBV URNs where JSON expects bare words.
REJECTED_EXAMPLE = EXAMPLES / "xml" / "WithEventHashID" / "event_with_identical_hash_id_7.json"
MIN_MUTATIONS = 300
# Categories whose every case is meant to be rejected.
ONLY_REJECTIONS = {"closed object"}


@pytest.fixture(scope="module")
def oracle() -> jsonschema.Draft7Validator:
    schema = json.loads((ARTIFACTS / "EPCIS-JSON-Schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


@pytest.fixture(scope="module")
def verdict(oracle: jsonschema.Draft7Validator) -> Callable[[Mutation], bool]:
    """The oracle's verdict on a mutation, computed once per module (the Python oracle is slow)."""
    seen: dict[str, bool] = {}

    def of(mutation: Mutation) -> bool:
        if mutation.id not in seen:
            seen[mutation.id] = oracle.is_valid(mutation.instance)
        return seen[mutation.id]

    return of


@pytest.fixture(scope="module")
def ours() -> SchemaValidator:
    return SchemaValidator.load()


def _official_examples() -> list[Path]:
    found = [*json_examples(), *single_event_examples()]
    return [*found, REJECTED_EXAMPLE] if found else []


def _mutation_id(mutation: Mutation) -> str:
    return mutation.id


@pytest.mark.parametrize("path", _official_examples(), ids=example_id)
def test_official_example_verdict(
    path: Path, oracle: jsonschema.Draft7Validator, ours: SchemaValidator
) -> None:
    instance = json.loads(path.read_text(encoding="utf-8"))
    expected = oracle.is_valid(instance)
    assert ours.root_is_valid(instance) is expected
    violations = ours.root(instance)
    assert (not violations) is expected, violations


def test_official_examples_are_all_there(oracle: jsonschema.Draft7Validator) -> None:
    assert len(json_examples()) == 47
    assert len(single_event_examples()) == 5
    verdicts = {
        path: oracle.is_valid(json.loads(path.read_text(encoding="utf-8"))) for path in _official_examples()
    }
    assert [path for path, ok in verdicts.items() if not ok] == [REJECTED_EXAMPLE]


@pytest.mark.parametrize("mutation", mutations(), ids=_mutation_id)
def test_mutation_verdict(
    mutation: Mutation, oracle: jsonschema.Draft7Validator, ours: SchemaValidator
) -> None:
    assert ours.root_is_valid(mutation.instance) is oracle.is_valid(mutation.instance)


@pytest.mark.parametrize("mutation", mutations(), ids=_mutation_id)
def test_mutation_violations_iff_invalid(
    mutation: Mutation, verdict: Callable[[Mutation], bool], ours: SchemaValidator
) -> None:
    violations = ours.root(mutation.instance)
    assert (not violations) is verdict(mutation), violations


def test_mutation_census(verdict: Callable[[Mutation], bool]) -> None:
    cases = mutations()
    verdicts = Counter((m.category, verdict(m)) for m in cases)
    categories = list(dict.fromkeys(m.category for m in cases))
    report = "\n".join(
        f"{c}: {verdicts[c, True]} accepted, {verdicts[c, False]} rejected" for c in categories
    ) + (f"\ntotal {len(cases)}: {sum(verdicts[c, True] for c in categories)} accepted")
    assert len(cases) >= MIN_MUTATIONS, report
    for category in categories:
        assert verdicts[category, True] + verdicts[category, False] >= 3, report
        assert verdicts[category, False], f"{category} has no rejected case\n{report}"
        if category not in ONLY_REJECTIONS:
            assert verdicts[category, True], f"{category} has no accepted case\n{report}"


def test_mutations_are_deterministic() -> None:
    again = generate()
    assert [m.id for m in again] == [m.id for m in mutations()]
    assert [json.dumps(m.instance, sort_keys=True) for m in again] == [
        json.dumps(m.instance, sort_keys=True) for m in mutations()
    ]


def _document_events(document: dict[str, Any]) -> list[Any]:
    body = document["epcisBody"]
    if document["type"] == "EPCISQueryDocument":
        body = body["queryResults"]["resultsBody"]
    events: list[Any] = body["eventList"]
    return events


def test_entry_points_compose_to_root(ours: SchemaValidator) -> None:
    """A document is valid iff its envelope and each of its events are; anything else is a bare event."""
    disagreements = []
    for mutation in mutations():
        instance = mutation.instance
        if isinstance(instance, dict) and instance.get("type") in ("EPCISDocument", "EPCISQueryDocument"):
            pieces = not ours.document_envelope(instance) and not any(
                ours.document_event(event) for event in _document_events(instance)
            )
        else:
            pieces = not ours.standalone_event(instance)
        if ours.root_is_valid(instance) is not pieces:
            disagreements.append(mutation.id)
    assert not disagreements


# Where GS1's patterns and the format checkers behind the oracle run on Python `re`, whose `$` also
# matches before a final newline and whose `\d` matches any Unicode digit. JSON Schema prescribes
# ECMA-262 regular expressions, where neither holds; we follow ECMA-262, so these are rejected by
# us and accepted by the oracle. They are kept out of the mutations and pinned here instead.
_REPORT = (*EVENT, "sensorElementList", 0, "sensorReport", 0)
REGEX_DIALECT_DIVERGENCES: list[tuple[str, tuple[str | int, ...], str]] = [
    ("eventTimeZoneOffset + newline", (*EVENT, "eventTimeZoneOffset"), "-06:00\n"),
    ("schemaVersion + newline", ("schemaVersion",), "2.0\n"),
    ("schemaVersion in Arabic-Indic digits", ("schemaVersion",), "\u0662.\u0660"),
    ("uom + newline", (*EVENT, "quantityList", 0, "uom"), "KGM\n"),
    ("hexBinaryValue + newline", (*_REPORT, "hexBinaryValue"), "f0f0f0\n"),
    ("eventTime + newline (rfc3339-validator)", (*EVENT, "eventTime"), "2005-04-05T02:33:31.116Z\n"),
    (
        "epcList URI + newline (rfc3986-validator)",
        (*EVENT, "epcList", 0),
        "urn:epc:id:sgtin:0614141.107346.2018\n",
    ),
    ("custom bizStep URI + newline", (*EVENT, "bizStep"), "https://example.org/step\n"),
]


@pytest.mark.parametrize(
    ("path", "value"),
    [d[1:] for d in REGEX_DIALECT_DIVERGENCES],
    ids=[d[0] for d in REGEX_DIALECT_DIVERGENCES],
)
def test_known_regex_dialect_divergences(
    path: tuple[str | int, ...], value: str, oracle: jsonschema.Draft7Validator, ours: SchemaValidator
) -> None:
    document = full_document()
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    assert oracle.is_valid(document)
    assert not ours.root_is_valid(document)


def test_namespaced_key_with_trailing_newline_is_a_dialect_divergence(
    oracle: jsonschema.Draft7Validator, ours: SchemaValidator
) -> None:
    document = full_document()
    document["epcisBody"]["eventList"][0]["example:note\n"] = "x"
    assert oracle.is_valid(document)
    assert not ours.root_is_valid(document)
