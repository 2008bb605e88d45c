"""A trace request from the parameters a client gives (HTTP query string or command line)."""

from __future__ import annotations

import math
import re

from epcis_repo.epcis import identifiers
from epcis_repo.query.params import QueryParameterError, instant
from epcis_repo.trace.result import DEFAULT_DEPTH, Direction, TraceRequest

PARAMETERS = ("id", "at", "asOf", "depth", "quantity")
MAX_DEPTH = 1000
# A number, then optionally a UN/ECE Rec 20 unit code after a space: "950", "950 KGM", "2.5 TNE".
_QUANTITY = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)(?:\s+([A-Z0-9]{2,3}))?\s*")


def trace_request(
    direction: Direction,
    target: str | None,
    at: str | None = None,
    as_of: str | None = None,
    depth: str | None = None,
    quantity: str | None = None,
) -> TraceRequest:
    """Raises QueryParameterError naming the parameter at fault."""
    if target is None or not target.strip():
        raise QueryParameterError(
            "id", "id names what to trace: an EPC URN, a GS1 Digital Link or another URI"
        )
    if len(target) > 2000 or any(ord(c) < 32 for c in target):
        raise QueryParameterError("id", "id is not an identifier")
    request = TraceRequest(identifiers.canonical_key(target.strip()), direction)
    return TraceRequest(
        request.target,
        direction,
        at=_instant("at", at),
        as_of=_instant("asOf", as_of),
        depth=_depth(depth),
        quantity=_quantity(quantity),
    )


def _instant(name: str, value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return instant(value)
    except ValueError as error:
        raise QueryParameterError(name, f"{name}: {error}") from None


def _depth(value: str | None) -> int:
    if value is None:
        return DEFAULT_DEPTH
    if not re.fullmatch(r"[0-9]{1,4}", value) or not 1 <= int(value) <= MAX_DEPTH:
        raise QueryParameterError("depth", f"depth must be a whole number from 1 to {MAX_DEPTH}")
    return int(value)


def _quantity(value: str | None) -> tuple[float, str | None] | None:
    if value is None:
        return None
    match = _QUANTITY.fullmatch(value)
    if match is None or not math.isfinite(float(match.group(1))) or float(match.group(1)) <= 0:
        raise QueryParameterError(
            "quantity",
            "quantity is a positive number, optionally followed by a space and a UN/ECE Rec 20 unit "
            "code (950, 950 KGM); without a unit it counts in the unit the target is recorded in",
        )
    return float(match.group(1)), match.group(2)
