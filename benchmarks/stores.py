"""Filled stores for the benchmarks: built once through the capture path, then reused.

`sqlite_store(events)` gives a closed SQLite file holding `events` synthetic events (whole chains of
benchmarks/generator.py, seed 2027, captured in documents of 1,000 with their master data, validated
and stored by the capture service exactly as POST /capture does). Files are kept in
`.bench-cache/` at the repository root; a benchmark that writes works on a copy (`copy_store`).
With EPCIS_TEST_MONGODB_URI set, `mongodb_database(events)` names a database filled the same way;
a benchmark that writes into it takes out what it wrote afterwards (`mongodb_mark`,
`mongodb_restore`).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generator import SupplyChains

from epcis_repo.capture.schema import SchemaValidator
from epcis_repo.capture.service import CaptureService
from epcis_repo.capture.validation import check_document
from epcis_repo.epcis.rendering import CompanyPrefixes
from epcis_repo.storage.port import Behaviour, EventStore
from epcis_repo.storage.sqlite import SqliteEventStore
from epcis_repo.trace.service import bring_lineage_up_to_date

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".bench-cache"
SEED = 2027
DOCUMENT_EVENTS = 1000


@dataclass(frozen=True, slots=True)
class Filled:
    events: int
    seconds: float  # spent capturing (validation, records, storage)


async def fill(store: EventStore, events: int, seed: int = SEED, first_chain: int = 0) -> Filled:
    """Capture `events` generated events (whole chains, from chain `first_chain`) into an open store."""
    schema = SchemaValidator.load()
    service = CaptureService(store, CompanyPrefixes())
    began = time.perf_counter()
    stored = 0
    for document in SupplyChains(seed).documents(DOCUMENT_EVENTS, events, first_chain):
        job = await service.capture(check_document(document, schema), Behaviour.ROLLBACK)
        if not job.success:
            raise RuntimeError(f"a generated document was refused: {job.errors[:3]}")
        stored += job.stored_count
    return Filled(stored, time.perf_counter() - began)


# The cached stores this process has brought up to date.
_UP_TO_DATE: set[Path] = set()


def sqlite_store(events: int, seed: int = SEED) -> Path:
    """The path of a closed SQLite store holding `events` generated events (built when missing)."""
    path = CACHE / f"sqlite-{seed}-{events}" / "epcis.sqlite3"
    done = path.with_suffix(".complete")
    if done.exists():
        if path not in _UP_TO_DATE:
            asyncio.run(_bring_up_to_date(path))
            _UP_TO_DATE.add(path)
        return path
    if path.parent.exists():
        shutil.rmtree(path.parent)  # an interrupted build
    path.parent.mkdir(parents=True)

    async def build() -> Filled:
        store = SqliteEventStore(path)
        await store.open()
        try:
            return await fill(store, events, seed)
        finally:
            await store.close()

    print(f"  building a store of {events:,} events in {path.parent.name} ...", file=sys.stderr, flush=True)
    filled = asyncio.run(build())
    done.write_text(f"{filled.events} events in {filled.seconds:.1f} s\n")
    return path


async def _bring_up_to_date(path: Path) -> None:
    """Apply the schema migrations (and lineage derivation) of this version once to a cached store,
    not to every copy of it."""
    store = SqliteEventStore(path)
    await store.open()
    try:
        await bring_lineage_up_to_date(store)
    finally:
        await store.close()


def mongodb_database(events: int, seed: int = SEED) -> str:
    """The name of a MongoDB database (at EPCIS_TEST_MONGODB_URI) holding `events` generated events."""

    async def filled() -> str:
        async with mongodb_connection() as client:
            return str((await mongodb_store(client, events, seed)).name)

    return asyncio.run(filled())


def copy_store(path: Path, into: Path) -> Path:
    """A private copy of a cached SQLite store (for benchmarks that write)."""
    into.mkdir(parents=True, exist_ok=True)
    target = into / path.name
    shutil.copyfile(path, target)
    return target


def mongodb_uri() -> str | None:
    return os.environ.get("EPCIS_TEST_MONGODB_URI")


@asynccontextmanager
async def mongodb_connection() -> AsyncIterator[Any]:
    """A client (pymongo AsyncMongoClient) of the server at EPCIS_TEST_MONGODB_URI, closed afterwards."""
    from pymongo import AsyncMongoClient

    uri = mongodb_uri()
    if uri is None:
        raise RuntimeError("EPCIS_TEST_MONGODB_URI is not set")
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri)
    try:
        yield client
    finally:
        await client.close()


async def mongodb_store(client: Any, events: int, seed: int = SEED) -> Any:
    """A MongoDB database (pymongo AsyncDatabase) holding `events` generated events, filled when empty."""
    from epcis_repo.storage.mongo import MongoEventStore

    database = client[f"epcis_bench_{seed}_{events}"]
    store = MongoEventStore(database)
    await store.open()
    await mongodb_restore(database)  # what a benchmark stopped before its restore wrote
    if await database["events"].estimated_document_count() < events:
        await client.drop_database(database.name)
        store = MongoEventStore(database)
        await store.open()
        await fill(store, events, seed)
    await bring_lineage_up_to_date(store)  # here once, not at every server's start
    return database


# What a MongoDB benchmark database held before a run wrote into it (a document in its `meta`).
_MARK = "benchmarkMark"
# Collections whose documents the mark lists by _id: capture jobs, company prefixes, and the keys a
# server's start-up made (events and master data are told apart by their commit instead).
_LISTED = ("captureJobs", "companyPrefixes", "apiKeys")


async def mongodb_mark(database: Any) -> None:
    """Note in `database` what it holds, so that `mongodb_restore` takes out again whatever is written
    after this. A mark left by a run that was stopped before its restore is restored first."""
    meta = database["meta"]
    await mongodb_restore(database)
    counters = await meta.find_one({"_id": "commits"}) or {"_id": "commits"}
    listed = {name: [doc["_id"] async for doc in database[name].find({}, {"_id": 1})] for name in _LISTED}
    await meta.insert_one({"_id": _MARK, "counters": counters, **listed})


async def mongodb_restore(database: Any) -> None:
    """Take out what was written into `database` since its mark, if it has one: the events and master
    data of later commits (as the store's recovery takes out a commit it never published), the jobs,
    company prefixes and keys it did not list, and the commit counters as they were. A benchmark
    that writes thus starts every run from the same filled database without copying it (a
    server-side copy of a million events and their indexes takes minutes; a run adds a few thousand
    events). Call it with no server attached: a running capture would publish its commit past the
    restored counters."""
    meta = database["meta"]
    mark = await meta.find_one({"_id": _MARK})
    if mark is None:
        return
    later = {"commit": {"$gt": int(mark["counters"].get("visible", 0))}}
    await database["events"].delete_many(later)
    await database["vocabulary"].delete_many(later)
    for name in _LISTED:
        await database[name].delete_many({"_id": {"$nin": mark[name]}})
    await meta.replace_one({"_id": "commits"}, mark["counters"], upsert=True)
    await meta.delete_one({"_id": _MARK})
