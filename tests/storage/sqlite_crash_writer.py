"""Captures into a SQLite store until killed: the subject of the kill -9 test (test_sqlite_recovery.py).

Usage: python sqlite_crash_writer.py DATABASE EVENTS_PER_CAPTURE...

Each capture saves its running job, then appends; the last settles slowly, so the test can kill the
process while that capture's transaction is open. Progress goes to stdout, one line per step:
``appending N``, ``settling N``, ``committed N``.
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
import uuid
from pathlib import Path

import orjson

from epcis_repo.query.model import Field
from epcis_repo.storage.port import AppendResult, Behaviour, CaptureJob, EventRecord
from epcis_repo.storage.sqlite import SqliteEventStore

NAMESPACE = uuid.UUID("6f0d1c9e-51a4-4a8e-9a53-5d0f2a7f4b11")
PADDING = "x" * 800  # bodies of a realistic size, so a large capture spills into the WAL before commit


def event_id(capture: int, index: int) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{capture}.{index}')}"


def epc(capture: int, index: int, item: int) -> str:
    return f"https://id.gs1.org/01/09521234543213/21/{capture}.{index}.{item}"


def records(capture: int, count: int) -> list[EventRecord]:
    made = []
    for index in range(count):
        eid = event_id(capture, index)
        epcs = tuple(epc(capture, index, item) for item in range(3))
        body = {"type": "ObjectEvent", "eventID": eid, "epcList": list(epcs), "note": PADDING}
        made.append(
            EventRecord(
                event_id=eid,
                event_hash=hashlib.sha256(eid.encode()).hexdigest(),
                dedup_key=hashlib.sha256(eid.encode()).hexdigest(),
                is_declaration=False,
                event_type="ObjectEvent",
                event_time=1_700_000_000_000_000 + index,
                body=orjson.dumps(body),
                action="OBSERVE",
                biz_step="https://ref.gs1.org/cbv/BizStep-shipping",
                keys={Field.EPC: epcs},
            )
        )
    return made


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def main(database: Path, sizes: list[int]) -> None:
    store = SqliteEventStore(database)
    await store.open()
    last = len(sizes) - 1
    for capture, size in enumerate(sizes):
        batch = records(capture, size)
        job = CaptureJob(capture_id=f"capture-{capture}", created_at=capture, behaviour=Behaviour.ROLLBACK)
        job.event_count = size
        await store.save_job(job)
        say(f"appending {capture}")

        async def settle(result: AppendResult, job: CaptureJob = job, capture: int = capture) -> None:
            say(f"settling {capture}")
            if capture == last:
                await asyncio.sleep(60)  # killed here, or earlier
            job.running, job.success, job.stored_count = False, True, result.stored

        await store.append(batch, job, settle)
        say(f"committed {capture}")
    await store.close()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), [int(n) for n in sys.argv[2:]]))
