"""The capture interface: POST /capture (asynchronous, capture jobs) and POST /events (one event)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Header, Path, Request
from starlette.responses import Response

from epcis_repo.api import discovery
from epcis_repo.api.bodies import BODY_PROBLEMS, read_json
from epcis_repo.api.deps import RepositoryDep
from epcis_repo.api.documents import rendered_event
from epcis_repo.api.headers import OutputDep, options
from epcis_repo.api.pages import collection_page, collection_paging
from epcis_repo.api.problems import Problem, not_found, validation_problem
from epcis_repo.api.security import Caller, Capturer
from epcis_repo.capture.service import Attribution
from epcis_repo.capture.validation import InvalidDocument, check_document, check_event
from epcis_repo.epcis.models import EPCISDocument, EPCISQueryDocument, ObjectEvent
from epcis_repo.epcis.timestamps import from_micros
from epcis_repo.storage.port import Behaviour, CaptureJob

router = APIRouter(tags=["Capture"])

DOCUMENT_TYPES = ("EPCISDocument", "EPCISQueryDocument")


def _json_body(model: type[Any], description: str) -> dict[str, Any]:
    schema = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": schema}, "application/ld+json": {"schema": schema}},
        }
    }


_INVALID_BODY = (
    "ValidationException: the body is not well-formed JSON, not what the operation takes, or not valid "
    "EPCIS 2.0 (`errors` points at each violation); or an invalid header."
)


def _behaviour(value: str | None) -> Behaviour:
    if value is None:
        return Behaviour.ROLLBACK
    try:
        return Behaviour(value.strip().lower())
    except ValueError:
        raise Problem(
            400,
            "ValidationException",
            "Invalid header",
            "GS1-Capture-Error-Behaviour must be rollback or proceed.",
        ) from None


@router.post(
    "/capture",
    status_code=202,
    summary="Capture an EPCISDocument or EPCISQueryDocument asynchronously",
    openapi_extra=_json_body(EPCISDocument, "An EPCISDocument or EPCISQueryDocument (JSON/JSON-LD)."),
    # An empty 202 (FastAPI would otherwise document a JSON body).
    response_class=Response,
    responses={
        202: {"description": "Accepted; Location names the capture job."},
        400: {"description": _INVALID_BODY},
        **BODY_PROBLEMS,
        413: {"description": "CaptureLimitExceededException: more events, or more bytes, than the limits."},
    },
)
async def capture_document(
    request: Request,
    repository: RepositoryDep,
    caller: Capturer,
    error_behaviour: Annotated[str | None, Header(alias="GS1-Capture-Error-Behaviour")] = None,
) -> Response:
    behaviour = _behaviour(error_behaviour)
    document = await read_json(request, repository.limits)
    if not isinstance(document, dict) or document.get("type") not in DOCUMENT_TYPES:
        detail = (
            "POST /capture takes an EPCISDocument or EPCISQueryDocument; send single events to POST /events."
        )
        raise Problem(400, "ValidationException", "Not an EPCIS document", detail)
    count = _event_count(document)
    if count > repository.limits.max_events:
        limit = repository.limits.max_events
        raise repository.limits.too_large(
            f"The document has {count} events; at most {limit} can be captured at once."
        )
    try:
        submission = await asyncio.to_thread(check_document, document, repository.schema)
    except InvalidDocument as invalid:
        raise validation_problem(
            "The document is not a valid EPCIS 2.0 document.", invalid.violations
        ) from None
    if submission.invalid and behaviour is Behaviour.ROLLBACK:
        violations = [v for index in sorted(submission.invalid) for v in submission.invalid[index]]
        raise validation_problem(
            f"{len(submission.invalid)} of {count} events are invalid; nothing was captured "
            "(send GS1-Capture-Error-Behaviour: proceed to capture the valid ones).",
            violations,
        )
    job = await repository.capture.submit(submission, behaviour, _attribution(caller))
    location = str(request.url_for("read_capture_job", captureID=job.capture_id))
    return Response(status_code=202, headers={"Location": location})


def _attribution(caller: Caller) -> Attribution:
    return Attribution(caller.organisation, caller.principal.name)


def _event_count(document: dict[str, Any]) -> int:
    body = document.get("epcisBody")
    if isinstance(body, dict) and isinstance(body.get("queryResults"), dict):
        body = body["queryResults"].get("resultsBody")
    events = body.get("eventList") if isinstance(body, dict) else None
    return len(events) if isinstance(events, list) else 0


@router.get("/capture", summary="List capture jobs, newest first", openapi_extra=discovery.paging_extra())
async def list_capture_jobs(request: Request, repository: RepositoryDep, caller: Capturer) -> Response:
    """The jobs of the caller's organisation (every job, for an administrator)."""
    limit, after = collection_paging(request, repository.settings, "capture jobs", "GET /capture")
    found = await repository.store.list_jobs(after, limit + 1, caller.own_records)
    jobs, headers = collection_page(request, found, limit, "capture jobs", lambda job: job.capture_id)
    return Response(orjson.dumps([job_json(j) for j in jobs]), media_type="application/json", headers=headers)


@router.get(
    "/capture/{captureID}",
    name="read_capture_job",
    summary="The state of one capture job",
    responses={404: {"description": "No such capture job."}},
)
async def read_capture_job(
    repository: RepositoryDep, caller: Capturer, capture_id: Annotated[str, Path(alias="captureID")]
) -> Response:
    job = await repository.store.get_job(capture_id)
    if job is None or caller.own_records not in (None, job.organisation):
        raise not_found(f"capture job {capture_id!r}")
    return Response(orjson.dumps(job_json(job)), media_type="application/json")


def job_json(job: CaptureJob) -> dict[str, Any]:
    """A capture job in the standard's shape."""
    body: dict[str, Any] = {
        "captureID": job.capture_id,
        "createdAt": from_micros(job.created_at),
        "running": job.running,
        "success": job.success,
        "captureErrorBehaviour": job.behaviour.value,
        "errors": job.errors,
    }
    if job.finished_at is not None:
        body["finishedAt"] = from_micros(job.finished_at)
    return body


@router.options("/capture", include_in_schema=False)
async def capture_options(repository: RepositoryDep) -> Response:
    return options(
        "OPTIONS, POST, GET", **repository.limits.headers, **{"GS1-Capture-Error-Behaviour": "all"}
    )


# OPTIONS needs no credentials, so it says nothing of whether a job exists.
@router.options("/capture/{captureID}", include_in_schema=False)
async def capture_job_options() -> Response:
    return options("OPTIONS, GET")


@router.post(
    "/events",
    status_code=201,
    summary="Capture one event synchronously",
    openapi_extra=_json_body(ObjectEvent, "One EPCIS event of any type, with its @context."),
    responses={
        201: {"description": "Stored; Location names the event."},
        400: {"description": _INVALID_BODY},
        409: {"description": "ResourceAlreadyExistsException: already stored."},
        **BODY_PROBLEMS,
    },
)
async def capture_event(
    request: Request, repository: RepositoryDep, output: OutputDep, caller: Capturer
) -> Response:
    event = await read_json(request, repository.limits)
    if isinstance(event, dict) and event.get("type") in DOCUMENT_TYPES:
        detail = "POST /events takes one event; send EPCIS documents to POST /capture."
        raise Problem(400, "ValidationException", "Not a single event", detail)
    violations = await asyncio.to_thread(check_event, event, repository.schema, standalone=True)
    if violations:
        raise validation_problem("The event is not a valid EPCIS 2.0 event.", violations)
    outcome = await repository.capture.capture_event(event, _attribution(caller))
    record = outcome.record
    if outcome.conflict is not None:
        detail = f"Not stored: {outcome.conflict}."
        raise Problem(
            409, "ResourceAlreadyExistsException", "Event already exists", detail,
            eventID=record.event_id, eventHash=record.event_hash,
        )  # fmt: skip
    location = str(request.url_for("read_event", eventID=quote(record.event_id, safe="")))
    body, headers = rendered_event(record.body, outcome.result.record_time, output, repository.prefixes)
    return Response(
        body, status_code=201, media_type="application/json", headers={"Location": location, **headers}
    )


# Make the documented request bodies known to the OpenAPI document.
OPENAPI_MODELS = (EPCISDocument, EPCISQueryDocument, ObjectEvent)
