"""SQLite store: the embedded default, one file and no server (stdlib sqlite3, WAL).

Visibility is SQLite's own: a capture's events, the commit counter and its settled job are written
in one transaction, so readers (other connections, WAL snapshots) see a capture whole or not at all,
and a crash leaves either the committed capture or nothing of it; `open` then fails the jobs still
marked running, as every store does.

Event rows are numbered in visibility order: one writer appends them, capture after capture, in
position order, each row above every row before it. So `events.id` order is (commit, position)
order, and since SQLite ends every index with the rowid, an equality index lists its matches in
visibility order: such a page is an index range read up to `limit`, and a cursor becomes a lower
bound on `id`. Ranges and key patterns list theirs by value; `_page_ids` chooses how to read those.

One process per database: SQLite would let a second process in, and its `open` would fail the
capture jobs the first one is running. So `open` takes an exclusive lock on ``<database>.lock``
beside the database, without waiting, and `close` gives it back; the OS drops it when the process
ends, however it ends, so a crash leaves nothing to clean up.

Threads: the event loop never waits on SQLite. One writer thread owns the only write connection and
runs every write in submission order; appends and job saves are serialized by an asyncio lock, held
across `settle` while the capture's transaction stays open. Reads run on a small pool of threads,
each with a read-only connection of its own, never blocked by the writer.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import os
import queue
import re
import sqlite3
import sys
import threading
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import orjson

from epcis_repo.epcis.identifiers import KeyMatch
from epcis_repo.epcis.timestamps import now_micros
from epcis_repo.query.model import AnyOf, Condition, Cursor, EventQuery, Field, InRange, MatchesKey
from epcis_repo.storage.port import (
    AppendResult,
    Behaviour,
    CaptureJob,
    EventRecord,
    Settle,
    StorageError,
    StoredEvent,
    settle_interrupted,
)

T = TypeVar("T")

_BATCH = 500  # values per IN list when looking up many keys
_BUSY_TIMEOUT_MS = 10_000  # WAL readers never wait for the writer; this covers checkpoints and opening
_INT64 = (-(2**63), 2**63 - 1)
# Reading a page (_page_ids): most matches a condition may have to drive the query by its index, and
# how many events are read in visibility order before an index takes over.
_DRIVER_MAX = 20_000
_IN_ORDER_FIRST = 20_000

_SCALAR_COLUMNS: dict[Field, str] = {
    Field.TYPE: "type",
    Field.EVENT_TIME: "event_time",
    Field.RECORD_TIME: "record_time",
    Field.ACTION: "action",
    Field.BIZ_STEP: "biz_step",
    Field.DISPOSITION: "disposition",
    Field.READ_POINT: "read_point",
    Field.BIZ_LOCATION: "biz_location",
    Field.EVENT_ID: "event_id",
}

# Schema versions, applied in order on open (PRAGMA user_version counts those applied). Add a
# migration for every change; never edit one that has shipped.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID",
        "INSERT INTO meta (name, value) VALUES ('last_commit', 0)",
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY,  -- visibility order (module docstring)
            commit_no INTEGER NOT NULL,
            position INTEGER NOT NULL,
            capture_id TEXT NOT NULL,
            event_id TEXT NOT NULL,
            hash TEXT NOT NULL,
            dedup_key TEXT NOT NULL UNIQUE,
            declaration INTEGER NOT NULL CHECK (declaration IN (0, 1)),
            type TEXT NOT NULL,
            event_time INTEGER NOT NULL,
            record_time INTEGER NOT NULL,
            action TEXT,
            biz_step TEXT,
            disposition TEXT,
            read_point TEXT,
            biz_location TEXT,
            body BLOB NOT NULL,
            UNIQUE (commit_no, position)
        )""",
        # Only events that are not error declarations own their eventID.
        "CREATE UNIQUE INDEX events_owned_event_id ON events (event_id) WHERE declaration = 0",
        "CREATE INDEX events_capture_id ON events (capture_id)",
        *(f"CREATE INDEX events_{column} ON events ({column})" for column in _SCALAR_COLUMNS.values()),
        # Identifier membership of the list fields; the key order serves exact keys and prefixes.
        """CREATE TABLE event_keys (
            field TEXT NOT NULL,
            key TEXT NOT NULL,
            event INTEGER NOT NULL REFERENCES events (id),
            PRIMARY KEY (field, key, event)
        ) WITHOUT ROWID""",
        """CREATE TABLE capture_jobs (
            capture_id TEXT PRIMARY KEY,
            created_at INTEGER NOT NULL,
            running INTEGER NOT NULL,
            job BLOB NOT NULL  -- the CaptureJob as JSON
        )""",
        # An event's own keys, for testing an event read in visibility order (and for the foreign key).
        "CREATE INDEX event_keys_event ON event_keys (event, field)",
        "CREATE INDEX capture_jobs_newest_first ON capture_jobs (created_at, capture_id)",
        "CREATE INDEX capture_jobs_running ON capture_jobs (capture_id) WHERE running = 1",
    ),
)

_INSERT_EVENT = """
    INSERT INTO events (id, commit_no, position, capture_id, event_id, hash, dedup_key, declaration,
                        type, event_time, record_time, action, biz_step, disposition, read_point,
                        biz_location, body)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT DO NOTHING
"""  # a duplicate (dedup key or owned eventID) is skipped, and found missing afterwards
_INSERT_KEY = "INSERT INTO event_keys (field, key, event) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
_SAVE_JOB = """
    INSERT INTO capture_jobs (capture_id, created_at, running, job) VALUES (?, ?, ?, ?)
    ON CONFLICT (capture_id) DO UPDATE
    SET created_at = excluded.created_at, running = excluded.running, job = excluded.job
"""


class SqliteEventStore:
    def __init__(self, path: Path, *, readers: int = 4) -> None:
        self._path = path
        self._process_lock = _ProcessLock(path.with_name(path.name + ".lock"), path)
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

    # --- life cycle -------------------------------------------------------------------------------

    async def open(self) -> None:
        if self._writer_pool is not None:
            return
        self._process_lock.acquire()  # never waits: refused at once if another store holds it
        self._writer_pool = ThreadPoolExecutor(1, thread_name_prefix="epcis-sqlite-writer")
        self._reader_pool = ThreadPoolExecutor(self._reader_count, thread_name_prefix="epcis-sqlite-reader")
        try:
            self._last_record_time = await self._write(self._open_writer)
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
            # FULL: a capture reported stored survives power loss too, not just a crash of the process.
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            # Checkpoint every ~40 MB of WAL rather than every 4 MB: fewer, larger copies into the database.
            conn.execute("PRAGMA wal_autocheckpoint = 10000")
            _register_functions(conn)
            _migrate(conn)
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
        """Run `work(connection)` on a reader thread with a read-only connection."""
        pool = self._reader_pool
        if pool is None:
            raise StorageError("The SQLite store is not open")
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, self._with_reader, work)
        except RuntimeError as error:  # the pool shut down meanwhile
            raise StorageError("The SQLite store is closed") from error
        except sqlite3.Error as error:
            raise StorageError(f"SQLite read failed ({self._path}): {error}") from error

    def _with_reader(self, work: Callable[[sqlite3.Connection], T]) -> T:
        try:
            conn = self._idle_readers.get_nowait()
        except queue.Empty:
            conn = self._connect_reader()
        try:
            return work(conn)
        finally:
            if conn.in_transaction:  # never hand on a connection stuck on an old snapshot
                conn.execute("ROLLBACK")
            self._idle_readers.put(conn)

    def _connect_reader(self) -> sqlite3.Connection:
        # Used by one pool thread at a time, and closed by `close` once the pool has stopped.
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        with self._readers_lock:
            self._all_readers.append(conn)
        conn.execute("PRAGMA query_only = ON")
        conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA cache_size = -16384")
        _register_functions(conn)
        return conn

    # --- capture --------------------------------------------------------------------------------------

    async def append(self, records: Sequence[EventRecord], job: CaptureJob, settle: Settle) -> AppendResult:
        async with self._write_lock:
            self._appending = asyncio.current_task()
            try:
                return await self._append(records, job, settle)
            finally:
                self._appending = None

    async def _append(self, records: Sequence[EventRecord], job: CaptureJob, settle: Settle) -> AppendResult:
        # recordTime only grows, whatever the clock does.
        record_time = self._last_record_time = max(now_micros(), self._last_record_time + 1)
        rollback = job.behaviour is Behaviour.ROLLBACK
        try:
            commit, duplicates, stored = await self._write(
                self._write_records, records, job.capture_id, record_time, rollback
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
        self, records: Sequence[EventRecord], capture_id: str, record_time: int, rollback: bool
    ) -> tuple[int, tuple[int, ...], int]:
        """Begin the capture's transaction and write its records: (commit, duplicates, stored)."""
        conn = self._writer_connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            (commit,) = conn.execute(
                "UPDATE meta SET value = value + 1 WHERE name = 'last_commit' RETURNING value"
            ).fetchone()
            (base,) = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM events").fetchone()
            conn.execute("SAVEPOINT records")
            before = conn.total_changes
            conn.executemany(
                _INSERT_EVENT,
                (_event_row(r, base + i, commit, i, capture_id, record_time) for i, r in enumerate(records)),
            )
            duplicates: tuple[int, ...] = ()
            if conn.total_changes - before != len(records):
                present = {row[0] for row in conn.execute("SELECT id FROM events WHERE id >= ?", (base,))}
                duplicates = tuple(i for i in range(len(records)) if base + i not in present)
            if duplicates and rollback:
                conn.execute("ROLLBACK TO records")
                stored = 0
            else:
                skipped = set(duplicates)
                conn.executemany(
                    _INSERT_KEY,
                    (
                        (field.value, key, base + i)
                        for i, r in enumerate(records)
                        if i not in skipped
                        for field, keys in r.keys.items()
                        for key in keys
                    ),
                )
                stored = len(records) - len(duplicates)
            conn.execute("RELEASE records")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return commit, duplicates, stored

    def _commit_capture(self, job: CaptureJob) -> None:
        conn = self._writer_connection()
        _save_job(conn, job)
        conn.execute("COMMIT")

    def _abort_capture(self) -> bool:
        """Roll back the capture's transaction if it is still open; whether it was."""
        conn = self._writer_connection()
        if not conn.in_transaction:
            return False
        conn.execute("ROLLBACK")
        return True

    # --- lookups --------------------------------------------------------------------------------------

    async def stored_keys(self, dedup_keys: Collection[str]) -> set[str]:
        return await self._read(
            functools.partial(_distinct, "SELECT dedup_key FROM events WHERE dedup_key IN ({})", dedup_keys)
        )

    async def used_event_ids(self, event_ids: Collection[str]) -> set[str]:
        sql = "SELECT event_id FROM events WHERE declaration = 0 AND event_id IN ({})"
        return await self._read(functools.partial(_distinct, sql, event_ids))

    async def find_events(self, query: EventQuery, after: Cursor | None, limit: int) -> list[StoredEvent]:
        return await self._read(functools.partial(_find_events, query, after, limit))

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

    async def list_jobs(self, after: str | None, limit: int) -> list[CaptureJob]:
        def page(conn: sqlite3.Connection) -> list[CaptureJob]:
            if after is None:
                sql = "SELECT job FROM capture_jobs ORDER BY created_at DESC, capture_id DESC LIMIT ?"
                rows = conn.execute(sql, (_clamp(limit, 0),))
            else:
                # An unknown `after` compares with NULL: no rows, as in the MongoDB store.
                sql = """
                    SELECT job FROM capture_jobs
                    WHERE (created_at, capture_id) < (SELECT created_at, capture_id FROM capture_jobs
                                                      WHERE capture_id = ?)
                    ORDER BY created_at DESC, capture_id DESC LIMIT ?"""
                rows = conn.execute(sql, (after, _clamp(limit, 0)))
            return [_job_from_json(job) for (job,) in rows]

        return await self._read(page)


# --- one process per database ---------------------------------------------------------------------------


class _ProcessLock:
    """An exclusive OS lock on a file beside the database, held from `acquire` to `release`.

    Non-blocking: a second holder is refused at once. The lock belongs to this open file, so a second
    store in the same process is refused too, and the OS drops it when the process ends.
    """

    def __init__(self, path: Path, database: Path) -> None:
        self._path = path
        self._database = database
        self._fd: int | None = None

    def acquire(self) -> None:
        if self._fd is not None:
            return
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise StorageError(f"Cannot create the lock file {self._path}: {error}") from error
        try:
            locked = _try_lock(fd)
        except OSError as error:
            os.close(fd)
            raise StorageError(f"Cannot lock {self._path}: {error}") from error
        if not locked:
            os.close(fd)
            raise StorageError(
                f"another epcis-repo process is using {self._database} (it holds {self._path}); "
                "stop that process first, or give this one a data directory of its own"
            )
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                _unlock(fd)
            finally:
                os.close(fd)


if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        """Lock the file's first byte (a lock may lie beyond the end of the file); False if held."""
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except PermissionError:  # EACCES: another handle holds it
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        # flock, not fcntl/lockf: its lock belongs to the open file, not the process, so it also keeps
        # out a second store in this process, and closing some other descriptor of the file keeps it.
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


# --- schema and recovery --------------------------------------------------------------------------------


def _migrate(conn: sqlite3.Connection) -> None:
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    if version > len(_MIGRATIONS):
        raise StorageError(
            f"The SQLite database has schema version {version}; "
            f"this repository knows versions up to {len(_MIGRATIONS)}"
        )
    for number, statements in enumerate(_MIGRATIONS[version:], start=version + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in statements:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


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


def _register_functions(conn: sqlite3.Connection) -> None:
    conn.create_function("epcis_tail_matches", 3, _tail_matches, deterministic=True)


@functools.lru_cache(maxsize=256)
def _tail_pattern(tail: str) -> re.Pattern[str]:
    return re.compile(tail)


def _tail_matches(key: object, start: object, tail: object) -> int:
    """Whether `key` after its first `start` characters fully matches `tail` (see KeyMatch.matches)."""
    if not isinstance(key, str) or not isinstance(start, int) or not isinstance(tail, str):
        return 0
    return int(_tail_pattern(tail).fullmatch(key[start:]) is not None)


# --- rows -------------------------------------------------------------------------------------------------


def _event_row(
    record: EventRecord, row_id: int, commit: int, position: int, capture_id: str, record_time: int
) -> tuple[object, ...]:
    return (
        row_id,
        commit,
        position,
        capture_id,
        record.event_id,
        record.event_hash,
        record.dedup_key,
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


def _save_job(conn: sqlite3.Connection, job: CaptureJob) -> None:
    document = orjson.dumps(dataclasses.asdict(job))
    conn.execute(_SAVE_JOB, (job.capture_id, job.created_at, int(job.running), document))


_JOB_FIELDS = frozenset(f.name for f in dataclasses.fields(CaptureJob))


def _job_from_json(document: bytes) -> CaptureJob:
    fields = {k: v for k, v in orjson.loads(document).items() if k in _JOB_FIELDS}
    fields["behaviour"] = Behaviour(fields["behaviour"])
    return CaptureJob(**fields)


# --- queries ----------------------------------------------------------------------------------------------


def _distinct(sql: str, values: Collection[str], conn: sqlite3.Connection) -> set[str]:
    unique = [v for v in dict.fromkeys(values) if _storable(v)]
    found: set[str] = set()
    for start in range(0, len(unique), _BATCH):
        chunk = unique[start : start + _BATCH]
        found.update(row[0] for row in conn.execute(sql.format(_marks(len(chunk))), chunk))
    return found


def _find_events(
    query: EventQuery, after: Cursor | None, limit: int, conn: sqlite3.Connection
) -> list[StoredEvent]:
    conn.execute("BEGIN")  # one snapshot for the steps below
    try:
        after_id = 0
        if after is not None:
            # The last event at or before the cursor (ids follow visibility order), even if the
            # cursor names no event.
            row = conn.execute(
                """SELECT id FROM events WHERE (commit_no, position) <= (?, ?)
                   ORDER BY commit_no DESC, position DESC LIMIT 1""",
                (_clamp(after.commit), _clamp(after.position)),
            ).fetchone()
            after_id = row[0] if row else 0
        ids = _page_ids(query.conditions, after_id, _clamp(limit, 0), conn)
        found: list[StoredEvent] = []
        for start in range(0, len(ids), _BATCH):
            chunk = ids[start : start + _BATCH]
            rows = conn.execute(
                "SELECT event_id, record_time, body, commit_no, position FROM events "
                f"WHERE id IN ({_marks(len(chunk))}) ORDER BY id",
                chunk,
            )
            found.extend(
                StoredEvent(event_id, record_time, bytes(body), Cursor(commit, position))
                for event_id, record_time, body, commit, position in rows
            )
    finally:
        conn.execute("COMMIT")
    return found


def _page_ids(
    conditions: Sequence[Condition], after_id: int, limit: int, conn: sqlite3.Connection
) -> list[int]:
    """The ids of the first `limit` matching events after `after_id`.

    Two ways to read them. By an index: the matches of one condition (an index range or key lookup)
    are collected and then read in id order against the other conditions; it costs as much as that
    condition matches. In visibility order: events are read from the cursor on and filtered, stopping
    at `limit`; it costs as much as the events read before the page fills, which is little when
    matches are dense, and most of the table when they are rare or all late. SQLite cannot tell
    (it keeps no range statistics), so capped counts on the indexes decide: a condition with at most
    `_DRIVER_MAX` matches drives; without one, a bounded stretch is read in visibility order and, if
    the page is not full, the rest is read by the index of the least broad condition.
    """
    if limit == 0:
        return []
    counted: list[tuple[int, Condition]] = []
    for condition in conditions:
        if not _indexed(condition):
            continue
        count = _count(condition, after_id, conn)
        if count == 0:
            return []
        counted.append((count, condition))
    if not counted:
        return _in_order(conditions, after_id, None, limit, conn)
    count, driver = min(counted, key=lambda entry: entry[0])
    if count > _DRIVER_MAX:
        ids = _in_order(conditions, after_id, after_id + _IN_ORDER_FIRST, limit, conn)
        if len(ids) == limit:
            return ids
        return ids + _by_index(driver, conditions, after_id + _IN_ORDER_FIRST, limit - len(ids), conn)
    return _by_index(driver, conditions, after_id, limit, conn)


def _in_order(
    conditions: Sequence[Condition], after_id: int, until_id: int | None, limit: int, conn: sqlite3.Connection
) -> list[int]:
    clauses, params = ["e.id > ?"], list[object]([after_id])
    if until_id is not None:
        clauses.append("e.id <= ?")
        params.append(until_id)
    for condition in conditions:
        clause, values = _filter(condition, equality_index=True)
        clauses.append(clause)
        params.extend(values)
    sql = f"SELECT e.id FROM events AS e WHERE {' AND '.join(clauses)} ORDER BY e.id LIMIT ?"
    return [row[0] for row in conn.execute(sql, [*params, limit])]


def _by_index(
    driver: Condition, conditions: Sequence[Condition], after_id: int, limit: int, conn: sqlite3.Connection
) -> list[int]:
    arms = _arms(driver, after_id, tails=True)
    if not arms:
        return []
    clauses = [f"e.id IN ({' UNION ALL '.join(sql for sql, _ in arms)})", "e.id > ?"]
    params = [value for _, values in arms for value in values] + [after_id]
    for condition in conditions:
        if condition is not driver:
            clause, values = _filter(condition, equality_index=False)
            clauses.append(clause)
            params.extend(values)
    sql = f"SELECT e.id FROM events AS e WHERE {' AND '.join(clauses)} ORDER BY e.id LIMIT ?"
    return [row[0] for row in conn.execute(sql, [*params, limit])]


def _indexed(condition: Condition) -> bool:
    """Whether a condition is worth counting: a range, a key match, or a list field.

    (Equality on a scalar field needs no count: its index lists the matches in visibility order.)
    """
    if isinstance(condition, InRange):
        scalar = condition.field in _SCALAR_COLUMNS
        return scalar and (condition.ge is not None or condition.lt is not None)
    return isinstance(condition, MatchesKey) or condition.field not in _SCALAR_COLUMNS


def _count(condition: Condition, after_id: int, conn: sqlite3.Connection) -> int:
    """How many index entries the condition selects after `after_id`, counting up to one above
    `_DRIVER_MAX` (key tails left out: they only narrow, and cost a call each)."""
    arms = _arms(condition, after_id, tails=False)
    if not arms:
        return 0
    sql = f"SELECT count(*) FROM ({' UNION ALL '.join(sql for sql, _ in arms)} LIMIT ?)"
    params = [value for _, values in arms for value in values]
    (count,) = conn.execute(sql, [*params, _DRIVER_MAX + 1]).fetchone()
    return int(count)


def _arms(condition: Condition, after_id: int, *, tails: bool) -> list[tuple[str, list[object]]]:
    """SELECTs, each one index search, whose union is the ids of the events matching `condition`
    after `after_id`. SQLite would scan for an OR, hence one SELECT per shape."""
    if isinstance(condition, InRange):
        if condition.field not in _SCALAR_COLUMNS:
            return []
        name = _SCALAR_COLUMNS[condition.field]
        clauses, params = _bounds(f"r.{name}", condition)
        sql = f"SELECT r.id FROM events AS r INDEXED BY events_{name} WHERE {clauses} AND r.id > ?"
        return [(sql, [*params, after_id])]
    exact, ranges = _key_matches(condition)
    key_params: list[object]
    # The indexes are named: planner statistics must not trade them for a scan in id order.
    if condition.field in _SCALAR_COLUMNS:
        name = _SCALAR_COLUMNS[condition.field]
        column = f"r.{name}"
        base = f"SELECT r.id FROM events AS r INDEXED BY events_{name} WHERE r.id > ? AND "
        key_params = [after_id]
    else:
        column = "k.key"
        # NOT INDEXED: by the primary key (field, key, event), never the (event, field) index.
        base = "SELECT k.event FROM event_keys AS k NOT INDEXED WHERE k.field = ? AND k.event > ? AND "
        key_params = [condition.field.value, after_id]
    arms: list[tuple[str, list[object]]] = []
    if exact:
        arms.append((base + f"{column} IN ({_marks(len(exact))})", [*key_params, *exact]))
    for match in ranges:
        clause, values = _prefix_range(column, match, tails=tails)
        arms.append((base + clause, [*key_params, *values]))
    return arms


def _filter(condition: Condition, *, equality_index: bool) -> tuple[str, list[object]]:
    """The condition tested on each event row `e` read; it never brings a range index into play
    (unary +), and uses an equality index only when `equality_index`."""
    if isinstance(condition, InRange):
        if condition.field not in _SCALAR_COLUMNS:
            return "0", []  # list fields hold text keys: no number lies in a numeric range of them
        return _bounds("+e." + _SCALAR_COLUMNS[condition.field], condition)
    exact, ranges = _key_matches(condition)
    if condition.field in _SCALAR_COLUMNS:
        column = "e." + _SCALAR_COLUMNS[condition.field]
        use_index = equality_index and isinstance(condition, AnyOf)
        alternatives = [f"{'' if use_index else '+'}{column} IN ({_marks(len(exact))})"] if exact else []
        params = list[object](exact)
        for match in ranges:
            clause, values = _prefix_range("+" + column, match, tails=True)
            alternatives.append(clause)
            params.extend(values)
        return "(" + (" OR ".join(alternatives) or "0") + ")", params
    # The event's own keys, through the (event, field) index.
    alternatives = [f"k.key IN ({_marks(len(exact))})"] if exact else []
    params = [condition.field.value, *exact]
    for match in ranges:
        clause, values = _prefix_range("k.key", match, tails=True)
        alternatives.append(clause)
        params.extend(values)
    return (
        "EXISTS (SELECT 1 FROM event_keys AS k INDEXED BY event_keys_event "
        "WHERE k.event = e.id AND k.field = ? AND "
        f"({' OR '.join(alternatives) or '0'}))",
        params,
    )


def _bounds(column: str, condition: InRange) -> tuple[str, list[object]]:
    clauses, params = ["1"], list[object]()
    if condition.ge is not None:
        clauses.append(f"{column} >= ?")
        params.append(_clamp(condition.ge))
    if condition.lt is not None:
        clauses.append(f"{column} < ?")
        params.append(_clamp(condition.lt))
    return " AND ".join(clauses), params


def _key_matches(condition: AnyOf | MatchesKey) -> tuple[list[str], list[KeyMatch]]:
    """The exact keys and the prefix matches of a condition (none that no stored text can match)."""
    if isinstance(condition, AnyOf):
        return [v for v in dict.fromkeys(condition.values) if _storable(v)], []
    exact = [m.prefix for m in condition.matches if m.exact and _storable(m.prefix)]
    return list(dict.fromkeys(exact)), [m for m in condition.matches if not m.exact and _storable(m.prefix)]


def _prefix_range(column: str, match: KeyMatch, *, tails: bool) -> tuple[str, list[object]]:
    """`column` starts with the literal prefix (an index range), and the rest fully matches the tail
    (checked only when `tails`)."""
    clauses, params = [f"{column} >= ?"], list[object]([match.prefix])
    upper = _prefix_upper_bound(match.prefix)
    if upper is not None:
        clauses.append(f"{column} < ?")
        params.append(upper)
    if tails and match.tail is not None:
        clauses.append(f"epcis_tail_matches({column.lstrip('+')}, ?, ?)")
        params.extend([len(match.prefix), match.tail])
    return "(" + " AND ".join(clauses) + ")", params


def _prefix_upper_bound(prefix: str) -> str | None:
    """The least string above every string that starts with `prefix`; None when there is none.

    SQLite compares text as UTF-8 bytes, which orders like code points. So the bound is the prefix
    with its last character raised by one code point, after dropping trailing U+10FFFF (they cannot
    be raised), and skipping the surrogates, which no stored (UTF-8) text contains.
    """
    stem = prefix.rstrip("\U0010ffff")
    if not stem:
        return None
    following = ord(stem[-1]) + 1
    if 0xD800 <= following <= 0xDFFF:
        following = 0xE000
    return stem[:-1] + chr(following)


def _storable(value: str) -> bool:
    """Whether SQLite can hold the text: a lone surrogate cannot be UTF-8, so no stored value has one."""
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def _marks(count: int) -> str:
    return ", ".join("?" * count)


def _clamp(value: int, low: int = _INT64[0]) -> int:
    """An integer SQLite can bind, with its order kept (cursors and bounds may come from clients)."""
    return max(low, min(value, _INT64[1]))


__all__ = ["SqliteEventStore"]
