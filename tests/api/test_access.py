"""Who may see what, on both stores: an organisation sees the events it captured, those naming it as a
source or destination, and what others granted it; never anything else, through any read path."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from epcis_repo.auth.model import Grant, GrantScope, Organisation, Role
from epcis_repo.epcis.identifiers import canonical_key
from epcis_repo.epcis.timestamps import to_micros
from epcis_repo.query.model import AnyOf, EventQuery, Field
from tests.api.test_capture import CONTEXT, all_events, document
from tests.conftest import EpcisClient, make_client

GTIN_1 = "urn:epc:id:sgtin:8934567.012345.{}"
GTIN_2 = "urn:epc:id:sgtin:8934567.054321.{}"
ROAST = "https://example.org/steps/roast"  # a custom business step only A uses
A_SITE = "urn:epc:id:sgln:8934567.00001.0"
C_PARTY = "urn:epc:id:pgln:8934568.00000"


def event(name: str, epc: str, step: str, time: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "eventID": f"urn:uuid:00000000-0000-4000-8000-{name.encode().hex():0>12}",
        "eventTime": time,
        "eventTimeZoneOffset": "+07:00",
        "action": "OBSERVE",
        "epcList": [epc],
        "bizStep": step,
        **fields,
    }


A_EVENTS = {
    "a1": event(
        "a1", GTIN_1.format(1), "commissioning", "2026-01-10T08:00:00+07:00", readPoint={"id": A_SITE}
    ),
    "a2": event("a2", GTIN_1.format(1), "shipping", "2026-02-10T08:00:00+07:00"),
    "a3": event(
        "a3",
        GTIN_2.format(5),
        ROAST,
        "2026-03-10T08:00:00+07:00",
        destinationList=[{"type": "owning_party", "destination": C_PARTY}],
    ),
}
B_EVENTS = {"b1": event("b1", "urn:epc:id:sgtin:8934569.011111.7", "receiving", "2026-02-11T08:00:00+07:00")}


def capture(client: EpcisClient, headers: dict[str, str], *events: dict[str, Any]) -> str:
    """Capture as the key in `headers`; the job's location."""
    body = document(*events)
    answer = client.post("/capture", json=body, headers=headers)
    assert answer.status_code == 202, answer.text
    location: str = answer.headers["location"]
    assert client.wait_for_job(location)["success"]
    return location


def names(events: list[dict[str, Any]]) -> set[str]:
    by_id = {e["eventID"]: name for name, e in {**A_EVENTS, **B_EVENTS}.items()}
    return {by_id[e["eventID"]] for e in events}


def problem(response: Any, status: int, exception: str = "NoSuchNameException") -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == f"epcisException:{exception}"
    return body


class Partners:
    """A (a producer), B (a buyer) and C (named as A's roast's owner), each with a key."""

    def __init__(self, client: EpcisClient) -> None:
        self.client = client
        self.a = client.as_org("org-a")
        self.b = client.as_org("org-b")
        self.c = client.as_org("org-c")
        self.a_job = capture(client, self.a, *A_EVENTS.values())
        self.b_job = capture(client, self.b, *B_EVENTS.values())
        client.portal.call(client.access.set_organisation, Organisation("org-c", (canonical_key(C_PARTY),)))

    def grant(self, grantee: str, scope: GrantScope) -> dict[str, str]:
        """A's grant to `grantee`; a fresh key of the grantee (visibility is worked out per request)."""
        grant = Grant(f"grant-{grantee}-{id(scope)}", "org-a", grantee, scope)
        self.client.portal.call(self.client.access.add_grant, grant)
        return self.client.as_org(grantee)


@pytest.fixture
def partners(client: EpcisClient) -> Iterator[Partners]:
    yield Partners(client)


# --- without a grant, B sees nothing of A's ------------------------------------------------------------


def test_events_B_reads_are_only_its_own(partners: Partners) -> None:
    client, b = partners.client, partners.b
    assert names(all_events(client, b)) == {"b1"}
    assert names(all_events(client, b, MATCH_epc=GTIN_1.format(1))) == set()
    assert names(all_events(client, b, EQ_bizStep=ROAST)) == set()
    assert names(all_events(client, b, EQ_readPoint=A_SITE)) == set()
    # The administrator who made the keys sees every event.
    assert names(all_events(client)) == {"a1", "a2", "a3", "b1"}
    assert names(all_events(client, partners.a)) == {"a1", "a2", "a3"}


def test_B_cannot_read_an_event_of_A_by_its_id(partners: Partners) -> None:
    a1 = quote(A_EVENTS["a1"]["eventID"], safe="")
    problem(partners.client.get(f"/events/{a1}", headers=partners.b), 404)
    assert partners.client.get(f"/events/{a1}", headers=partners.a).status_code == 200


def test_B_cannot_count_A_events_with_maxEventCount(partners: Partners) -> None:
    """maxEventCount answers 413 when more events match: it counts only what the caller may see."""
    client = partners.client
    assert client.get("/events", params={"maxEventCount": "1"}, headers=partners.b).status_code == 200
    problem(
        client.get("/events", params={"maxEventCount": "1"}, headers=partners.a),
        413,
        "QueryTooLargeException",
    )


def test_B_lists_none_of_A_values(partners: Partners) -> None:
    client, b = partners.client, partners.b

    def listed(collection: str, headers: dict[str, str]) -> list[str]:
        answer = client.get(f"/{collection}", params={"perPage": "1000"}, headers=headers)
        assert answer.status_code == 200, answer.text
        members: list[str] = answer.json()["member"]
        return members

    a_epcs = {canonical_key(GTIN_1.format(1)), canonical_key(GTIN_2.format(5))}
    assert not a_epcs & set(listed("epcs", b))
    assert a_epcs <= set(listed("epcs", partners.a))
    assert ROAST not in listed("bizSteps", b) and ROAST in listed("bizSteps", partners.a)
    assert not listed("readPoints", b) and listed("readPoints", partners.a)


def test_B_cannot_open_a_value_resource_only_A_events_have(partners: Partners) -> None:
    client, b = partners.client, partners.b
    epc = quote(GTIN_2.format(5), safe="")
    for path in (f"/epcs/{epc}", f"/epcs/{epc}/events", f"/bizSteps/{quote(ROAST, safe='')}/events"):
        problem(client.get(path, headers=b), 404)
        assert client.get(path, headers=partners.a).status_code == 200, path


def test_named_queries_belong_to_their_organisation_and_run_within_the_caller_view(
    partners: Partners,
) -> None:
    client, a, b = partners.client, partners.a, partners.b
    assert client.post("/queries", json={"name": "a-all", "query": {}}, headers=a).status_code == 201
    assert client.post("/queries", json={"name": "b-all", "query": {}}, headers=b).status_code == 201
    assert [q["name"] for q in client.get("/queries", headers=b).json()] == ["b-all"]
    for method, path in (
        ("GET", "/queries/a-all"),
        ("GET", "/queries/a-all/events"),
        ("DELETE", "/queries/a-all"),
    ):
        problem(client.request(method, path, headers=b), 404)
    b_all = client.get("/queries/b-all/events", headers=b).json()
    assert names(b_all["epcisBody"]["queryResults"]["resultsBody"]["eventList"]) == {"b1"}
    a_all = client.get("/queries/a-all/events", headers=a).json()
    assert names(a_all["epcisBody"]["queryResults"]["resultsBody"]["eventList"]) == {"a1", "a2", "a3"}
    assert {q["name"] for q in client.get("/queries").json()} == {"a-all", "b-all"}  # the administrator


def test_capture_jobs_are_seen_by_their_organisation_only(partners: Partners) -> None:
    client, b = partners.client, partners.b
    assert [job["captureID"] for job in client.get("/capture", headers=b).json()] == [
        partners.b_job.rsplit("/", 1)[-1]
    ]
    problem(client.get(partners.a_job, headers=b), 404)
    assert client.get(partners.a_job, headers=partners.a).status_code == 200
    assert len(client.get("/capture").json()) == 2  # the administrator


def test_a_page_token_carries_no_view_of_its_own(partners: Partners) -> None:
    """A's next-page link, replayed by B, pages through B's events only."""
    client = partners.client
    first = client.get("/events", params={"perPage": "1"}, headers=partners.a)
    link = first.headers["link"].split(";")[0].strip("<>")
    replayed = client.get(link, headers=partners.b)
    assert replayed.status_code == 200
    assert names(replayed.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]) <= {"b1"}


def test_an_organisation_sees_the_events_naming_it_as_source_or_destination(partners: Partners) -> None:
    assert names(all_events(partners.client, partners.c)) == {"a3"}


def test_each_stored_event_records_who_captured_it(partners: Partners) -> None:
    store = partners.client.app.state.repository.store  # type: ignore[attr-defined]
    for organisation, expected in (("org-a", {"a1", "a2", "a3"}), ("org-b", {"b1"})):
        query = EventQuery((AnyOf(Field.CAPTURED_BY, (organisation,)),))
        found = partners.client.portal.call(store.find_events, query, None, 10)
        assert {
            name for name, e in {**A_EVENTS, **B_EVENTS}.items() for f in found if f.event_id == e["eventID"]
        } == expected
    job = partners.client.get(partners.a_job).json()
    stored_job = partners.client.portal.call(store.get_job, job["captureID"])
    a_key_id = partners.a["Authorization"].split("_")[1]
    assert (stored_job.organisation, stored_job.principal) == ("org-a", a_key_id)


# --- master data ----------------------------------------------------------------------------------------

SUPPLIER = "EQ_ATTR_readPoint_https://example.org/ns/supplier"


def with_master_data(site: str, supplier: str, *events: dict[str, Any]) -> dict[str, Any]:
    """A capture document whose header says who supplies `site`."""
    element = {"id": site, "attributes": [{"id": "ex:supplier", "attribute": supplier}]}
    vocabulary = {"type": "urn:epcglobal:epcis:vtype:ReadPoint", "vocabularyElementList": [element]}
    return {**document(*events), "epcisHeader": {"epcisMasterData": {"vocabularyList": [vocabulary]}}}


def test_master_data_is_its_organisation_own(client: EpcisClient) -> None:
    """B's master data for A's site changes nothing of A's queries, and B cannot test guesses against
    A's: each goes by its own organisation's (and its grantors') versions."""
    a, b = client.as_org("org-a"), client.as_org("org-b")
    a1 = A_EVENTS["a1"]  # at A_SITE
    b_there = event("b2", "urn:epc:id:sgtin:8934569.011111.8", "receiving", "2026-02-12T08:00:00+07:00")
    b_there["readPoint"] = {"id": A_SITE}

    def found(headers: dict[str, str], supplier: str) -> set[str]:
        events = all_events(client, headers, **{SUPPLIER: supplier})
        return {e["eventID"] for e in events}

    for headers, body in (
        (a, with_master_data(A_SITE, "farm-7", a1)),
        (b, with_master_data(A_SITE, "evil", b_there)),  # later: the latest version, were it trusted
    ):
        answer = client.post("/capture", json=body, headers=headers)
        assert client.wait_for_job(answer.headers["location"])["success"]
    a1_id, b2_id = a1["eventID"], b_there["eventID"]
    assert found(a, "farm-7") == {a1_id} and found(a, "evil") == set()
    assert found(b, "evil") == {b2_id} and found(b, "farm-7") == set()
    # With a grant from A, B sees a1 too and goes by A's master data as well: the latest version of
    # the two it trusts (its own) says who supplies the site, for every event there it may see.
    client.portal.call(client.access.add_grant, Grant("g", "org-a", "org-b", GrantScope()))
    granted = client.as_org("org-b")
    assert found(granted, "evil") == {a1_id, b2_id} and found(granted, "farm-7") == set()
    assert found(a, "farm-7") == {a1_id}  # A still goes by its own


# --- grants ---------------------------------------------------------------------------------------------


def test_a_grant_of_a_product_and_step_shows_exactly_that_slice(partners: Partners) -> None:
    b = partners.grant(
        "org-b",
        GrantScope(
            products=(canonical_key(GTIN_1.format(1)),),
            biz_steps=("https://ref.gs1.org/cbv/BizStep-shipping",),
        ),
    )
    client = partners.client
    assert names(all_events(client, b)) == {"a2", "b1"}
    a2 = quote(A_EVENTS["a2"]["eventID"], safe="")
    a1 = quote(A_EVENTS["a1"]["eventID"], safe="")
    assert client.get(f"/events/{a2}", headers=b).status_code == 200
    problem(client.get(f"/events/{a1}", headers=b), 404)


def test_an_auditor_grant_is_limited_to_its_product_class_and_time_window(partners: Partners) -> None:
    gtin_1_class = canonical_key("urn:epc:idpat:sgtin:8934567.012345.*")
    scope = GrantScope(
        products=(gtin_1_class,),
        from_time=to_micros("2026-01-01T00:00:00Z"),
        until_time=to_micros("2026-02-01T00:00:00Z"),
    )
    auditor = partners.grant("auditor", scope)
    assert names(all_events(partners.client, auditor)) == {"a1"}


# --- trace ------------------------------------------------------------------------------------------------

LOT_IN = "urn:epc:class:lgtin:8934567.012345.BEANS"
LOT_OUT = "urn:epc:class:lgtin:8934567.054321.ROAST1"


def transformation() -> dict[str, Any]:
    return {
        "type": "TransformationEvent",
        "eventID": "urn:uuid:00000000-0000-4000-8000-0000000000aa",
        "eventTime": "2026-04-01T08:00:00+07:00",
        "eventTimeZoneOffset": "+07:00",
        "inputQuantityList": [{"epcClass": LOT_IN, "quantity": 100, "uom": "KGM"}],
        "outputQuantityList": [{"epcClass": LOT_OUT, "quantity": 80, "uom": "KGM"}],
        "bizStep": "commissioning",
    }


def receipt() -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "eventID": "urn:uuid:00000000-0000-4000-8000-0000000000bb",
        "eventTime": "2026-04-05T08:00:00+07:00",
        "eventTimeZoneOffset": "+07:00",
        "action": "OBSERVE",
        "quantityList": [{"epcClass": LOT_OUT, "quantity": 80, "uom": "KGM"}],
        "bizStep": "receiving",
    }


def test_a_trace_stops_at_what_the_caller_may_see_and_says_so(client: EpcisClient) -> None:
    a, b = client.as_org("org-a"), client.as_org("org-b")
    capture(client, a, transformation())
    capture(client, b, receipt())
    # A's own lot: B may not trace it at all, as if it did not exist.
    problem(client.get("/traces/back", params={"id": LOT_IN}, headers=b), 404)
    problem(client.get("/traces/forward", params={"id": LOT_IN}, headers=b), 404)
    # B's lot came out of A's roasting: B's trace stops there and says so.
    report = client.get("/traces/back", params={"id": LOT_OUT}, headers=b).json()
    assert [f["rule"] for f in report["findings"] if f["rule"] == "not-visible"] == ["not-visible"]
    assert canonical_key(LOT_IN) not in str(report)
    # However far back asOf goes, the finding stays: it never dates what the caller may not see.
    early = {"id": LOT_OUT, "asOf": "2000-01-01T00:00:00Z"}
    for as_of in (early, {**early, "asOf": "2100-01-01T00:00:00Z"}):
        found = client.get("/traces/back", params=as_of, headers=b).json()["findings"]
        assert "not-visible" in [f["rule"] for f in found], as_of
    # A sees its own roasting: the trace reaches the beans.
    whole = client.get("/traces/back", params={"id": LOT_OUT}, headers=a).json()
    assert canonical_key(LOT_IN) in str(whole)
    assert "not-visible" not in [f["rule"] for f in whole["findings"]]


def test_capturing_an_event_another_organisation_holds_stores_a_copy_and_reveals_nothing(
    partners: Partners,
) -> None:
    """Duplicates are found within an organisation: B capturing A's very events (same content, same
    eventIDs) is answered as if A had none, and each then sees its own copy."""
    client, a, b = partners.client, partners.a, partners.b
    a1 = {**A_EVENTS["a1"], "@context": CONTEXT}
    stored = client.post("/events", json=a1, headers=b)
    assert stored.status_code == 201, stored.text
    without_id = {key: value for key, value in A_EVENTS["a2"].items() if key != "eventID"}
    job = client.wait_for_job(
        client.post(
            "/capture",
            json=document(without_id, A_EVENTS["a3"]),
            headers=b,
        ).headers["location"]
    )
    assert job["success"] and job["errors"] == []
    assert len(all_events(client, b, MATCH_epc=GTIN_1.format(1))) == 2  # its copies of a1 and a2
    assert len(all_events(client, a, MATCH_epc=GTIN_1.format(1))) == 2  # A's own, unchanged
    # Within one organisation an event is still stored once.
    problem(client.post("/events", json=a1, headers=b), 409, "ResourceAlreadyExistsException")
    problem(client.post("/events", json=a1, headers=a), 409, "ResourceAlreadyExistsException")


def test_a_trace_counts_an_event_two_organisations_hold_once(client: EpcisClient) -> None:
    a, b = client.as_org("org-a"), client.as_org("org-b")
    capture(client, a, transformation())
    capture(client, b, transformation())
    both = client.get("/traces/back", params={"id": LOT_OUT}).json()  # the administrator sees both
    own = client.get("/traces/back", params={"id": LOT_OUT}, headers=a).json()
    assert both["edges"] == own["edges"] and len(own["edges"]) == 2
    assert both["unexplained"] == own["unexplained"]
    assert [p["quantity"]["value"] for p in both["unexplained"]] == [100]
    assert both["stages"] == own["stages"] and len(own["stages"]) == 1


def test_only_the_organisation_that_captured_an_event_can_void_it(client: EpcisClient) -> None:
    """B declaring A's roasting erroneous changes nothing of A's trace; A declaring it does."""
    a, b = client.as_org("org-a"), client.as_org("org-b")
    capture(client, a, transformation())
    declaration = {
        **transformation(),
        "errorDeclaration": {"declarationTime": "2026-04-02T08:00:00+07:00", "reason": "incorrect_data"},
    }
    capture(client, b, declaration)
    report = client.get("/traces/back", params={"id": LOT_OUT}, headers=a).json()
    assert canonical_key(LOT_IN) in str(report)
    assert "voided-events" not in [f["rule"] for f in report["findings"]]
    capture(
        client,
        a,
        {**declaration, "errorDeclaration": {**declaration["errorDeclaration"], "reason": "did_not_occur"}},
    )
    report = client.get("/traces/back", params={"id": LOT_OUT}, headers=a).json()
    assert "voided-events" in [f["rule"] for f in report["findings"]]
    assert canonical_key(LOT_IN) not in str(report["origins"])


def test_a_grant_lets_a_trace_go_on(client: EpcisClient) -> None:
    a = client.as_org("org-a")
    capture(client, a, transformation())
    client.portal.call(client.access.add_grant, Grant("g", "org-a", "org-b", GrantScope()))
    b = client.as_org("org-b")
    report = client.get("/traces/back", params={"id": LOT_OUT}, headers=b).json()
    assert canonical_key(LOT_IN) in str(report)


# --- credentials and roles -------------------------------------------------------------------------------

PROTECTED = [
    ("GET", "/events"),
    ("GET", "/events/urn:uuid:x"),
    ("GET", "/epcs"),
    ("GET", "/bizSteps/shipping/events"),
    ("GET", "/queries"),
    ("POST", "/queries"),
    ("GET", "/traces/back?id=urn:epc:id:sgtin:8934567.012345.1"),
    ("DELETE", "/nextPageToken/x"),
    ("POST", "/capture"),
    ("GET", "/capture"),
    ("POST", "/events"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer", "Bearer not-a-key", "Basic dXNlcjpwYXNz", "Bearer epcis_000000000000_" + "A" * 43],
    ids=["none", "empty bearer", "not a key", "basic", "unknown key"],
)
def test_a_request_without_a_valid_key_is_a_401_problem(
    client: EpcisClient, method: str, path: str, authorization: str
) -> None:
    answer = client.request(method, path, headers={"Authorization": authorization}, content=b"{}")
    found = problem(answer, 401, "SecurityException")
    assert answer.headers["www-authenticate"].startswith('Bearer realm="epcis-repo"')
    assert found["title"] == "Unauthorised request"


def test_a_revoked_key_is_refused(client: EpcisClient) -> None:
    headers = client.as_org("org-a")
    assert client.get("/events", headers=headers).status_code == 200
    key_id = headers["Authorization"].split("_")[1]
    assert client.portal.call(client.access.revoke_key, key_id, 1)
    problem(client.get("/events", headers=headers), 401, "SecurityException")


def test_a_key_without_the_role_is_a_403_and_changes_nothing(client: EpcisClient) -> None:
    reader = client.as_org("org-a", Role.QUERY)
    capturer = client.as_org("org-a", Role.CAPTURE)
    body = document(A_EVENTS["a1"])
    found = problem(client.post("/capture", json=body, headers=reader), 403, "SecurityException")
    assert "capture role" in found["detail"]
    problem(
        client.post("/events", json={**A_EVENTS["a1"], "@context": CONTEXT}, headers=reader),
        403,
        "SecurityException",
    )
    problem(client.get("/capture", headers=reader), 403, "SecurityException")
    problem(client.get("/events", headers=capturer), 403, "SecurityException")
    problem(
        client.get("/traces/back", params={"id": GTIN_1.format(1)}, headers=capturer),
        403,
        "SecurityException",
    )
    assert all_events(client) == []


def test_discovery_needs_no_credentials(client: EpcisClient) -> None:
    anonymous = {"Authorization": ""}
    assert client.get("/", headers=anonymous).status_code == 200
    assert client.get("/openapi.json", headers=anonymous).status_code == 200
    for path in ("/", "/capture", "/events", "/events/urn:uuid:x", "/queries/x", "/epcs/x", "/capture/x"):
        assert client.options(path, headers=anonymous).status_code == 204, path


def test_a_key_over_its_rate_gets_429_with_retry_after(backend: str, tmp_path: Any) -> None:
    from epcis_repo.settings import Settings

    with make_client(backend, tmp_path, Settings(rate_limit_per_minute=3)) as client:
        busy, other = client.as_org("org-a"), client.as_org("org-b")
        assert [client.get("/events", headers=busy).status_code for _ in range(3)] == [200] * 3
        refused = client.get("/events", headers=busy)
        assert refused.status_code == 429 and refused.json()["status"] == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 20
        assert client.get("/events", headers=other).status_code == 200
