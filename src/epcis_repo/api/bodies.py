"""Reading JSON request bodies safely: media type, size limit, well-formedness."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request

from epcis_repo.api.problems import Problem
from epcis_repo.epcis.violations import Violation, pointer

JSON_MEDIA_TYPES = ("application/json", "application/ld+json")
# The most levels of arrays and objects a body may nest. orjson, which writes every event and document
# the repository stores, writes no deeper; the parser reads up to 1024 levels, and a body between the two
# would be accepted, then fail to be stored.
MAX_DEPTH = 254

# The problems read_json answers, for the OpenAPI document of each operation that reads a body.
BODY_PROBLEMS: dict[int | str, dict[str, Any]] = {
    413: {
        "description": "CaptureLimitExceededException: the body is larger than the capture file size limit."
    },
    415: {"description": "UnsupportedMediaTypeException: the body is neither application/json nor JSON-LD."},
}


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
        body = orjson.loads(chunks)
    except orjson.JSONDecodeError as error:
        if "depth" in error.msg:  # deeper than the parser goes (1024 levels)
            raise _too_deep_problem("", f" (at character {error.pos})") from None
        detail = f"The body is not well-formed JSON: {error.msg} (at {_position(chunks, error)})."
        raise Problem(400, "ValidationException", "Malformed JSON", detail, [Violation("", detail)]) from None
    _check_depth(body)
    return body


def _position(body: bytearray, error: orjson.JSONDecodeError) -> str:
    """Where the parser stopped; for a body that is not UTF-8 (which the parser checks first, reporting
    character 0), the first byte that is not."""
    if "UTF-8" in error.msg:
        try:
            body.decode()
        except UnicodeDecodeError as undecodable:
            return f"byte {undecodable.start}"
    return f"character {error.pos}"


def _check_depth(body: Any) -> None:
    """400 when arrays and objects nest deeper than MAX_DEPTH, naming where."""
    try:
        orjson.dumps(body)  # in Rust, and refuses exactly what could not be stored
    except orjson.JSONEncodeError:
        where = _too_deep(body)
        if where is None:
            raise
        raise _too_deep_problem(where, "") from None


def _too_deep_problem(where: str, position: str) -> Problem:
    detail = f"The body nests arrays and objects deeper than {MAX_DEPTH} levels, the most it may{position}."
    return Problem(400, "ValidationException", "Nested too deep", detail, [Violation(where, detail)])


def _too_deep(body: Any) -> str | None:
    """The JSON Pointer of the first array or object nested deeper than MAX_DEPTH, if any."""
    stack: list[tuple[Any, str, int]] = [(body, "", 1)]
    while stack:
        node, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            return where
        members = node.items() if isinstance(node, dict) else enumerate(node)
        stack.extend(
            (value, where + pointer(key), depth + 1)
            for key, value in members
            if isinstance(value, dict | list)
        )
    return None
