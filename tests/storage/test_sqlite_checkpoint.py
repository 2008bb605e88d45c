"""The write-ahead log of the SQLite store stays bounded while captures follow each other."""

from __future__ import annotations

import uuid
from pathlib import Path

from epcis_repo.storage.port import AppendResult, Behaviour, CaptureJob
from epcis_repo.storage.sqlite import SqliteEventStore
from tests.storage.test_contract import record


class LaggingCheckpointer:
    """Never copies the log (as a checkpointer that cannot keep up); reports it full every `every` commits."""

    def __init__(self, every: int | None) -> None:
        self.every, self.commits = every, 0

    def nudge(self) -> None:
        self.commits += 1

    def must_restart(self) -> bool:
        return self.every is not None and self.commits % self.every == 0

    def restarted(self) -> None:
        return None

    def stop(self) -> None:
        return None


async def log_sizes(path: Path, checkpointer: LaggingCheckpointer) -> list[int]:
    store = SqliteEventStore(path)
    await store.open()
    store._checkpointer.stop()  # type: ignore[union-attr]
    store._checkpointer = checkpointer  # type: ignore[assignment]
    sizes = []
    try:
        for _ in range(30):
            job = CaptureJob(str(uuid.uuid4()), 0, Behaviour.ROLLBACK)

            async def settle(result: AppendResult, job: CaptureJob = job) -> None:
                job.running = False

            await store.append([record() for _ in range(20)], job, settle)
            sizes.append(path.with_name(path.name + "-wal").stat().st_size)
    finally:
        await store.close()
    return sizes


async def test_the_writer_starts_the_log_over_when_the_checkpointer_falls_behind(tmp_path: Path) -> None:
    growing = await log_sizes(tmp_path / "a" / "events.sqlite3", LaggingCheckpointer(None))
    bounded = await log_sizes(tmp_path / "b" / "events.sqlite3", LaggingCheckpointer(5))
    assert growing == sorted(growing) and growing[-1] > 4 * growing[4]  # nothing copies: it only grows
    assert max(bounded) < growing[-1] / 2  # restarted every 5 captures, it is reused
