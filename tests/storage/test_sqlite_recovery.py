"""What the SQLite store finds after a crash: every capture whole and its job settled, or nothing of it
and its job failed.

A capture's events and its settled job commit in one transaction, so the MongoDB store's case of a
settled capture interrupted before publishing cannot arise; what remains is a crash anywhere before
the commit, simulated in-process and done for real with kill -9.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from epcis_repo.epcis.identifiers import instance_matches
from epcis_repo.query.model import Cursor, EventQuery, Field, MatchesKey
from epcis_repo.storage.port import (
    AppendResult,
    Behaviour,
    CaptureJob,
    StorageError,
)
from epcis_repo.storage.sqlite import SqliteEventStore
from tests.storage import sqlite_crash_writer as writer
from tests.storage.test_contract import job, record


class Crash(BaseException):
    """Stands for the process dying mid-append: no handler of the application catches it.

    The store's own abort (the one that also serves cancellation) still rolls back; the kill -9 tests
    below show the same outcome when nothing at all runs after the crash.
    """


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "data" / "events.sqlite3"


@pytest.fixture
async def store(database: Path) -> AsyncIterator[SqliteEventStore]:
    opened = SqliteEventStore(database)
    await opened.open()
    yield opened
    await opened.close()


async def all_ids(store: SqliteEventStore) -> list[str]:
    found: list[str] = []
    after: Cursor | None = None
    while page := await store.find_events(EventQuery(), after, 1000):
        found.extend(e.event_id for e in page)
        after = page[-1].cursor
    return found


async def test_a_crash_in_the_middle_of_an_append_leaves_nothing_and_its_job_failed(database: Path) -> None:
    crashing = SqliteEventStore(database)
    await crashing.open()
    try:
        kept = record()

        async def settled(result: AppendResult) -> None:
            return None

        await crashing.append([kept], job(), settled)
        capture = job(Behaviour.PROCEED)
        await crashing.save_job(capture)  # as the capture service does before appending
        records = [record() for _ in range(3)]

        async def dies(result: AppendResult) -> None:
            capture.running, capture.stored_count = False, result.stored
            raise Crash

        with pytest.raises(Crash):
            await crashing.append(records, capture, dies)
        # The crashed store is abandoned, not closed: the restarted one opens beside it, once the lock
        # that only one process may hold is dropped, as the OS drops it when a process dies.
        crashing._process_lock.release()
        restarted = SqliteEventStore(database)
        await restarted.open()
        try:
            assert await all_ids(restarted) == [kept.event_id]
            assert await restarted.stored_keys([r.dedup_key for r in records]) == set()
            saved = await restarted.get_job(capture.capture_id)
            assert saved is not None and not saved.running and not saved.success
            assert saved.stored_count == 0 and saved.finished_at is not None
            assert saved.errors[-1]["title"] == "Capture interrupted"
            assert "none of its events were stored" in saved.errors[-1]["detail"]
        finally:
            await restarted.close()
    finally:
        await crashing.close()


async def test_a_failed_or_cancelled_settle_leaves_nothing_and_the_store_usable(
    store: SqliteEventStore,
) -> None:
    async def fails(result: AppendResult) -> None:
        raise RuntimeError("settle failed")

    failing = [record() for _ in range(2)]
    with pytest.raises(RuntimeError):
        await store.append(failing, job(), fails)

    entered = asyncio.Event()

    async def hangs(result: AppendResult) -> None:
        entered.set()
        await asyncio.sleep(60)

    cancelled = [record() for _ in range(2)]
    task = asyncio.create_task(store.append(cancelled, job(), hangs))
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    async def settles(result: AppendResult) -> None:
        return None

    kept = record()
    result = await asyncio.wait_for(store.append([kept], job(), settles), timeout=10)
    assert result.stored == 1
    assert await all_ids(store) == [kept.event_id]
    assert await store.stored_keys([r.dedup_key for r in failing + cancelled]) == set()


class HeldWriter(SqliteEventStore):
    """Holds the writer thread before it writes a capture's records, until released."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.writing, self.release = threading.Event(), threading.Event()

    def _write_records(self, *args: Any) -> tuple[int, tuple[int, ...], int]:
        self.writing.set()
        self.release.wait(timeout=10)
        return super()._write_records(*args)


async def test_a_capture_cancelled_while_its_records_are_written_leaves_nothing(database: Path) -> None:
    store = HeldWriter(database)
    await store.open()
    try:

        async def settle(result: AppendResult) -> None:
            return None

        cancelled = [record() for _ in range(3)]
        task = asyncio.create_task(store.append(cancelled, job(), settle))
        await asyncio.to_thread(store.writing.wait, 10)
        task.cancel()  # the writer thread goes on and opens the transaction after this
        store.release.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        kept = record()
        await asyncio.wait_for(store.append([kept], job(), settle), timeout=10)
        assert await all_ids(store) == [kept.event_id]
        assert await store.stored_keys([r.dedup_key for r in cancelled]) == set()
    finally:
        store.release.set()
        await store.close()


async def test_a_job_saved_while_settling_commits_with_the_capture(store: SqliteEventStore) -> None:
    capture = job()

    async def settle(result: AppendResult) -> None:
        capture.running, capture.stored_count = False, result.stored
        await store.save_job(capture)  # must neither deadlock nor commit early

    await asyncio.wait_for(store.append([record()], capture, settle), timeout=10)
    saved = await store.get_job(capture.capture_id)
    assert saved is not None and not saved.running and saved.stored_count == 1


async def test_readers_never_see_part_of_a_capture_under_concurrent_load(store: SqliteEventStore) -> None:
    size, captures = 40, 12
    done = False
    seen: set[int] = set()

    async def read() -> None:
        while not done:
            count = len(await store.find_events(EventQuery(), None, size * captures))
            seen.add(count)
            assert count % size == 0, f"a reader saw {count} events"

    async def capture() -> None:
        async def settle(result: AppendResult) -> None:
            await asyncio.sleep(0)

        await store.append([record() for _ in range(size)], job(), settle)

    readers = [asyncio.create_task(read()) for _ in range(3)]
    await asyncio.gather(*(capture() for _ in range(captures)))
    done = True
    await asyncio.gather(*readers)
    assert len(await all_ids(store)) == size * captures
    assert len(seen) > 1  # the readers did overlap the captures


async def test_reopening_keeps_events_and_record_time_keeps_growing(database: Path) -> None:
    async def settle(result: AppendResult) -> None:
        return None

    first = SqliteEventStore(database)
    await first.open()
    before = await first.append([record()], job(), settle)
    await first.close()
    again = SqliteEventStore(database)
    await again.open()
    try:
        after = await again.append([record()], job(), settle)
        assert after.record_time > before.record_time
        assert len(await all_ids(again)) == 2
    finally:
        await again.close()


async def test_a_database_from_a_newer_version_is_refused(database: Path) -> None:
    database.parent.mkdir(parents=True)
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA user_version = 999")
    conn.close()
    newer = SqliteEventStore(database)
    with pytest.raises(StorageError, match="schema version 999"):
        await newer.open()
    # Not "in use" the second time: the failed open gave its lock back.
    with pytest.raises(StorageError, match="schema version 999"):
        await SqliteEventStore(database).open()


# --- one process per database ----------------------------------------------------------------------------


def lock_file(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


async def test_a_second_store_on_the_same_database_is_refused_until_the_first_closes(database: Path) -> None:
    async def settle(result: AppendResult) -> None:
        return None

    in_use = f"another epcis-repo process is using {re.escape(str(database))}"
    first = SqliteEventStore(database)
    await first.open()
    second = SqliteEventStore(database)
    try:
        kept = record()
        await first.append([kept], job(), settle)
        with pytest.raises(StorageError, match=in_use):
            await second.open()
        assert lock_file(database).exists()
        with pytest.raises(StorageError, match="not open"):
            await second.find_events(EventQuery(), None, 10)
        await second.close()  # a refused store has nothing to give back, and takes nothing from the first
        with pytest.raises(StorageError, match=in_use):
            await SqliteEventStore(database).open()
        await first.append([record()], job(), settle)
        assert len(await all_ids(first)) == 2
    finally:
        await first.close()
    await second.open()
    try:
        assert (await all_ids(second))[0] == kept.event_id
        with pytest.raises(StorageError, match=in_use):
            await SqliteEventStore(database).open()
    finally:
        await second.close()


def start_holder(database: Path) -> subprocess.Popen[str]:
    """Run the crash writer with two small captures until it sits in the second one's settle, the
    database open (and the second capture's transaction too)."""
    script = Path(__file__).with_name("sqlite_crash_writer.py")
    process = subprocess.Popen(
        [sys.executable, str(script), str(database), "3", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.strip() == "settling 1":
            return process
    process.wait(timeout=10)
    errors = process.stderr.read() if process.stderr else ""
    raise AssertionError(f"the writer ended before it held the database: {errors}")


async def test_a_store_held_by_another_process_is_refused_until_that_process_is_killed(
    database: Path,
) -> None:
    store = SqliteEventStore(database)
    process = await asyncio.to_thread(start_holder, database)
    try:
        with pytest.raises(
            StorageError, match=f"another epcis-repo process is using {re.escape(str(database))}"
        ):
            await store.open()
        # Refused before touching the database: the holder's running job is still running.
        conn = sqlite3.connect(database)
        try:
            running = conn.execute("SELECT capture_id FROM capture_jobs WHERE running = 1").fetchall()
        finally:
            conn.close()
        assert running == [("capture-1",)]
        os.kill(process.pid, signal.SIGKILL)
        await asyncio.to_thread(process.wait, 10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
    assert process.returncode == -signal.SIGKILL
    # The OS dropped the dead process's lock: this one opens and recovers.
    await store.open()
    try:
        assert await all_ids(store) == [writer.event_id(0, i) for i in range(3)]
        failed = await store.get_job("capture-1")
        assert failed is not None and not failed.running and not failed.success
    finally:
        await store.close()


# --- kill -9 ------------------------------------------------------------------------------------------

SIZES = (300, 300, 20_000)  # the last capture is large enough to spill uncommitted pages into the WAL


def run_and_kill(database: Path, kill_after: str, delay: float) -> None:
    """Run the writer until it prints `kill_after`, wait `delay` seconds, and kill -9 it."""
    script = Path(__file__).with_name("sqlite_crash_writer.py")
    with subprocess.Popen(
        [sys.executable, str(script), str(database), *map(str, SIZES)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            for line in process.stdout:
                if line.strip() == kill_after:
                    time.sleep(delay)
                    os.kill(process.pid, signal.SIGKILL)
                    break
            else:
                errors = process.stderr.read() if process.stderr else ""
                raise AssertionError(f"the writer ended before {kill_after!r}: {errors}")
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)
        assert process.returncode == -signal.SIGKILL


@pytest.mark.parametrize(
    ("kill_after", "delay"),
    [("appending 2", 0.15), ("settling 2", 0.0)],
    ids=["while-writing-records", "while-settling"],
)
async def test_kill_9_during_a_large_capture_leaves_the_database_consistent(
    database: Path, kill_after: str, delay: float
) -> None:
    await asyncio.to_thread(run_and_kill, database, kill_after, delay)

    conn = sqlite3.connect(database)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()

    store = SqliteEventStore(database)
    await store.open()
    try:
        committed = [writer.event_id(c, i) for c in (0, 1) for i in range(SIZES[c])]
        interrupted = [writer.event_id(2, i) for i in range(SIZES[2])]
        assert await all_ids(store) == committed
        assert await store.used_event_ids(interrupted) == set()
        for capture in (0, 1):
            done = await store.get_job(f"capture-{capture}")
            assert done is not None and not done.running and done.success
            assert done.stored_count == SIZES[capture] and done.commit is not None
        failed = await store.get_job("capture-2")
        assert isinstance(failed, CaptureJob) and not failed.running and not failed.success
        assert failed.stored_count == 0 and failed.errors[-1]["title"] == "Capture interrupted"

        def by_epc(value: str) -> EventQuery:
            return EventQuery((MatchesKey(Field.ANY_EPC, tuple(instance_matches(value))),))

        found = await store.find_events(by_epc(writer.epc(1, 7, 2)), None, 10)
        assert [e.event_id for e in found] == [writer.event_id(1, 7)]
        assert await store.find_events(by_epc(writer.epc(2, 7, 2)), None, 10) == []
    finally:
        await store.close()
