"""Capture jobs: from a validated submission to stored events and a job that tells what happened."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from epcis_repo.capture.masterdata import vocabulary_records
from epcis_repo.capture.records import prepare
from epcis_repo.capture.validation import Submission
from epcis_repo.epcis.context import namespaces
from epcis_repo.epcis.rendering import CompanyPrefixes, stated_company_prefixes
from epcis_repo.epcis.timestamps import now_micros
from epcis_repo.epcis.violations import Violation
from epcis_repo.storage.port import (
    AppendResult,
    Behaviour,
    CaptureJob,
    EventRecord,
    EventStore,
    VocabularyRecord,
)

log = logging.getLogger(__name__)

# A job keeps at most this many error entries; the last one says how many more there were.
MAX_JOB_ERRORS = 1000

VALIDATION = "epcisException:ValidationException"
ALREADY_EXISTS = "epcisException:ResourceAlreadyExistsException"
IMPLEMENTATION = "epcisException:ImplementationException"
MEANWHILE = "another capture stored the same event meanwhile"


@dataclass(frozen=True, slots=True)
class SingleCapture:
    """The outcome of capturing one event synchronously (POST /events)."""

    record: EventRecord
    result: AppendResult
    conflict: str | None  # why the event was refused as already stored, if it was


@dataclass(frozen=True, slots=True)
class Attribution:
    """Who sends a capture: its events record the organisation (which decides who may see them)."""

    organisation: str | None = None
    principal: str | None = None  # the key id or token subject


class CaptureService:
    """Stores captures through `store`; each adds the company prefixes its EPC URNs state to `prefixes`."""

    def __init__(self, store: EventStore, prefixes: CompanyPrefixes) -> None:
        self._store = store
        self._prefixes = prefixes
        self._running: set[asyncio.Task[None]] = set()

    async def submit(
        self, submission: Submission, behaviour: Behaviour, by: Attribution = Attribution()
    ) -> CaptureJob:
        """Record a durable job for the submission and capture it in the background."""
        job = await self._new_job(submission, behaviour, by)
        task = asyncio.create_task(self._run(job, submission), name=f"capture {job.capture_id}")
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return job

    async def capture(
        self, submission: Submission, behaviour: Behaviour, by: Attribution = Attribution()
    ) -> CaptureJob:
        """Capture the submission and return its finished job."""
        job = await self._new_job(submission, behaviour, by)
        await self._run(job, submission)
        return job

    async def _new_job(self, submission: Submission, behaviour: Behaviour, by: Attribution) -> CaptureJob:
        job = _job(behaviour, len(submission.events), by)
        for index, violations in sorted(submission.invalid.items()):
            _add_error(job, _invalid_event(submission.event_pointer(index), index, violations))
        await self._store.save_job(job)
        return job

    async def drain(self, timeout: float) -> None:
        """Let running captures finish (on shutdown); those that do not are recovered by the store."""
        if self._running:
            await asyncio.wait(set(self._running), timeout=timeout)

    async def _run(self, job: CaptureJob, submission: Submission) -> None:
        try:
            prepared = await asyncio.to_thread(_prepare_valid, submission)
            records, indexes = prepared.records, prepared.indexes
            for error in prepared.problems:
                _add_error(job, error)
            conflicts = await self._conflicts(records, job.organisation)
            for position, reason in conflicts.items():
                _add_error(job, _already_stored(submission, indexes[position], records[position], reason))
            if job.errors and job.behaviour is Behaviour.ROLLBACK:
                _settle(job, stored=0)
                await self._store.save_job(job)
                return
            keep = [i for i in range(len(records)) if i not in conflicts]
            kept = [records[i] for i in keep]

            async def settle(result: AppendResult) -> None:
                for position in result.duplicates:
                    index = indexes[keep[position]]
                    _add_error(job, _already_stored(submission, index, kept[position], MEANWHILE))
                _settle(job, stored=result.stored)

            result = await self._store.append(
                kept, job, settle, prepared.vocabulary, prepared.company_prefixes
            )
            if result.stored:
                self._prefixes.add_stated(prepared.company_prefixes)
        except Exception:
            log.exception("capture %s failed", job.capture_id)
            job.errors.append(
                {
                    "type": IMPLEMENTATION,
                    "title": "Capture failed",
                    "status": 500,
                    "detail": "The repository could not store this capture; none of its events were stored.",
                }
            )
            _settle(job, stored=0)
            await self._store.save_job(job)

    async def capture_event(self, event: dict[str, Any], by: Attribution = Attribution()) -> SingleCapture:
        """Capture one validated event at once, all or nothing."""
        record = prepare(event, namespaces(event.get("@context")), None)
        job = _job(Behaviour.ROLLBACK, 1, by)
        conflicts = await self._conflicts([record], by.organisation)
        if conflicts:
            _add_error(job, _already_stored(None, 0, record, conflicts[0]))
            _settle(job, stored=0)
            await self._store.save_job(job)
            return SingleCapture(record, AppendResult(0, 0, (0,)), conflicts[0])

        async def settle(result: AppendResult) -> None:
            if result.duplicates:
                _add_error(job, _already_stored(None, 0, record, MEANWHILE))
            _settle(job, stored=result.stored)

        stated = stated_company_prefixes(record.body)
        result = await self._store.append([record], job, settle, (), stated)
        if result.stored:
            self._prefixes.add_stated(stated)
        return SingleCapture(record, result, MEANWHILE if result.duplicates else None)

    async def _conflicts(self, records: Sequence[EventRecord], organisation: str | None) -> dict[int, str]:
        """Records that must not be stored, by position, with the reason: already stored (by the same
        organisation: each keeps its own copy of an event) or repeated."""
        stored_keys = await self._store.stored_keys([r.dedup_key for r in records], organisation)
        ids = [r.event_id for r in records if not r.is_declaration]
        used_ids = await self._store.used_event_ids(ids, organisation)
        conflicts: dict[int, str] = {}
        seen_keys: set[str] = set()
        seen_ids: set[str] = set()
        for position, record in enumerate(records):
            if record.dedup_key in stored_keys:
                conflicts[position] = "this organisation already stored this event (same event hash)"
            elif record.dedup_key in seen_keys:
                conflicts[position] = "it repeats an earlier event of this document"
            elif not record.is_declaration and record.event_id in used_ids:
                conflicts[position] = (
                    f"its eventID {record.event_id} already names a different event of this organisation"
                )
            elif not record.is_declaration and record.event_id in seen_ids:
                conflicts[position] = "its eventID names an earlier, different event of this document"
            seen_keys.add(record.dedup_key)
            if not record.is_declaration:
                seen_ids.add(record.event_id)
        return conflicts


@dataclass(frozen=True, slots=True)
class _Prepared:
    records: list[EventRecord]  # of the valid events
    indexes: list[int]  # the index of each record's event in the document
    problems: list[dict[str, Any]]  # job errors of the events that failed
    vocabulary: list[VocabularyRecord]  # the document's master data
    company_prefixes: set[str]  # stated by the EPC URNs of the records and the master data


def _prepare_valid(submission: Submission) -> _Prepared:
    records: list[EventRecord] = []
    indexes: list[int] = []
    problems: list[dict[str, Any]] = []
    for index, event in enumerate(submission.events):
        if index in submission.invalid:
            continue
        prefixes = submission.prefixes
        if "@context" in event:
            prefixes = namespaces(submission.context, event["@context"])
        try:
            records.append(prepare(event, prefixes, submission.context))
        except ValueError as error:
            where = submission.event_pointer(index)
            problems.append(_invalid_event(where, index, [Violation(where, str(error))]))
            continue
        indexes.append(index)
    vocabulary = vocabulary_records(submission.document, submission.prefixes)
    stated: set[str] = set()
    for body in (*(r.body for r in records), *(v.element for v in vocabulary)):
        stated |= stated_company_prefixes(body)
    return _Prepared(records, indexes, problems, vocabulary, stated)


def _settle(job: CaptureJob, *, stored: int) -> None:
    job.running = False
    job.success = not job.errors
    job.stored_count = stored
    job.finished_at = now_micros()


def _job(behaviour: Behaviour, event_count: int, by: Attribution) -> CaptureJob:
    """A new, running capture job."""
    return CaptureJob(
        capture_id=str(uuid.uuid4()),
        created_at=now_micros(),
        behaviour=behaviour,
        event_count=event_count,
        organisation=by.organisation,
        principal=by.principal,
    )


def _add_error(job: CaptureJob, error: dict[str, Any]) -> None:
    if len(job.errors) < MAX_JOB_ERRORS:
        job.errors.append(error)
    elif len(job.errors) == MAX_JOB_ERRORS:
        job.errors.append(
            {"type": VALIDATION, "title": "More errors", "detail": "Further errors are not listed."}
        )


def _invalid_event(where: str, index: int, violations: list[Violation]) -> dict[str, Any]:
    return {
        "type": VALIDATION,
        "title": "Invalid event",
        "status": 400,
        "detail": violations[0].message
        if len(violations) == 1
        else f"{len(violations)} problems; see errors",
        "instance": "#" + where,
        "eventIndex": index,
        "errors": [v.to_json() for v in violations],
    }


def _already_stored(
    submission: Submission | None, index: int, record: EventRecord, reason: str
) -> dict[str, Any]:
    """The job error of an event refused as already stored (`submission` None for a single event)."""
    return {
        "type": ALREADY_EXISTS,
        "title": "Duplicate event",
        "status": 409,
        "detail": f"Not stored: {reason}.",
        "instance": "#" + (submission.event_pointer(index) if submission else ""),
        "eventIndex": index,
        "eventID": record.event_id,
        "eventHash": record.event_hash,
    }
