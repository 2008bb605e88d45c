"""Query parameters become one validated query of canonical literals."""

from __future__ import annotations

import pytest

from epcis_repo.epcis.timestamps import to_micros
from epcis_repo.query.model import AnyOf, Field, InRange, MatchesKey
from epcis_repo.query.params import QueryParameterError, parse_query


def test_parameters_become_conditions_on_canonical_values() -> None:
    query = parse_query(
        {
            "EQ_bizStep": ["shipping|urn:epcglobal:cbv:bizstep:receiving"],
            "EQ_readPoint": ["urn:epc:id:sgln:0614141.07346.1234"],
            "GE_eventTime": ["2024-01-01T07:00:00+07:00"],
            "LT_eventTime": ["2024-02-01T00:00:00Z"],
            "MATCH_epc": ["urn:epc:idpat:sgtin:0614141.107346.*", "urn:epc:id:sscc:0614141.1234567890"],
        }
    )
    conditions = {type(c).__name__ + ":" + c.field: c for c in query.conditions if not isinstance(c, InRange)}
    assert conditions["AnyOf:bizStep"] == AnyOf(
        Field.BIZ_STEP,
        ("https://ref.gs1.org/cbv/BizStep-shipping", "https://ref.gs1.org/cbv/BizStep-receiving"),
    )
    assert conditions["AnyOf:readPoint"] == AnyOf(
        Field.READ_POINT, ("https://id.gs1.org/414/0614141073467/254/1234",)
    )
    # Each parameter is a condition of its own, as the standard reads them.
    assert InRange(Field.EVENT_TIME, ge=to_micros("2024-01-01T00:00:00Z")) in query.conditions
    assert InRange(Field.EVENT_TIME, lt=to_micros("2024-02-01T00:00:00Z")) in query.conditions
    match = conditions["MatchesKey:epc"]
    assert isinstance(match, MatchesKey)
    assert [m.prefix for m in match.matches] == [
        "https://id.gs1.org/01/10614141073464/21/",
        "https://id.gs1.org/00/106141412345678908",
    ]


def test_repeated_values_are_kept_once() -> None:
    (condition,) = parse_query({"EQ_action": ["ADD|ADD", "ADD"]}).conditions
    assert condition == AnyOf(Field.ACTION, ("ADD",))


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"EQ_nothing": ["x"]}, "EQ_nothing"),
        ({"EQ_action": ["add"]}, "EQ_action"),
        ({"LT_recordTime": ["x"]}, "LT_recordTime"),
        # RFC 3339, but before the year 1 in UTC: no instant a store can keep (was an OverflowError).
        ({"GE_eventTime": ["0001-01-01T00:00:00+14:00"]}, "GE_eventTime"),
        ({"LT_eventTime": ["9999-12-31T23:59:59-14:00"]}, "LT_eventTime"),
        # A digit to str.isdigit, not to int() (was a ValueError); too many digits for int() or a store.
        ({"maxEventCount": ["\u00b2"]}, "maxEventCount"),
        ({"eventCountLimit": ["\u00b2"], "orderBy": ["eventTime"]}, "eventCountLimit"),
        ({"maxEventCount": ["9" * 5000]}, "maxEventCount"),
        ({"maxEventCount": ["9223372036854775808"]}, "maxEventCount"),
    ],
)
def test_bad_parameters_are_named(params: dict[str, list[str]], parameter: str) -> None:
    with pytest.raises(QueryParameterError) as raised:
        parse_query(params)
    assert raised.value.parameter == parameter


def test_conditions_refuse_a_field_of_the_wrong_kind() -> None:
    with pytest.raises(ValueError):
        InRange(Field.BIZ_STEP, ge=1)
    with pytest.raises(ValueError):
        AnyOf(Field.EVENT_TIME, ("1",))
    with pytest.raises(ValueError):
        MatchesKey(Field.RECORD_TIME, ())
