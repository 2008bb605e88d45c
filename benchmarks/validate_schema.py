"""Time JSON Schema validation of a large EPCISDocument.

The document repeats the ObjectEvent of GS1's ``WithFullCombinationOfFields`` example (every
standard field, sensor data, ilmd and extensions) with distinct eventIDs. Reported, as the median
of repeated runs:

- envelope + events: ``document_envelope(doc)`` then ``document_event(e)`` for every event, the way
  capture checks a document so that each event can be judged on its own;
- whole document: one ``root(doc)`` call (``root_is_valid`` fast path, no errors to explain);
- the same two with one invalid event, where violations are built.

Usage: python benchmarks/validate_schema.py [--events 1000] [--runs 25] [--example PATH]
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from epcis_repo.capture.schema import SchemaValidator

DEFAULT_EXAMPLE = (
    Path(__file__).resolve().parents[2]
    / "shared/standard/examples/json/WithFullCombinationOfFields/object_event_all_possible_fields.jsonld"
)


def build_document(example: Path, events: int) -> dict[str, Any]:
    source = json.loads(example.read_text(encoding="utf-8"))
    template = source["epcisBody"]["eventList"][0]
    event_list = []
    for i in range(events):
        event = copy.deepcopy(template)
        event["eventID"] = f"urn:uuid:{uuid.UUID(int=i + 1)}"
        event_list.append(event)
    source["epcisBody"]["eventList"] = event_list
    return dict(source)


def median_seconds(action: Callable[[], object], runs: int) -> float:
    action()  # warm-up
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--example", type=Path, default=DEFAULT_EXAMPLE)
    args = parser.parse_args()

    start = time.perf_counter()
    validator = SchemaValidator.load()
    compile_seconds = time.perf_counter() - start

    doc = build_document(args.example, args.events)
    events = doc["epcisBody"]["eventList"]

    def piecewise() -> bool:
        envelope = validator.document_envelope(doc)
        invalid_events = sum(1 for event in events if validator.document_event(event))
        return not envelope and not invalid_events

    def whole() -> bool:
        return not validator.root(doc)

    assert piecewise() and whole(), "the benchmark document should be valid"

    bad = copy.deepcopy(doc)
    bad["epcisBody"]["eventList"][args.events // 2]["bizStep"] = "urn:epcglobal:cbv:bizstep:receiving"
    bad_events = bad["epcisBody"]["eventList"]

    def piecewise_bad() -> int:
        return len(validator.document_envelope(bad)) + sum(
            len(validator.document_event(e)) for e in bad_events
        )

    def whole_bad() -> int:
        return len(validator.root(bad))

    assert piecewise_bad() == whole_bad() == 1

    size = len(json.dumps(doc))
    print(f"schema load + compile: {compile_seconds * 1000:.1f} ms (first call, cached afterwards)")
    print(f"document: {args.events} events, {size / 1e6:.2f} MB of JSON; median of {args.runs} runs")
    for label, action in [
        ("envelope + per-event (valid)", piecewise),
        ("whole document (valid)", whole),
        ("envelope + per-event (1 bad event)", piecewise_bad),
        ("whole document (1 bad event)", whole_bad),
    ]:
        seconds = median_seconds(action, args.runs)
        per_event = seconds / args.events * 1e6
        print(f"  {label:36s} {seconds * 1000:8.2f} ms  ({per_event:6.1f} us/event)")


if __name__ == "__main__":
    main()
