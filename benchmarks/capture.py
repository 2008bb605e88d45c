"""Capture throughput and memory, as docs/benchmarks.md publishes them.

For each store size S, every measurement starts from a fresh private copy of the cached store of S
generated events (benchmarks/stores.py) and captures new chains of the same generator (seed 2027,
chain numbers beyond those in the store, so nothing is a duplicate). Figures are medians over --runs;
each run captures the same documents into its own copies. "written/event" is what the process
passed to write calls (Linux /proc/<pid>/io wchar) per event captured: SQLite's WAL frames and the
checkpoint's copies of them into the database, nearly all of it (HTTP responses and logs are small).

- HTTP: the server in a subprocess (`python -m epcis_repo serve` on the copy) and one client in this
  process, which POSTs /capture documents of 100, then of 1,000 events, one at a time, each time
  waiting for the job to finish (polling GET /capture/{id} every twentieth of the previous capture).
  events/s = events / wall time. Also the server's RSS after start-up and after the captures, and its
  peak (VmHWM). Limited by all the in-process figure pays, plus receiving and parsing the body, the
  requests, and the time between a job finishing and the client seeing it, which weighs most on small
  documents; the server's Python work runs under one GIL, so the second core hardly helps.
- In process: the same path without HTTP (`check_document`, then `CaptureService.capture`) on an
  open SqliteEventStore, documents of 1,000 events, with the time of each step: validation (JSON
  Schema and the standard's rules), record preparation (event hash, query keys, facts, lineage edges,
  master data), the duplicate lookups, saving the running job (a transaction of its own), writing the
  rows, and the commit (the settled job, COMMIT with its fsync, and, once the log has grown past
  its limit, waiting for the store's checkpointer thread to finish copying it and starting it over;
  storage/sqlite/checkpoint.py). Limited by the Python work of record
  preparation and by SQLite's writes, whose share grows with the store. A cProfile of a few more
  captures (on the same copy, after the timed ones) lists the top functions by own time; it slows
  Python calls more than SQLite's C code, so read it for what is called, and the step times for the
  shares. Garbage is collected and the rest frozen before each measurement (`quiet_heap`), or the
  collector's scans of this process's documents and rows would be charged to whatever allocated.
- Ceiling: the rows the store writes for those same captures (events, event_keys, event_numbers,
  lineage, vocabulary, company prefixes), built beforehand and inserted with bare `executemany`, one
  transaction per document, with the store's writer settings (WAL, synchronous=FULL, foreign keys,
  its page cache) and its checkpointer thread, into a copy of the same store (and, for comparison,
  into an empty one). HTTP
  and in-process throughput are given as a fraction of it. Limited by B-tree maintenance: most
  indexes have random keys (hashes, identifiers), so once they outgrow a transaction every new entry
  dirties a page of its own, and each transaction writes those whole pages to the WAL and the
  checkpoint writes them again: written/event grows with the store, and falls with larger documents.
- Memory against document size (on an empty store, in three fresh processes, the median run of
  each size): tracemalloc's peak while capturing (validation, records, append) one document of 100,
  1,000 and 10,000 events, above the parsed document, per event; it should grow linearly (peak(10k)
  / peak(1k) close to 10). tracemalloc sees Python allocations only, not SQLite's page cache
  (bounded by its cache_size).
- MongoDB (with EPCIS_TEST_MONGODB_URI set): over HTTP and in process as above, on the database of
  S generated events (benchmarks/stores.py), each run then taking out what it wrote
  (`mongodb_mark`, `mongodb_restore`) instead of working on a copy. The in-process steps are MongoDB's: the
  duplicate lookups, saving the running job, and the writes with the commit's publication. No
  ceiling, profile or bytes written: most of the rest is the database server's work.

Usage: python benchmarks/capture.py [--sizes 10000,100000] [--runs 3] [--events 20000] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import http.client
import inspect
import json
import multiprocessing
import os
import platform
import pstats
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Awaitable, Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # scripts/

import orjson
from generator import CHAIN_EVENTS, SupplyChains
from report import mib, time_by_step
from stores import (
    SEED,
    copy_store,
    mongodb_connection,
    mongodb_database,
    mongodb_mark,
    mongodb_restore,
    mongodb_uri,
    sqlite_store,
)

from epcis_repo.capture import service as service_module
from epcis_repo.capture.facts import event_facts
from epcis_repo.capture.lineage import derive_lineage
from epcis_repo.capture.records import prepare
from epcis_repo.capture.schema import SchemaValidator
from epcis_repo.capture.service import CaptureService, _prepare_valid
from epcis_repo.capture.validation import check_document
from epcis_repo.epcis.hashing import event_hash
from epcis_repo.epcis.rendering import CompanyPrefixes
from epcis_repo.epcis.timestamps import now_micros
from epcis_repo.storage.mongo import MongoEventStore
from epcis_repo.storage.port import Behaviour, EventRecord, EventStore, VocabularyRecord
from epcis_repo.storage.sqlite import SqliteEventStore, lineage
from epcis_repo.storage.sqlite.checkpoint import Checkpointer, after_commit
from epcis_repo.storage.sqlite.store import (
    _INSERT_EVENT,
    _INSERT_KEY,
    _INSERT_NUMBER,
    BUSY_TIMEOUT_MS,
    INSERT_PREFIX,
    WRITER_PRAGMAS,
    _event_row,
    key_rows,
    master_data_rows,
    number_rows,
)
from scripts.admin_key import admin_key

SMALL, LARGE = 100, 1_000  # events per document over HTTP
MEMORY_SIZES = (100, 1_000, 10_000)
MEMORY_RUNS = 3  # each in a fresh process; the median is published
DEFAULT_EVENTS = 20_000  # per measurement with documents of 1,000; a quarter of it with documents of 100
PROFILED_EVENTS = 5_000
POLL_SHARE = 20  # the client polls a job every 1/POLL_SHARE of the time the previous capture took
Json = dict[str, Any]
Hook = Callable[[str, Callable[..., Any]], Callable[..., Any]]


# --- the documents ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Workload:
    """The documents captured on top of one store size, as JSON bodies (each list: whole chains)."""

    warm_up: list[bytes]
    small: list[bytes]  # documents of SMALL events
    large: list[bytes]  # documents of LARGE events
    profiled: list[bytes]  # captured after `large`, under the profiler


def chains(events: int) -> int:
    return -(-events // CHAIN_EVENTS)


def workload(store_events: int, events: int) -> Workload:
    first = chains(store_events)  # the first chain the store does not hold
    generator = SupplyChains(SEED)

    def take(size: int, count: int) -> list[bytes]:
        nonlocal first
        documents = [orjson.dumps(d) for d in generator.documents(size, count, first)]
        first += chains(count)
        return documents

    return Workload(
        take(CHAIN_EVENTS, CHAIN_EVENTS),
        take(SMALL, events // 4),
        take(LARGE, events),
        take(LARGE, PROFILED_EVENTS),
    )


def event_count(documents: list[bytes]) -> int:
    return sum(len(orjson.loads(d)["epcisBody"]["eventList"]) for d in documents)


# --- 1. end to end over HTTP -------------------------------------------------------------------------


class Server:
    """`python -m epcis_repo serve` on a data folder, in a subprocess, and a keep-alive client to it."""

    def __init__(self, data_dir: Path, settings: dict[str, str] | None = None) -> None:
        """`settings`: EPCIS_ variables for the server (none: the SQLite store in `data_dir`)."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        environment = {k: v for k, v in os.environ.items() if not k.startswith("EPCIS_")} | (settings or {})
        self.key = admin_key(data_dir, environment)
        self.log = (data_dir / "server.log").open("wb")
        command = [sys.executable, "-m", "epcis_repo", "serve", "--port", str(self.port)]
        self.process = subprocess.Popen(
            [*command, "--data-dir", str(data_dir)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=environment,
        )
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        self.interval = 0.001  # between polls of a job

    def __enter__(self) -> Server:
        try:
            self._wait_until_ready()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + 120
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}: {self._log_tail()}")
            try:
                if self.request("GET", "/")[0] == 200:
                    return
            except OSError:
                self.connection.close()
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer GET / within 120 s: {self._log_tail()}")
            time.sleep(0.1)

    def _log_tail(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-2000:]

    def __exit__(self, *exc: object) -> None:
        self.connection.close()
        self.process.send_signal(signal.SIGINT)  # a graceful stop: the store closes
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, str | None, bytes]:
        headers = {"Authorization": f"Bearer {self.key}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        self.connection.request(method, path, body, headers)
        response = self.connection.getresponse()
        return response.status, response.getheader("Location"), response.read()

    def capture(self, document: bytes) -> int:
        """POST one document and wait until its job finishes; the number of polls."""
        began = time.perf_counter()
        status, location, body = self.request("POST", "/capture", document)
        if status != 202 or location is None:
            raise RuntimeError(f"POST /capture answered {status}: {body[:500]!r}")
        job_path, polls = urlsplit(location).path, 0
        while True:
            time.sleep(self.interval)
            polls += 1
            status, _, body = self.request("GET", job_path)
            job = orjson.loads(body)
            if status == 200 and not job["running"]:
                break
        if not job["success"]:
            raise RuntimeError(f"a capture failed: {job['errors'][:3]}")
        self.interval = min(max((time.perf_counter() - began) / POLL_SHARE, 0.0005), 0.05)
        return polls

    def memory(self) -> dict[str, int | None]:
        """The server's resident set and its peak (bytes), from /proc (None elsewhere)."""
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return {"rss": None, "peak": None}
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        return {"rss": _kib(fields.get("VmRSS")), "peak": _kib(fields.get("VmHWM"))}


def _kib(value: str | None) -> int | None:
    return int(value.split()[0]) * 1024 if value else None


def written(pid: int | str = "self") -> int | None:
    """Bytes the process has passed to write calls so far (Linux /proc/<pid>/io wchar; None elsewhere).

    Not write_bytes: that counts the page-cache memory dirtied, by whole folios, and the kernel may
    use folios of many pages for a file, so SQLite's scattered 4 KiB page writes were counted
    several times over."""
    try:
        lines = Path(f"/proc/{pid}/io").read_text().splitlines()
    except OSError:
        return None
    return next((int(line.split()[1]) for line in lines if line.startswith("wchar:")), None)


def quiet_heap() -> None:
    """Collect garbage, then freeze what is left: the measured code's collections then scan only the
    objects it makes (as in the server), not this process's documents and prepared rows."""
    gc.collect()
    gc.freeze()


def _delta(before: int | None, after: int | None) -> int | None:
    return after - before if before is not None and after is not None else None


def timed_http(server: Server, documents: list[bytes]) -> Json:
    events, before = event_count(documents), written(server.process.pid)
    began, polls = time.perf_counter(), 0
    for document in documents:
        polls += server.capture(document)
    seconds = time.perf_counter() - began
    summary = {"events": events, "documents": len(documents), "seconds": seconds, "polls": polls}
    return summary | {"written": _delta(before, written(server.process.pid))}


def http_run(store: Path, work: Workload, folder: Path) -> Json:
    """One run over HTTP on a fresh copy."""
    copy_store(store, folder)
    with Server(folder) as server:
        result = http_captures(server, work)
    shutil.rmtree(folder)
    return result


def http_captures(server: Server, work: Workload) -> Json:
    """Documents of SMALL events, then of LARGE, and the server's memory."""
    started = server.memory()
    for document in work.warm_up:
        server.capture(document)
    small = timed_http(server, work.small)
    large = timed_http(server, work.large)
    finished = server.memory()
    memory = {"rss_started": started["rss"], "rss_after": finished["rss"], "peak": finished["peak"]}
    return {str(SMALL): small, str(LARGE): large, "server_memory": memory}


# --- 2. the same path in process -------------------------------------------------------------------


class PhaseTimer:
    """A hook that adds the seconds of every call of a step to that step's total (for a coroutine
    function, until it returns: the captures run one at a time, so nothing else runs meanwhile)."""

    def __init__(self, phases: Iterable[str]) -> None:
        self.seconds = dict.fromkeys(phases, 0.0)

    def __call__(self, phase: str, function: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.iscoroutinefunction(function):

            async def awaited(*args: Any, **kwargs: Any) -> Any:
                began = time.perf_counter()
                try:
                    return await function(*args, **kwargs)
                finally:
                    self.seconds[phase] += time.perf_counter() - began

            return awaited

        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[phase] += time.perf_counter() - began

        return timed


class Profiles:
    """A hook that runs every call of a step under a profiler of its own (the steps run on different
    threads, one at a time; cProfile follows only the thread it is enabled in)."""

    def __init__(self) -> None:
        self.profiles: list[cProfile.Profile] = []

    def __call__(self, phase: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def profiled(*args: Any, **kwargs: Any) -> Any:
            profile = cProfile.Profile()
            profile.enable()
            try:
                return function(*args, **kwargs)
            finally:
                profile.disable()
                self.profiles.append(profile)

        return profiled


# The store's steps each store's figures time, by the method that does them. SQLite's are synchronous
# (its reader and writer threads); MongoDB's are coroutines, its writes including the settled job and
# the commit's publication.
SQLITE_STEPS = {
    "_with_reader": "duplicate lookups",
    "_save_job": "save running job",
    "_write_records": "write rows",
    "_commit_capture": "commit, checkpoint",
}
MONGODB_STEPS = {
    "stored_keys": "duplicate lookups",
    "used_event_ids": "duplicate lookups",
    "save_job": "save running job",
    "append": "write rows, publish",
}


def phases(steps: dict[str, str]) -> list[str]:
    return ["validate", "prepare records", *dict.fromkeys(steps.values())]


@contextmanager
def instrumented(store: EventStore, steps: dict[str, str], hook: Hook) -> Iterator[Callable[..., Any]]:
    """Wrap the steps of the capture path with `hook`; yields the wrapped `check_document`.

    The steps: record preparation (a worker thread), then the store's `steps`.
    """
    original = service_module._prepare_valid
    try:
        service_module._prepare_valid = hook("prepare records", original)
        for attribute, phase in steps.items():
            setattr(store, attribute, hook(phase, getattr(store, attribute)))
        yield hook("validate", check_document)
    finally:
        service_module._prepare_valid = original
        for attribute in steps:
            if attribute in vars(store):
                delattr(store, attribute)  # the class's own method again


async def capture_in_process(path: Path, documents: list[bytes], hook: Hook, schema: SchemaValidator) -> Json:
    """Capture the documents into the SQLite store at `path`: seconds, bytes written."""
    store = SqliteEventStore(path)
    await store.open()
    try:
        before = written()
        result = await capture_into(store, SQLITE_STEPS, documents, hook, schema)
        after = written()  # before closing, which checkpoints the log into the database
    finally:
        await store.close()
    return result | {"written": _delta(before, after)}


async def capture_into(
    store: EventStore, steps: dict[str, str], documents: list[bytes], hook: Hook, schema: SchemaValidator
) -> Json:
    """Capture the documents into an open store, one after the other, as the server does: seconds."""
    service = CaptureService(store, CompanyPrefixes())
    parsing = capturing = 0.0
    events = 0
    with instrumented(store, steps, hook) as validate:
        for body in documents:
            began = time.perf_counter()
            document = orjson.loads(body)  # as the server does; not in the in-process figure
            parsed = time.perf_counter()
            job = await service.capture(validate(document, schema), Behaviour.ROLLBACK)
            capturing += time.perf_counter() - parsed
            parsing += parsed - began
            if not job.success:
                raise RuntimeError(f"a capture failed: {job.errors[:3]}")
            events += job.stored_count
    return {"events": events, "seconds": capturing, "parse_json_seconds": parsing}


def in_process_run(store: Path, work: Workload, folder: Path, schema: SchemaValidator, profile: bool) -> Json:
    """One in-process run on a fresh copy, its steps timed; with `profile`, then a profiled capture."""
    path = copy_store(store, folder)
    quiet_heap()
    timer = PhaseTimer(phases(SQLITE_STEPS))
    result = asyncio.run(capture_in_process(path, work.large, timer, schema))
    result["phases"] = timer.seconds
    if profile:
        quiet_heap()
        profiles = Profiles()
        asyncio.run(capture_in_process(path, work.profiled, profiles, schema))
        result["profile"] = top_functions(profiles.profiles, 10)
    shutil.rmtree(folder)
    return result


# --- the same on MongoDB -----------------------------------------------------------------------------


def mongodb_http_run(database: str, work: Workload, folder: Path) -> Json:
    """One run over HTTP on the filled MongoDB database `database`, taken out again afterwards."""
    folder.mkdir(parents=True)
    settings = {"EPCIS_MONGODB_URI": str(mongodb_uri()), "EPCIS_MONGODB_DATABASE": database}
    try:
        with unchanged_mongodb(database), Server(folder, settings) as server:
            result = http_captures(server, work)
    finally:
        shutil.rmtree(folder)
    for n in (SMALL, LARGE):
        result[str(n)]["written"] = None  # the database server writes, not ours
    return result


@contextmanager
def unchanged_mongodb(database: str) -> Iterator[None]:
    """What is written into `database` inside is taken out again afterwards (`mongodb_restore`)."""

    async def on(database_work: Callable[[Any], Awaitable[None]]) -> None:
        async with mongodb_connection() as client:
            await database_work(client[database])

    asyncio.run(on(mongodb_mark))
    try:
        yield
    finally:
        asyncio.run(on(mongodb_restore))


async def mongodb_in_process(database: str, documents: list[bytes], schema: SchemaValidator) -> Json:
    """Capture the documents into the filled MongoDB database, steps timed, then take them out again."""
    async with mongodb_connection() as client:
        await mongodb_mark(client[database])
        try:
            store = MongoEventStore(client[database])
            await store.open()
            quiet_heap()
            timer = PhaseTimer(phases(MONGODB_STEPS))
            result = await capture_into(store, MONGODB_STEPS, documents, timer, schema)
        finally:
            await mongodb_restore(client[database])
    return result | {"phases": timer.seconds, "written": None}


def mongodb_figures(size: int, runs: int, events: int, schema: SchemaValidator, folder: Path) -> Json:
    """The HTTP and in-process figures on the MongoDB database of `size` generated events (no ceiling,
    no profile: what bounds them is mostly the database server's work, which this process cannot see)."""
    database = mongodb_database(size)
    work = workload(size, events)
    http_runs, in_process_runs = [], []
    for number in range(runs):
        _progress(f"MongoDB, {size:,} events: run {number + 1} of {runs}: HTTP")
        http_runs.append(mongodb_http_run(database, work, folder / "mongodb-http"))
        _progress(f"MongoDB, {size:,} events: run {number + 1} of {runs}: in process")
        in_process_runs.append(asyncio.run(mongodb_in_process(database, work.large, schema)))
    return _served(size, http_runs) | {"in_process": _in_process(in_process_runs)}


def top_functions(profiles: list[cProfile.Profile], count: int) -> str:
    """The `count` functions with the most own time, as a small text table."""
    rows = pstats.Stats(*profiles).stats
    total = sum(row[2] for row in rows.values())
    heading = f"{'own ms':>9} {'share':>6} {'cum ms':>9} {'calls':>9}"
    lines = [f"{heading}  function (of {total * 1000:,.0f} ms profiled)"]
    for (file, line, name), (_, calls, own, cumulative, _) in sorted(
        rows.items(), key=lambda item: item[1][2], reverse=True
    )[:count]:
        figures = f"{own * 1000:9.1f} {own / total:6.1%} {cumulative * 1000:9.1f} {calls:9,}"
        lines.append(f"{figures}  {_where(file, line, name)}")
    return "\n".join(lines)


def _where(file: str, line: int, name: str) -> str:
    """A function's name without the machine's paths."""
    if file == "~":
        return name  # a built-in, e.g. <method 'executemany' of 'sqlite3.Connection' objects>
    parts = Path(file).parts
    for anchor in ("site-packages", "src"):
        if anchor in parts:
            parts = parts[len(parts) - parts[::-1].index(anchor) :]
            break
    else:
        parts = parts[-2:]
    return f"{'/'.join(parts)}:{line}({name})"


def record_costs(documents: list[bytes], schema: SchemaValidator) -> Json:
    """Microseconds per event of record preparation and of its largest parts, called one by one."""
    costs = {"prepare (all)": 0.0, "event hash": 0.0, "lineage edges": 0.0, "facts": 0.0}
    events = 0
    quiet_heap()
    for body in documents:
        submission = check_document(orjson.loads(body), schema)
        prefixes, context = submission.prefixes, submission.context
        for event in submission.events:
            t0 = time.perf_counter()
            record = prepare(event, prefixes, context)
            t1 = time.perf_counter()
            event_hash(event, prefixes)
            t2 = time.perf_counter()
            derive_lineage(event, prefixes, record.event_id)
            t3 = time.perf_counter()
            event_facts(event, prefixes)
            t4 = time.perf_counter()
            for name, seconds in zip(costs, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                costs[name] += seconds
            events += 1
    return {name: seconds / events * 1e6 for name, seconds in costs.items()}


# --- 3. the ceiling: bare inserts of the same rows ---------------------------------------------------

Prepared = tuple[list[EventRecord], list[VocabularyRecord], set[str]]  # what one document stores


def prepared_documents(documents: list[bytes], schema: SchemaValidator) -> list[Prepared]:
    prepared = []
    for body in documents:
        done = _prepare_valid(check_document(orjson.loads(body), schema))
        prepared.append((done.records, done.vocabulary, done.company_prefixes))
    return prepared


def insert_rows(prepared: Prepared, base: int, commit: int) -> list[tuple[str, list[tuple[object, ...]]]]:
    """The statements and rows the store writes for one capture (as in SqliteEventStore._write_records)."""
    records, vocabulary, prefixes = prepared
    capture_id, record_time = str(uuid.uuid4()), now_micros()
    rows = list(enumerate(records, start=base))
    return [
        (
            _INSERT_EVENT,
            [_event_row(r, row, commit, row - base, capture_id, None, record_time) for row, r in rows],
        ),
        (_INSERT_KEY, list(key_rows(rows))),
        (_INSERT_NUMBER, list(number_rows(rows))),
        (lineage.INSERT, list(lineage.rows((row, r.lineage) for row, r in rows))),
        *master_data_rows(vocabulary, commit, None),
        (INSERT_PREFIX, [(prefix,) for prefix in prefixes]),
    ]


def ceiling_run(path: Path, prepared: list[Prepared]) -> Json:
    """Insert the prepared rows into the SQLite file at `path`, one transaction per document."""
    conn = sqlite3.connect(path, isolation_level=None)
    checkpointer = Checkpointer(path, BUSY_TIMEOUT_MS)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        for pragma in WRITER_PRAGMAS:  # the store's writer's, and its checkpointer thread
            conn.execute(pragma)
        (base,) = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM events").fetchone()
        (commit,) = conn.execute("SELECT value FROM meta WHERE name = 'last_commit'").fetchone()
        batches = []
        for document in prepared:
            commit += 1
            batches.append(insert_rows(document, base, commit))
            base += len(document[0])
        quiet_heap()
        before, began = written(), time.perf_counter()
        for batch in batches:
            conn.execute("BEGIN IMMEDIATE")
            for statement, rows in batch:
                conn.executemany(statement, rows)
            conn.execute("COMMIT")
            after_commit(conn, checkpointer)
        seconds, after = time.perf_counter() - began, written()
    finally:
        checkpointer.stop()
        conn.close()
    events = sum(len(document[0]) for document in prepared)
    return {"events": events, "seconds": seconds, "written": _delta(before, after)}


def empty_store(folder: Path) -> Path:
    """A new SQLite store with the repository's schema and nothing in it (closed)."""
    store = SqliteEventStore(folder / "epcis.sqlite3")

    async def create() -> None:
        await store.open()
        await store.close()

    asyncio.run(create())
    return folder / "epcis.sqlite3"


# --- 4. memory against document size -------------------------------------------------------------


def memory_in_fresh_processes(
    folder: Path, runs: int = MEMORY_RUNS, sizes: tuple[int, ...] = MEMORY_SIZES
) -> list[Json]:
    """`memory_by_document_size` in `runs` fresh interpreters, one after the other, and for each size
    the run of the median peak (with every run's peak). A fresh process each time: in one that has
    worked before, full caches recycle their entries and the peaks come out otherwise."""
    by_run = []
    for number in range(runs):
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            by_run.append(pool.submit(_memory_run, folder / f"run-{number}", sizes).result())
    found = []
    for measured in zip(*by_run, strict=True):
        peaks = [m["peak_bytes"] for m in measured]
        median = sorted(measured, key=lambda m: m["peak_bytes"])[(len(measured) - 1) // 2]
        found.append(median | {"peak_bytes_runs": peaks})
    return found


def _memory_run(folder: Path, sizes: tuple[int, ...]) -> list[Json]:
    return asyncio.run(memory_by_document_size(folder, SchemaValidator.load(), sizes))


async def memory_by_document_size(
    folder: Path, schema: SchemaValidator, sizes: tuple[int, ...] = MEMORY_SIZES
) -> list[Json]:
    """tracemalloc's peak while capturing one document of each size into an empty store."""
    store = SqliteEventStore(folder / "epcis.sqlite3")
    await store.open()
    service = CaptureService(store, CompanyPrefixes())
    generator, first = SupplyChains(SEED), 0
    found = []
    try:
        for index, size in enumerate((CHAIN_EVENTS, *sizes)):  # the first warms the store and its threads up
            body = orjson.dumps(next(generator.documents(size, size, first)))
            first += chains(size)
            gc.collect()
            tracemalloc.start()
            document = orjson.loads(body)
            parsed = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            job = await service.capture(check_document(document, schema), Behaviour.ROLLBACK)
            peak = tracemalloc.get_traced_memory()[1] - parsed
            tracemalloc.stop()
            if not job.success:
                raise RuntimeError(f"a capture failed: {job.errors[:3]}")
            if index > 0:
                found.append(
                    {
                        "events": job.stored_count,
                        "json_bytes": len(body),
                        "parsed_bytes": parsed,
                        "peak_bytes": peak,
                    }
                )
            del document
    finally:
        await store.close()
    return found


# --- putting it together ---------------------------------------------------------------------------


def run(sizes: list[int], runs: int = 3, events: int = DEFAULT_EVENTS) -> dict[str, Any]:
    """Every figure for every store size; JSON-serialisable (see the module docstring)."""
    schema = SchemaValidator.load()
    results: dict[str, Any] = {"machine": machine(), "runs": runs, "events": events}
    with tempfile.TemporaryDirectory(prefix="epcis-capture-bench-") as scratch:
        folder = Path(scratch)
        results["stores"] = [store_figures(size, runs, events, schema, folder) for size in sizes]
        if mongodb_uri():
            results["mongodb"] = [mongodb_figures(size, runs, events, schema, folder) for size in sizes]
        _progress("memory against document size")
        results["memory"] = memory_in_fresh_processes(folder / "memory")
    results["memory_growth"] = memory_growth(results["memory"])
    return results


def store_figures(size: int, runs: int, events: int, schema: SchemaValidator, folder: Path) -> Json:
    """The figures of one store size: each run on fresh copies; medians, and shares of the ceiling."""
    store = sqlite_store(size)
    work = workload(size, events)
    prepared = prepared_documents(work.large, schema)
    http_runs, in_process_runs, ceiling_runs, empty_runs = [], [], [], []
    for number in range(runs):
        _progress(f"store of {size:,}: run {number + 1} of {runs}: HTTP")
        http_runs.append(http_run(store, work, folder / "http"))
        _progress(f"store of {size:,}: run {number + 1} of {runs}: in process")
        in_process_runs.append(
            in_process_run(store, work, folder / "in-process", schema, profile=number == 0)
        )
        _progress(f"store of {size:,}: run {number + 1} of {runs}: ceiling")
        ceiling_runs.append(ceiling_run(copy_store(store, folder / "ceiling"), prepared))
        empty_runs.append(ceiling_run(empty_store(folder / "empty"), prepared))
        shutil.rmtree(folder / "ceiling")
        shutil.rmtree(folder / "empty")
    figures = _served(size, http_runs) | {
        "in_process": _in_process(in_process_runs) | {"profile": in_process_runs[0]["profile"]},
        "ceiling": _throughput(ceiling_runs),
        "ceiling_empty": _throughput(empty_runs),
    }
    figures["record_costs_us"] = record_costs(work.profiled, schema)
    ceiling = figures["ceiling"]["events_per_s"]
    figures["of_ceiling"] = {
        f"http {SMALL}": figures["http"][str(SMALL)]["events_per_s"] / ceiling,
        f"http {LARGE}": figures["http"][str(LARGE)]["events_per_s"] / ceiling,
        "in process": figures["in_process"]["events_per_s"] / ceiling,
    }
    return figures


def _served(size: int, http_runs: list[Json]) -> Json:
    """The figures of the HTTP runs on a store of `size` events: throughput and the server's memory."""
    return {
        "store_events": size,
        "http": {str(n): _throughput([r[str(n)] for r in http_runs]) for n in (SMALL, LARGE)},
        "server_memory": {
            k: _median([r["server_memory"][k] for r in http_runs]) for k in http_runs[0]["server_memory"]
        },
    }


def _in_process(runs: list[Json]) -> Json:
    """The in-process runs' throughput, the median time of each step, and of parsing the JSON."""
    return _throughput(runs) | {
        "phases": {phase: _median([r["phases"][phase] for r in runs]) for phase in runs[0]["phases"]},
        "parse_json_seconds": _median([r["parse_json_seconds"] for r in runs]),
    }


def _throughput(runs: list[Json]) -> Json:
    """The runs' seconds and the events per second of their median (plus the fields they share)."""
    seconds = [r["seconds"] for r in runs]
    summary = {k: v for k, v in runs[0].items() if k in ("events", "documents")}
    summary["seconds"] = seconds
    summary["events_per_s"] = summary["events"] / statistics.median(seconds)
    for extra in ("polls", "written"):
        if extra in runs[0]:
            summary[extra] = _median([r[extra] for r in runs])
    return summary


def _median(values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def memory_growth(memory: list[Json]) -> Json:
    by_size = {m["events"]: m["peak_bytes"] for m in memory}
    return {
        f"peak({b:,}) / peak({a:,})": by_size[b] / by_size[a]
        for a, b in zip(MEMORY_SIZES, MEMORY_SIZES[1:], strict=False)
        if a in by_size and b in by_size
    }


def machine() -> Json:
    return {
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "system": f"{platform.system()} {platform.machine()}",
        "cpus": os.cpu_count(),
    }


def _progress(message: str) -> None:
    print(f"  {message} ...", file=sys.stderr, flush=True)


# --- the report ------------------------------------------------------------------------------------


def report(results: dict[str, Any]) -> str:
    host = results["machine"]
    lines = [
        f"capture, median of {results['runs']} runs (Python {host['python']}, SQLite {host['sqlite']}, "
        f"{host['system']}, {host['cpus']} CPUs)"
    ]
    for figures in results["stores"]:
        lines += ["", *store_report(figures)]
    for figures in results.get("mongodb", []):
        lines += ["", *mongodb_report(figures)]
    lines += [
        "",
        "memory against document size (tracemalloc peak while capturing, above the parsed document)",
    ]
    lines.append(f"  {'events':>8} {'JSON':>10} {'parsed':>10} {'peak':>10} {'peak/event':>11}")
    for m in results["memory"]:
        lines.append(
            f"  {m['events']:>8,} {mib(m['json_bytes'], 1):>10} {mib(m['parsed_bytes'], 1):>10} "
            f"{mib(m['peak_bytes'], 1):>10} {m['peak_bytes'] / m['events'] / 1024:>8.1f} KiB"
        )
    lines += [f"  {name} = {ratio:.1f}" for name, ratio in results["memory_growth"].items()]
    return "\n".join(lines)


def store_report(figures: Json) -> list[str]:
    ceiling, share = figures["ceiling"], figures["of_ceiling"]
    rows = [
        (f"HTTP, documents of {SMALL:,}", figures["http"][str(SMALL)], share[f"http {SMALL}"]),
        (f"HTTP, documents of {LARGE:,}", figures["http"][str(LARGE)], share[f"http {LARGE}"]),
        (f"in process, documents of {LARGE:,}", figures["in_process"], share["in process"]),
        ("ceiling: bare executemany", ceiling, 1.0),
        (
            "ceiling into an empty store",
            figures["ceiling_empty"],
            figures["ceiling_empty"]["events_per_s"] / ceiling["events_per_s"],
        ),
    ]
    lines = [
        f"store of {figures['store_events']:,} events",
        f"  {'':<34} {'events':>8} {'events/s':>10} {'of ceiling':>11} {'written/event':>14}",
    ]
    for name, f, s in rows:
        per_event = "n/a" if f["written"] is None else f"{f['written'] / f['events'] / 1024:,.1f} KiB"
        lines.append(f"  {name:<34} {f['events']:>8,} {f['events_per_s']:>10,.0f} {s:>11.0%} {per_event:>14}")
    lines += server_memory_report(figures["server_memory"])
    lines += where_time_goes(figures["in_process"])
    lines.append("  record preparation, its parts called one by one:")
    lines += [f"    {name:<28} {us:8.1f} us/event" for name, us in figures["record_costs_us"].items()]
    lines += ["", "  profile of the in-process capture, top functions by own time (cProfile):"]
    lines += ["    " + line for line in figures["in_process"]["profile"].splitlines()]
    return lines


def mongodb_report(figures: Json) -> list[str]:
    rows = [
        (f"HTTP, documents of {SMALL:,}", figures["http"][str(SMALL)]),
        (f"HTTP, documents of {LARGE:,}", figures["http"][str(LARGE)]),
        (f"in process, documents of {LARGE:,}", figures["in_process"]),
    ]
    lines = [
        f"MongoDB database of {figures['store_events']:,} events",
        f"  {'':<34} {'events':>8} {'events/s':>10}",
        *(f"  {name:<34} {f['events']:>8,} {f['events_per_s']:>10,.0f}" for name, f in rows),
    ]
    return lines + server_memory_report(figures["server_memory"]) + where_time_goes(figures["in_process"])


def server_memory_report(memory: Json) -> list[str]:
    started, after, peak = (mib(memory[name], 1) for name in ("rss_started", "rss_after", "peak"))
    return [f"  server RSS {started} after start-up, {after} after the captures; peak (VmHWM) {peak}"]


def where_time_goes(in_process: Json) -> list[str]:
    lines = ["", f"  where the in-process time goes (documents of {LARGE:,})"]
    events = in_process["events"]
    total, steps = time_by_step(in_process)
    for name, seconds in steps.items():
        lines.append(f"    {name:<38} {seconds / events * 1e6:8.1f} us/event {seconds / total:6.1%}")
    lines.append(
        f"    {'(parse JSON, HTTP only)':<38} {in_process['parse_json_seconds'] / events * 1e6:8.1f} us/event"
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000", help="store sizes, comma-separated (events)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--events", type=int, default=DEFAULT_EVENTS, help="per measurement, documents of 1,000"
    )
    parser.add_argument("--json", type=Path, help="write the results to this file as JSON")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    results = run(sizes, args.runs, args.events)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(report(results))


if __name__ == "__main__":
    main()
