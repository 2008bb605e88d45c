"""Time chain reconstruction on the SQLite store: the six-stage robusta chain among many other events.

Fills a store with synthetic supply chains of twenty events each (six lots created on plots, bulking,
a receipt, grading, roasting, eight pallets, a container and its shipment: every kind of lineage
edge), prepared by `capture.records.prepare` and appended in captures of 1,000. Then captures the
robusta chain of the evidence study (tests/trace/robusta.py) through the capture service, and
reports the median and 95th percentile of:

- trace back from lot RC-2701 to its seven plots (the engine alone, and the whole answer with stages);
- trace back from one retailer pallet;
- trace forward from plot Q3 to every lot, pallet and party.

The same traces are first timed on a store holding only the chain, so that the ratio shows what the
other events cost.

Usage: python benchmarks/trace_chain.py [--events 1000000] [--runs 50] [--path FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the chain lives with the tests

from epcis_repo.capture.records import prepare
from epcis_repo.capture.schema import SchemaValidator
from epcis_repo.capture.service import CaptureService
from epcis_repo.capture.validation import check_document
from epcis_repo.epcis.context import namespaces
from epcis_repo.epcis.rendering import CompanyPrefixes
from epcis_repo.epcis.timestamps import now_micros
from epcis_repo.storage.port import AppendResult, Behaviour, CaptureJob, EventStore
from epcis_repo.storage.sqlite import SqliteEventStore
from epcis_repo.trace.engine import run_trace
from epcis_repo.trace.result import Direction, TraceRequest
from epcis_repo.trace.service import trace_report
from tests.trace import robusta

CHAIN_EVENTS = 20
START = datetime(2025, 1, 1, tzinfo=UTC)


def synthetic_chain(k: int, rng: random.Random) -> list[dict[str, Any]]:
    """One supply chain of CHAIN_EVENTS events, its identifiers unique to `k`."""
    company = f"95{k % 50:05d}"
    plot = f"urn:epc:id:sgln:{company}.{rng.randint(1, 5000):05d}.0"
    site = f"urn:epc:id:sgln:{company}.90000.0"
    buyer = f"urn:epc:id:pgln:{company}.{rng.randint(1, 999):05d}"

    def lot(product: str, name: str) -> str:
        return f"urn:epc:class:lgtin:{company}.{product}.{name}"

    def at(hours: int) -> dict[str, str]:
        when = START + timedelta(minutes=k * 7, hours=hours)
        return {"eventTime": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "eventTimeZoneOffset": "+00:00"}

    def kg(epc_class: str, amount: float) -> dict[str, Any]:
        return {"epcClass": epc_class, "quantity": amount, "uom": "KGM"}

    farms = [(lot("000010", f"F{k}-{i}"), float(rng.randint(1000, 5000))) for i in range(6)]
    bulk, graded, roasted = lot("000010", f"B{k}"), lot("000020", f"G{k}"), lot("000062", f"R{k}")
    total = sum(amount for _, amount in farms)
    pallets = [f"urn:epc:id:sscc:{company}.{k % 10}{(k * 8 + p) % 10**8:08d}" for p in range(8)]
    container = f"urn:epc:id:giai:{company}.C{k}"
    events: list[dict[str, Any]] = [
        {"type": "ObjectEvent", **at(i), "action": "ADD", "bizStep": "creating_class_instance",
         "bizLocation": {"id": plot}, "quantityList": [kg(name, amount)]}
        for i, (name, amount) in enumerate(farms)
    ]  # fmt: skip
    inputs = [kg(name, amount) for name, amount in farms]
    events += [
        {"type": "TransformationEvent", **at(10), "bizStep": "commissioning", "bizLocation": {"id": site},
         "inputQuantityList": inputs, "outputQuantityList": [kg(bulk, total)]},
        {"type": "ObjectEvent", **at(11), "action": "OBSERVE", "bizStep": "receiving",
         "quantityList": [kg(bulk, total)],
         "destinationList": [{"type": "owning_party", "destination": buyer}]},
        {"type": "TransformationEvent", **at(12), "bizStep": "commissioning",
         "inputQuantityList": [kg(bulk, total)],
         "outputQuantityList": [kg(graded, total * 0.95), kg(lot("000030", f"P{k}"), total * 0.05)]},
        {"type": "TransformationEvent", **at(13), "bizStep": "commissioning",
         "inputQuantityList": [kg(graded, total * 0.95)],
         "outputQuantityList": [{"epcClass": roasted, "quantity": 800}]},
    ]  # fmt: skip
    events += [
        {"type": "AggregationEvent", **at(14), "action": "ADD", "bizStep": "packing", "parentID": pallet,
         "childQuantityList": [{"epcClass": roasted, "quantity": 100}]}
        for pallet in pallets
    ]  # fmt: skip
    events += [
        {"type": "AggregationEvent", **at(15), "action": "ADD", "bizStep": "loading", "parentID": container,
         "childEPCs": pallets},
        {"type": "ObjectEvent", **at(16), "action": "OBSERVE", "bizStep": "shipping", "epcList": [container],
         "destinationList": [{"type": "owning_party", "destination": buyer}]},
    ]  # fmt: skip
    assert len(events) == CHAIN_EVENTS
    return events


async def fill(store: EventStore, events: int) -> tuple[float, int]:
    """Capture `events` synthetic events (whole chains, 1,000 a capture); seconds spent, edges stored."""
    rng = random.Random(2027)
    prefixes = namespaces(None)
    began = time.perf_counter()
    edges = 0
    batch: list[dict[str, Any]] = []
    for k in range(events // CHAIN_EVENTS):
        batch += synthetic_chain(k, rng)
        if len(batch) >= 1000 or k == events // CHAIN_EVENTS - 1:
            records = [prepare(e, prefixes, None) for e in batch]
            edges += sum(len(r.lineage) for r in records)
            job = CaptureJob(str(uuid.uuid4()), now_micros(), Behaviour.ROLLBACK, event_count=len(records))

            async def settle(result: AppendResult, job: CaptureJob = job) -> None:
                job.running, job.stored_count = False, result.stored

            await store.save_job(job)
            await store.append(records, job, settle)
            batch = []
    return time.perf_counter() - began, edges


async def capture_chain(store: EventStore) -> None:
    service = CaptureService(store, CompanyPrefixes())
    schema = SchemaValidator.load()
    for document in robusta.DOCUMENTS:
        job = await service.capture(check_document(document, schema), Behaviour.ROLLBACK)
        assert job.success, job.errors


async def timed(runs: int, work: Callable[[], Awaitable[object]]) -> tuple[float, float]:
    """Median and 95th percentile milliseconds of `runs` calls (after one to warm up)."""
    await work()
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        await work()
        times.append((time.perf_counter() - began) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))]


async def measure(store: EventStore, runs: int) -> dict[str, tuple[float, float]]:
    back = TraceRequest(robusta.RC_2701, Direction.BACK)
    pallet = TraceRequest(robusta.RETAILER_PALLETS[0], Direction.BACK)
    forward = TraceRequest(robusta.PLOTS["Q3"], Direction.FORWARD)
    check = await run_trace(store, back)
    assert check is not None and len(check.origins) == 7, "the chain must trace to its seven plots"

    def engine(request: TraceRequest) -> Callable[[], Awaitable[object]]:
        return lambda: run_trace(store, request)

    def answer(request: TraceRequest) -> Callable[[], Awaitable[object]]:
        return lambda: trace_report(store, request, str)

    return {
        "back from RC-2701, engine": await timed(runs, engine(back)),
        "back from RC-2701, whole answer": await timed(runs, answer(back)),
        "back from a retailer pallet, whole answer": await timed(runs, answer(pallet)),
        "forward from plot Q3, whole answer": await timed(runs, answer(forward)),
    }


async def benchmark(path: Path, events: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as alone:
        store = SqliteEventStore(Path(alone) / "chain.sqlite3")
        await store.open()
        await capture_chain(store)
        baseline = await measure(store, runs)
        await store.close()

    store = SqliteEventStore(path)
    await store.open()
    seconds, edges = await fill(store, events)
    await capture_chain(store)
    await store.close()  # reopened, as a restarted repository would be
    store = SqliteEventStore(path)
    await store.open()
    try:
        size = sum(f.stat().st_size for f in path.parent.glob(path.name + "*"))
        print(f"{events:,} other events ({edges:,} lineage edges) captured in {seconds:.0f} s")
        print(f"file {size / 2**20:,.0f} MiB")
        print(f"traces (median / 95th percentile of {runs} runs, milliseconds):")
        print(f"  {'':<44} {'chain alone':>16} {'among ' + format(events, ',') + ' events':>26}")
        for name, (median, p95) in (await measure(store, runs)).items():
            base_median, base_p95 = baseline[name]
            print(
                f"  {name:<44} {base_median:7.2f} / {base_p95:6.2f}"
                f"   {median:9.2f} / {p95:6.2f}  (x{median / base_median:.2f})"
            )
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--path", type=Path, help="database file to fill (default: a temporary one)")
    args = parser.parse_args()
    if args.path is not None:
        if args.path.exists():
            parser.error(f"{args.path} exists; the benchmark fills a new database")
        asyncio.run(benchmark(args.path, args.events, args.runs))
        return
    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(benchmark(Path(directory) / "events.sqlite3", args.events, args.runs))


if __name__ == "__main__":
    main()
