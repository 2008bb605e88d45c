"""A trace request from the parameters a client gives (HTTP query string or command line)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from epcis_repo.epcis import identifiers
from epcis_repo.query.params import QueryParameterError, instant
from epcis_repo.trace.result import DEFAULT_DEPTH, Direction, TraceRequest

PARAMETERS = ("id", "at", "asOf", "window", "depth", "quantity")
MAX_DEPTH = 1000
# A number, then optionally a UN/ECE Rec 20 unit code after a space: "950", "950 KGM", "2.5 TNE".
_QUANTITY = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)(?:\s+([A-Z0-9]{2,3}))?\s*")


def trace_request(direction: Direction, given: Mapping[str, str | None]) -> TraceRequest:
    """The request the parameters (named as in PARAMETERS) ask for; QueryParameterError names the
    parameter at fault."""
    target = given.get("id")
    if target is None or not target.strip():
        raise QueryParameterError(
            "id", "id names what to trace: an EPC URN, a GS1 Digital Link or another URI"
        )
    if len(target) > 2000 or any(ord(c) < 32 for c in target):
        raise QueryParameterError("id", "id is not an identifier")
    return TraceRequest(
        identifiers.canonical_key(target.strip()),
        direction,
        at=_instant("at", given.get("at")),
        as_of=_instant("asOf", given.get("asOf")),
        window=_window(given.get("window")),
        depth=_depth(given.get("depth")),
        quantity=_quantity(given.get("quantity")),
    )


def _instant(name: str, value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return instant(value)
    except ValueError as error:
        raise QueryParameterError(name, f"{name}: {error}") from None


def _window(value: str | None) -> tuple[int | None, int | None]:
    """An ISO 8601 interval of two date-times, either side open: ``start/end``, ``start/``, ``/end``."""
    if value is None:
        return None, None
    start, slash, end = value.partition("/")
    if not slash or (not start.strip() and not end.strip()):
        raise QueryParameterError("window", "window is start/end (date-times, either may be left out)")
    bounds = (
        _instant("window", start) if start.strip() else None,
        _instant("window", end) if end.strip() else None,
    )
    if bounds[0] is not None and bounds[1] is not None and bounds[0] > bounds[1]:
        raise QueryParameterError("window", "window ends before it starts")
    return bounds


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
