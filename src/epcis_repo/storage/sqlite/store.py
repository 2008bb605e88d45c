"""SQLite store: the embedded default, one file and no server (stdlib sqlite3, WAL).

Visibility is SQLite's own: a capture's events, the commit counter and its settled job are written
in one transaction, so readers (other connections, WAL snapshots) see a capture whole or not at all,
and a crash leaves either the committed capture or nothing of it; `open` then fails the jobs still
marked running, as every store does. Reading is in `queries`, the schema in `schema`, and the lock
that keeps one process per database in `lock`.

Threads: the event loop never waits on SQLite. One writer thread owns the only write connection and
runs every write in submission order; appends and job saves are serialized by an asyncio lock, held
across `settle` while the capture's transaction stays open. Reads run on a small pool of threads,
each with a read-only connection of its own, never blocked by the writer.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import queue
import sqlite3
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import orjson

from epcis_repo.epcis.timestamps import now_micros
from epcis_repo.query.model import Cursor, EventQuery, Field, Visibility
from epcis_repo.storage.deadline import QueryTimeout, deadline
from epcis_repo.storage.port import (
    AppendResult,
    Behaviour,
    CaptureJob,
    EventRecord,
    Explored,
    NamedQuery,
    Settle,
    Sources,
    StorageError,
    StoredEvent,
    VocabularyRecord,
    scoped,
    settle_interrupted,
)
from epcis_repo.storage.sqlite import lineage
from epcis_repo.storage.sqlite.checkpoint import Checkpointer, after_commit
from epcis_repo.storage.sqlite.lock import ProcessLock
from epcis_repo.storage.sqlite.queries import (
    batched_rows,
    clamp,
    count_events,
    distinct_values,
    find_events,
    lookup,
    marks,
    register_functions,
    storable,
)
from epcis_repo.storage.sqlite.schema import migrate
from epcis_repo.trace.model import EVERY_EDGE, EdgeSelection, LineageEdge, StoredEdge

T = TypeVar("T")

BUSY_TIMEOUT_MS = 10_000  # WAL readers never wait for the writer; this covers checkpoints and opening
# The writer connection's settings (the benchmarks' bare-insert ceiling writes with them too).
WRITER_PRAGMAS = (
    # FULL: a capture reported stored survives power loss too, not just a crash of the process.
    "PRAGMA synchronous = FULL",
    "PRAGMA foreign_keys = ON",
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
    # Commits never checkpoint: the checkpointer thread copies the WAL meanwhile (checkpoint.py).
    "PRAGMA wal_autocheckpoint = 0",
    # Index pages a capture dirties stay cached for the next one (random keys: hashes, identifiers).
    "PRAGMA cache_size = -262144",  # 256 MiB
)
_DEADLINE_CHECK_STEPS = 10_000  # virtual-machine steps between deadline checks (a few tens of microseconds)

_INSERT_EVENT = """
    INSERT INTO events (id, commit_no, position, capture_id, captured_by, event_id, hash, dedup_key,
                        declaration, type, event_time, record_time, action, biz_step, disposition,
                        read_point, biz_location, body)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT DO NOTHING
"""  # a duplicate (dedup key or owned eventID) is skipped, and found missing afterwards
_INSERT_KEY = "INSERT INTO event_keys (field, key, event) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
INSERT_PREFIX = "INSERT INTO company_prefixes (prefix) VALUES (?) ON CONFLICT DO NOTHING"
_INSERT_NUMBER = "INSERT INTO event_numbers (field, number, event) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
# Master data, the latest versions only (`_latest`).
_LATEST_CHILDREN = "SELECT c.child FROM vocabulary_children AS c WHERE c.key IN ({}) AND {}"
_LATEST_WITH_ATTRIBUTE = "SELECT DISTINCT a.key FROM vocabulary_attributes AS a WHERE a.name = ? AND {}"
_LATEST_WITH_VALUES = (
    "SELECT DISTINCT a.key FROM vocabulary_attributes AS a WHERE a.name = ? AND a.value IN ({}) AND {}"
)
_LATEST_ATTRIBUTES = (
    "SELECT a.key, a.type, a.name, a.value FROM vocabulary_attributes AS a WHERE a.key IN ({}) AND {} "
    "ORDER BY a.name, a.value"
)
_LATEST_CHILDREN_OF = (
    "SELECT c.key, c.type, c.child FROM vocabulary_children AS c WHERE c.key IN ({}) AND {} ORDER BY c.child"
)
_LATEST_ELEMENTS = "SELECT e.type, e.key, e.element FROM vocabulary AS e WHERE e.key IN ({}) AND {}"


def _latest(alias: str, sources: Sources) -> tuple[str, list[str]]:
    """The condition that the row `alias` is of the latest version of its element among the versions
    `sources` captured, and its parameters."""
    among, params = "", []
    if sources is not None:
        among = f" AND ifnull(v.organisation, '') IN ({marks(len(sources))})"
        params = [source or "" for source in sources]
    sql = (
        f"{alias}.commit_no = (SELECT max(v.commit_no) FROM vocabulary AS v "
        f"WHERE v.type = {alias}.type AND v.key = {alias}.key{among})"
    )
    return sql, params


def _by_keys(
    sql: str,
    alias: str,
    keys: Collection[str],
    sources: Sources,
    conn: sqlite3.Connection,
    fixed: Sequence[object] = (),
) -> list[tuple[Any, ...]]:
    """The rows of `sql` (its `fixed` parameters, then ``{}``: the keys' placeholders, then the
    latest-version condition on `alias`) for these keys."""
    latest, params = _latest(alias, sources)
    return list(batched_rows(sql.format("{}", latest), keys, conn, fixed=fixed, trailing=params))


_SAVE_JOB = """
    INSERT INTO capture_jobs (capture_id, created_at, running, organisation, job) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (capture_id) DO UPDATE
    SET created_at = excluded.created_at, running = excluded.running, job = excluded.job
"""


class SqliteEventStore:
    def __init__(self, path: Path, *, readers: int = 4) -> None:
        self._path = path
        self._process_lock = ProcessLock(path.with_name(path.name + ".lock"), path)
        self._reader_count = readers
        self._writer_pool: ThreadPoolExecutor | None = None
        self._reader_pool: ThreadPoolExecutor | None = None
        self._writer: sqlite3.Connection | None = None  # used on the writer thread only
        self._idle_readers: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._all_readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._write_lock = asyncio.Lock()
        self._appending: asyncio.Task[Any] | None = None
        self._last_record_time = 0
        self._checkpointer: Checkpointer | None = None

    # --- life cycle -------------------------------------------------------------------------------

    async def open(self) -> None:
        if self._writer_pool is not None:
            return
        self._process_lock.acquire()  # never waits: refused at once if another store holds it
        self._writer_pool = ThreadPoolExecutor(1, thread_name_prefix="epcis-sqlite-writer")
        self._reader_pool = ThreadPoolExecutor(self._reader_count, thread_name_prefix="epcis-sqlite-reader")
        try:
            self._last_record_time = await self._write(self._open_writer)
            self._checkpointer = Checkpointer(self._path, BUSY_TIMEOUT_MS)
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        if self._writer_pool is None:
            return
        async with self._write_lock:  # a running append finishes first
            writer, readers = self._writer_pool, self._reader_pool
            self._writer_pool = self._reader_pool = None
            try:
                # Readers go first: the last connection to close checkpoints the WAL into the database.
                await asyncio.to_thread(self._close_readers, readers)
                if self._checkpointer is not None:
                    await asyncio.to_thread(self._checkpointer.stop)
                    self._checkpointer = None
                await asyncio.get_running_loop().run_in_executor(writer, self._close_writer)
            except sqlite3.Error as error:
                raise StorageError(f"SQLite could not close {self._path}: {error}") from error
            finally:
                await asyncio.to_thread(writer.shutdown)
                # Last: another process may open the database once every connection of this one is closed.
                self._process_lock.release()

    def _open_writer(self) -> int:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self._path, isolation_level=None)
        try:
            (mode,) = conn.execute("PRAGMA journal_mode = WAL").fetchone()
            if mode != "wal":
                raise StorageError(f"SQLite cannot use write-ahead logging for {self._path} ({mode})")
            for pragma in WRITER_PRAGMAS:
                conn.execute(pragma)
            register_functions(conn)
            migrate(conn)
            last_record_time = _recover(conn)
        except BaseException:
            conn.close()
            raise
        self._writer = conn
        return last_record_time

    def _close_writer(self) -> None:
        conn, self._writer = self._writer, None
        if conn is not None:
            try:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                # Planner statistics from a sample of each index: a full ANALYZE of a store of a
                # million events made closing take most of a minute.
                conn.execute("PRAGMA analysis_limit = 1000")
                conn.execute("PRAGMA optimize")
            finally:
                conn.close()

    def _close_readers(self, pool: ThreadPoolExecutor | None) -> None:
        if pool is not None:
            pool.shutdown(wait=True)
        with self._readers_lock:
            connections, self._all_readers = self._all_readers, []
            self._idle_readers = queue.SimpleQueue()
        for conn in connections:
            conn.close()

    # --- running work on the threads ----------------------------------------------------------------

    async def _write(self, work: Callable[..., T], *args: Any) -> T:
        """Run `work(*args)` on the writer thread (whose connection it uses), in submission order."""
        pool = self._writer_pool
        if pool is None:
            raise StorageError("The SQLite store is not open")
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, functools.partial(work, *args))
        except (sqlite3.Error, OSError) as error:
            raise StorageError(f"SQLite write failed ({self._path}): {error}") from error

    def _writer_connection(self) -> sqlite3.Connection:
        if self._writer is None:
            raise StorageError("The SQLite store is not open")
        return self._writer

    async def _read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work(connection)` on a reader thread with a read-only connection, stopped when the
        request's deadline passes (storage.deadline)."""
        pool = self._reader_pool
        if pool is None:
            raise StorageError("The SQLite store is not open")
        until = deadline()
        try:
            read = asyncio.get_running_loop().run_in_executor(pool, self._with_reader, work, until)
        except RuntimeError as error:  # the pool shut down meanwhile
            raise StorageError("The SQLite store is closed") from error
        try:
            return await read
        except sqlite3.OperationalError as error:
            if until is not None and str(error) == "interrupted":
                raise QueryTimeout() from None
            raise StorageError(f"SQLite read failed ({self._path}): {error}") from error
        except sqlite3.Error as error:
            raise StorageError(f"SQLite read failed ({self._path}): {error}") from error

    def _with_reader(self, work: Callable[[sqlite3.Connection], T], until: float | None) -> T:
        try:
            conn = self._idle_readers.get_nowait()
        except queue.Empty:
            conn = self._connect_reader()
        if until is not None:
            # SQLite calls this every so many steps of its virtual machine; true interrupts the statement.
            conn.set_progress_handler(lambda: time.monotonic() >= until, _DEADLINE_CHECK_STEPS)
        try:
            return work(conn)
        finally:
            if until is not None:
                conn.set_progress_handler(None, 0)
            if conn.in_transaction:  # never hand on a connection stuck on an old snapshot
                conn.execute("ROLLBACK")
            self._idle_readers.put(conn)

    def _connect_reader(self) -> sqlite3.Connection:
        # Used by one pool thread at a time, and closed by `close` once the pool has stopped.
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        with self._readers_lock:
            self._all_readers.append(conn)
        conn.execute("PRAGMA query_only = ON")
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA cache_size = -16384")
        register_functions(conn)
        return conn

    # --- capture --------------------------------------------------------------------------------------

    async def append(
        self,
        records: Sequence[EventRecord],
        job: CaptureJob,
        settle: Settle,
        vocabulary: Sequence[VocabularyRecord] = (),
        company_prefixes: Collection[str] = (),
    ) -> AppendResult:
        async with self._write_lock:
            self._appending = asyncio.current_task()
            try:
                return await self._append(records, job, settle, vocabulary, company_prefixes)
            finally:
                self._appending = None

    async def _append(
        self,
        records: Sequence[EventRecord],
        job: CaptureJob,
        settle: Settle,
        vocabulary: Sequence[VocabularyRecord],
        company_prefixes: Collection[str],
    ) -> AppendResult:
        # recordTime only grows, whatever the clock does.
        record_time = self._last_record_time = max(now_micros(), self._last_record_time + 1)
        rollback = job.behaviour is Behaviour.ROLLBACK
        try:
            commit, duplicates, stored = await self._write(
                self._write_records,
                records,
                vocabulary,
                company_prefixes,
                job.capture_id,
                job.organisation,
                record_time,
                rollback,
            )
            job.commit = commit
            result = AppendResult(record_time, stored, duplicates)
            # The transaction stays open across `settle`: readers still see the store as before.
            await settle(result)
            await self._write(self._commit_capture, job)
        except BaseException:
            # A cancelled await leaves its work running on the writer thread; the abort queues behind
            # it, and is shielded, so that no transaction stays open whatever interrupted the capture.
            if await asyncio.shield(self._write(self._abort_capture)):
                job.commit = None
            raise
        return result

    def _write_records(
        self,
        records: Sequence[EventRecord],
        vocabulary: Sequence[VocabularyRecord],
        company_prefixes: Collection[str],
        capture_id: str,
        organisation: str | None,
        record_time: int,
        rollback: bool,
    ) -> tuple[int, tuple[int, ...], int]:
        """Begin the capture's transaction and write its records: (commit, duplicates, stored)."""
        conn = self._writer_connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            commit = _next_commit(conn)
            (base,) = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM events").fetchone()
            before = conn.total_changes
            conn.executemany(
                _INSERT_EVENT,
                (
                    _event_row(r, base + i, commit, i, capture_id, organisation, record_time)
                    for i, r in enumerate(records)
                ),
            )
            duplicates: tuple[int, ...] = ()
            if conn.total_changes - before != len(records):
                present = {row[0] for row in conn.execute("SELECT id FROM events WHERE id >= ?", (base,))}
                duplicates = tuple(i for i in range(len(records)) if base + i not in present)
            if duplicates and rollback:
                # Not a savepoint: one makes SQLite keep the original of every page the capture
                # changes in a journal of its own (as many bytes again as the log). Duplicates here
                # are rare (a capture stored the same events since the lookup), so the transaction
                # starts over, with only the commit number taken, for the job.
                conn.execute("ROLLBACK")
                conn.execute("BEGIN IMMEDIATE")
                commit = _next_commit(conn)
                stored = 0
            else:
                skipped = set(duplicates)
                kept = [(base + i, r) for i, r in enumerate(records) if i not in skipped]
                conn.executemany(_INSERT_KEY, key_rows(kept))
                conn.executemany(_INSERT_NUMBER, number_rows(kept))
                conn.executemany(lineage.INSERT, lineage.rows((row, r.lineage) for row, r in kept))
                stored = len(kept)
                if stored:
                    for statement, rows in master_data_rows(vocabulary, commit, organisation):
                        conn.executemany(statement, rows)
                    conn.executemany(INSERT_PREFIX, ((prefix,) for prefix in company_prefixes))
        except BaseException:
            if conn.in_transaction:  # not when starting over failed
                conn.execute("ROLLBACK")
            raise
        return commit, duplicates, stored

    def _commit_capture(self, job: CaptureJob) -> None:
        conn = self._writer_connection()
        _save_job(conn, job)
        conn.execute("COMMIT")
        if self._checkpointer is not None:
            after_commit(conn, self._checkpointer)

    def _abort_capture(self) -> bool:
        """Roll back the capture's transaction if it is still open; whether it was."""
        conn = self._writer_connection()
        if not conn.in_transaction:
            return False
        conn.execute("ROLLBACK")
        return True

    # --- lookups --------------------------------------------------------------------------------------

    async def stored_keys(self, dedup_keys: Collection[str], organisation: str | None = None) -> set[str]:
        keys = {scoped(organisation, key): key for key in dedup_keys}
        sql = "SELECT dedup_key FROM events WHERE dedup_key IN ({})"
        return {keys[found] for found in await self._read(functools.partial(lookup, sql, keys))}

    async def used_event_ids(self, event_ids: Collection[str], organisation: str | None = None) -> set[str]:
        sql = (
            "SELECT event_id FROM events "
            "WHERE declaration = 0 AND ifnull(captured_by, '') = ? AND event_id IN ({})"
        )
        return await self._read(functools.partial(lookup, sql, event_ids, fixed=(organisation or "",)))

    async def find_events(self, query: EventQuery, after: Cursor | None, limit: int) -> list[StoredEvent]:
        return await self._read(functools.partial(find_events, query, after, limit))

    async def count_events(self, query: EventQuery, cap: int) -> int:
        return await self._read(functools.partial(count_events, query, cap))

    async def distinct_values(
        self, field: Field, after: str | None, limit: int, visible: Visibility | None = None
    ) -> list[str]:
        return await self._read(
            functools.partial(distinct_values, str(field), after, clamp(limit, 0), visible)
        )

    # --- master data ----------------------------------------------------------------------------------

    async def vocabulary_children(self, keys: Collection[str], sources: Sources = None) -> set[str]:
        rows = await self._read(functools.partial(_by_keys, _LATEST_CHILDREN, "c", keys, sources))
        return {child for (child,) in rows}

    async def vocabulary_with_attribute(
        self, name: str, values: Collection[str] | None, sources: Sources = None
    ) -> set[str]:
        def find(conn: sqlite3.Connection) -> set[str]:
            if values is None:
                latest, params = _latest("a", sources)
                rows: Iterable[tuple[Any, ...]] = conn.execute(
                    _LATEST_WITH_ATTRIBUTE.format(latest), (name, *params)
                )
            else:
                rows = _by_keys(_LATEST_WITH_VALUES, "a", values, sources, conn, (name,))
            return {key for (key,) in rows}

        return await self._read(find)

    async def vocabulary_elements(
        self, keys: Collection[str], sources: Sources = None
    ) -> list[VocabularyRecord]:
        return await self._read(functools.partial(_vocabulary_elements, keys, sources))

    async def lineage(
        self, nodes: Collection[str], recorded_by: int | None, visible: Visibility | None = None
    ) -> list[StoredEdge]:
        return await self._read(lambda conn: lineage.edges_of(conn, nodes, recorded_by, visible))

    async def lineage_names(
        self, node: str, recorded_by: int | None, visible: Visibility | None = None
    ) -> bool:
        return await self._read(lambda conn: lineage.names(conn, node, recorded_by, visible))

    async def explore_lineage(
        self,
        start: Collection[str],
        recorded_by: int | None,
        step: Callable[[list[StoredEdge]], Collection[str]],
        hops: int,
        visible: Visibility | None = None,
        master_data: Callable[[], Collection[str]] | None = None,
        sources: Sources = None,
        followed: Callable[[list[VocabularyRecord]], Collection[str]] | None = None,
        selection: EdgeSelection = EVERY_EDGE,
    ) -> Explored:
        def then(conn: sqlite3.Connection) -> Explored:
            keys = master_data() if master_data is not None else ()
            elements = _vocabulary_elements(keys, sources, conn) if keys else []
            event_ids = followed(elements) if followed is not None else ()
            found = lineage.events_of(conn, event_ids, recorded_by, visible) if event_ids else []
            return Explored(elements, found)

        # The whole walk on one reader thread: one hand-off, however many hops.
        return await self._read(
            lambda conn: lineage.explore(conn, start, recorded_by, step, hops, visible, selection, then)
        )

    async def lineage_version(self) -> int:
        return await self._read(lineage.version)

    async def rebuild_lineage(self, derive: Callable[[bytes], Sequence[LineageEdge]], version: int) -> int:
        return await self._write(lambda: lineage.rebuild(self._writer_connection(), derive, version))

    async def company_prefixes(self) -> set[str]:
        def find(conn: sqlite3.Connection) -> set[str]:
            return {prefix for (prefix,) in conn.execute("SELECT prefix FROM company_prefixes")}

        return await self._read(find)

    # --- named queries --------------------------------------------------------------------------------

    async def save_named_query(self, query: NamedQuery) -> bool:
        def save() -> bool:
            cursor = self._writer_connection().execute(
                "INSERT INTO named_queries (name, created_at, definition, owner) VALUES (?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (query.name, query.created_at, query.definition, query.owner),
            )
            return cursor.rowcount == 1

        async with self._write_lock:
            return await self._write(save)

    async def get_named_query(self, name: str) -> NamedQuery | None:
        def get(conn: sqlite3.Connection) -> NamedQuery | None:
            row = conn.execute(
                "SELECT name, created_at, definition, owner FROM named_queries WHERE name = ?", (name,)
            ).fetchone()
            return NamedQuery(row[0], row[1], bytes(row[2]), row[3]) if row else None

        return await self._read(get) if storable(name) else None

    async def list_named_queries(
        self, after: str | None, limit: int, owner: str | None = None
    ) -> list[NamedQuery]:
        def page(conn: sqlite3.Connection) -> list[NamedQuery]:
            mine = "" if owner is None else " AND owner = ?"
            rows = conn.execute(
                "SELECT name, created_at, definition, owner FROM named_queries "
                f"WHERE name > ?{mine} ORDER BY name LIMIT ?",
                (
                    after if after is not None and storable(after) else "",
                    *(() if owner is None else (owner,)),
                    clamp(limit, 0),
                ),
            )
            return [
                NamedQuery(name, created, bytes(definition), by) for name, created, definition, by in rows
            ]

        return await self._read(page)

    async def delete_named_query(self, name: str) -> bool:
        def delete() -> bool:
            return (
                self._writer_connection()
                .execute("DELETE FROM named_queries WHERE name = ?", (name,))
                .rowcount
                == 1
            )

        if not storable(name):
            return False
        async with self._write_lock:
            return await self._write(delete)

    # --- jobs -----------------------------------------------------------------------------------------

    async def save_job(self, job: CaptureJob) -> None:
        if self._appending is not None and self._appending is asyncio.current_task():
            # Saved from `settle`: the job joins the open capture transaction (waiting would deadlock).
            await self._write(self._save_job, job)
            return
        async with self._write_lock:
            await self._write(self._save_job, job)

    def _save_job(self, job: CaptureJob) -> None:
        _save_job(self._writer_connection(), job)

    async def get_job(self, capture_id: str) -> CaptureJob | None:
        def get(conn: sqlite3.Connection) -> CaptureJob | None:
            row = conn.execute("SELECT job FROM capture_jobs WHERE capture_id = ?", (capture_id,)).fetchone()
            return _job_from_json(row[0]) if row else None

        return await self._read(get)

    async def list_jobs(
        self, after: str | None, limit: int, organisation: str | None = None
    ) -> list[CaptureJob]:
        def page(conn: sqlite3.Connection) -> list[CaptureJob]:
            clauses, params = ["1"], list[object]()
            if organisation is not None:
                clauses.append("organisation = ?")
                params.append(organisation)
            if after is not None:
                # An unknown `after` compares with NULL: no rows, as in the MongoDB store.
                clauses.append(
                    "(created_at, capture_id) < (SELECT created_at, capture_id FROM capture_jobs "
                    "WHERE capture_id = ?)"
                )
                params.append(after)
            sql = (
                f"SELECT job FROM capture_jobs WHERE {' AND '.join(clauses)} "
                "ORDER BY created_at DESC, capture_id DESC LIMIT ?"
            )
            return [_job_from_json(job) for (job,) in conn.execute(sql, [*params, clamp(limit, 0)])]

        return await self._read(page)


def _recover(conn: sqlite3.Connection) -> int:
    """Fail the jobs a crash left running (SQLite itself dropped their uncommitted events).

    Returns the latest recordTime stored.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        interrupted = [
            _job_from_json(job) for (job,) in conn.execute("SELECT job FROM capture_jobs WHERE running = 1")
        ]
        finished_at = now_micros()
        for job in interrupted:
            settle_interrupted(job, finished_at)
            _save_job(conn, job)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    (last,) = conn.execute("SELECT coalesce(max(record_time), 0) FROM events").fetchone()
    return int(last)


def _event_row(
    record: EventRecord,
    row_id: int,
    commit: int,
    position: int,
    capture_id: str,
    organisation: str | None,
    record_time: int,
) -> tuple[object, ...]:
    return (
        row_id,
        commit,
        position,
        capture_id,
        organisation,
        record.event_id,
        record.event_hash,
        scoped(organisation, record.dedup_key),
        int(record.is_declaration),
        record.event_type,
        record.event_time,
        record_time,
        record.action,
        record.biz_step,
        record.disposition,
        record.read_point,
        record.biz_location,
        record.body,
    )


def _vocabulary_elements(
    keys: Collection[str], sources: Sources, conn: sqlite3.Connection
) -> list[VocabularyRecord]:
    # Elements, their attributes and their children: three reads for all the keys, not two an element.
    attributes: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for key, type_, name, value in _by_keys(_LATEST_ATTRIBUTES, "a", keys, sources, conn):
        attributes[type_, key].append((name, value))
    children: dict[tuple[str, str], list[str]] = defaultdict(list)
    for key, type_, child in _by_keys(_LATEST_CHILDREN_OF, "c", keys, sources, conn):
        children[type_, key].append(child)
    return [
        VocabularyRecord(
            type_, key, bytes(element), tuple(attributes[type_, key]), tuple(children[type_, key])
        )
        for type_, key, element in _by_keys(_LATEST_ELEMENTS, "e", keys, sources, conn)
    ]


def key_rows(kept: Iterable[tuple[int, EventRecord]]) -> Iterator[tuple[str, str, int]]:
    """event_keys rows of records stored as these rows: identifiers per role (a union field such as
    anyEPC is read from its roles, queries.stored_fields), and the text facts."""
    for row, record in kept:
        for field, keys in record.keys.items():
            for key in keys:
                yield str(field), key, row
        for name, value in record.facts:
            if isinstance(value, str):
                yield name, value, row


def number_rows(kept: Iterable[tuple[int, EventRecord]]) -> Iterator[tuple[str, float, int]]:
    """event_numbers rows of records stored as these rows: their numeric facts."""
    for row, record in kept:
        for name, value in record.facts:
            if not isinstance(value, str):
                yield name, value, row


def _save_job(conn: sqlite3.Connection, job: CaptureJob) -> None:
    document = orjson.dumps(dataclasses.asdict(job))
    conn.execute(_SAVE_JOB, (job.capture_id, job.created_at, int(job.running), job.organisation, document))


_JOB_FIELDS = frozenset(f.name for f in dataclasses.fields(CaptureJob))


def _job_from_json(document: bytes) -> CaptureJob:
    fields = {k: v for k, v in orjson.loads(document).items() if k in _JOB_FIELDS}
    fields["behaviour"] = Behaviour(fields["behaviour"])
    return CaptureJob(**fields)


def _next_commit(conn: sqlite3.Connection) -> int:
    (commit,) = conn.execute(
        "UPDATE meta SET value = value + 1 WHERE name = 'last_commit' RETURNING value"
    ).fetchone()
    return int(commit)


def master_data_rows(
    vocabulary: Sequence[VocabularyRecord], commit: int, organisation: str | None
) -> list[tuple[str, list[tuple[object, ...]]]]:
    """The statements, each with its rows, that store a capture's master data."""
    return [
        (
            "INSERT INTO vocabulary (type, key, commit_no, element, organisation) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            [(v.type, v.key, commit, v.element, organisation) for v in vocabulary],
        ),
        (
            "INSERT INTO vocabulary_attributes (name, value, key, type, commit_no) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            [(name, value, v.key, v.type, commit) for v in vocabulary for name, value in v.attributes],
        ),
        (
            "INSERT INTO vocabulary_children (key, type, commit_no, child) VALUES (?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            [(v.key, v.type, commit, child) for v in vocabulary for child in v.children],
        ),
    ]
