"""EPCIS timestamps: RFC 3339 date-times with a mandatory offset.

Stored and compared as integer microseconds since the Unix epoch (UTC), which keeps
every digit a client can meaningfully send and orders correctly whatever the offset.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_OUT_OF_RANGE = "{!r} is outside the years 0001 to 9999 in UTC"


class OutOfRange(ValueError):
    """An RFC 3339 date-time, but not an instant of the years 1 to 9999 in UTC."""


def _parse(text: str) -> tuple[datetime, str]:
    """The instant without its fraction, and the fraction digits, of an RFC 3339 timestamp.

    ValueError when the text is not one; OutOfRange when it names an instant outside the years 1 to
    9999 in UTC (``0001-01-01T00:00:00+14:00`` is a valid RFC 3339 date-time, but no instant Python
    can hold).
    """
    m = _RFC3339.fullmatch(text.strip())
    if m is None:
        raise ValueError(f"{text!r} is not an RFC 3339 date-time with an offset")
    year, month, day, hour, minute, second = (int(g) for g in m.group(1, 2, 3, 4, 5, 6))
    leap = second == 60  # a leap second is the last instant of its minute
    base = datetime(year, month, day, hour, minute, 59 if leap else second, tzinfo=UTC)
    try:
        if leap:
            base += timedelta(seconds=1)
        if m.group(9):
            offset = timedelta(hours=int(m.group(10)), minutes=int(m.group(11)))
            base -= offset if m.group(9) == "+" else -offset
    except OverflowError:
        raise OutOfRange(_OUT_OF_RANGE.format(text)) from None
    return base, m.group(7) or ""


def to_micros(text: str) -> int:
    """Microseconds since the epoch, UTC; digits beyond the microsecond are dropped."""
    base, fraction = _parse(text)
    return (base - _EPOCH) // timedelta(microseconds=1) + int((fraction + "000000")[:6])


def to_hash_form(text: str) -> str:
    """The CBV 2.0 event hash form: UTC, ``Z``, exactly three fraction digits, rounded half up."""
    base, fraction = _parse(text)
    millis = int((fraction + "000")[:3]) + (1 if fraction[3:4] >= "5" else 0)
    try:
        instant = base + timedelta(milliseconds=millis)
    except OverflowError:  # 9999-12-31T23:59:59.9995Z rounds up into the year 10000
        raise OutOfRange(_OUT_OF_RANGE.format(text)) from None
    return instant.strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond // 1000:03d}Z"


def from_micros(micros: int) -> str:
    """RFC 3339 UTC text for a stored instant, with milliseconds, or microseconds when it has them."""
    instant = _EPOCH + timedelta(microseconds=micros)
    # isoformat, not strftime: faster, and it writes every year in four digits (strftime: "1-01-01").
    return instant.isoformat(timespec="microseconds" if micros % 1000 else "milliseconds")[:-6] + "Z"


def now_micros() -> int:
    return (datetime.now(UTC) - _EPOCH) // timedelta(microseconds=1)
