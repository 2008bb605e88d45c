"""Time the CPU part of capturing a document: validation, then hashing and building the stored records.

The document is synthetic (ObjectEvents with 3 EPCs, a read point, a business location, a business
transaction and an extension field), so the figure does not depend on any example file.

Usage: python benchmarks/capture_pipeline.py [--events 1000] [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import orjson

from epcis_repo.capture.schema import SchemaValidator
from epcis_repo.capture.service import _prepare_valid
from epcis_repo.capture.validation import check_document


def synthetic_document(events: int, batch: int = 0) -> dict[str, Any]:
    """`events` ObjectEvents; every `batch` has its own serial numbers, so no run reuses another's."""
    return {
        "@context": [
            "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
            {"vn": "https://example.vn/"},
        ],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-12-01T08:00:00+07:00",
        "epcisBody": {
            "eventList": [
                {
                    "type": "ObjectEvent",
                    "action": "OBSERVE",
                    "bizStep": "shipping",
                    "disposition": "in_transit",
                    "eventTime": f"2026-12-01T08:{n // 60 % 60:02d}:{n % 60:02d}.{n % 1000:03d}+07:00",
                    "eventTimeZoneOffset": "+07:00",
                    "epcList": [f"urn:epc:id:sgtin:8934567.012345.{batch}-{n}-{k}" for k in range(3)],
                    "readPoint": {"id": "urn:epc:id:sgln:8934567.00001.0"},
                    "bizLocation": {"id": "https://id.gs1.org/414/8934567000017"},
                    "bizTransactionList": [
                        {"type": "po", "bizTransaction": f"urn:epcglobal:cbv:bt:8934567000017:{n}"}
                    ],
                    "vn:province": "Đắk Lắk",
                }
                for n in range(events)
            ]
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    schema = SchemaValidator.load()
    phases: dict[str, list[float]] = {"parse JSON": [], "validate": [], "hash + records": []}
    for run in range(args.runs):
        raw = orjson.dumps(synthetic_document(args.events, run))
        t0 = time.perf_counter()
        doc = orjson.loads(raw)
        t1 = time.perf_counter()
        submission = check_document(doc, schema)
        t2 = time.perf_counter()
        done = _prepare_valid(submission)
        records, problems = done.records, done.problems
        t3 = time.perf_counter()
        assert not submission.invalid and not problems and len(records) == args.events
        phases["parse JSON"].append(t1 - t0)
        phases["validate"].append(t2 - t1)
        phases["hash + records"].append(t3 - t2)
    print(f"document: {args.events} events, {len(raw) / 1e6:.2f} MB; median of {args.runs} runs")
    total = 0.0
    for name, times in phases.items():
        median = statistics.median(times)
        total += median
        print(f"  {name:<16} {median * 1000:8.2f} ms  ({median / args.events * 1e6:6.1f} us/event)")
    print(f"  {'total':<16} {total * 1000:8.2f} ms  ({args.events / total:,.0f} events/s)")


if __name__ == "__main__":
    main()
