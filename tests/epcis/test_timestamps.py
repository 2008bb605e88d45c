"""Stored instants and their RFC 3339 text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from epcis_repo.epcis.timestamps import OutOfRange, from_micros, to_hash_form, to_micros


@pytest.mark.parametrize(
    "text",
    [
        "0001-01-01T00:00:00.000Z",
        "0999-12-31T23:59:59.999Z",
        "1970-01-01T00:00:00.000001Z",
        "2024-05-01T08:00:00.123Z",
        "9999-12-31T23:59:59.999999Z",
    ],
)
def test_a_stored_instant_is_written_back_as_it_was_read(text: str) -> None:
    assert from_micros(to_micros(text)) == text


def test_an_instant_is_written_in_utc_with_milliseconds_unless_it_has_microseconds() -> None:
    assert from_micros(to_micros("2024-05-01T10:00:00+02:00")) == "2024-05-01T08:00:00.000Z"
    assert from_micros(to_micros("2024-05-01T10:00:00.1234567+02:00")) == "2024-05-01T08:00:00.123456Z"


# The instants are computed in integers; datetime is the reference they must agree with.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _reference_micros(text: str) -> int:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (parsed - _EPOCH) // timedelta(microseconds=1)


def _reference_text(micros: int) -> str:
    instant = _EPOCH + timedelta(microseconds=micros)
    return instant.isoformat(timespec="microseconds" if micros % 1000 else "milliseconds")[:-6] + "Z"


@given(
    local=st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    offset_minutes=st.integers(-23 * 60 - 59, 23 * 60 + 59),
)
@settings(max_examples=400, deadline=None)
def test_an_instant_agrees_with_datetime_for_every_date_offset_and_fraction(
    local: datetime, offset_minutes: int
) -> None:
    sign, minutes = ("+" if offset_minutes >= 0 else "-"), abs(offset_minutes)
    text = f"{local.isoformat(timespec='microseconds')}{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    micros = to_micros(text)
    assert micros == _reference_micros(text)
    assert from_micros(micros) == _reference_text(micros)
    millis = micros // 1000 + ((micros // 100) % 10 >= 5)  # rounded half up
    if millis < 253_402_300_800_000:
        hash_form = (_EPOCH + timedelta(milliseconds=millis)).isoformat(timespec="milliseconds")[:-6] + "Z"
        assert to_hash_form(text) == hash_form


@pytest.mark.parametrize(
    "text",
    [
        "2023-02-29T00:00:00Z",  # not a leap year
        "1900-02-29T00:00:00Z",  # a century, not a leap year
        "2024-04-31T00:00:00Z",
        "2024-13-01T00:00:00Z",
        "2024-00-10T00:00:00Z",
        "2024-01-00T00:00:00Z",
        "0000-01-01T00:00:00Z",
        "2024-01-01T24:00:00Z",
        "2024-01-01T23:60:00Z",
        "2024-01-01T23:59:61Z",
    ],
)
def test_a_date_or_time_that_does_not_exist_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a valid date and time"):
        to_micros(text)


def test_a_leap_second_is_the_first_instant_of_the_next_minute() -> None:
    assert to_micros("2016-12-31T23:59:60Z") == to_micros("2017-01-01T00:00:00Z")
    assert to_micros("2017-01-01T06:59:60.5+07:00") == to_micros("2017-01-01T00:00:00.5Z")
    assert to_hash_form("2016-12-31T23:59:60.0005Z") == "2017-01-01T00:00:00.001Z"
    assert to_micros("2000-02-29T12:00:00Z") == _reference_micros("2000-02-29T12:00:00Z")  # a leap century


@pytest.mark.parametrize(
    "text",
    [
        "0001-01-01T00:00:00+00:01",
        "9999-12-31T23:59:59-00:01",
        "9999-12-31T23:59:60Z",
        "9999-12-31T23:59:60+01:00",
    ],
)
def test_a_timestamp_outside_the_years_1_to_9999_in_utc_is_out_of_range(text: str) -> None:
    with pytest.raises(OutOfRange):
        to_micros(text)


def test_the_hash_form_of_the_last_half_millisecond_is_out_of_range() -> None:
    assert from_micros(to_micros("9999-12-31T23:59:59.9995Z")) == "9999-12-31T23:59:59.999500Z"
    with pytest.raises(OutOfRange):
        to_hash_form("9999-12-31T23:59:59.9995Z")
    assert to_hash_form("2024-05-01T10:00:00.1235+02:00") == "2024-05-01T08:00:00.124Z"


def test_the_hash_form_writes_every_year_in_four_digits() -> None:
    # As CBV 2.0 and its reference implementation write them (strftime would give "999-06-01").
    assert to_hash_form("0999-06-01T00:00:00Z") == "0999-06-01T00:00:00.000Z"
    assert to_hash_form("0001-01-01T01:00:00.1234+01:00") == "0001-01-01T00:00:00.123Z"


def test_an_instant_outside_the_years_1_to_9999_cannot_be_written() -> None:
    with pytest.raises(OverflowError):
        from_micros(to_micros("9999-12-31T23:59:59.999999Z") + 1)
    with pytest.raises(OverflowError):
        from_micros(to_micros("0001-01-01T00:00:00Z") - 1)


def test_any_two_digit_offset_the_syntax_allows_is_applied_as_written() -> None:
    # RFC 3339 stops at 23:59, the pattern at 99:99; such offsets were always applied as hours and minutes.
    assert to_micros("2024-01-05T00:00:00+99:99") == to_micros("2024-01-01T00:00:00Z") + (
        (4 * 24 * 60 - 99 * 60 - 99) * 60_000_000
    )
