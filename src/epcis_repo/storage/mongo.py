"""MongoDB store: one document per event, for production and scale-out.

Visibility without multi-document transactions: each capture gets a commit number; its
events are inserted carrying it, and readers only see commit numbers up to the published
one (``meta.visible``). Publishing is a single-document write made after the capture's job
is settled, so a reader sees a capture whole or not at all, and `open` can tell after a
crash which captures to publish and which to remove. Captures are appended one at a time
per process.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Collection, Sequence
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.errors import BulkWriteError, PyMongoError

from epcis_repo.epcis.timestamps import now_micros
from epcis_repo.query.model import KEY_FIELDS, AnyOf, Condition, Cursor, EventQuery, Field, InRange
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

_BATCH = 1000
_DUPLICATE_KEY = 11000
_COMMITS = "commits"

_EVENT_INDEXES = [
    IndexModel([("commit", ASCENDING), ("position", ASCENDING)], name="visibility_order", unique=True),
    IndexModel([("dedupKey", ASCENDING)], name="dedup_key", unique=True),
    # Only events that are not error declarations own their eventID.
    IndexModel([("ownedEventID", ASCENDING)], name="owned_event_id", unique=True, sparse=True),
    IndexModel([("eventID", ASCENDING)], name="event_id"),
    IndexModel([("captureID", ASCENDING)], name="capture_id"),
    *(
        IndexModel([(f.value, ASCENDING), ("commit", ASCENDING), ("position", ASCENDING)], name=f.value)
        for f in (
            Field.TYPE,
            Field.EVENT_TIME,
            Field.RECORD_TIME,
            Field.BIZ_STEP,
            Field.DISPOSITION,
            Field.READ_POINT,
            Field.BIZ_LOCATION,
            *KEY_FIELDS,
        )
    ),  # fmt: skip
]
_JOB_INDEXES = [IndexModel([("createdAt", DESCENDING), ("_id", DESCENDING)], name="newest_first")]


class MongoEventStore:
    def __init__(self, database: Any) -> None:
        """`database`: a pymongo AsyncDatabase (or a test double with the same shape)."""
        self._events = database["events"]
        self._jobs = database["captureJobs"]
        self._meta = database["meta"]
        self._append_lock = asyncio.Lock()
        self._last_record_time = 0

    async def open(self) -> None:
        try:
            await self._events.create_indexes(_EVENT_INDEXES)
            await self._jobs.create_indexes(_JOB_INDEXES)
            await self._recover()
        except PyMongoError as error:
            raise StorageError(f"MongoDB is not usable: {error}") from error

    async def close(self) -> None:
        return None

    async def _recover(self) -> None:
        visible = await self._visible()
        settled = await self._jobs.find_one(
            {"running": False, "commit": {"$gt": visible}}, sort=[("commit", DESCENDING)]
        )
        if settled is not None:
            visible = settled["commit"]
            await self._publish(visible)
        await self._events.delete_many({"commit": {"$gt": visible}})
        async for doc in self._jobs.find({"running": True}):
            job = _job_from_document(doc)
            settle_interrupted(job, now_micros())
            await self._jobs.replace_one({"_id": job.capture_id}, _job_document(job))
        last = await self._events.find_one(
            {}, sort=[("recordTime", DESCENDING)], projection={"recordTime": 1}
        )
        self._last_record_time = last["recordTime"] if last else 0

    async def _visible(self) -> int:
        meta = await self._meta.find_one({"_id": _COMMITS})
        return int(meta.get("visible", 0)) if meta else 0

    async def _publish(self, commit: int) -> None:
        await self._meta.update_one({"_id": _COMMITS}, {"$max": {"visible": commit}}, upsert=True)

    async def append(self, records: Sequence[EventRecord], job: CaptureJob, settle: Settle) -> AppendResult:
        async with self._append_lock:
            try:
                return await self._append(records, job, settle)
            except PyMongoError as error:
                raise StorageError(f"MongoDB write failed: {error}") from error

    async def _append(self, records: Sequence[EventRecord], job: CaptureJob, settle: Settle) -> AppendResult:
        counter = await self._meta.find_one_and_update(
            {"_id": _COMMITS}, {"$inc": {"next": 1}}, upsert=True, return_document=ReturnDocument.AFTER
        )
        commit = int(counter["next"])
        # recordTime only grows, whatever the clock does.
        record_time = self._last_record_time = max(now_micros(), self._last_record_time + 1)
        job.commit = commit
        duplicates: list[int] = []
        try:
            for start in range(0, len(records), _BATCH):
                batch = [
                    _event_document(record, commit, start + i, record_time, job.capture_id)
                    for i, record in enumerate(records[start : start + _BATCH])
                ]
                try:
                    await self._events.insert_many(batch, ordered=False)
                except BulkWriteError as error:
                    for failure in error.details.get("writeErrors", []):
                        if failure.get("code") != _DUPLICATE_KEY:
                            raise
                        duplicates.append(start + failure["index"])
            stored = len(records) - len(duplicates)
            if duplicates and job.behaviour is Behaviour.ROLLBACK:
                await self._events.delete_many({"commit": commit})
                stored = 0
        except BaseException:
            # Unpublished events would still hold their dedup keys: take them out again.
            await asyncio.shield(self._events.delete_many({"commit": commit}))
            raise
        result = AppendResult(record_time, stored, tuple(sorted(duplicates)))
        await settle(result)
        await self._jobs.replace_one({"_id": job.capture_id}, _job_document(job), upsert=True)
        await self._publish(commit)
        return result

    async def stored_keys(self, dedup_keys: Collection[str]) -> set[str]:
        return await self._distinct("dedupKey", dedup_keys)

    async def used_event_ids(self, event_ids: Collection[str]) -> set[str]:
        return await self._distinct("ownedEventID", event_ids)

    async def _distinct(self, name: str, values: Collection[str]) -> set[str]:
        found: set[str] = set()
        unique = list(dict.fromkeys(values))
        try:
            for start in range(0, len(unique), _BATCH):
                cursor = self._events.find(
                    {name: {"$in": unique[start : start + _BATCH]}}, {name: 1, "_id": 0}
                )
                found.update(doc[name] for doc in await cursor.to_list(length=None))
        except PyMongoError as error:
            raise StorageError(f"MongoDB read failed: {error}") from error
        return found

    async def find_events(self, query: EventQuery, after: Cursor | None, limit: int) -> list[StoredEvent]:
        try:
            visible = await self._visible()
            window: dict[str, Any] = {"commit": {"$lte": visible}}
            if after is not None:
                window = {
                    "$or": [
                        {"commit": {"$gt": after.commit, "$lte": visible}},
                        {"commit": after.commit, "position": {"$gt": after.position}},
                    ]
                }
            filters = [window, *(_condition(c) for c in query.conditions)]
            cursor = (
                self._events.find(
                    {"$and": filters},
                    {"eventID": 1, "recordTime": 1, "body": 1, "commit": 1, "position": 1, "_id": 0},
                )
                .sort([("commit", ASCENDING), ("position", ASCENDING)])
                .limit(limit)
            )
            docs = await cursor.to_list(length=None)
        except PyMongoError as error:
            raise StorageError(f"MongoDB read failed: {error}") from error
        return [
            StoredEvent(d["eventID"], d["recordTime"], bytes(d["body"]), Cursor(d["commit"], d["position"]))
            for d in docs
        ]

    async def save_job(self, job: CaptureJob) -> None:
        try:
            await self._jobs.replace_one({"_id": job.capture_id}, _job_document(job), upsert=True)
        except PyMongoError as error:
            raise StorageError(f"MongoDB write failed: {error}") from error

    async def get_job(self, capture_id: str) -> CaptureJob | None:
        try:
            doc = await self._jobs.find_one({"_id": capture_id})
        except PyMongoError as error:
            raise StorageError(f"MongoDB read failed: {error}") from error
        return _job_from_document(doc) if doc else None

    async def list_jobs(self, after: str | None, limit: int) -> list[CaptureJob]:
        try:
            query: dict[str, Any] = {}
            if after is not None:
                anchor = await self._jobs.find_one({"_id": after}, {"createdAt": 1})
                if anchor is None:
                    return []
                query = {
                    "$or": [
                        {"createdAt": {"$lt": anchor["createdAt"]}},
                        {"createdAt": anchor["createdAt"], "_id": {"$lt": after}},
                    ]
                }
            cursor = (
                self._jobs.find(query).sort([("createdAt", DESCENDING), ("_id", DESCENDING)]).limit(limit)
            )
            return [_job_from_document(doc) for doc in await cursor.to_list(length=None)]
        except PyMongoError as error:
            raise StorageError(f"MongoDB read failed: {error}") from error


def _condition(condition: Condition) -> dict[str, Any]:
    name = condition.field.value
    if isinstance(condition, AnyOf):
        return {name: {"$in": list(condition.values)}}
    if isinstance(condition, InRange):
        bounds: dict[str, int] = {}
        if condition.ge is not None:
            bounds["$gte"] = condition.ge
        if condition.lt is not None:
            bounds["$lt"] = condition.lt
        return {name: bounds} if bounds else {}
    alternatives: list[dict[str, Any]] = []
    exact = [m.prefix for m in condition.matches if m.exact]
    if exact:
        alternatives.append({name: {"$in": exact}})
    for match in condition.matches:
        if not match.exact:
            # An anchored literal prefix: MongoDB answers it with an index range scan.
            pattern = "^" + re.escape(match.prefix) + (f"(?:{match.tail})$" if match.tail else "")
            alternatives.append({name: {"$regex": pattern}})
    return alternatives[0] if len(alternatives) == 1 else {"$or": alternatives}


def _event_document(
    record: EventRecord, commit: int, position: int, record_time: int, capture_id: str
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "commit": commit,
        "position": position,
        "captureID": capture_id,
        "eventID": record.event_id,
        "hash": record.event_hash,
        "dedupKey": record.dedup_key,
        Field.TYPE.value: record.event_type,
        Field.EVENT_TIME.value: record.event_time,
        Field.RECORD_TIME.value: record_time,
        **{field.value: list(record.keys.get(field, ())) for field in KEY_FIELDS},
        "body": record.body,
    }
    if not record.is_declaration:
        doc["ownedEventID"] = record.event_id
    for name, value in (
        (Field.ACTION, record.action),
        (Field.BIZ_STEP, record.biz_step),
        (Field.DISPOSITION, record.disposition),
        (Field.READ_POINT, record.read_point),
        (Field.BIZ_LOCATION, record.biz_location),
    ):
        if value is not None:
            doc[name.value] = value
    return doc


def _job_document(job: CaptureJob) -> dict[str, Any]:
    return {
        "_id": job.capture_id,
        "createdAt": job.created_at,
        "behaviour": job.behaviour.value,
        "running": job.running,
        "success": job.success,
        "finishedAt": job.finished_at,
        "errors": job.errors,
        "eventCount": job.event_count,
        "storedCount": job.stored_count,
        "commit": job.commit,
    }


def _job_from_document(doc: dict[str, Any]) -> CaptureJob:
    return CaptureJob(
        capture_id=doc["_id"],
        created_at=doc["createdAt"],
        behaviour=Behaviour(doc["behaviour"]),
        running=doc["running"],
        success=doc["success"],
        finished_at=doc.get("finishedAt"),
        errors=list(doc.get("errors", [])),
        event_count=doc.get("eventCount", 0),
        stored_count=doc.get("storedCount", 0),
        commit=doc.get("commit"),
    )
