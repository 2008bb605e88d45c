"""Reading JSON request bodies safely: media type, size limit, well-formedness."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request

from epcis_repo.api.problems import Problem
from epcis_repo.epcis.violations import Violation

JSON_MEDIA_TYPES = ("application/json", "application/ld+json")


class BodyLimits:
    def __init__(self, max_bytes: int, max_events: int) -> None:
        self.max_bytes = max_bytes
        self.max_events = max_events

    @property
    def headers(self) -> dict[str, str]:
        return {
            "GS1-EPCIS-Capture-Limit": str(self.max_events),
            "GS1-EPCIS-Capture-File-Size-Limit": str(self.max_bytes),
        }

    def too_large(self, detail: str) -> Problem:
        return Problem(
            413, "CaptureLimitExceededException", "Capture limit exceeded", detail, headers=self.headers
        )


async def read_json(request: Request, limits: BodyLimits) -> Any:
    """The parsed JSON body, or a problem: 415 wrong media type, 413 too large, 400 malformed."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in JSON_MEDIA_TYPES:
        raise Problem(
            415,
            "UnsupportedMediaTypeException",
            "Unsupported media type",
            f"Send EPCIS data as {' or '.join(JSON_MEDIA_TYPES)}, not {media_type or 'an untyped body'}.",
        )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limits.max_bytes:
        raise limits.too_large(
            f"The body has {declared} bytes; this repository accepts at most {limits.max_bytes}."
        )
    chunks = bytearray()
    async for chunk in request.stream():
        chunks += chunk
        if len(chunks) > limits.max_bytes:
            raise limits.too_large(
                f"The body exceeds {limits.max_bytes} bytes, the most this repository accepts."
            )
    if not chunks:
        raise Problem(400, "ValidationException", "Empty body", "The request has no body; send EPCIS JSON.")
    try:
        return orjson.loads(chunks)
    except orjson.JSONDecodeError as error:
        detail = f"The body is not well-formed JSON: {error.msg} (at character {error.pos})."
        raise Problem(400, "ValidationException", "Malformed JSON", detail, [Violation("", detail)]) from None
