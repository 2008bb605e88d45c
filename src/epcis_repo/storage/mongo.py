"""MongoDB store: one document per event, for production and scale-out.

Visibility without multi-document transactions: each capture gets a commit number; its
events (and the master data its document declared) are inserted carrying it, and readers only
see commit numbers up to the published one (``meta.visible``). Publishing is a single-document
write made after the capture's job is settled, so a reader sees a capture whole or not at all,
and `open` can tell after a crash which captures to publish and which to remove. Captures are
appended one at a time per process.

Where each field lives: columns and identifier roles are fields of the event document; facts are
``facts: [{f: name, s: text} | {f: name, n: number}]``, matched with ``$elemMatch`` so that a
name and its value are taken from the same entry.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError, ExecutionTimeout, PyMongoError

from epcis_repo.epcis.timestamps import now_micros
from epcis_repo.query.model import (
    KEY_FIELDS,
    AnyNumber,
    AnyOf,
    Condition,
    Cursor,
    EventQuery,
    Exists,
    Field,
    InRange,
    MatchesKey,
    Visibility,
    keys_by_field,
)
from epcis_repo.storage.deadline import QueryTimeout, deadline, remaining_ms
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
from epcis_repo.trace.model import EVERY_EDGE, EdgeKind, EdgeSelection, LineageEdge, StoredEdge, kind_test

_BATCH = 1000
_DUPLICATE_KEY = 11000
_COMMITS = "commits"
_LINEAGE = "lineage"
_FIELDS = frozenset(str(f) for f in Field)
_NOTHING: dict[str, Any] = {"_id": {"$exists": False}}  # a filter no document meets

_EVENT_INDEXES = [
    IndexModel([("commit", ASCENDING), ("position", ASCENDING)], name="visibility_order", unique=True),
    IndexModel([("dedupKey", ASCENDING)], name="dedup_key", unique=True),
    # Only events that are not error declarations own their eventID.
    IndexModel([("ownedEventID", ASCENDING)], name="owned_event_id", unique=True, sparse=True),
    IndexModel([("eventID", ASCENDING)], name="event_id"),
    IndexModel([("captureID", ASCENDING)], name="capture_id"),
    IndexModel([("facts.f", ASCENDING), ("facts.s", ASCENDING)], name="text_facts"),
    IndexModel([("facts.f", ASCENDING), ("facts.n", ASCENDING)], name="number_facts"),
    IndexModel([("lineage.s", ASCENDING)], name="lineage_source"),
    IndexModel([("lineage.t", ASCENDING)], name="lineage_target"),
    *(
        IndexModel([(str(f), ASCENDING), ("commit", ASCENDING), ("position", ASCENDING)], name=str(f))
        for f in Field
        if f is not Field.EVENT_ID
    ),
]
_JOB_INDEXES = [
    IndexModel([("createdAt", DESCENDING), ("_id", DESCENDING)], name="newest_first"),
    IndexModel(
        [("organisation", ASCENDING), ("createdAt", DESCENDING), ("_id", DESCENDING)], name="by_organisation"
    ),
]
_VOCABULARY_INDEXES = [
    IndexModel([("key", ASCENDING), ("type", ASCENDING), ("commit", DESCENDING)], name="latest"),
    IndexModel([("attributes.n", ASCENDING), ("attributes.v", ASCENDING)], name="attributes"),
]


class MongoEventStore:
    def __init__(self, database: Any) -> None:
        """`database`: a pymongo AsyncDatabase (or a test double with the same shape)."""
        self._events = database["events"]
        self._jobs = database["captureJobs"]
        self._meta = database["meta"]
        self._vocabulary = database["vocabulary"]
        self._queries = database["namedQueries"]
        self._prefixes = database["companyPrefixes"]
        self._append_lock = asyncio.Lock()
        self._last_record_time = 0

    async def open(self) -> None:
        try:
            await self._events.create_indexes(_EVENT_INDEXES)
            await self._jobs.create_indexes(_JOB_INDEXES)
            await self._vocabulary.create_indexes(_VOCABULARY_INDEXES)
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
        await self._vocabulary.delete_many({"commit": {"$gt": visible}})
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

    # --- capture ----------------------------------------------------------------------------------------

    async def append(
        self,
        records: Sequence[EventRecord],
        job: CaptureJob,
        settle: Settle,
        vocabulary: Sequence[VocabularyRecord] = (),
        company_prefixes: Collection[str] = (),
    ) -> AppendResult:
        async with self._append_lock:
            try:
                return await self._append(records, job, settle, vocabulary, company_prefixes)
            except PyMongoError as error:
                raise StorageError(f"MongoDB write failed: {error}") from error

    async def _append(
        self,
        records: Sequence[EventRecord],
        job: CaptureJob,
        settle: Settle,
        vocabulary: Sequence[VocabularyRecord],
        company_prefixes: Collection[str],
    ) -> AppendResult:
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
                    _event_document(record, commit, start + i, record_time, job)
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
            if stored and vocabulary:
                documents = [_vocabulary_document(v, commit, job.organisation) for v in vocabulary]
                await self._vocabulary.insert_many(documents)
            if stored and company_prefixes:
                # Written before the commit is published, so a visible event's prefix is never missing;
                # one left by a capture that then fails is still true (its URN spelled it out).
                for prefix in company_prefixes:  # a handful per capture: one per company
                    await self._prefixes.update_one({"_id": prefix}, {"$set": {"_id": prefix}}, upsert=True)
        except BaseException:
            # Unpublished events would still hold their dedup keys: take them out again.
            await asyncio.shield(self._discard(commit))
            raise
        result = AppendResult(record_time, stored, tuple(sorted(duplicates)))
        await settle(result)
        await self._jobs.replace_one({"_id": job.capture_id}, _job_document(job), upsert=True)
        await self._publish(commit)
        return result

    async def _discard(self, commit: int) -> None:
        await self._events.delete_many({"commit": commit})
        await self._vocabulary.delete_many({"commit": commit})

    # --- lookups ----------------------------------------------------------------------------------------

    async def stored_keys(self, dedup_keys: Collection[str], organisation: str | None = None) -> set[str]:
        return await self._lookup("dedupKey", dedup_keys, organisation)

    async def used_event_ids(self, event_ids: Collection[str], organisation: str | None = None) -> set[str]:
        return await self._lookup("ownedEventID", event_ids, organisation)

    async def _lookup(self, name: str, values: Collection[str], organisation: str | None) -> set[str]:
        """Which of these values `organisation` stored as `name` (kept scoped to it, `scoped`)."""
        by_scoped = {scoped(organisation, value): value for value in values}
        found: set[str] = set()
        unique = list(by_scoped)
        try:
            for start in range(0, len(unique), _BATCH):
                cursor = self._events.find(
                    {name: {"$in": unique[start : start + _BATCH]}}, {name: 1, "_id": 0}
                )
                found.update(by_scoped[doc[name]] for doc in await cursor.to_list(length=None))
        except PyMongoError as error:
            raise StorageError(f"MongoDB read failed: {error}") from error
        return found

    async def find_events(self, query: EventQuery, after: Cursor | None, limit: int) -> list[StoredEvent]:
        try:
            visible = await self._visible()
            order = query.order
            sort_field = str(order.field) if order else None
            direction = DESCENDING if order and order.descending else ASCENDING
            filters = [{"commit": {"$lte": visible}}, *_conditions(query)]
            if after is not None:
                filters.append(_after(after, sort_field, direction))
            sort = [("commit", direction), ("position", direction)]
            if sort_field is not None:
                sort.insert(0, (sort_field, direction))
            projection = {
                "eventID": 1,
                "recordTime": 1,
                "eventTime": 1,
                "body": 1,
                "commit": 1,
                "position": 1,
            }
            cursor = self._events.find({"$and": filters}, {**projection, "_id": 0}).sort(sort).limit(limit)
            docs = await cursor.max_time_ms(_time_left()).to_list(length=None)
        except PyMongoError as error:
            raise _read_failed(error) from error
        return [
            StoredEvent(
                d["eventID"],
                d["recordTime"],
                bytes(d["body"]),
                Cursor(d["commit"], d["position"], d[sort_field] if sort_field else None),
            )
            for d in docs
        ]

    async def count_events(self, query: EventQuery, cap: int) -> int:
        try:
            visible = await self._visible()
            filters = [{"commit": {"$lte": visible}}, *_conditions(query)]
            if not cap:
                return 0
            found = await self._events.count_documents(
                {"$and": filters}, limit=max(cap, 1), **_time_limit(_time_left())
            )
            return int(found)
        except PyMongoError as error:
            raise _read_failed(error) from error

    async def distinct_values(
        self, field: Field, after: str | None, limit: int, visible: Visibility | None = None
    ) -> list[str]:
        name = str(field)
        try:
            published = await self._visible()
            match: dict[str, Any] = {"commit": {"$lte": published}, name: {"$gt": after or ""}}
            if visible is not None:
                match = {"$and": [match, _visibility(visible)]}
            pipeline: list[dict[str, Any]] = [{"$match": match}]
            if field in KEY_FIELDS:
                pipeline += [{"$unwind": f"${name}"}, {"$match": {name: {"$gt": after or ""}}}]
            pipeline += [{"$group": {"_id": f"${name}"}}, {"$sort": {"_id": 1}}, {"$limit": max(limit, 1)}]
            docs = await self._aggregate(self._events, pipeline, _time_left())
        except PyMongoError as error:
            raise _read_failed(error) from error
        return [d["_id"] for d in docs][:limit]

    @staticmethod
    async def _aggregate(
        collection: Any, pipeline: list[dict[str, Any]], max_time_ms: int | None = None
    ) -> list[dict[str, Any]]:
        cursor = collection.aggregate(pipeline, **_time_limit(max_time_ms))
        if inspect.isawaitable(cursor):  # PyMongo's async API awaits aggregate; its test double does not
            cursor = await cursor
        docs: list[dict[str, Any]] = await cursor.to_list(length=None)
        return docs

    # --- master data ------------------------------------------------------------------------------------

    async def _latest_vocabulary(
        self, query: dict[str, Any], sources: Sources, published: int | None = None
    ) -> list[dict[str, Any]]:
        """The latest version visible (up to the `published` commit, else the one published now),
        among those `sources` captured, of every element (type, key) that some such version of
        matches `query`."""
        among: dict[str, Any] = {} if sources is None else {"organisation": {"$in": list(sources)}}
        try:
            visible = await self._visible() if published is None else published
            candidates = await self._vocabulary.find(
                {**query, **among, "commit": {"$lte": visible}}, {"type": 1, "key": 1, "_id": 0}
            ).to_list(length=None)
            keys = list({d["key"] for d in candidates})
            if not keys:
                return []
            versions = await self._vocabulary.find(
                {"key": {"$in": keys}, **among, "commit": {"$lte": visible}}
            ).to_list(length=None)
        except PyMongoError as error:
            raise StorageError(f"MongoDB read failed: {error}") from error
        latest: dict[tuple[str, str], dict[str, Any]] = {}
        for doc in versions:
            place = (doc["type"], doc["key"])
            if place not in latest or doc["commit"] > latest[place]["commit"]:
                latest[place] = doc
        wanted = {(d["type"], d["key"]) for d in candidates}
        return [doc for place, doc in latest.items() if place in wanted]

    async def vocabulary_children(self, keys: Collection[str], sources: Sources = None) -> set[str]:
        docs = await self._latest_vocabulary({"key": {"$in": list(keys)}}, sources)
        return {child for doc in docs for child in doc.get("children", ())}

    async def vocabulary_with_attribute(
        self, name: str, values: Collection[str] | None, sources: Sources = None
    ) -> set[str]:
        wanted: dict[str, Any] = {"n": name} if values is None else {"n": name, "v": {"$in": list(values)}}
        docs = await self._latest_vocabulary({"attributes": {"$elemMatch": wanted}}, sources)
        return {
            doc["key"]
            for doc in docs
            if any(a["n"] == name and (values is None or a["v"] in values) for a in doc.get("attributes", ()))
        }

    # --- lineage ---------------------------------------------------------------------------------------

    async def lineage(
        self, nodes: Collection[str], recorded_by: int | None, visible: Visibility | None = None
    ) -> list[StoredEdge]:
        try:
            return await self._lineage(set(nodes), recorded_by, visible, await self._visible())
        except PyMongoError as error:
            raise StorageError(f"MongoDB read failed: {error}") from error

    async def _lineage(
        self,
        wanted: set[str],
        recorded_by: int | None,
        visible: Visibility | None,
        published: int,
        selection: EdgeSelection = EVERY_EDGE,
    ) -> list[StoredEdge]:
        """`lineage` among the events of commits up to `published`, of the edges `selection` takes."""
        chosen = list(wanted)
        ends = [
            _edge_end(end, chosen, kinds) for end, kinds in zip(("s", "t"), selection, strict=True) if kinds
        ]
        if not chosen or not ends:
            return []
        query: dict[str, Any] = {"$or": ends, "commit": {"$lte": published}}
        if recorded_by is not None and visible is None:
            query[str(Field.RECORD_TIME)] = {"$lte": recorded_by}
        projection = {
            "eventID": 1,
            str(Field.EVENT_TIME): 1,
            str(Field.RECORD_TIME): 1,
            str(Field.CAPTURED_BY): 1,
            "lineage": 1,
        }
        docs = await self._events.find(query, projection).max_time_ms(_time_left()).to_list(None)
        allowed: set[Any] | None = None
        if visible is not None:
            ids = [doc["_id"] for doc in docs]
            seen = self._events.find({"$and": [{"_id": {"$in": ids}}, _visibility(visible)]}, {"_id": 1})
            allowed = {doc["_id"] async for doc in seen}
            if recorded_by is not None:
                # The horizon holds for the events the caller may see; of the others only their being
                # there is told (as not visible), whenever recorded, so that no horizon dates them.
                docs = [
                    d for d in docs if d[str(Field.RECORD_TIME)] <= recorded_by or d["_id"] not in allowed
                ]
        # Declarations only of the events kept (the horizon may have left some out).
        voided = await self._declared([doc["eventID"] for doc in docs], query["commit"])
        found: list[StoredEdge] = []
        for doc in docs:
            for edge_doc in doc.get("lineage", ()):
                kind = edge_doc["k"]  # tested before the edge is built: an aggregation may have thousands
                if (edge_doc["s"] in wanted and kind in selection.leaving) or (
                    edge_doc["t"] in wanted and kind in selection.entering
                ):
                    found.append(
                        StoredEdge(
                            _edge_from_document(edge_doc),
                            doc["eventID"],
                            doc[str(Field.EVENT_TIME)],
                            doc[str(Field.RECORD_TIME)],
                            voided.get((doc["eventID"], doc.get(str(Field.CAPTURED_BY)))),
                            allowed is None or doc["_id"] in allowed,
                        )
                    )
        return found

    async def _declared(self, event_ids: list[str], visible: dict[str, int]) -> dict[tuple[str, Any], int]:
        """The record time of the first visible error declaration about each of these events, by
        eventID and the organisation that made it (only the event's own organisation's counts)."""
        first: dict[tuple[str, Any], int] = {}
        by = str(Field.CAPTURED_BY)
        for start in range(0, len(event_ids), _BATCH):
            query = {
                "eventID": {"$in": event_ids[start : start + _BATCH]},
                "ownedEventID": {"$exists": False},
                "commit": visible,
            }
            async for doc in self._events.find(query, {"eventID": 1, str(Field.RECORD_TIME): 1, by: 1}):
                time, declared = doc[str(Field.RECORD_TIME)], (doc["eventID"], doc.get(by))
                first[declared] = min(time, first.get(declared, time))
        return first

    async def lineage_names(
        self, node: str, recorded_by: int | None, visible: Visibility | None = None
    ) -> bool:
        try:
            filters: list[dict[str, Any]] = [
                {"$or": [{"lineage.s": node}, {"lineage.t": node}]},
                {"commit": {"$lte": await self._visible()}},
            ]
            if recorded_by is not None:
                filters.append({str(Field.RECORD_TIME): {"$lte": recorded_by}})
            if visible is not None:
                filters.append(_visibility(visible))
            found = await self._events.count_documents(
                {"$and": filters}, limit=1, **_time_limit(_time_left())
            )
        except PyMongoError as error:
            raise _read_failed(error) from error
        return bool(found)

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
        try:
            published = await self._visible()  # one snapshot for the whole walk, as SQLite reads it
            nodes = set(start)
            for _ in range(hops):
                if not nodes:
                    break
                nodes = set(step(await self._lineage(nodes, recorded_by, visible, published, selection)))
        except PyMongoError as error:
            raise StorageError(f"MongoDB read failed: {error}") from error
        keys = master_data() if master_data is not None else ()
        elements = await self.vocabulary_elements(keys, sources, published) if keys else []
        event_ids = followed(elements) if followed is not None else ()
        found = await self._events_of(event_ids, recorded_by, visible, published) if event_ids else []
        return Explored(elements, found)

    async def _events_of(
        self, event_ids: Collection[str], recorded_by: int | None, visible: Visibility | None, published: int
    ) -> list[tuple[str, bytes]]:
        """(eventID, body) of these events of commits up to `published` (`explore_lineage`), but for
        copies their organisation declared erroneous by `recorded_by`."""
        chosen = list(dict.fromkeys(event_ids))
        filters: list[dict[str, Any]] = [
            {"eventID": {"$in": chosen}},
            {"ownedEventID": {"$exists": True}},  # not an error declaration
            {"commit": {"$lte": published}},
        ]
        if visible is not None:
            filters.append(_visibility(visible))
        try:
            by = str(Field.CAPTURED_BY)
            cursor = self._events.find({"$and": filters}, {"eventID": 1, "body": 1, by: 1, "_id": 0})
            cursor = cursor.sort([("commit", ASCENDING), ("position", ASCENDING)])
            docs = await cursor.max_time_ms(_time_left()).to_list(None)
            declared = await self._declared(chosen, {"$lte": published})
        except PyMongoError as error:
            raise _read_failed(error) from error
        return [
            (doc["eventID"], bytes(doc["body"]))
            for doc in docs
            if (voided := declared.get((doc["eventID"], doc.get(by)))) is None
            or (recorded_by is not None and voided > recorded_by)
        ]

    async def lineage_version(self) -> int:
        try:
            meta = await self._meta.find_one({"_id": _LINEAGE})
        except PyMongoError as error:
            raise StorageError(f"MongoDB read failed: {error}") from error
        return int(meta.get("version", 0)) if meta else 0

    async def rebuild_lineage(self, derive: Callable[[bytes], Sequence[LineageEdge]], version: int) -> int:
        try:
            return await self._rebuild_lineage(derive, version)
        except PyMongoError as error:
            raise StorageError(f"MongoDB write failed: {error}") from error

    async def _rebuild_lineage(self, derive: Callable[[bytes], Sequence[LineageEdge]], version: int) -> int:
        count = 0
        pending: set[asyncio.Task[Any]] = set()
        async for doc in self._events.find({"ownedEventID": {"$exists": True}}, {"body": 1}):
            edges = [_edge_document(edge) for edge in derive(doc["body"])]
            pending.add(
                asyncio.ensure_future(
                    self._events.update_one({"_id": doc["_id"]}, {"$set": {"lineage": edges}})
                )
            )
            count += 1
            if len(pending) >= 64:  # a bounded number of updates in flight
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    task.result()
        if pending:
            await asyncio.gather(*pending)
        await self._meta.update_one({"_id": _LINEAGE}, {"$set": {"version": version}}, upsert=True)
        return count

    async def company_prefixes(self) -> set[str]:
        return {doc["_id"] async for doc in self._prefixes.find({}, {"_id": 1})}

    async def vocabulary_elements(
        self, keys: Collection[str], sources: Sources = None, published: int | None = None
    ) -> list[VocabularyRecord]:
        docs = await self._latest_vocabulary({"key": {"$in": list(keys)}}, sources, published)
        return [
            VocabularyRecord(
                d["type"],
                d["key"],
                bytes(d["element"]),
                tuple((a["n"], a["v"]) for a in d.get("attributes", ())),
                tuple(d.get("children", ())),
            )
            for d in docs
        ]

    # --- named queries ----------------------------------------------------------------------------------

    async def save_named_query(self, query: NamedQuery) -> bool:
        try:
            await self._queries.insert_one(
                {
                    "_id": query.name,
                    "createdAt": query.created_at,
                    "definition": query.definition,
                    "owner": query.owner,
                }
            )
        except DuplicateKeyError:
            return False
        except PyMongoError as error:
            raise StorageError(f"MongoDB write failed: {error}") from error
        return True

    async def get_named_query(self, name: str) -> NamedQuery | None:
        try:
            doc = await self._queries.find_one({"_id": name})
        except PyMongoError as error:
            raise StorageError(f"MongoDB read failed: {error}") from error
        return _named_query(doc) if doc else None

    async def list_named_queries(
        self, after: str | None, limit: int, owner: str | None = None
    ) -> list[NamedQuery]:
        query: dict[str, Any] = {"_id": {"$gt": after or ""}}
        if owner is not None:
            query["owner"] = owner
        try:
            cursor = self._queries.find(query).sort("_id", ASCENDING).limit(max(limit, 1))
            docs = await cursor.to_list(length=None)
        except PyMongoError as error:
            raise StorageError(f"MongoDB read failed: {error}") from error
        return [_named_query(d) for d in docs][:limit]

    async def delete_named_query(self, name: str) -> bool:
        try:
            result = await self._queries.delete_one({"_id": name})
        except PyMongoError as error:
            raise StorageError(f"MongoDB write failed: {error}") from error
        return bool(result.deleted_count)

    # --- capture jobs -----------------------------------------------------------------------------------

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

    async def list_jobs(
        self, after: str | None, limit: int, organisation: str | None = None
    ) -> list[CaptureJob]:
        try:
            query: dict[str, Any] = {} if organisation is None else {"organisation": organisation}
            if after is not None:
                anchor = await self._jobs.find_one({"_id": after}, {"createdAt": 1})
                if anchor is None:
                    return []
                query["$or"] = [
                    {"createdAt": {"$lt": anchor["createdAt"]}},
                    {"createdAt": anchor["createdAt"], "_id": {"$lt": after}},
                ]
            cursor = (
                self._jobs.find(query).sort([("createdAt", DESCENDING), ("_id", DESCENDING)]).limit(limit)
            )
            return [_job_from_document(doc) for doc in await cursor.to_list(length=None)]
        except PyMongoError as error:
            raise StorageError(f"MongoDB read failed: {error}") from error


def _after(after: Cursor, sort_field: str | None, direction: int) -> dict[str, Any]:
    """Events after the cursor in the sort order: (sort value,) commit, position, compared in turn."""
    beyond = "$gt" if direction == ASCENDING else "$lt"
    keys: list[tuple[str, Any]] = [("commit", after.commit), ("position", after.position)]
    if sort_field is not None:
        keys.insert(0, (sort_field, after.value))
    alternatives: list[dict[str, Any]] = []
    for depth in range(len(keys)):
        equal: dict[str, Any] = dict(keys[:depth])
        name, value = keys[depth]
        alternatives.append({**equal, name: {beyond: value}})
    return {"$or": alternatives}


def _conditions(query: EventQuery) -> list[dict[str, Any]]:
    found = [_condition(c) for c in query.conditions]
    if query.visible is not None:
        found.append(_visibility(query.visible))
    return found


def _visibility(visible: Visibility) -> dict[str, Any]:
    """Some group's conditions all hold (no group: nothing is visible)."""
    if not visible:
        return {"_id": {"$in": []}}
    return {"$or": [{"$and": [_condition(c) for c in group]} for group in visible]}


def _condition(condition: Condition) -> dict[str, Any]:
    name = str(condition.field)
    if name in _FIELDS:
        if isinstance(condition, Exists):
            return (
                {f"{name}.0": {"$exists": True}} if condition.field in KEY_FIELDS else {name: {"$ne": None}}
            )
        if isinstance(condition, InRange):
            return {name: _bounds(condition) or {"$exists": True}}
        if isinstance(condition, AnyNumber):
            return _either([{name: {"$gte": low, "$lte": high}} for low, high in condition.ranges()])
        return _matches(name, condition)
    if isinstance(condition, Exists):
        return {"facts.f": name}
    if isinstance(condition, InRange):
        return {"facts": {"$elemMatch": {"f": name, "n": _bounds(condition) or {"$exists": True}}}}
    if isinstance(condition, AnyNumber):
        return _either(
            [
                {"facts": {"$elemMatch": {"f": name, "n": {"$gte": low, "$lte": high}}}}
                for low, high in condition.ranges()
            ]
        )
    return _either([{"facts": {"$elemMatch": {"f": name, "s": value}}} for value in _values(condition)])


def _matches(name: str, condition: AnyOf | MatchesKey) -> dict[str, Any]:
    return _either([{name: value} for value in _values(condition)])


def _either(alternatives: list[dict[str, Any]]) -> dict[str, Any]:
    if not alternatives:
        return _NOTHING
    return alternatives[0] if len(alternatives) == 1 else {"$or": alternatives}


def _values(condition: AnyOf | MatchesKey) -> list[Any]:
    """What a text value must equal ($in of literals) or match (an anchored prefix of escaped literals,
    which MongoDB answers with an index range scan)."""
    if isinstance(condition, AnyOf):
        return [{"$in": list(condition.values)}] if condition.values else []
    values: list[Any] = []
    exact = [m.prefix for m in condition.matches if m.exact]
    if exact:
        values.append({"$in": exact})
    for match in condition.matches:
        if not match.exact:
            values.append(
                {"$regex": "^" + re.escape(match.prefix) + (f"(?:{match.tail})$" if match.tail else "")}
            )
    return values


def _bounds(condition: InRange) -> dict[str, float]:
    bounds: dict[str, float] = {}
    for operator, bound in (
        ("$gte", condition.ge),
        ("$gt", condition.gt),
        ("$lte", condition.le),
        ("$lt", condition.lt),
    ):
        if bound is not None:
            bounds[operator] = bound
    return bounds


def _event_document(
    record: EventRecord, commit: int, position: int, record_time: int, job: CaptureJob
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "commit": commit,
        "position": position,
        "captureID": job.capture_id,
        str(Field.CAPTURED_BY): job.organisation,
        "eventID": record.event_id,
        "hash": record.event_hash,
        "dedupKey": scoped(job.organisation, record.dedup_key),
        str(Field.TYPE): record.event_type,
        str(Field.EVENT_TIME): record.event_time,
        str(Field.RECORD_TIME): record_time,
        **{str(field): list(keys) for field, keys in keys_by_field(record.keys).items()},
        "facts": [
            {"f": name, "s": value} if isinstance(value, str) else {"f": name, "n": value}
            for name, value in record.facts
        ],
        "body": record.body,
        "lineage": [_edge_document(edge) for edge in record.lineage],
    }
    if not record.is_declaration:
        doc["ownedEventID"] = scoped(job.organisation, record.event_id)
    for field, value in (
        (Field.ACTION, record.action),
        (Field.BIZ_STEP, record.biz_step),
        (Field.DISPOSITION, record.disposition),
        (Field.READ_POINT, record.read_point),
        (Field.BIZ_LOCATION, record.biz_location),
    ):
        if value is not None:
            doc[str(field)] = value
    return doc


def _named_query(doc: Mapping[str, Any]) -> NamedQuery:
    return NamedQuery(doc["_id"], doc["createdAt"], bytes(doc["definition"]), doc.get("owner"))


def _edge_document(edge: LineageEdge) -> dict[str, Any]:
    doc: dict[str, Any] = {"k": str(edge.kind), "s": edge.source, "t": edge.target}
    for name, value in (("a", edge.action), ("q", edge.quantity), ("u", edge.uom), ("r", edge.role)):
        if value is not None:
            doc[name] = value
    return doc


def _edge_end(end: str, nodes: list[str], kinds: frozenset[EdgeKind]) -> dict[str, Any]:
    """Events with an edge whose `end` ("s" or "t") is one of `nodes`, of one of `kinds`."""
    match: dict[str, Any] = {end: {"$in": nodes}}
    named = kind_test(kinds)
    if named is not None:
        match["k"] = {"$in": list(named)}
    return {"lineage": {"$elemMatch": match}}


def _edge_from_document(doc: Mapping[str, Any]) -> LineageEdge:
    return LineageEdge(
        EdgeKind(doc["k"]), doc["s"], doc["t"], doc.get("a"), doc.get("q"), doc.get("u"), doc.get("r")
    )


def _vocabulary_document(record: VocabularyRecord, commit: int, organisation: str | None) -> dict[str, Any]:
    return {
        "type": record.type,
        "key": record.key,
        "commit": commit,
        "organisation": organisation,
        "element": record.element,
        "attributes": [{"n": name, "v": value} for name, value in record.attributes],
        "children": list(record.children),
    }


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
        "organisation": job.organisation,
        "principal": job.principal,
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
        organisation=doc.get("organisation"),
        principal=doc.get("principal"),
    )


def _time_left() -> int | None:
    """Milliseconds the current request's reads may still run (QueryTimeout once none are left)."""
    return remaining_ms(deadline())


def _time_limit(max_time_ms: int | None) -> dict[str, int]:
    return {} if max_time_ms is None else {"maxTimeMS": max_time_ms}


def _read_failed(error: PyMongoError) -> StorageError:
    if isinstance(error, ExecutionTimeout):
        return QueryTimeout()
    return StorageError(f"MongoDB read failed: {error}")
