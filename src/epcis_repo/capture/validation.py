"""Whether submitted EPCIS data is acceptable: the project's JSON Schema, then the standard's own rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from epcis_repo.capture.schema import SchemaValidator
from epcis_repo.epcis import rules
from epcis_repo.epcis.context import namespaces
from epcis_repo.epcis.violations import Violation, pointer


class InvalidDocument(Exception):
    """The document as a whole (its envelope) is not acceptable."""

    def __init__(self, violations: list[Violation]) -> None:
        super().__init__(violations[0].message if violations else "invalid document")
        self.violations = violations


@dataclass(slots=True)
class Submission:
    """A capture document taken apart: its events, where they sit, their context, which are invalid."""

    events: list[dict[str, Any]]
    events_pointer: str
    context: Any
    prefixes: dict[str, str]
    document: dict[str, Any]
    invalid: dict[int, list[Violation]] = field(default_factory=dict)

    def event_pointer(self, index: int) -> str:
        return f"{self.events_pointer}/{index}"


def check_document(document: Any, schema: SchemaValidator) -> Submission:
    """Validate an EPCISDocument or EPCISQueryDocument; raises InvalidDocument for a bad envelope.

    Invalid events are reported in `Submission.invalid`, keyed by their index, with pointers into
    the whole document; what happens to them depends on the capture's error behaviour.
    """
    envelope = schema.document_envelope(document)
    if envelope:
        raise InvalidDocument(envelope)
    body = document["epcisBody"]
    if document["type"] == "EPCISQueryDocument":
        events = body["queryResults"]["resultsBody"]["eventList"]
        events_pointer = pointer("epcisBody", "queryResults", "resultsBody", "eventList")
    else:
        events = body["eventList"]
        events_pointer = pointer("epcisBody", "eventList")
    context = document.get("@context")
    submission = Submission(events, events_pointer, context, namespaces(context), document)
    for index, event in enumerate(events):
        violations = check_event(event, schema, standalone=False)
        if violations:
            submission.invalid[index] = [v.under(submission.event_pointer(index)) for v in violations]
    return submission


def check_event(event: Any, schema: SchemaValidator, *, standalone: bool) -> list[Violation]:
    """Violations of one event, pointers relative to it; `standalone` for the body of POST /events."""
    violations = schema.standalone_event(event) if standalone else schema.document_event(event)
    return violations or rules.check_event(event)
