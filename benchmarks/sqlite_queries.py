"""Time the SQLite store: capture throughput and the latency of typical queries on a filled file.

Fills a store with synthetic ObjectEvents (2-5 SGTINs each, eventTime advancing about 2.5 minutes an
event, one of eight business steps), prepared by `capture.records.prepare` and appended in captures
the way the capture service does (save the running job, then append). Then reports the median, over
repeated runs with a different random value each, of:

- MATCH_anyEPC for one EPC (`MatchesKey(Field.ANY_EPC, ...)`), all its events;
- a time-window page: the first 100 events of a one-week `InRange(Field.EVENT_TIME, ...)`;
- a bizStep page: the first 100 events of one business step, and the page after a cursor deep in it;
- MATCH_epc with a class pattern (every serial of one GTIN): the first 100.

Usage: python benchmarks/sqlite_queries.py [--events 200000] [--capture 1000] [--runs 20] [--path FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from epcis_repo.capture.records import prepare
from epcis_repo.epcis import cbv
from epcis_repo.epcis.context import namespaces
from epcis_repo.epcis.identifiers import canonical_key, instance_matches
from epcis_repo.epcis.timestamps import now_micros, to_micros
from epcis_repo.query.model import AnyOf, Cursor, EventQuery, Field, InRange, MatchesKey
from epcis_repo.storage.port import AppendResult, Behaviour, CaptureJob, EventRecord
from epcis_repo.storage.sqlite import SqliteEventStore

START = datetime(2024, 1, 1, tzinfo=UTC)
STEP_SECONDS = 150
BIZ_STEPS = (
    "commissioning", "packing", "shipping", "receiving", "storing", "picking", "loading", "retail_selling"
)  # fmt: skip
COMPANY = "9521234"
PRODUCTS = [f"{n:06d}" for n in range(1, 51)]
WEEK = 7 * 24 * 3600 * 1_000_000


def synthetic_events(count: int, rng: random.Random) -> tuple[list[dict[str, Any]], list[str]]:
    """The events, and one EPC URN of each (the query values are drawn from these)."""
    events, epcs = [], []
    for n in range(count):
        product = rng.choice(PRODUCTS)
        items = [f"urn:epc:id:sgtin:{COMPANY}.{product}.{n}-{i}" for i in range(rng.randint(2, 5))]
        when = START + timedelta(seconds=n * STEP_SECONDS + rng.randint(0, STEP_SECONDS))
        events.append(
            {
                "type": "ObjectEvent",
                "eventTime": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "eventTimeZoneOffset": "+00:00",
                "action": "OBSERVE",
                "epcList": items,
                "bizStep": rng.choice(BIZ_STEPS),
                "disposition": "in_transit",
                "readPoint": {"id": f"urn:epc:id:sgln:{COMPANY}.00001.{rng.randint(1, 40)}"},
            }
        )
        epcs.append(rng.choice(items))
    return events, epcs


async def fill(store: SqliteEventStore, events: list[dict[str, Any]], capture: int) -> tuple[float, float]:
    """Prepare and capture the events; the seconds spent preparing and appending."""
    prefixes = namespaces(None)
    preparing = appending = 0.0
    for start in range(0, len(events), capture):
        began = time.perf_counter()
        records: list[EventRecord] = [prepare(e, prefixes, None) for e in events[start : start + capture]]
        prepared = time.perf_counter()
        job = CaptureJob(str(uuid.uuid4()), now_micros(), Behaviour.ROLLBACK, event_count=len(records))

        async def settle(result: AppendResult, job: CaptureJob = job) -> None:
            job.running, job.stored_count, job.finished_at = False, result.stored, now_micros()

        await store.save_job(job)
        await store.append(records, job, settle)
        preparing += prepared - began
        appending += time.perf_counter() - prepared
    return preparing, appending


async def median_ms(runs: int, query: Callable[[], Awaitable[int]]) -> tuple[float, float]:
    """Median milliseconds of `runs` calls, and the median number of events they returned."""
    times, sizes = [], []
    for _ in range(runs):
        began = time.perf_counter()
        sizes.append(await query())
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), statistics.median(sizes)


async def benchmark(path: Path, events: int, capture: int, runs: int) -> None:
    rng = random.Random(2024)
    generated, epcs = synthetic_events(events, rng)
    store = SqliteEventStore(path)
    await store.open()
    try:
        preparing, appending = await fill(store, generated, capture)
        print(f"{events:,} events in captures of {capture:,} into {path.name}")
        print(f"  prepare: {preparing:.1f} s ({events / preparing:,.0f} events/s)")
        print(f"  append:  {appending:.1f} s ({events / appending:,.0f} events/s, save_job + append)")
        # Reopen, as a restarted repository would (closing runs PRAGMA optimize).
        await store.close()
        store = SqliteEventStore(path)
        await store.open()
        size = sum(f.stat().st_size for f in path.parent.glob(path.name + "*"))
        print(f"  file:    {size / 2**20:,.0f} MiB")

        async def any_epc() -> int:
            value = rng.choice(epcs)
            query = EventQuery((MatchesKey(Field.ANY_EPC, tuple(instance_matches(value))),))
            return len(await store.find_events(query, None, 100))

        first, last = to_micros(generated[0]["eventTime"]), to_micros(generated[-1]["eventTime"])

        async def time_window() -> int:
            ge = rng.randrange(first, last - WEEK)
            query = EventQuery((InRange(Field.EVENT_TIME, ge=ge, lt=ge + WEEK),))
            return len(await store.find_events(query, None, 100))

        async def biz_step() -> int:
            step = cbv.BIZ_STEP.canonical(rng.choice(BIZ_STEPS))
            return len(await store.find_events(EventQuery((AnyOf(Field.BIZ_STEP, (step,)),)), None, 100))

        async def biz_step_deep_page() -> int:
            step = cbv.BIZ_STEP.canonical(rng.choice(BIZ_STEPS))
            cursor = Cursor(rng.randint(1, events // capture), rng.randrange(capture))
            query = EventQuery((AnyOf(Field.BIZ_STEP, (step,)),))
            return len(await store.find_events(query, cursor, 100))

        async def gtin_pattern() -> int:
            pattern = f"urn:epc:idpat:sgtin:{COMPANY}.{rng.choice(PRODUCTS)}.*"
            query = EventQuery((MatchesKey(Field.EPC, tuple(instance_matches(pattern))),))
            return len(await store.find_events(query, None, 100))

        print(f"  queries (median of {runs} runs; events returned):")
        for name, query in (
            ("MATCH_anyEPC, one EPC", any_epc),
            ("eventTime one-week window, page of 100", time_window),
            ("EQ_bizStep, page of 100", biz_step),
            ("EQ_bizStep, page of 100 after a cursor", biz_step_deep_page),
            ("MATCH_epc GTIN pattern, page of 100", gtin_pattern),
        ):
            ms, returned = await median_ms(runs, query)
            print(f"    {name:<42} {ms:8.3f} ms  ({returned:g})")
        assert canonical_key(epcs[0]).startswith("https://id.gs1.org/01/")
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--capture", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--path", type=Path, help="database file to fill (default: a temporary one)")
    args = parser.parse_args()
    if args.path is not None:
        if args.path.exists():
            parser.error(f"{args.path} exists; the benchmark fills a new database")
        asyncio.run(benchmark(args.path, args.events, args.capture, args.runs))
        return
    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(benchmark(Path(directory) / "events.sqlite3", args.events, args.capture, args.runs))


if __name__ == "__main__":
    main()
