"""How long the reads of one request may still run: set by the API for each query, list and trace, and
honoured inside every store read (SQLite interrupts its statement, MongoDB gets maxTimeMS), so a
query too costly to finish is stopped instead of holding a reader for as long as it takes."""

from __future__ import annotations

import time
from contextvars import ContextVar

from epcis_repo.storage.port import StorageError

_DEADLINE: ContextVar[float | None] = ContextVar("epcis_read_deadline", default=None)


class QueryTimeout(StorageError):
    """A read ran past its request's deadline and was stopped."""

    def __init__(self) -> None:
        super().__init__("the query ran past its time limit and was stopped")


def limit_reads(seconds: float) -> None:
    """Reads of the current request (task) must finish within `seconds` from now."""
    _DEADLINE.set(time.monotonic() + seconds)


def deadline() -> float | None:
    """The instant (time.monotonic) reads must finish by, if any; QueryTimeout once it has passed."""
    at = _DEADLINE.get()
    if at is not None and time.monotonic() >= at:
        raise QueryTimeout()
    return at


def remaining_ms(at: float | None) -> int | None:
    """Milliseconds left until `at` (at least 1), for a database's own time limit."""
    return None if at is None else max(1, int((at - time.monotonic()) * 1000))
