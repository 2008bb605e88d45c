"""Stored instants and their RFC 3339 text."""

from __future__ import annotations

import pytest

from epcis_repo.epcis.timestamps import from_micros, to_micros


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
