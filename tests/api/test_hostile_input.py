"""Hostile input, on both stores: every one is either a clear problem (4xx, the standard's
``epcisException:*`` type, where it is) or kept and matched as the literal it is; never a 500.

Numbers no double holds, nesting no store keeps, bytes that are not UTF-8, duplicate keys, megabyte
strings, operator and SQL fragments in identifiers, field names, values and query parameters, and
patterns built to make a regular expression engine backtrack. The cases already covered next to their
endpoints (tests/api/test_capture.py: a number out of range and invalid UTF-8 in the envelope, 100,000
levels of arrays, operator objects as extension values; tests/api/test_query.py: operator and regex
strings in six query parameters) are not repeated here.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from tests.api.test_capture import AS_CAPTURED, CONTEXT, all_events, document, object_event
from tests.conftest import BACKENDS, EpcisClient, make_client

EX = "https://example.org/ns/"  # the namespace CONTEXT declares as ex:
EXTENSIONS = {"GS1-Extensions": f"ex={EX}"}
# Queries answer with identifiers as captured, to compare with what all_events(client, AS_CAPTURED) gave.
LITERAL = {**EXTENSIONS, **AS_CAPTURED}
JSON = {"Content-Type": "application/json"}


def problem(response: Any, status: int, exception: str) -> dict[str, Any]:
    assert response.status_code == status, response.text[:2000]
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == f"epcisException:{exception}"
    assert body["status"] == status
    return body


def events_of(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text[:2000]
    events: list[dict[str, Any]] = response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    return events


def with_field(event: dict[str, Any], name: str, literal: str) -> str:
    """The event as JSON text with one more member written exactly as `literal`."""
    return json.dumps(event)[:-1] + f', "{name}": {literal}}}'


def bodies(event: dict[str, Any], name: str, literal: str) -> Iterator[tuple[str, bytes, int]]:
    """The event with the member `name: literal` as a capture document and as a single event, with the
    offset of the literal in each."""
    text = with_field(event, name, literal)
    doc = json.dumps(document()).replace('"eventList": []', f'"eventList": [{text}]')
    single = with_field({**event, "@context": CONTEXT}, name, literal)
    for path, body in (("/capture", doc), ("/events", single)):
        encoded = body.encode()
        yield path, encoded, encoded.rindex(literal.encode())


def assert_nothing_stored(client: EpcisClient) -> None:
    assert all_events(client) == [] and client.get("/capture").json() == []


def sensor(value: Any) -> list[dict[str, Any]]:
    return [{"sensorReport": [{"type": "Temperature", "value": value, "uom": "CEL"}]}]


# --- numbers --------------------------------------------------------------------------------------------

# Where a number goes: (member, how a literal sits in it).
NUMBER_PLACES = {
    "quantity": ("quantityList", '[{{"epcClass": "urn:epc:class:lgtin:8934567.012345.L1", "quantity": {}}}]'),
    "sensor value": (
        "sensorElementList",
        '[{{"sensorReport": [{{"type": "Temperature", "value": {}, "uom": "CEL"}}]}}]',
    ),
    "extension": ("ex:reading", "{}"),
}
OUT_OF_RANGE = ["1e309", "-1e309", "1" + "0" * 400, "-1" + "0" * 400, "NaN", "Infinity", "-Infinity"]


@pytest.mark.parametrize("literal", OUT_OF_RANGE, ids=lambda v: v if len(v) < 12 else f"{v[:3]}...({len(v)})")
@pytest.mark.parametrize("place", NUMBER_PLACES)
def test_a_number_no_double_holds_is_a_400_pointing_at_it(
    client: EpcisClient, place: str, literal: str
) -> None:
    """Beyond ±1.8e308 (1e309, a 401-digit integer) or not a JSON number at all (NaN, Infinity)."""
    member, template = NUMBER_PLACES[place]
    for path, body, _ in bodies(object_event(1), member, template.format(literal)):
        found = problem(client.post(path, content=body, headers=JSON), 400, "ValidationException")
        offset = body.rindex(literal.encode())
        at = re.search(r"at character (\d+)", found["detail"])
        assert found["title"] == "Malformed JSON" and at is not None, found
        assert offset <= int(at[1]) < offset + len(literal), (path, found["detail"], offset)
        assert found["errors"] == [{"pointer": "", "detail": found["detail"]}]
    assert_nothing_stored(client)


def test_the_largest_and_smallest_numbers_and_64_bit_integers_come_back_exactly(client: EpcisClient) -> None:
    extremes: dict[str, Any] = {
        "ex:max": 1.7976931348623157e308,
        "ex:min": 5e-324,
        "ex:u64": 18446744073709551615,
        "ex:i64": -9223372036854775808,
    }
    quantity = [{"epcClass": "urn:epc:class:lgtin:8934567.012345.L1", "quantity": 1.7976931348623157e308}]
    sent = object_event(
        1, quantityList=quantity, sensorElementList=sensor(-1.7976931348623157e308), **extremes
    )
    assert client.capture(document(sent))["success"]
    (got,) = all_events(client, AS_CAPTURED)
    assert {k: got[k] for k in sent} == sent
    for params in (
        {"GT_quantity": "1e308"},
        {"LT_value_CEL": "-1e308"},
        {"EQ_ex:u64": "18446744073709551615"},
        {"EQ_ex:i64": "-9223372036854775808"},
        {"LT_ex:min": "1e-323"},
    ):
        assert events_of(client.get("/events", params=params, headers=LITERAL)) == [got], params


def test_integers_beyond_64_bits_read_as_the_nearest_double_and_underflow_reads_as_zero(
    client: EpcisClient,
) -> None:
    """As JavaScript's JSON.parse reads them: the value kept is the one the parser gave."""
    text = with_field(object_event(1), "ex:big", "18446744073709551616123")[:-1] + ', "ex:tiny": 1e-400}'
    body = json.dumps(document()).replace('"eventList": []', f'"eventList": [{text}]').encode()
    response = client.post("/capture", content=body, headers=JSON)
    assert client.wait_for_job(response.headers["Location"])["success"]
    (got,) = all_events(client, AS_CAPTURED)
    assert got["ex:big"] == 1.8446744073709552e22 and isinstance(got["ex:big"], float)
    assert got["ex:tiny"] == 0.0


def test_negative_zero_is_kept_and_is_the_same_number_as_zero(client: EpcisClient) -> None:
    quantity = [{"epcClass": "urn:epc:class:lgtin:8934567.012345.L1", "quantity": -0.0}]
    sent = object_event(1, quantityList=quantity, **{"ex:zero": -0.0})
    assert client.capture(document(sent))["success"]
    raw = client.get("/events", headers=AS_CAPTURED).text
    assert '"quantity":-0.0' in raw and '"ex:zero":-0.0' in raw
    (got,) = all_events(client, AS_CAPTURED)
    for params in ({"EQ_quantity": "0"}, {"GE_quantity": "0"}, {"LE_quantity": "-0"}, {"EQ_ex:zero": "0"}):
        assert events_of(client.get("/events", params=params, headers=LITERAL)) == [got], params
    # The event hash reads numbers as numbers: the same event with 0 (or -0, an integer) is a duplicate.
    for literal in ("0", "-0"):
        text = with_field(object_event(1, quantityList=quantity), "ex:zero", literal)
        text = text.replace('"quantity": -0.0', f'"quantity": {literal}')
        body = json.dumps({**json.loads(text), "@context": CONTEXT}).encode()
        problem(client.post("/events", content=body, headers=JSON), 409, "ResourceAlreadyExistsException")


# --- nesting --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("opening", "closing"), [('{"ex:n": ', "}"), ("[", "]")], ids=["objects", "arrays"])
@pytest.mark.parametrize("depth", [1000, 10_000])
def test_deeply_nested_extensions_are_a_400_never_a_recursion_error(
    client: EpcisClient, depth: int, opening: str, closing: str
) -> None:
    """Deeper than the parser reads (1024 levels) or than the stores keep (254): 400 before anything is
    walked; where the parser read it, the pointer names the first level too deep."""
    literal = opening * depth + '"leaf"' + closing * depth
    for path, body, _ in bodies(object_event(1), "ex:deep", literal):
        found = problem(client.post(path, content=body, headers=JSON), 400, "ValidationException")
        assert found["title"] == "Nested too deep" and "254 levels" in found["detail"]
        (error,) = found["errors"]
        if depth > 1024:
            assert error["pointer"] == "" and "at character" in error["detail"]
        else:
            step = "/ex:n" if opening.startswith("{") else "/0"
            where = ("/epcisBody/eventList/0" if path == "/capture" else "") + "/ex:deep"
            # The pointer names the 255th container: `where` is the (count of "/" + 1)th.
            levels = 255 - (where.count("/") + 1)
            assert error["pointer"] == where + step * levels, path
    assert_nothing_stored(client)


@pytest.mark.parametrize(("path", "above"), [("/capture", 4), ("/events", 1)])
def test_the_deepest_nesting_accepted_is_stored_and_read_back_whole(
    client: EpcisClient, path: str, above: int
) -> None:
    """At the limit exactly, an event is stored and every read renders it whole (a query document wraps
    it two levels deeper than a capture document); one level more is refused."""
    deepest = 254 - above  # levels of the extension value: the body's own levels above it, then these

    def nested(depth: int) -> str:
        return '{"ex:n": ' * depth + '"leaf"' + "}" * depth

    def body(depth: int) -> bytes:
        return next(body for at, body, _ in bodies(object_event(1), "ex:deep", nested(depth)) if at == path)

    too_deep = problem(client.post(path, content=body(deepest + 1), headers=JSON), 400, "ValidationException")
    assert too_deep["title"] == "Nested too deep"
    answer = client.post(path, content=body(deepest), headers=JSON)
    assert answer.status_code in (201, 202), answer.text[:2000]
    if path == "/capture":
        assert client.wait_for_job(answer.headers["location"])["success"]
    expected = json.loads(nested(deepest))
    (found,) = events_of(client.get("/events", headers=LITERAL))
    assert found["ex:deep"] == expected
    by_id = client.get("/events/" + quote(found["eventID"], safe=""), headers=LITERAL)
    assert [e["ex:deep"] for e in events_of(by_id)] == [expected]
    assert len(events_of(client.get("/events?EXISTS_ex:deep", headers=LITERAL))) == 1


# --- encoding -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82"],
    ids=["invalid byte", "overlong", "encoded surrogate", "truncated"],
)
@pytest.mark.parametrize("place", ["extension", "epcList"])
def test_invalid_utf8_in_an_event_is_a_400_naming_the_byte(
    client: EpcisClient, place: str, bad: bytes
) -> None:
    marker = "\u00a7BAD\u00a7"  # replaced by the bad bytes once the body is written
    if place == "extension":
        event = object_event(1, **{"ex:note": f"a{marker}b"})
    else:
        event = object_event(1, epcList=[f"https://example.org/epc/{marker}"])
    for path, body, _ in bodies(event, "ex:other", "1"):
        body = body.replace(json.dumps(marker)[1:-1].encode(), bad)
        found = problem(client.post(path, content=body, headers=JSON), 400, "ValidationException")
        assert found["title"] == "Malformed JSON" and "UTF-8" in found["detail"]
        assert f"(at byte {body.index(bad)})" in found["detail"], (path, found["detail"])
    assert_nothing_stored(client)


@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "\\ud83dx"], ids=["high", "low", "unpaired"])
def test_a_lone_surrogate_escape_is_a_400_pointing_at_it(client: EpcisClient, escape: str) -> None:
    """Text no store can encode: refused by the parser, at the escape."""
    for path, body, offset in bodies(object_event(1), "ex:note", f'"a{escape}b"'):
        found = problem(client.post(path, content=body, headers=JSON), 400, "ValidationException")
        assert "surrogate" in found["detail"]
        assert f"(at character {offset + 2})" in found["detail"], (path, found["detail"])
    assert_nothing_stored(client)


def test_a_nul_character_is_kept_and_matched_as_any_other(client: EpcisClient) -> None:
    sent = object_event(1, **{"ex:note": "a\u0000b"})
    assert client.capture(document(sent))["success"]
    (got,) = all_events(client, AS_CAPTURED)
    assert got["ex:note"] == "a\u0000b"
    assert events_of(client.get("/events", params={"EQ_ex:note": "a\u0000b"}, headers=LITERAL)) == [got]
    assert events_of(client.get("/events", params={"EQ_ex:note": "a"}, headers=EXTENSIONS)) == []


# --- duplicate keys -------------------------------------------------------------------------------------


def test_of_duplicate_keys_the_last_wins_everywhere(client: EpcisClient) -> None:
    """The repository reads a JSON object as its parser does: the last of duplicate members wins. What
    is stored, what queries match and what the event hash covers all see that one value."""
    event = json.dumps(object_event(1, action="ADD", eventID="urn:uuid:6c2f7a38-4b0e-4d7a-9d55-000000000001"))
    event = event[:-1] + ', "ex:grade": "A", "action": "OBSERVE", "ex:grade": "B"}'
    decoy = json.dumps(object_event(2, eventID="urn:uuid:6c2f7a38-4b0e-4d7a-9d55-000000000002"))
    body = (
        json.dumps(document())
        .replace('"eventList": []', f'"eventList": [{decoy}], "eventList": [{event}]')
        .encode()
    )
    response = client.post("/capture", content=body, headers=JSON)
    assert client.wait_for_job(response.headers["Location"])["success"]
    (got,) = all_events(client, AS_CAPTURED)  # the first eventList was overridden: no decoy
    assert got["eventID"].endswith("0001") and got["action"] == "OBSERVE" and got["ex:grade"] == "B"
    for params, found in (
        ({"EQ_action": "OBSERVE", "EQ_ex:grade": "B"}, [got]),
        ({"EQ_action": "ADD"}, []),
        ({"EQ_ex:grade": "A"}, []),
    ):
        assert events_of(client.get("/events", params=params, headers=LITERAL)) == found
    # The hash is that of the event with only the last values: sent that way, it is a duplicate.
    only_last = {k: v for k, v in got.items() if k not in ("recordTime", "@context", "eventID")}
    response = client.post("/events", json={**only_last, "@context": CONTEXT})
    assert problem(response, 409, "ResourceAlreadyExistsException")["eventHash"]
    # POST /events reads a single event the same way.
    single = json.dumps({**object_event(3, action="ADD"), "@context": CONTEXT})
    single = single[:-1] + ', "ex:grade": "A", "action": "DELETE", "ex:grade": "C"}'
    response = client.post("/events", content=single.encode(), headers={**JSON, **AS_CAPTURED})
    assert response.status_code == 201, response.text
    assert (response.json()["action"], response.json()["ex:grade"]) == ("DELETE", "C")
    params = {"EQ_ex:grade": "C", "EQ_action": "DELETE"}
    assert [e["epcList"] for e in events_of(client.get("/events", params=params, headers=LITERAL))] == [
        object_event(3)["epcList"]
    ]


# --- megabyte strings -----------------------------------------------------------------------------------

MEGABYTE = 1024 * 1024


def test_a_megabyte_extension_value_is_stored_and_read_back_exactly(client: EpcisClient) -> None:
    value = ("ünïcødé " * MEGABYTE)[:MEGABYTE]
    sent = object_event(1, eventID="urn:uuid:2b5c8f1e-3d4a-4b6c-8e9f-0a1b2c3d4e5f", **{"ex:big": value})
    started = time.monotonic()
    assert client.capture(document(sent))["success"]
    response = client.get("/events/" + quote(sent["eventID"], safe=""), headers=AS_CAPTURED)
    (got,) = events_of(response)
    assert got["ex:big"] == value
    assert [
        e["eventID"]
        for e in events_of(client.get("/events", params={"EXISTS_ex:big": ""}, headers=EXTENSIONS))
    ] == [sent["eventID"]]
    assert time.monotonic() - started < 10


def test_megabyte_identifiers_are_stored_as_literals_or_refused_where_they_break_the_syntax(
    client: EpcisClient,
) -> None:
    custom = "https://example.org/epc/" + "x" * MEGABYTE
    place = "https://example.org/place/" + "y" * MEGABYTE
    sent = object_event(1, epcList=[custom], readPoint={"id": place}, bizLocation={"id": place})
    assert client.capture(document(sent))["success"]
    (got,) = all_events(client, AS_CAPTURED)
    assert (
        got["epcList"] == [custom]
        and got["readPoint"] == {"id": place}
        and got["bizLocation"] == {"id": place}
    )
    assert client.get("/readPoints").json()["member"] == [place]
    # An EPC URN is parsed: a megabyte serial breaks the Tag Data Standard, at its pointer.
    urn = "urn:epc:id:sgtin:8934567.012345." + "9" * MEGABYTE
    found = problem(
        client.post("/capture", json=document(object_event(2, epcList=[urn]))), 400, "ValidationException"
    )
    assert {e["pointer"] for e in found["errors"]} == {"/epcisBody/eventList/0/epcList/0"}
    assert all_events(client, AS_CAPTURED) == [got]


# --- operators and fragments as literals ---------------------------------------------------------------

INJECTIONS = [
    '{"$gt": ""}',
    '{"$where": "sleep(1000)"}',
    '{"$ne": null}',
    "$where",
    "'; DROP TABLE events; --",
    "' OR '1'='1",
    '" OR ""="',
    "%",
    "_",
    "*",
    ".*",
    "(a+)+$",
    "\\",
]


@pytest.mark.parametrize("value", INJECTIONS)
def test_an_operator_or_sql_fragment_value_is_stored_and_matched_as_a_literal(
    client: EpcisClient, value: str
) -> None:
    """Captured in an extension field, in ILMD and nested; EQ_ on it finds exactly its event, MATCH_ with
    it finds nothing (no error), and the events around it (which an operator, a LIKE wildcard or a
    regular expression would match) are not found."""
    target = object_event(
        1, action="ADD", ilmd={"ex:lot": value}, **{"ex:note": value, "ex:box": {"ex:tag": value}}
    )
    decoys = [
        object_event(2, action="ADD", ilmd={"ex:lot": "aaaa"}, **{"ex:note": "", "ex:box": {"ex:tag": "x"}}),
        object_event(3, action="ADD", ilmd={"ex:lot": value + "z"}, **{"ex:note": "z" + value}),
    ]
    assert client.capture(document(target, *decoys))["success"]
    (got,) = [e for e in all_events(client, AS_CAPTURED) if e["epcList"] == target["epcList"]]
    assert (got["ex:note"], got["ilmd"]["ex:lot"], got["ex:box"]["ex:tag"]) == (value, value, value)
    for name in ("EQ_ex:note", "EQ_ILMD_ex:lot", "EQ_INNER_ex:tag"):
        assert events_of(client.get("/events", params={name: value}, headers=LITERAL)) == [got], name
    for name in ("MATCH_epc", "MATCH_anyEPC", "MATCH_epcClass", "MATCH_parentID", "EQ_bizLocation"):
        assert events_of(client.get("/events", params={name: value})) == [], name


@pytest.mark.parametrize("value", ['{"$gt": ""}', "'; DROP TABLE events; --", "(a+)+$"])
@pytest.mark.parametrize("name", ["GE_ex:note", "LT_ILMD_ex:lot", "GT_INNER_ex:tag"])
def test_a_comparison_with_an_operator_string_is_a_400_naming_the_parameter(
    client: EpcisClient, name: str, value: str
) -> None:
    found = problem(
        client.get("/events", params={name: value}, headers=EXTENSIONS), 400, "QueryParameterException"
    )
    assert found["parameter"] == name and found["errors"][0]["pointer"] == "/" + name
    assert "compares with a number or a date-time" in found["detail"]


IDENTIFIERS = {
    "dollar path": "https://example.org/epc/$where/$gt",
    "sql in path": "https://example.org/epc/$ne';DROP%20TABLE%20events;--",
    "urn": "urn:example:$gt:1",
}


def test_operator_and_sql_identifiers_are_stored_and_queried_as_literals(client: EpcisClient) -> None:
    target = object_event(
        1,
        epcList=[IDENTIFIERS["dollar path"], IDENTIFIERS["sql in path"]],
        readPoint={"id": IDENTIFIERS["urn"]},
        bizLocation={"id": IDENTIFIERS["sql in path"]},
    )
    decoy = object_event(2, epcList=["https://example.org/epc/x"], readPoint={"id": "urn:example:x"})
    assert client.capture(document(target, decoy))["success"]
    (got,) = all_events(client, AS_CAPTURED, EQ_readPoint=IDENTIFIERS["urn"])
    assert got["epcList"] == target["epcList"] and got["bizLocation"] == target["bizLocation"]
    for params in (
        {"MATCH_epc": IDENTIFIERS["dollar path"]},
        {"MATCH_anyEPC": IDENTIFIERS["sql in path"]},
        {"EQ_bizLocation": IDENTIFIERS["sql in path"]},
        {"EQ_readPoint": IDENTIFIERS["urn"]},
    ):
        assert events_of(client.get("/events", params=params, headers=AS_CAPTURED)) == [got], params
    for params in ({"EQ_readPoint": "urn:example:$gt:2"}, {"MATCH_epc": "https://example.org/epc/$where"}):
        assert events_of(client.get("/events", params=params)) == [], params
    # Each is a value resource of its own, found by its path.
    for family, value in (("epcs", IDENTIFIERS["dollar path"]), ("readPoints", IDENTIFIERS["urn"])):
        response = client.get(f"/{family}/{quote(value, safe='')}/events", headers=AS_CAPTURED)
        assert events_of(response) == [got], family


@pytest.mark.parametrize("identifier", ['{"$gt": ""}', "https://example.org/epc/a b", "$where"])
def test_an_operator_object_where_an_identifier_goes_is_a_400_at_its_pointer(
    client: EpcisClient, identifier: str
) -> None:
    found = problem(
        client.post("/capture", json=document(object_event(1, epcList=[identifier]))),
        400,
        "ValidationException",
    )
    assert {e["pointer"] for e in found["errors"]} == {"/epcisBody/eventList/0/epcList/0"}
    assert_nothing_stored(client)


def test_operator_and_dotted_extension_names_are_fields_like_any_other(client: EpcisClient) -> None:
    fields = {"ex:$where": "sleep(1000)", "ex:$gt": {"$ne": 1}, "ex:a.b": "dot", "ex:__proto__": "p"}
    assert client.capture(document(object_event(1, **fields), object_event(2)))["success"]
    (got,) = [e for e in all_events(client, AS_CAPTURED) if "ex:a.b" in e]
    assert {k: got[k] for k in fields} == fields
    for params in (
        {"EQ_ex:$where": "sleep(1000)"},
        {"EXISTS_ex:$gt": ""},
        {"EQ_ex:a.b": "dot"},
        {"EQ_ex:__proto__": "p"},
        {f"EQ_{EX}$where": "sleep(1000)"},
    ):
        assert events_of(client.get("/events", params=params, headers=LITERAL)) == [got], params
    assert events_of(client.get("/events", params={"EQ_ex:$where": "sleep"}, headers=LITERAL)) == []
    # A field name without a namespace is no field: refused, named.
    found = problem(client.get("/events", params={"EQ_$where": "1"}), 400, "QueryParameterException")
    assert found["parameter"] == "EQ_$where"


# --- patterns built to backtrack ------------------------------------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def stocked(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EpcisClient]:
    """Events that a wildcard, a regular expression or an operator would match."""
    with make_client(request.param, tmp_path_factory.mktemp("store")) as client:
        quantity = [{"epcClass": "urn:epc:class:lgtin:8934567.012345.AAAA", "quantity": 5}]
        events = [
            object_event(1, quantityList=quantity, **{"ex:note": "a" * 100 + "!"}),
            object_event(2, epcList=["urn:epc:id:sgtin:8934567.012345.aaaaaaaaaaaaaaaaaaaa"]),
        ]
        assert client.capture(document(*events))["success"]
        yield client


STARS = "urn:epc:idpat:sgtin:" + "*" * 10_000
DOTTED_STARS = "urn:epc:idpat:sgtin:" + ".*" * 5_000
BACKTRACK = "(a+)+$" + "a" * 30_000 + "!"
LONG_PATTERN = "urn:epc:idpat:sgtin:8934567." + "1" * 30_000 + ".*"
GROUPED = "urn:epc:idpat:sgtin:" + "(a+)+$" * 1_000


@pytest.mark.parametrize(
    ("parameter", "value", "refused"),
    [
        # One component of 10,000 stars is no pattern: an identifier no event has.
        ("MATCH_epc", STARS, False),
        ("MATCH_anyEPC", STARS, False),
        ("MATCH_epcClass", STARS, True),  # a class pattern has three components
        ("MATCH_epc", DOTTED_STARS, True),  # 5,000 components: not an sgtin pattern
        ("MATCH_epcClass", DOTTED_STARS, True),
        ("MATCH_epc", BACKTRACK, False),
        ("MATCH_epcClass", BACKTRACK, False),
        ("MATCH_parentID", BACKTRACK, False),
        ("MATCH_epc", LONG_PATTERN, True),  # a 30,000-digit item reference is no GTIN
        ("MATCH_anyEPCClass", LONG_PATTERN, False),  # "CP.IR.*" with an unknown IR: no class has it
        ("MATCH_epc", GROUPED, False),
        ("MATCH_epcClass", GROUPED, True),
        ("EQ_ex:note", BACKTRACK, False),
        ("EQ_ex:note", "a" * 100 + ".", False),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 20 else None,
)
def test_patterns_built_to_backtrack_answer_at_once_and_literally(
    stocked: EpcisClient, parameter: str, value: str, refused: bool
) -> None:
    started = time.monotonic()
    response = stocked.get("/events", params={parameter: value}, headers=EXTENSIONS)
    assert time.monotonic() - started < 2.0
    if refused:
        found = problem(response, 400, "QueryParameterException")
        assert found["parameter"] == parameter and found["errors"][0]["pointer"] == "/" + parameter
    else:
        assert events_of(response) == []
