"""EPCIS timestamps: RFC 3339 date-times with a mandatory offset.

Stored and compared as integer microseconds since the Unix epoch (UTC), which keeps
every digit a client can meaningfully send and orders correctly whatever the offset.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, date, datetime, timedelta

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_EPOCH_ORDINAL = _NAIVE_EPOCH.toordinal()
_OUT_OF_RANGE = "{!r} is outside the years 0001 to 9999 in UTC"
# Instants are whole seconds plus fraction digits, computed in integers rather than with aware
# datetimes and timedeltas: every captured event has a few timestamps, and this is three times faster.
_FIRST_SECOND = -62_135_596_800  # 0001-01-01T00:00:00Z, seconds since the epoch
_LAST_SECOND = 253_402_300_799  # 9999-12-31T23:59:59Z


class OutOfRange(ValueError):
    """An RFC 3339 date-time, but not an instant of the years 1 to 9999 in UTC."""


@functools.lru_cache(maxsize=4096)  # a captured event's times are parsed several times (rules, record, hash)
def _parse(text: str) -> tuple[int, str]:
    """The instant in whole seconds since the epoch, UTC, and the fraction digits, of an RFC 3339
    timestamp.

    ValueError when the text is not one; OutOfRange when it names an instant outside the years 1 to
    9999 in UTC (``0001-01-01T00:00:00+14:00`` is a valid RFC 3339 date-time, but no instant Python
    can hold).
    """
    m = _RFC3339.fullmatch(text.strip())
    if m is None:
        raise ValueError(f"{text!r} is not an RFC 3339 date-time with an offset")
    year, month, day, hour, minute, second, fraction, _, sign, offset_hour, offset_minute = m.groups()
    try:
        days = date(int(year), int(month), int(day)).toordinal() - _EPOCH_ORDINAL
    except ValueError:
        raise ValueError(f"{text!r} is not a valid date and time") from None
    hours, minutes, seconds = int(hour), int(minute), int(second)
    if hours > 23 or minutes > 59 or seconds > 60:  # a leap second is the last instant of its minute
        raise ValueError(f"{text!r} is not a valid date and time")
    instant = days * 86_400 + hours * 3_600 + minutes * 60 + seconds
    if instant > _LAST_SECOND:  # 9999-12-31T23:59:60
        raise OutOfRange(_OUT_OF_RANGE.format(text))
    if sign:
        offset = int(offset_hour) * 3_600 + int(offset_minute) * 60
        instant -= offset if sign == "+" else -offset
        if not _FIRST_SECOND <= instant <= _LAST_SECOND:
            raise OutOfRange(_OUT_OF_RANGE.format(text))
    return instant, fraction or ""


def to_micros(text: str) -> int:
    """Microseconds since the epoch, UTC; digits beyond the microsecond are dropped."""
    seconds, fraction = _parse(text)
    return seconds * 1_000_000 + int((fraction + "000000")[:6])


def to_hash_form(text: str) -> str:
    """The CBV 2.0 event hash form: UTC, ``Z``, exactly three fraction digits, rounded half up."""
    seconds, fraction = _parse(text)
    millis = int((fraction + "000")[:3]) + (1 if fraction[3:4] >= "5" else 0)
    if seconds == _LAST_SECOND and millis == 1000:  # 9999-12-31T23:59:59.9995Z rounds up into 10000
        raise OutOfRange(_OUT_OF_RANGE.format(text))
    instant = _NAIVE_EPOCH + timedelta(seconds=seconds, milliseconds=millis)
    return instant.isoformat("T", "milliseconds") + "Z"  # every year in four digits, as CBV 2.0 writes it


def from_micros(micros: int) -> str:
    """RFC 3339 UTC text for a stored instant, with milliseconds, or microseconds when it has them."""
    instant = _NAIVE_EPOCH + timedelta(microseconds=micros)
    # isoformat, not strftime: faster, and it writes every year in four digits (strftime: "1-01-01").
    return instant.isoformat("T", "microseconds" if micros % 1000 else "milliseconds") + "Z"


def now_micros() -> int:
    return (datetime.now(UTC) - _EPOCH) // timedelta(microseconds=1)
