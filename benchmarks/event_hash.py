"""Compare our CBV 2.0 event hash with the reference implementation: same outputs, and how fast.

The events come from ``generator.SupplyChains`` (object, aggregation and transformation events with
quantities, ILMD, sensor readings, source/destination, bizTransactions; EPC URNs and Digital Links),
in EPCISDocuments of 1,000 events, serialised once to JSON text before any timing. Both sides are
fed that text, document by document, and timed on the same documents in one process, interleaved
(ours, reference, ours, reference ...) so that machine noise affects both alike, after one untimed
warm-up call each.

What each timing includes (neither includes generating or serialising the documents):

- ours: ``orjson.loads`` of the document text, ``namespaces`` of its ``@context`` (and of an
  event's own context, if any), then ``event_hash`` of every event (pre-hash string + SHA-256).
- reference (PyPI ``epcis-event-hash-generator``, the path its command line takes after reading a
  file): ``json_to_py.event_list_from_epcis_document_str`` -- stdlib ``json.loads`` of the text, a
  pyld JSON-LD expansion of the whole document to resolve bare CBV values, conversion to its tuple
  model -- then ``derive_prehashes_from_events`` and ``calculate_hashes_from_pre_hashes``. This
  also includes the ``json.dumps(indent=2)`` calls it makes for debug log messages whether or not
  debug logging is on.

Every event's two hash IDs are compared; mismatches are reported with both pre-hash strings,
grouped by event kind with the field near which the strings first differ. The reference logs and
skips events it cannot process; a document where it returns fewer hashes than events is hashed
again event by event (untimed) to line the outputs up.

Usage: python benchmarks/event_hash.py [--events 10000] [--runs 5] [--json FILE]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from epcis_event_hash_generator import hash_generator, json_to_py

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generator import SupplyChains

from epcis_repo.epcis.context import namespaces
from epcis_repo.epcis.hashing import event_hash, hash_id, pre_hash

DOCUMENT_EVENTS = 1000
SEED = 2027
SHOWN_MISMATCHES = 3
_FIELD = re.compile(r"([A-Za-z][\w}]*)=")
Hasher = Callable[[str], list[str]]


# --- the two implementations, fed one document's JSON text -------------------------------------------


def ours(text: str) -> list[str]:
    doc = orjson.loads(text)
    context = doc.get("@context")
    prefixes = namespaces(context)
    return [
        event_hash(event, namespaces(context, event["@context"]) if "@context" in event else prefixes)
        for event in doc["epcisBody"]["eventList"]
    ]


def reference(text: str) -> list[str]:
    return hash_generator.calculate_hashes_from_pre_hashes(reference_pre_hashes(text))


def reference_pre_hashes(text: str) -> list[str]:
    events = json_to_py.event_list_from_epcis_document_str(text)
    return hash_generator.derive_prehashes_from_events(events)


def reference_per_event(text: str) -> list[str | None]:
    """The reference's pre-hash of every event, None where it skips one (untimed, for alignment)."""
    _, _, events = json_to_py.event_list_from_epcis_document_str(text)
    found = [hash_generator.derive_prehashes_from_events(("EventList", "", [event])) for event in events]
    return [pre[0] if pre else None for pre in found]


def our_pre_hashes(text: str) -> list[str]:
    doc = orjson.loads(text)
    context = doc.get("@context")
    return [
        pre_hash(event, namespaces(context, event.get("@context"))) for event in doc["epcisBody"]["eventList"]
    ]


# --- timing --------------------------------------------------------------------------------------------


def make_documents(events: int) -> list[str]:
    return [orjson.dumps(doc).decode() for doc in SupplyChains(SEED).documents(DOCUMENT_EVENTS, events)]


def timed(hasher: Hasher, texts: list[str]) -> tuple[float, list[list[str]]]:
    start = time.perf_counter()
    outputs = [hasher(text) for text in texts]
    return time.perf_counter() - start, outputs


def interleaved(texts: list[str], runs: int) -> tuple[dict[str, list[float]], dict[str, list[list[str]]]]:
    """Seconds per run for each side, and each side's outputs (checked to be the same on every run)."""
    hashers: dict[str, Hasher] = {"ours": ours, "reference": reference}
    for hasher in hashers.values():
        hasher(texts[0])  # warm-up: imports, the reference's context loading
    seconds: dict[str, list[float]] = {name: [] for name in hashers}
    outputs: dict[str, list[list[str]]] = {}
    for _ in range(runs):
        for name, hasher in hashers.items():
            elapsed, result = timed(hasher, texts)
            seconds[name].append(elapsed)
            if outputs.setdefault(name, result) != result:
                raise AssertionError(f"{name}: the hashes changed from one run to the next")
    return seconds, outputs


def speed(seconds: list[float], events: int) -> dict[str, Any]:
    median = statistics.median(seconds)
    return {"seconds": seconds, "median_seconds": median, "events_per_second": events / median}


# --- comparison ----------------------------------------------------------------------------------------


def kind(event: dict[str, Any]) -> str:
    return " ".join(str(event.get(key)) for key in ("type", "action", "bizStep") if key in event)


def divergence(ours_text: str, theirs: str | None) -> str:
    """`name=` of the field last named before the first character where the strings differ."""
    if theirs is None:
        return "(skipped by the reference)"
    if ours_text == theirs:
        return "(same pre-hash string)"
    at = next((i for i, (a, b) in enumerate(zip(ours_text, theirs, strict=False)) if a != b), None)
    at = min(len(ours_text), len(theirs)) if at is None else at
    names = _FIELD.findall(ours_text[:at])
    return names[-1] + "=" if names else "(start)"


def compare(texts: list[str], ours_out: list[list[str]], ref_out: list[list[str]]) -> dict[str, Any]:
    compared, skipped = 0, 0
    shown: list[dict[str, Any]] = []
    by_kind: Counter[str] = Counter()
    for number, (text, mine, theirs) in enumerate(zip(texts, ours_out, ref_out, strict=True)):
        ref_pre: list[str | None] | None = None
        if len(theirs) != len(mine):  # the reference skipped events: line its outputs up
            ref_pre = reference_per_event(text)
            theirs = [hash_id(p) if p is not None else "" for p in ref_pre]
            skipped += ref_pre.count(None)
        compared += len(mine)
        bad = [i for i, (a, b) in enumerate(zip(mine, theirs, strict=True)) if a != b]
        if bad:
            cases = explain(text, bad, ref_pre or reference_per_event(text))
            by_kind.update(f"{case['kind']}: near {case['near']}" for case in cases)
            shown += [{"document": number, **case} for case in cases[: SHOWN_MISMATCHES - len(shown)]]
    total = sum(by_kind.values())
    return {
        "events_compared": compared,
        "identical": total == 0,
        "mismatches": total,
        "reference_skipped_events": skipped,
        "mismatches_by_kind": dict(by_kind.most_common()),
        "first_mismatches": shown,
    }


def explain(text: str, bad: list[int], ref_pre: list[str | None]) -> list[dict[str, Any]]:
    """Both pre-hash strings of the mismatching events of one document (untimed)."""
    events = orjson.loads(text)["epcisBody"]["eventList"]
    our_pre = our_pre_hashes(text)
    return [
        {
            "event": i,
            "kind": kind(events[i]),
            "near": divergence(our_pre[i], ref_pre[i]),
            "ours": our_pre[i],
            "reference": ref_pre[i],  # None: the reference skipped the event
        }
        for i in bad
    ]


# --- the benchmark -------------------------------------------------------------------------------------


def run(events: int = 10_000, runs: int = 5) -> dict[str, Any]:
    texts = make_documents(events)
    seconds, outputs = interleaved(texts, runs)
    count = sum(len(hashes) for hashes in outputs["ours"])
    ratios = [ref / mine for mine, ref in zip(seconds["ours"], seconds["reference"], strict=True)]
    return {
        "events": count,
        "documents": len(texts),
        "document_events": DOCUMENT_EVENTS,
        "json_megabytes": sum(len(text.encode()) for text in texts) / 1e6,
        "runs": runs,
        "reference_version": importlib.metadata.version("epcis-event-hash-generator"),
        "ours": speed(seconds["ours"], count),
        "reference": speed(seconds["reference"], count),
        # ours/reference in events/s, i.e. reference seconds / our seconds, per interleaved run.
        "speed_ratio_ours_over_reference": statistics.median(ratios),
        "comparison": compare(texts, outputs["ours"], outputs["reference"]),
    }


def summary(result: dict[str, Any]) -> str:
    check = result["comparison"]
    lines = [
        f"{result['events']:,} events in {result['documents']} documents of {result['document_events']:,}"
        f" ({result['json_megabytes']:.1f} MB JSON); median of {result['runs']} interleaved runs",
    ]
    for name in ("ours", "reference"):
        side = result[name]
        label = f"reference {result['reference_version']}" if name == "reference" else name
        per_second = side["events_per_second"]
        lines.append(f"  {label:<17} {side['median_seconds'] * 1000:9.1f} ms  {per_second:>10,.0f} events/s")
    lines.append(f"  ours / reference: {result['speed_ratio_ours_over_reference']:.1f}x the events/s")
    verdict = "identical" if check["identical"] else f"{check['mismatches']:,} MISMATCHES"
    lines.append(f"hash IDs compared: {check['events_compared']:,} events, {verdict}")
    if check["reference_skipped_events"]:
        lines.append(f"  the reference skipped {check['reference_skipped_events']:,} events (logged errors)")
    lines += [f"  {n:>6,}  {group}" for group, n in check["mismatches_by_kind"].items()]
    for case in check["first_mismatches"]:
        lines += [
            f"  document {case['document']} event {case['event']} ({case['kind']}):",
            f"    ours:      {case['ours']}",
            f"    reference: {case['reference']}",
        ]
    return "\n".join(lines)


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    result = run(args.events, args.runs)
    print(summary(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
