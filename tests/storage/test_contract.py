"""The storage contract: what every store promises (storage/port.py), asserted once for all backends."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from typing import Any

import orjson
import pytest

from epcis_repo.capture.records import prepare
from epcis_repo.epcis.context import namespaces
from epcis_repo.epcis.identifiers import canonical_key, instance_matches
from epcis_repo.epcis.timestamps import to_micros
from epcis_repo.query.model import (
    NUMBER,
    AnyNumber,
    AnyOf,
    Condition,
    Cursor,
    EventQuery,
    Exists,
    Field,
    InRange,
    MatchesKey,
    Order,
    fact,
)
from epcis_repo.storage.port import (
    AppendResult,
    Behaviour,
    CaptureJob,
    EventRecord,
    EventStore,
    NamedQuery,
    VocabularyRecord,
)
from epcis_repo.trace.model import EVERY_EDGE, EdgeKind, EdgeSelection, LineageEdge

_serial = itertools.count(1)


def event(**fields: Any) -> dict[str, Any]:
    """A valid ObjectEvent with a unique serial number, overridden by `fields` (None removes a field)."""
    base = {
        "type": "ObjectEvent",
        "eventTime": "2024-05-01T10:00:00.000+02:00",
        "eventTimeZoneOffset": "+02:00",
        "action": "OBSERVE",
        "epcList": [f"urn:epc:id:sgtin:8934567.012345.{next(_serial)}"],
        "bizStep": "shipping",
    }
    return {k: v for k, v in {**base, **fields}.items() if v is not None}


PREFIXES = namespaces({"example": "https://ns.example.com/epcis/"})


def record(**fields: Any) -> EventRecord:
    return prepare(event(**fields), PREFIXES, None)


def job(behaviour: Behaviour = Behaviour.ROLLBACK, created_at: int = 0) -> CaptureJob:
    return CaptureJob(capture_id=str(uuid.uuid4()), created_at=created_at, behaviour=behaviour)


async def append(
    store: EventStore, records: list[EventRecord], behaviour: Behaviour = Behaviour.ROLLBACK
) -> tuple[AppendResult, CaptureJob]:
    capture = job(behaviour)

    async def settle(result: AppendResult) -> None:
        capture.running = False
        capture.success = not result.duplicates
        capture.stored_count = result.stored

    return await store.append(records, capture, settle), capture


EVERYTHING = EventQuery()


async def ids(store: EventStore, query: EventQuery = EVERYTHING, limit: int = 1000) -> list[str]:
    return [e.event_id for e in await store.find_events(query, None, limit)]


async def test_appended_events_are_read_back_whole_in_capture_order(store: EventStore) -> None:
    first = [record() for _ in range(3)]
    second = [record() for _ in range(2)]
    await append(store, first)
    await append(store, second)
    found = await store.find_events(EventQuery(), None, 100)
    assert [e.event_id for e in found] == [r.event_id for r in first + second]
    assert [e.body for e in found] == [r.body for r in first + second]
    assert orjson.loads(found[0].body)["eventID"] == first[0].event_id


async def test_record_time_is_set_by_the_store_and_only_grows(store: EventStore) -> None:
    before, _ = await append(store, [record()])
    after, _ = await append(store, [record()])
    assert after.record_time > before.record_time
    times = [e.record_time for e in await store.find_events(EventQuery(), None, 10)]
    assert times == [before.record_time, after.record_time]


async def test_a_duplicate_under_rollback_stores_nothing(store: EventStore) -> None:
    existing = record()
    await append(store, [existing])
    fresh = record()
    result, capture = await append(store, [fresh, existing], Behaviour.ROLLBACK)
    assert result.stored == 0 and result.duplicates == (1,)
    assert capture.stored_count == 0 and not capture.running
    assert await ids(store) == [existing.event_id]
    saved = await store.get_job(capture.capture_id)
    assert saved is not None and not saved.running and saved.stored_count == 0
    assert saved.commit is not None and saved.commit == capture.commit
    later = record()  # the store goes on capturing, with a commit number of its own
    result, next_capture = await append(store, [later])
    assert result.stored == 1 and await ids(store) == [existing.event_id, later.event_id]
    assert next_capture.commit is not None and next_capture.commit > saved.commit


async def test_a_duplicate_under_proceed_stores_the_rest(store: EventStore) -> None:
    existing = record()
    await append(store, [existing])
    fresh = record()
    result, _ = await append(store, [existing, fresh], Behaviour.PROCEED)
    assert result.stored == 1 and result.duplicates == (0,)
    assert await ids(store) == [existing.event_id, fresh.event_id]


async def test_error_declarations_share_the_eventid_but_an_owned_eventid_is_unique(store: EventStore) -> None:
    original = event(eventID="urn:uuid:5c1f0b0e-2b1a-4b7e-8f77-0d1b2c3d4e5f")
    await append(store, [prepare(original, namespaces(None), None)])
    declaration = {
        **original,
        "errorDeclaration": {"declarationTime": "2024-06-01T00:00:00Z", "reason": "incorrect_data"},
    }
    result, _ = await append(store, [prepare(declaration, namespaces(None), None)])
    assert result.stored == 1
    other_event_same_id = prepare({**event(), "eventID": original["eventID"]}, namespaces(None), None)
    result, _ = await append(store, [other_event_same_id], Behaviour.PROCEED)
    assert result.duplicates == (0,)
    found = await ids(store, EventQuery((AnyOf(Field.EVENT_ID, (original["eventID"],)),)))
    assert found == [original["eventID"], original["eventID"]]


async def test_stored_keys_and_used_event_ids(store: EventStore) -> None:
    kept, declaration_base, other = record(), event(), record()
    declaration = prepare(
        {**declaration_base, "errorDeclaration": {"declarationTime": "2024-06-01T00:00:00Z"}},
        namespaces(None),
        None,
    )
    await append(store, [kept, declaration])
    assert await store.stored_keys([kept.dedup_key, other.dedup_key, declaration.dedup_key]) == {
        kept.dedup_key,
        declaration.dedup_key,
    }
    # A declaration does not own the eventID it repeats.
    assert await store.used_event_ids([kept.event_id, declaration.event_id, other.event_id]) == {
        kept.event_id
    }


async def test_readers_see_nothing_of_a_capture_until_it_is_settled(store: EventStore) -> None:
    await append(store, [record()])
    seen_while_settling: list[str] = []
    capture = job()

    async def settle(result: AppendResult) -> None:
        seen_while_settling.extend(await ids(store))
        capture.running = False

    batch = [record() for _ in range(5)]
    await store.append(batch, capture, settle)
    assert len(seen_while_settling) == 1
    assert len(await ids(store)) == 6


async def test_pages_follow_the_cursor_without_gaps_or_repeats_while_capture_goes_on(
    store: EventStore,
) -> None:
    for _ in range(6):
        await append(store, [record() for _ in range(7)])
    existing = await ids(store)
    seen: list[str] = []
    after: Cursor | None = None
    while True:
        page = await store.find_events(EventQuery(), after, 5)
        seen.extend(e.event_id for e in page)
        await append(store, [record()])  # capture goes on between pages
        if len(page) < 5:
            break
        after = page[-1].cursor
    assert seen[: len(existing)] == existing
    assert len(seen) == len(set(seen))


async def test_concurrent_captures_are_each_whole(store: EventStore) -> None:
    batches = [[record() for _ in range(20)] for _ in range(5)]
    await asyncio.gather(*(append(store, b) for b in batches))
    found = await ids(store)
    assert sorted(found) == sorted(r.event_id for b in batches for r in b)
    # Each capture's events are contiguous in visibility order.
    positions = {event_id: i for i, event_id in enumerate(found)}
    for batch in batches:
        places = sorted(positions[r.event_id] for r in batch)
        assert places == list(range(places[0], places[0] + len(batch)))


async def test_conditions_on_scalar_fields(store: EventStore) -> None:
    shipping = record(bizStep="urn:epcglobal:cbv:bizstep:shipping", eventTime="2024-05-01T08:00:00Z")
    receiving = record(bizStep="receiving", action="ADD", eventTime="2024-05-02T08:00:00Z")
    custom = record(bizStep="https://example.org/steps/roasting", eventTime="2024-05-03T08:00:00Z")
    await append(store, [shipping, receiving, custom])
    web = "https://ref.gs1.org/cbv/BizStep-"
    assert await ids(store, EventQuery((AnyOf(Field.BIZ_STEP, (web + "shipping",)),))) == [shipping.event_id]
    assert await ids(
        store, EventQuery((AnyOf(Field.BIZ_STEP, (web + "receiving", custom.biz_step or "")),))
    ) == [
        receiving.event_id,
        custom.event_id,
    ]
    assert await ids(store, EventQuery((AnyOf(Field.ACTION, ("ADD",)),))) == [receiving.event_id]
    window = InRange(
        Field.EVENT_TIME, ge=to_micros("2024-05-02T08:00:00Z"), lt=to_micros("2024-05-03T08:00:00Z")
    )
    assert await ids(store, EventQuery((window,))) == [receiving.event_id]
    both = EventQuery((window, AnyOf(Field.ACTION, ("OBSERVE",))))
    assert await ids(store, both) == []


async def test_identifier_matching_on_list_fields(store: EventStore) -> None:
    one = record(epcList=["urn:epc:id:sgtin:8934567.012345.A1", "urn:epc:id:sgtin:8934567.012345.A2"])
    other_gtin = record(epcList=["urn:epc:id:sgtin:8934567.099999.A1"])
    pallet = record(type="AggregationEvent", action="ADD", parentID="urn:epc:id:sscc:8934567.0000000001",
                    childEPCs=["https://id.gs1.org/01/08934567123457/21/B7"], epcList=None)  # fmt: skip
    await append(store, [one, other_gtin, pallet])

    def match(field: Field, value: str) -> EventQuery:
        return EventQuery((MatchesKey(field, tuple(instance_matches(value))),))

    assert await ids(store, match(Field.EPC, "https://id.gs1.org/01/08934567123457/21/A2")) == [one.event_id]
    assert await ids(store, match(Field.EPC, "urn:epc:idpat:sgtin:8934567.012345.*")) == [
        one.event_id,
        pallet.event_id,
    ]
    assert await ids(store, match(Field.EPC, "urn:epc:idpat:sgtin:8934567.099999.*")) == [other_gtin.event_id]
    assert await ids(store, match(Field.EPC, "urn:epc:idpat:sgtin:8934567.*.*")) == [
        one.event_id,
        other_gtin.event_id,
        pallet.event_id,
    ]
    assert await ids(store, match(Field.EPC, "urn:epc:id:sgtin:8934567.012345.B7")) == [pallet.event_id]
    assert await ids(store, match(Field.EPC, "urn:epc:id:sscc:8934567.0000000001")) == []
    assert await ids(store, match(Field.ANY_EPC, "https://id.gs1.org/00/089345670000000017")) == [
        pallet.event_id
    ]
    # A pattern value is never a regular expression: its characters are literals.
    assert await ids(store, match(Field.EPC, "https://id.gs1.org/01/.*")) == []


async def test_capture_jobs_are_kept_and_listed_newest_first(store: EventStore) -> None:
    jobs = [job(created_at=t) for t in (30, 10, 20)]
    for j in jobs:
        await store.save_job(j)
    jobs[1].running = False
    jobs[1].errors.append({"type": "epcisException:ValidationException", "detail": "x"})
    await store.save_job(jobs[1])
    assert await store.get_job(jobs[1].capture_id) == jobs[1]
    assert await store.get_job("no-such-job") is None
    newest = await store.list_jobs(None, 2)
    assert [j.created_at for j in newest] == [30, 20]
    rest = await store.list_jobs(newest[-1].capture_id, 2)
    assert [j.created_at for j in rest] == [10]


async def test_every_identifier_role_is_kept_and_matched_on_its_own(store: EventStore) -> None:
    lot = "urn:epc:class:lgtin:8934567.012345.LOT-9"
    made = record(
        type="TransformationEvent",
        action=None,
        epcList=None,
        inputEPCList=["urn:epc:id:sgtin:8934567.012345.IN"],
        outputQuantityList=[{"epcClass": lot, "quantity": 10.0, "uom": "KGM"}],
    )
    packed = record(
        type="AggregationEvent",
        action="ADD",
        epcList=None,
        parentID="urn:epc:id:sscc:8934567.0000000001",
        childQuantityList=[{"epcClass": "https://id.gs1.org/01/08934567123457/10/LOT-9", "quantity": 2}],
    )
    await append(store, [made, packed])

    async def found(field: Field, value: str) -> list[str]:
        query = EventQuery((MatchesKey(field, tuple(instance_matches(value))),))
        names = {made.event_id: "made", packed.event_id: "packed"}
        return [names[e] for e in await ids(store, query)]

    assert await found(Field.INPUT_EPC, "https://id.gs1.org/01/08934567123457/21/IN") == ["made"]
    assert await found(Field.OUTPUT_EPC, "https://id.gs1.org/01/08934567123457/21/IN") == []
    assert await found(Field.PARENT_ID, "https://id.gs1.org/00/089345670000000017") == ["packed"]
    assert await found(Field.EPC, "https://id.gs1.org/00/089345670000000017") == []
    assert await found(Field.ANY_EPC, "urn:epc:id:sgtin:8934567.012345.IN") == ["made"]
    assert await found(Field.OUTPUT_EPC_CLASS, lot) == ["made"]
    assert await found(Field.EPC_CLASS, lot) == ["packed"]
    assert await found(Field.INPUT_EPC_CLASS, lot) == []
    assert await found(Field.ANY_EPC_CLASS, "https://id.gs1.org/01/08934567123457/10/LOT-9") == [
        "made",
        "packed",
    ]


# --- facts, order, counts, distinct values ---------------------------------------------------------


async def test_facts_are_matched_by_text_number_and_presence(store: EventStore) -> None:
    cold = record(
        sensorElementList=[{"sensorReport": [{"type": "Temperature", "value": 4.5, "uom": "CEL"}]}],
        bizTransactionList=[{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:8934567000017:PO-1"}],
        **{"example:grade": "A", "example:moisture": 12.5},
    )
    warm = record(
        sensorElementList=[{"sensorReport": [{"type": "Temperature", "value": 300.15, "uom": "KEL"}]}],
        **{"example:grade": "B"},
    )
    plain = record()
    await append(store, [cold, warm, plain])
    names = {cold.event_id: "cold", warm.event_id: "warm", plain.event_id: "plain"}

    async def found(*conditions: Condition) -> list[str]:
        return [names[e] for e in await ids(store, EventQuery(conditions))]

    grade = fact("ext", "{https://ns.example.com/epcis}grade")
    moisture = fact("ext", "{https://ns.example.com/epcis}moisture", kind=NUMBER)
    kelvin = fact("sensor.value@KEL", kind=NUMBER)
    assert await found(AnyOf(grade, ("A",))) == ["cold"]
    assert await found(AnyOf(grade, ("A", "B"))) == ["cold", "warm"]
    assert await found(Exists(grade)) == ["cold", "warm"]
    assert await found(InRange(moisture, ge=12.5)) == ["cold"]
    assert await found(InRange(moisture, gt=12.5)) == []
    assert await found(InRange(kelvin, gt=280.0)) == ["warm"]  # 300.15 K; 4.5 °C is 277.65 K
    assert await found(InRange(kelvin, le=277.65, ge=277.64)) == ["cold"]
    assert await found(AnyNumber(kelvin, (277.65, 1.0))) == ["cold"]  # 4.5 °C, converted
    assert await found(AnyNumber(moisture, (12.5000000001,))) == ["cold"]
    assert await found(AnyNumber(moisture, (12.6,))) == []
    assert await found(
        AnyOf("sensor.type", ("https://gs1.org/voc/Temperature",)), InRange(kelvin, lt=280)
    ) == ["cold"]
    assert await found(
        AnyOf("bizTransaction:https://ref.gs1.org/cbv/BTT-po", ("urn:epcglobal:cbv:bt:8934567000017:PO-1",))
    ) == ["cold"]
    assert await found(Exists("sensorElementList")) == ["cold", "warm"]
    assert await found(Exists(Field.DISPOSITION)) == []
    assert await found(Exists(Field.BIZ_STEP)) == ["cold", "warm", "plain"]


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
async def test_ordered_pages_follow_the_time_order_without_gaps_or_repeats(
    store: EventStore, descending: bool
) -> None:
    times = [7, 3, 9, 3, 1, 8, 5, 3, 2, 6]
    records = [
        record(eventTime=f"2024-05-01T10:00:0{t}Z", bizStep="shipping" if i % 3 else "receiving")
        for i, t in enumerate(times)
    ]
    await append(store, records[:5])
    await append(store, records[5:])
    for conditions in ((), (AnyOf(Field.BIZ_STEP, ("https://ref.gs1.org/cbv/BizStep-shipping",)),)):
        query = EventQuery(conditions, Order(Field.EVENT_TIME, descending=descending))
        expected = sorted(
            (r for r in records if not conditions or r.biz_step == conditions[0].values[0]),  # type: ignore[union-attr]
            key=lambda r: (r.event_time, records.index(r)),
            reverse=descending,
        )
        pages: list[str] = []
        after: Cursor | None = None
        while True:
            page = await store.find_events(query, after, 3)
            pages += [e.event_id for e in page]
            if len(page) < 3:
                break
            after = page[-1].cursor
        assert pages == [r.event_id for r in expected]


async def test_records_can_be_ordered_by_record_time(store: EventStore) -> None:
    first, second = record(), record()
    await append(store, [first])
    await append(store, [second])
    newest_first = await store.find_events(
        EventQuery((), Order(Field.RECORD_TIME, descending=True)), None, 10
    )
    assert [e.event_id for e in newest_first] == [second.event_id, first.event_id]


async def test_counting_stops_at_the_cap(store: EventStore) -> None:
    await append(store, [record() for _ in range(7)])
    assert await store.count_events(EventQuery(), 100) == 7
    assert await store.count_events(EventQuery(), 3) == 3
    assert await store.count_events(EventQuery((AnyOf(Field.ACTION, ("DELETE",)),)), 100) == 0


async def test_distinct_values_are_listed_in_order_page_by_page(store: EventStore) -> None:
    await append(store, [record(bizStep=step) for step in ("shipping", "receiving", "shipping", "packing")])
    web = "https://ref.gs1.org/cbv/BizStep-"
    assert await store.distinct_values(Field.BIZ_STEP, None, 10) == [
        web + "packing",
        web + "receiving",
        web + "shipping",
    ]
    assert await store.distinct_values(Field.BIZ_STEP, None, 2) == [web + "packing", web + "receiving"]
    assert await store.distinct_values(Field.BIZ_STEP, web + "receiving", 2) == [web + "shipping"]
    epcs = await store.distinct_values(Field.EPC, None, 100)
    assert len(epcs) == 4 and epcs == sorted(epcs)
    assert await store.distinct_values(Field.EPC, epcs[1], 1) == [epcs[2]]
    assert await store.distinct_values(Field.DISPOSITION, None, 10) == []


# --- master data -----------------------------------------------------------------------------------

LOCATION = "urn:epcglobal:epcis:vtype:BusinessLocation"


def location(key: str, children: tuple[str, ...] = (), **attributes: str) -> VocabularyRecord:
    return VocabularyRecord(LOCATION, key, orjson.dumps({"id": key}), tuple(attributes.items()), children)


async def append_with(
    store: EventStore,
    vocabulary: list[VocabularyRecord],
    behaviour: Behaviour = Behaviour.ROLLBACK,
    organisation: str | None = None,
) -> AppendResult:
    capture = job(behaviour)
    capture.organisation = organisation

    async def settle(result: AppendResult) -> None:
        capture.running = False

    return await store.append([record()], capture, settle, vocabulary)


async def test_master_data_is_versioned_by_capture_and_the_latest_counts(store: EventStore) -> None:
    await append_with(
        store, [location("farm", ("plot-a", "plot-b"), country="VN"), location("plot-a", region="Tây Nguyên")]
    )
    assert await store.vocabulary_children(["farm"]) == {"plot-a", "plot-b"}
    assert await store.vocabulary_with_attribute("country", None) == {"farm"}
    assert await store.vocabulary_with_attribute("region", ["Tây Nguyên"]) == {"plot-a"}
    await append_with(store, [location("farm", ("plot-c",), country="LA")])
    assert await store.vocabulary_children(["farm"]) == {"plot-c"}
    assert await store.vocabulary_with_attribute("country", ["VN"]) == set()
    assert await store.vocabulary_with_attribute("country", ["LA", "VN"]) == {"farm"}
    (farm,) = await store.vocabulary_elements(["farm"])
    assert farm.children == ("plot-c",) and farm.attributes == (("country", "LA"),)
    assert orjson.loads(farm.element) == {"id": "farm"}


async def test_the_latest_master_data_is_the_latest_of_the_organisations_asked_for(store: EventStore) -> None:
    await append_with(store, [location("farm", ("plot-a",), country="VN")], organisation="org-a")
    await append_with(store, [location("farm", ("plot-b",), country="LA")], organisation="org-b")
    await append_with(store, [location("shed", country="KH")])  # captured by no organisation
    a, b, nobody = frozenset({"org-a"}), frozenset({"org-b"}), frozenset({None})
    assert await store.vocabulary_children(["farm"], a) == {"plot-a"}
    assert await store.vocabulary_children(["farm"], b) == {"plot-b"}
    assert await store.vocabulary_children(["farm"]) == {"plot-b"}  # every organisation's: the latest
    assert await store.vocabulary_with_attribute("country", ["VN"], a) == {"farm"}
    assert await store.vocabulary_with_attribute("country", ["VN"], b | nobody) == set()
    assert await store.vocabulary_with_attribute("country", None, nobody) == {"shed"}
    assert [e.attributes for e in await store.vocabulary_elements(["farm", "shed"], a)] == [
        (("country", "VN"),)
    ]
    assert await store.vocabulary_elements(["farm"], frozenset({"org-c"})) == []


async def test_master_data_of_a_capture_that_stored_nothing_is_not_kept(store: EventStore) -> None:
    existing = record()
    await append(store, [existing])
    capture = job(Behaviour.ROLLBACK)

    async def settle(result: AppendResult) -> None:
        capture.running = False

    result = await store.append([existing], capture, settle, [location("ghost", ("nowhere",))])
    assert result.stored == 0
    assert await store.vocabulary_elements(["ghost"]) == []
    assert await store.vocabulary_children(["ghost"]) == set()


async def test_company_prefixes_stated_by_a_capture_are_kept_with_it(store: EventStore) -> None:
    assert await store.company_prefixes() == set()
    capture = job()

    async def settle(result: AppendResult) -> None:
        capture.running = False

    existing = record()
    await store.append([existing], capture, settle, (), {"8934567", "0614141"})
    await store.append([record()], job(), settle, (), {"8934567", "4012345"})
    assert await store.company_prefixes() == {"8934567", "0614141", "4012345"}
    result = await store.append([existing], job(), settle, (), {"999999"})  # a duplicate: nothing stored
    assert result.stored == 0
    assert await store.company_prefixes() == {"8934567", "0614141", "4012345"}


# --- named queries ---------------------------------------------------------------------------------


async def test_named_queries_are_kept_once_by_name(store: EventStore) -> None:
    first = NamedQuery("farm-b-lots", 1, b'{"name":"farm-b-lots","query":{"EQ_bizStep":["shipping"]}}')
    assert await store.save_named_query(first)
    assert not await store.save_named_query(NamedQuery("farm-b-lots", 2, b"{}"))
    assert await store.get_named_query("farm-b-lots") == first
    assert await store.get_named_query("unknown") is None
    for name in ("a", "z", "m"):
        await store.save_named_query(NamedQuery(name, 3, b"{}"))
    assert [q.name for q in await store.list_named_queries(None, 3)] == ["a", "farm-b-lots", "m"]
    assert [q.name for q in await store.list_named_queries("m", 3)] == ["z"]
    assert await store.delete_named_query("m")
    assert not await store.delete_named_query("m")
    assert [q.name for q in await store.list_named_queries(None, 10)] == ["a", "farm-b-lots", "z"]


# --- lineage ----------------------------------------------------------------------------------------

LOT_IN = "urn:epc:class:lgtin:8934567.012345.IN"
LOT_OUT = "urn:epc:class:lgtin:8934567.012345.OUT"


def transformation(**fields: Any) -> EventRecord:
    base: dict[str, Any] = {
        "type": "TransformationEvent",
        "action": None,
        "epcList": None,
        "bizStep": "commissioning",
        "transformationID": "urn:epc:id:gdti:8934567.00001.T1",
        "inputQuantityList": [{"epcClass": LOT_IN, "quantity": 10, "uom": "KGM"}],
        "outputQuantityList": [{"epcClass": LOT_OUT, "quantity": 8.5, "uom": "KGM"}],
    }
    return record(**{**base, **fields})


async def test_lineage_edges_are_read_by_either_end(store: EventStore) -> None:
    made = transformation()
    await append(store, [made])
    lot_in, lot_out = canonical_key(LOT_IN), canonical_key(LOT_OUT)
    (consumed,) = await store.lineage([lot_in], None)
    assert (consumed.edge.kind, consumed.edge.source) == ("consumes", lot_in)
    assert consumed.edge.target.startswith("transformation:")
    assert (consumed.edge.quantity, consumed.edge.uom) == (10.0, "KGM")
    assert consumed.event_id == made.event_id and consumed.event_time == made.event_time
    assert consumed.voided_at is None
    both = await store.lineage([consumed.edge.target], None)
    assert {(e.edge.kind, e.edge.source, e.edge.target) for e in both} == {
        ("consumes", lot_in, consumed.edge.target),
        ("produces", consumed.edge.target, lot_out),
    }
    assert await store.lineage(["https://id.gs1.org/01/08934567123457/10/NONE"], None) == []


async def test_lineage_is_read_as_recorded_by_a_time_and_voided_by_declarations(store: EventStore) -> None:
    made = transformation()
    first, _ = await append(store, [made])
    await asyncio.sleep(0.002)
    later, _ = await append(store, [transformation(transformationID="urn:epc:id:gdti:8934567.00001.T2")])
    lot_in = canonical_key(LOT_IN)
    assert len(await store.lineage([lot_in], None)) == 2
    assert [e.event_id for e in await store.lineage([lot_in], first.record_time)] == [made.event_id]
    declared, _ = await append(
        store,
        [transformation(eventID=made.event_id, errorDeclaration={"declarationTime": "2024-06-01T00:00:00Z"})],
    )
    edges = {e.event_id: e for e in await store.lineage([lot_in], None)}
    assert edges[made.event_id].voided_at == declared.record_time
    assert len(edges) == 2  # the declaration states no edges of its own
    # What the store knew before the declaration: the edge, and when it was voided later.
    (early,) = await store.lineage([lot_in], first.record_time)
    assert early.voided_at == declared.record_time
    assert later.record_time < declared.record_time


async def test_lineage_of_a_capture_is_visible_with_it(store: EventStore) -> None:
    seen: list[int] = []
    capture = job()

    async def settle(result: AppendResult) -> None:
        seen.append(len(await store.lineage([canonical_key(LOT_IN)], None)))
        capture.running = False

    await store.append([transformation()], capture, settle)
    assert seen == [0]
    assert len(await store.lineage([canonical_key(LOT_IN)], None)) == 1


async def test_rebuilding_lineage_derives_every_event_again(store: EventStore) -> None:
    made = transformation()
    await append(store, [made, record()])
    calls: list[str] = []

    def derive(body: bytes) -> tuple[LineageEdge, ...]:
        event_id = orjson.loads(body)["eventID"]
        calls.append(event_id)
        return (LineageEdge(EdgeKind.ORIGIN, "place", event_id),) if event_id == made.event_id else ()

    assert await store.rebuild_lineage(derive, 7) == 2
    assert len(calls) == 2 and made.event_id in calls
    assert await store.lineage_version() == 7
    assert await store.lineage([canonical_key(LOT_IN)], None) == []
    (origin,) = await store.lineage(["place"], None)
    assert origin.edge == LineageEdge(EdgeKind.ORIGIN, "place", made.event_id)


async def test_exploring_lineage_reads_hop_by_hop_as_the_step_asks(store: EventStore) -> None:
    await append(store, [transformation()])
    lot_in, lot_out = canonical_key(LOT_IN), canonical_key(LOT_OUT)
    (consumed,) = await store.lineage([lot_in], None)
    node = consumed.edge.target
    plan = [[node], [lot_out], []]  # what the step asks for after each read
    hops: list[set[tuple[str, str]]] = []

    def step(edges: list[Any]) -> list[str]:
        hops.append({(e.edge.source, e.edge.target) for e in edges})
        return plan[len(hops) - 1]

    await store.explore_lineage([lot_in], None, step, hops=5)
    assert hops == [{(lot_in, node)}, {(lot_in, node), (node, lot_out)}, {(node, lot_out)}]
    reads: list[int] = []

    def again(edges: list[Any]) -> list[str]:
        reads.append(len(edges))
        return [lot_in]

    await store.explore_lineage([lot_in], None, again, hops=3)
    assert reads == [1, 1, 1]  # never more reads than hops


async def test_exploring_lineage_reads_only_the_edges_the_selection_takes(store: EventStore) -> None:
    await append(store, [transformation()])
    lot_in, lot_out = canonical_key(LOT_IN), canonical_key(LOT_OUT)
    (consumed,) = await store.lineage([lot_in], None)
    node = consumed.edge.target
    read: list[set[tuple[str, str, str]]] = []

    def step(edges: list[Any]) -> list[str]:
        read.append({(e.edge.kind, e.edge.source, e.edge.target) for e in edges})
        return []

    for selection in (
        EdgeSelection(leaving=frozenset({EdgeKind.PRODUCES}), entering=frozenset()),
        EdgeSelection(leaving=frozenset(), entering=frozenset({EdgeKind.CONSUMES})),
        EdgeSelection(leaving=frozenset({EdgeKind.CONSUMES}), entering=frozenset({EdgeKind.CONSUMES})),
        EdgeSelection(leaving=frozenset(), entering=frozenset()),
        EVERY_EDGE,
    ):
        await store.explore_lineage([node, lot_in], None, step, 1, selection=selection)
    consumes, produces = ("consumes", lot_in, node), ("produces", node, lot_out)
    assert read == [{produces}, {consumes}, {consumes}, set(), {consumes, produces}]


async def test_exploring_lineage_then_reads_the_master_data_the_walk_names(store: EventStore) -> None:
    await append_with(store, [location("farm", country="VN"), location("plot", region="Tây Nguyên")])
    await append(store, [transformation()])
    lot_in = canonical_key(LOT_IN)
    walked: list[int] = []

    def step(edges: list[Any]) -> list[str]:
        walked.append(len(edges))
        return []

    def wanted() -> list[str]:
        assert walked == [1]  # asked once the walk is done
        return ["farm", "unknown"]

    explored = await store.explore_lineage([lot_in], None, step, 3, None, wanted)
    assert explored.elements == await store.vocabulary_elements(["farm", "unknown"])
    assert [(e.key, e.attributes) for e in explored.elements] == [("farm", (("country", "VN"),))]
    nothing = await store.explore_lineage([lot_in], None, step, 3)
    assert (nothing.elements, nothing.events) == ([], [])  # nothing asked, nothing read


async def test_exploring_lineage_then_reads_the_events_the_walk_followed(store: EventStore) -> None:
    lot_in = canonical_key(LOT_IN)
    mine = transformation(eventID="urn:uuid:0d6c5a52-8a3e-4d43-9a55-5a1e5f0c0001")
    theirs = transformation(
        transformationID="urn:epc:id:gdti:8934567.00001.T9",
        eventID="urn:uuid:0d6c5a52-8a3e-4d43-9a55-5a1e5f0c0002",
    )
    # One event both organisations captured, each its own copy; org-a's copy states the wrong output.
    shared_id = "urn:uuid:0d6c5a52-8a3e-4d43-9a55-5a1e5f0c0003"
    wrong = [{"epcClass": LOT_OUT, "quantity": 9.5, "uom": "KGM"}]
    shared_a = transformation(eventID=shared_id, outputQuantityList=wrong)
    shared_b = transformation(eventID=shared_id)
    await append_as(store, "org-a", [mine, shared_a])
    await append_as(store, "org-b", [theirs, shared_b])
    before_declaration = max(e.record_time for e in await store.find_events(EventQuery(), None, 10))
    declared = {
        **orjson.loads(shared_a.body),
        "errorDeclaration": {"declarationTime": "2024-06-01T00:00:00Z", "reason": "incorrect_data"},
    }
    await append_as(store, "org-a", [prepare(declared, PREFIXES, None)])
    handed: list[list[Any]] = []

    def followed(elements: list[Any]) -> list[str]:
        handed.append(elements)
        return [shared_id, theirs.event_id, mine.event_id, "urn:uuid:unknown"]

    def explored(recorded_by: int | None, visible: Any = None) -> Any:
        return store.explore_lineage(
            [lot_in], recorded_by, lambda edges: [], 1, visible, None, None, followed
        )

    every = await explored(None)
    assert handed == [[]]  # no master data asked for: none handed over
    # In visibility order, not the order asked; neither the error declaration nor the copy it voids.
    assert every.events == [
        (mine.event_id, mine.body),
        (theirs.event_id, theirs.body),
        (shared_id, shared_b.body),
    ]
    then = await explored(before_declaration)  # as recorded before the declaration: not yet voided
    assert then.events == [
        (mine.event_id, mine.body),
        (shared_id, shared_a.body),
        (theirs.event_id, theirs.body),
        (shared_id, shared_b.body),
    ]
    only_a = await explored(None, ONLY_A)
    assert only_a.events == [(mine.event_id, mine.body)]
    none = await store.explore_lineage([lot_in], None, lambda edges: [], 1, None, None, None, lambda e: [])
    assert none.events == []


# --- access control ----------------------------------------------------------------------------------


async def append_as(store: EventStore, organisation: str | None, records: list[EventRecord]) -> CaptureJob:
    capture = CaptureJob(
        str(uuid.uuid4()), 0, Behaviour.ROLLBACK, organisation=organisation, principal="key-1"
    )

    async def settle(result: AppendResult) -> None:
        capture.running = False

    await store.save_job(capture)
    await store.append(records, capture, settle)
    return capture


ONLY_A = ((AnyOf(Field.CAPTURED_BY, ("org-a",)),),)


async def test_events_record_who_captured_them_and_visibility_narrows_every_read(store: EventStore) -> None:
    mine, theirs = transformation(), transformation(transformationID="urn:epc:id:gdti:8934567.00001.T9")
    await append_as(store, "org-a", [mine])
    await append_as(store, "org-b", [theirs])
    assert [e.event_id for e in await store.find_events(EventQuery(visible=ONLY_A), None, 10)] == [
        mine.event_id
    ]
    assert await store.count_events(EventQuery(visible=ONLY_A), 10) == 1
    assert await store.count_events(EventQuery(visible=()), 10) == 0  # no group: nothing
    by_a = await store.find_events(EventQuery((AnyOf(Field.CAPTURED_BY, ("org-b",)),)), None, 10)
    assert [e.event_id for e in by_a] == [theirs.event_id]
    nodes = ["transformation:" + canonical_key("urn:epc:id:gdti:8934567.00001.T9")]
    assert await store.distinct_values(Field.ANY_EPC_CLASS, None, 10, ONLY_A) == [
        canonical_key(LOT_IN),
        canonical_key(LOT_OUT),
    ]
    assert (
        await store.distinct_values(Field.BIZ_STEP, None, 10, ((AnyOf(Field.CAPTURED_BY, ("org-z",)),),))
        == []
    )
    (hidden, *_) = await store.lineage(nodes, None, ONLY_A)
    assert not hidden.visible
    assert all(e.visible for e in await store.lineage(nodes, None))


async def test_lineage_names_a_node_of_a_visible_event_recorded_by_the_horizon(store: EventStore) -> None:
    await append_as(store, "org-b", [transformation(transformationID="urn:epc:id:gdti:8934567.00001.T9")])
    lot_in, lot_out = canonical_key(LOT_IN), canonical_key(LOT_OUT)
    assert await store.lineage_names(lot_in, None) and await store.lineage_names(lot_out, None)
    assert not await store.lineage_names("https://id.gs1.org/01/08934567123457/10/NONE", None)
    assert not await store.lineage_names(lot_in, None, ONLY_A)  # only org-b's event names it
    (stored,) = await store.find_events(EventQuery(), None, 10)
    assert not await store.lineage_names(lot_in, stored.record_time - 1)
    await asyncio.sleep(0.002)
    await append_as(store, "org-a", [transformation()])
    assert await store.lineage_names(lot_in, None, ONLY_A)
    assert not await store.lineage_names(lot_in, stored.record_time, ONLY_A)  # recorded later


async def test_capture_jobs_and_named_queries_belong_to_an_organisation(store: EventStore) -> None:
    a = await append_as(store, "org-a", [record()])
    b = await append_as(store, "org-b", [record()])
    assert [j.capture_id for j in await store.list_jobs(None, 10, "org-a")] == [a.capture_id]
    assert {j.capture_id for j in await store.list_jobs(None, 10)} == {a.capture_id, b.capture_id}
    stored = await store.get_job(b.capture_id)
    assert stored is not None and (stored.organisation, stored.principal) == ("org-b", "key-1")
    await store.save_named_query(NamedQuery("q-a", 1, b"{}", "org-a"))
    await store.save_named_query(NamedQuery("q-b", 1, b"{}", "org-b"))
    assert [q.name for q in await store.list_named_queries(None, 10, "org-b")] == ["q-b"]
    assert (await store.get_named_query("q-a")) == NamedQuery("q-a", 1, b"{}", "org-a")
