"""find_events against a reference model, on random events and random queries, on every backend.

The model is what query/model.py says a query means, applied in Python to the records actually stored:
scalar fields from the record, recordTime from the store, list fields from `EventRecord.keys`, key
patterns through `KeyMatch.matches`. Every backend, and every read path of the SQLite store's planner,
must return exactly the model's events in visibility order, whole or page by page.
"""

from __future__ import annotations

import itertools
import math
import random
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from sqlite3 import Connection
from typing import Any

import pytest

from epcis_repo.capture.records import prepare
from epcis_repo.epcis.context import namespaces
from epcis_repo.epcis.identifiers import DL_ORIGIN, KeyMatch, canonical_key, instance_matches, to_digital_link
from epcis_repo.query.model import (
    KEY_FIELDS,
    AnyOf,
    Condition,
    Cursor,
    EventQuery,
    Field,
    InRange,
    MatchesKey,
    keys_by_field,
)
from epcis_repo.storage.port import AppendResult, Behaviour, CaptureJob, EventRecord, EventStore, StoredEvent
from epcis_repo.storage.sqlite import SqliteEventStore, queries

SEED = 20240501
EVENTS = 420  # events generated; mongomock slows down sharply with its unique indexes beyond a few hundred
QUERIES = 160  # per backend (and per SQLite planner setting)
EVERYTHING = 1_000_000
MAX_PAGES = 4  # paging with tiny limits through a large result costs time and proves nothing more

# 7, 9, 6 and 10 digits; none is a prefix of another, as GS1 allocates them.
COMPANY_PREFIXES = ("9521234", "952100123", "952876", "9524567890")
TIME_FIELDS = (Field.EVENT_TIME, Field.RECORD_TIME)
TEXT_FIELDS = tuple(f for f in Field if f not in TIME_FIELDS)
ORGANISATIONS = ("org-a", "org-b", None, "org-c")  # who captured each capture (None: before access control)
CLASS_FIELDS = (Field.EPC_CLASS, Field.INPUT_EPC_CLASS, Field.OUTPUT_EPC_CLASS, Field.ANY_EPC_CLASS)


# --- events ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Company:
    prefix: str
    products: tuple[str, ...]  # indicator digit and item reference, as in an SGTIN URN
    locations: tuple[str, ...]
    asset_type: str


class Supply:
    """A seeded supply chain of a few companies that writes its identifiers in both notations.

    Events are built with EPC URNs and rendered with each identifier in a random notation, so the same
    event can be sent again in other words (a duplicate with another body).
    """

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.companies = [self._company(prefix) for prefix in COMPANY_PREFIXES]
        self.items: list[str] = []  # item instances already in events, to be named again
        self.parents: list[str] = []
        self.urns: dict[str, str] = {}  # canonical key -> an EPC URN naming it
        self.notations: dict[str, set[str]] = {}  # canonical key -> every spelling events used
        self._numbers = itertools.count(1)
        self._times: list[str] = []

    def _digits(self, count: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(count))

    def _company(self, prefix: str) -> Company:
        rest = 12 - len(prefix)
        products = tuple(self.rng.choice("01") + self._digits(rest) for _ in range(2))
        return Company(prefix, products, tuple(self._digits(rest) for _ in range(2)), self._digits(rest))

    def _serial(self) -> str:
        number = next(self._numbers)
        # Characters a Digital Link must percent-encode, and a URN escape ("%2F" is a slash).
        return self.rng.choice([str(number), f"A{number}", f"p!{number}", f"(q){number}", f"k%2F{number}"])

    def _known(self, uri: str) -> str:
        if uri.startswith("urn:epc:"):
            self.urns.setdefault(canonical_key(uri), uri)
        return uri

    def new_item(self) -> str:
        """A trade item instance: mostly an SGTIN; UPUIs and ITIPs share its GTIN key space, so only the
        tails of the key patterns tell them apart."""
        company = self.rng.choice(self.companies)
        gtin = f"{company.prefix}.{self.rng.choice(company.products)}"
        urn = self.rng.choice(
            [f"urn:epc:id:sgtin:{gtin}.{self._serial()}"] * 6
            + [
                f"urn:epc:id:upui:{gtin}.TPX{self._serial()}",
                f"urn:epc:id:itip:{gtin}.01.02.{self._serial()}",
            ]
        )
        self.items.append(urn)
        return self._known(urn)

    def item(self) -> str:
        """An item seen before, most of the time."""
        return self.rng.choice(self.items) if self.items and self.rng.random() < 0.6 else self.new_item()

    def parent(self) -> str:
        if self.parents and self.rng.random() < 0.4:
            return self.rng.choice(self.parents)
        company = self.rng.choice(self.companies)
        number = next(self._numbers)
        urn = self.rng.choice(
            [
                f"urn:epc:id:sscc:{company.prefix}.{self._digits(17 - len(company.prefix))}",
                f"urn:epc:id:grai:{company.prefix}.{company.asset_type}.{self._serial()}",
                f"urn:epc:id:giai:{company.prefix}.T{number}",
                f"urn:epc:id:gid:95100000.{self.rng.randint(1, 9)}.{number}",  # not a GS1 key
            ]
        )
        self.parents.append(urn)
        return self._known(urn)

    def product_class(self) -> str:
        company = self.rng.choice(self.companies)
        product = self.rng.choice(company.products)
        return self._known(
            self.rng.choice(
                [
                    f"urn:epc:class:lgtin:{company.prefix}.{product}.L{self.rng.randint(1, 4)}",
                    f"urn:epc:class:lgtin:{company.prefix}.{product}.LOT-{self.rng.randint(1, 4)}",
                    f"urn:epc:idpat:sgtin:{company.prefix}.{product}.*",  # the whole GTIN
                    "https://example.org/classes/flour",
                ]
            )
        )

    def location(self) -> dict[str, str]:
        company = self.rng.choice(self.companies)
        extension = self.rng.choice(["0", "0", "7", "dock-1"])
        urn = f"urn:epc:id:sgln:{company.prefix}.{self.rng.choice(company.locations)}.{extension}"
        # Identifiers that are not GS1 keys are their own keys: regex metacharacters and non-ASCII text
        # put prefix ranges and pattern escaping to the test.
        other = self.rng.choice(["https://example.org/sites/a+b(1)?x=.*", "https://example.org/sites/Zürich"])
        return {"id": self.rng.choice([self._known(urn)] * 5 + [other])}

    def event_time(self) -> str:
        if self._times and self.rng.random() < 0.1:
            return self.rng.choice(self._times)  # equal times put range bounds to the test
        instant = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(
            seconds=self.rng.randint(0, 270 * 86_400), milliseconds=self.rng.randint(0, 999)
        )
        hours = self.rng.choice([0, 2, -5])
        local = (instant + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
        text = local + ("Z" if hours == 0 else f"{hours:+03d}:00")
        self._times.append(text)
        return text

    def event(self) -> dict[str, Any]:
        """An event in EPC URNs (see `render`)."""
        rng = self.rng
        event: dict[str, Any] = {"eventTime": self.event_time(), "eventTimeZoneOffset": "+00:00"}
        if rng.random() < 0.5:
            event["eventID"] = f"urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}"
        kind = rng.random()
        quantities = [self.quantity() for _ in range(rng.randint(1, 2))] if rng.random() < 0.35 else None
        if kind < 0.45:
            event |= {"type": "ObjectEvent", "action": rng.choice(["ADD", "OBSERVE", "OBSERVE", "DELETE"])}
            count = rng.randint(0 if quantities else 1, 3)
            event["epcList"] = [
                self.new_item() if event["action"] == "ADD" else self.item() for _ in range(count)
            ]
            if quantities:
                event["quantityList"] = quantities
        elif kind < 0.7:
            event |= {"type": "AggregationEvent", "action": rng.choice(["ADD", "DELETE", "OBSERVE"])}
            event |= {"parentID": self.parent(), "childEPCs": [self.item() for _ in range(rng.randint(1, 3))]}
            if quantities:
                event["childQuantityList"] = quantities
        elif kind < 0.85:
            event["type"] = "TransformationEvent"
            event["inputEPCList"] = [self.item() for _ in range(rng.randint(0, 2))]
            event["outputEPCList"] = [self.new_item() for _ in range(rng.randint(1, 2))]
            event["inputQuantityList"] = [self.quantity() for _ in range(rng.randint(0, 2))]
            event["outputQuantityList"] = [self.quantity() for _ in range(rng.randint(0, 1))]
            event = {k: v for k, v in event.items() if v != []}
        else:
            event |= {"type": "AssociationEvent", "action": rng.choice(["ADD", "DELETE"])}
            event |= {"parentID": self.parent(), "childEPCs": [self.item() for _ in range(rng.randint(0, 2))]}
            event["childQuantityList"] = quantities or [self.quantity()]
        if rng.random() < 0.85:
            event["bizStep"] = rng.choice(
                [
                    "shipping",
                    "receiving",
                    "https://ref.gs1.org/cbv/BizStep-shipping",
                    "urn:epcglobal:cbv:bizstep:packing",
                    "https://example.org/steps/roasting",
                    "https://example.org/steps/röstung-\U0001fad8",
                ]
            )
        if rng.random() < 0.6:
            event["disposition"] = rng.choice(
                [
                    "in_transit",
                    "active",
                    "https://ref.gs1.org/cbv/Disp-in_progress",
                    "https://example.org/d/held",
                ]
            )
        if rng.random() < 0.6:
            event["readPoint"] = self.location()
        if rng.random() < 0.5:
            event["bizLocation"] = self.location()
        return event

    def quantity(self) -> dict[str, Any]:
        element: dict[str, Any] = {"epcClass": self.product_class(), "quantity": self.rng.randint(1, 50)}
        if self.rng.random() < 0.5:
            element |= {"quantity": self.rng.randint(1, 500) / 10, "uom": "KGM"}
        return element

    def render(self, event: dict[str, Any]) -> dict[str, Any]:
        """The event with each identifier in a notation chosen at random."""
        rendered = dict(event)
        for name in ("epcList", "childEPCs", "inputEPCList", "outputEPCList"):
            if name in event:
                rendered[name] = [self.spell(uri) for uri in event[name]]
        if "parentID" in event:
            rendered["parentID"] = self.spell(event["parentID"])
        for name in ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"):
            if name in event:
                rendered[name] = [{**q, "epcClass": self.spell(q["epcClass"])} for q in event[name]]
        for name in ("readPoint", "bizLocation"):
            if name in event:
                rendered[name] = {"id": self.spell(event[name]["id"])}
        return rendered

    def spell(self, uri: str) -> str:
        link = to_digital_link(uri)
        choice = self.rng.random()
        if link is None or choice < 0.5:
            spelling = uri
        elif choice < 0.8:
            spelling = link
        elif choice < 0.9:
            spelling = link.replace(DL_ORIGIN, "https://brand.example.com/products")  # a resolver of its own
        else:
            spelling = link.replace("/01/0", "/01/")  # a GTIN-13 without its leading zero (if it has one)
        key = canonical_key(uri)
        assert canonical_key(spelling) == key, (uri, spelling)
        self.notations.setdefault(key, set()).add(spelling)
        return spelling


@dataclass(slots=True)
class Capture:
    records: list[EventRecord]
    behaviour: Behaviour


def captures(supply: Supply) -> list[Capture]:
    """Captures of random sizes, some sending again what is stored (in other notations), or reusing an
    eventID, or declaring an earlier event erroneous."""
    rng = supply.rng
    sent: list[dict[str, Any]] = []  # events in URNs, as built
    made: list[Capture] = []
    total = 0
    while total < EVENTS:
        behaviour = rng.choice([Behaviour.PROCEED, Behaviour.PROCEED, Behaviour.ROLLBACK])
        events = [supply.event() for _ in range(rng.choice([1, 2, 3, 5, 8, 13, 21, 40]))]
        if sent and rng.random() < (0.4 if behaviour is Behaviour.PROCEED else 0.1):
            for _ in range(rng.randint(1, 3)):
                events.insert(rng.randint(0, len(events)), rng.choice(sent + events))
        if sent and rng.random() < 0.15:
            owner = rng.choice([e for e in sent if "eventID" in e] or sent)
            if rng.random() < 0.5:
                declared = {"declarationTime": "2024-10-01T00:00:00Z", "reason": "incorrect_data"}
                events.append({**owner, "errorDeclaration": declared})
            else:
                events.append({**supply.event(), "eventID": owner.get("eventID", "urn:uuid:0")})
        sent.extend(events)
        made.append(Capture([prepare(supply.render(e), namespaces(None), None) for e in events], behaviour))
        total += len(events)
    return made


def expected_storage(
    made: Sequence[Capture], organisations: Sequence[str | None]
) -> tuple[list[tuple[int, ...]], list[EventRecord]]:
    """What each capture's duplicates are, and which records end up stored, in order (storage/port.py:
    an event is stored once by each organisation)."""
    dedup_keys: set[tuple[str | None, str]] = set()
    owned: set[tuple[str | None, str]] = set()
    duplicates: list[tuple[int, ...]] = []
    stored: list[EventRecord] = []
    for capture, organisation in zip(made, organisations, strict=True):
        keys, ids = set(dedup_keys), set(owned)
        kept: list[EventRecord] = []
        clashes: list[int] = []
        for index, record in enumerate(capture.records):
            key, event_id = (organisation, record.dedup_key), (organisation, record.event_id)
            if key in keys or (not record.is_declaration and event_id in ids):
                clashes.append(index)
                continue
            kept.append(record)
            keys.add(key)
            if not record.is_declaration:
                ids.add(event_id)
        duplicates.append(tuple(clashes))
        if clashes and capture.behaviour is Behaviour.ROLLBACK:
            continue
        stored.extend(kept)
        dedup_keys, owned = keys, ids
    return duplicates, stored


@dataclass(frozen=True, slots=True)
class Row:
    """A stored event and the values the model reads its fields from."""

    stored: StoredEvent
    values: Mapping[Field, tuple[str | int, ...]]  # every field; empty when the event has none


def row(record: EventRecord, stored: StoredEvent, organisation: str | None) -> Row:
    scalars: dict[Field, str | int | None] = {
        Field.CAPTURED_BY: organisation,
        Field.TYPE: record.event_type,
        Field.EVENT_TIME: record.event_time,
        Field.RECORD_TIME: stored.record_time,
        Field.ACTION: record.action,
        Field.BIZ_STEP: record.biz_step,
        Field.DISPOSITION: record.disposition,
        Field.READ_POINT: record.read_point,
        Field.BIZ_LOCATION: record.biz_location,
        Field.EVENT_ID: record.event_id,
    }
    values: dict[Field, tuple[str | int, ...]] = {f: () if v is None else (v,) for f, v in scalars.items()}
    values |= keys_by_field(record.keys)
    assert set(values) == set(Field)
    return Row(stored, values)


async def load(store: EventStore, supply: Supply) -> list[Row]:
    made = captures(supply)
    results: list[AppendResult] = []
    organisation_of: dict[int, str | None] = {}
    for number, capture in enumerate(made):
        organisation = ORGANISATIONS[number % len(ORGANISATIONS)]
        organisation_of |= {id(record): organisation for record in capture.records}
        job = CaptureJob(
            capture_id=f"capture-{number}",
            created_at=number,
            behaviour=capture.behaviour,
            organisation=organisation,
        )

        async def settle(result: AppendResult, job: CaptureJob = job) -> None:
            job.running, job.success, job.stored_count = False, not result.duplicates, result.stored

        results.append(await store.append(capture.records, job, settle))
    organisations = [ORGANISATIONS[number % len(ORGANISATIONS)] for number in range(len(made))]
    duplicates, records = expected_storage(made, organisations)
    assert [r.duplicates for r in results] == duplicates
    found = await store.find_events(EventQuery(), None, EVERYTHING)
    assert [e.body for e in found] == [r.body for r in records]
    assert sum(len(c.records) for c in made) - len(found) >= 10  # duplicates were sent and refused
    return [
        row(record, event, organisation_of[id(record)]) for record, event in zip(records, found, strict=True)
    ]


# --- the reference model ------------------------------------------------------------------------------


def holds(condition: Condition, row: Row) -> bool:
    found = row.values[condition.field]
    if isinstance(condition, AnyOf):
        return any(value in condition.values for value in found)
    if isinstance(condition, InRange):
        return any(
            isinstance(value, int)
            and (condition.ge is None or value >= condition.ge)
            and (condition.lt is None or value < condition.lt)
            for value in found
        )
    return any(isinstance(value, str) and any(m.matches(value) for m in condition.matches) for value in found)


def reference(query: EventQuery, rows: Sequence[Row]) -> list[StoredEvent]:
    return [
        row.stored
        for row in rows
        if all(holds(c, row) for c in query.conditions)
        and (query.visible is None or any(all(holds(c, row) for c in group) for group in query.visible))
    ]


# --- queries --------------------------------------------------------------------------------------------

Shape = type[AnyOf] | type[InRange] | type[MatchesKey]
# Every field with every condition that applies to it: times take ranges, the other fields take values
# and identifier matches. Each query starts with the next of these in turn.
SHAPES: tuple[tuple[Shape, Field], ...] = (
    *((InRange, f) for f in TIME_FIELDS),
    *((shape, f) for f in TEXT_FIELDS for shape in (AnyOf, MatchesKey)),
)


@dataclass(slots=True)
class Queries:
    """Random queries over the stored rows, most of them anchored on one row so that they find something.

    The rng draws depend only on the dataset's shape, never on recordTime values, so a seed always
    makes the same queries.
    """

    rng: random.Random
    rows: Sequence[Row]
    supply: Supply
    pools: dict[Field, list[str | int]] = field(init=False)
    made: int = 0
    aside: Queries | None = None  # draws the visibility of each query

    def __post_init__(self) -> None:
        self.pools = {f: sorted({v for row in self.rows for v in row.values[f]}, key=str) for f in Field}

    def query(self) -> EventQuery:
        shape, first = SHAPES[self.made % len(SHAPES)]
        self.made += 1
        having = [row for row in self.rows if row.values[first]]
        anchor = self.rng.choice(having) if having and self.rng.random() < 0.9 else None
        conditions = [self.condition(shape, first, anchor)]
        for _ in range(self.rng.randint(0, 2)):
            # Mostly a field the anchor has: a random key of a role it lacks would leave nothing to find.
            own = [f for f in Field if anchor is not None and anchor.values[f]]
            of = self.rng.choice(own if own and self.rng.random() < 0.85 else list(Field))
            if of in TIME_FIELDS:
                shape = InRange
            else:
                shape = AnyOf if self.rng.random() < 0.4 else MatchesKey
            conditions.append(self.condition(shape, of, anchor if self.rng.random() < 0.85 else None))
        return EventQuery(tuple(conditions), visible=self.visibility(anchor))

    def visibility(self, anchor: Row | None) -> tuple[tuple[Condition, ...], ...] | None:
        """What a caller may see, sometimes: groups led by an organisation or an identifier condition.
        Drawn from a random source of its own, so that the other conditions stay as they were."""
        if self.aside is None:
            self.aside = Queries(random.Random(self.rng.getstate()[1][0]), self.rows, self.supply, aside=self)
        return self.aside.groups(anchor)

    def groups(self, anchor: Row | None) -> tuple[tuple[Condition, ...], ...] | None:
        if self.rng.random() < 0.7:
            return None
        groups = []
        for _ in range(self.rng.choice([0, 1, 1, 2, 3])):
            lead = self.rng.choice([Field.CAPTURED_BY, Field.CAPTURED_BY, Field.EPC, Field.BIZ_STEP])
            group = [self.condition(AnyOf, lead, anchor if self.rng.random() < 0.6 else None)]
            if self.rng.random() < 0.4:
                of = self.rng.choice([Field.BIZ_STEP, Field.EVENT_TIME, Field.EPC_CLASS])
                shape: Shape = InRange if of is Field.EVENT_TIME else MatchesKey
                group.append(self.condition(shape, of, anchor))
            groups.append(tuple(group))
        return tuple(groups)

    def condition(self, shape: Shape, of: Field, anchor: Row | None) -> Condition:
        if anchor is not None and not anchor.values[of]:
            anchor = None
        if shape is InRange:
            return self.in_range(of, anchor)
        if shape is AnyOf:
            return self.any_of(of, anchor)
        return self.matches_key(of, anchor)

    def pick(self, of: Field, anchor: Row | None) -> str:
        """A stored value of the field: the anchor's, or any event's (of another role, at times)."""
        if anchor is not None:
            return str(self.rng.choice(anchor.values[of]))
        if of in KEY_FIELDS and self.rng.random() < 0.3:
            of = self.rng.choice(KEY_FIELDS)
        return str(self.rng.choice(self.pools[of] or ["urn:example:nothing"]))

    def in_range(self, of: Field, anchor: Row | None) -> InRange:
        """Bounds at stored values and next to them: by index, so that the draws do not depend on them."""
        times = [int(t) for t in self.pools[of]]
        last = len(times) - 1
        if anchor is not None:
            at = times.index(int(anchor.values[of][0]))
            low, high = max(0, at - self.rng.randint(0, 20)), min(last, at + self.rng.randint(0, 20))
            ge = self.rng.choice([times[at], times[low], times[low] - 1, None])
            return InRange(of, ge, self.rng.choice([times[at] + 1, times[high] + 1, None]))
        low, high = sorted(self.rng.randint(0, last) for _ in range(2))
        ge, lt = self.rng.choice(
            [
                (times[low], times[high]),
                (times[low], None),
                (None, times[high]),
                (times[low], times[low]),
                (times[high] + 1, times[low]),
                (times[low], times[low] + 1),
                (None, None),
            ]
        )
        return InRange(of, ge, lt)

    def any_of(self, of: Field, anchor: Row | None) -> AnyOf:
        chosen = [self.pick(of, anchor) for _ in range(self.rng.choice([1, 1, 2, 3]))]
        if self.rng.random() < 0.15:
            chosen.append(self.rng.choice(["shipping", "urn:example:nothing", "https://id.gs1.org/01/1"]))
        return AnyOf(of, tuple(chosen))

    def matches_key(self, of: Field, anchor: Row | None) -> MatchesKey:
        if of not in KEY_FIELDS and of not in (Field.READ_POINT, Field.BIZ_LOCATION):
            # Prefixes of any text field, e.g. every eventID that is a urn:uuid.
            value = self.pick(of, anchor)
            exact = self.rng.random() < 0.3
            return MatchesKey(
                of, (KeyMatch(value if exact else value[: self.rng.randint(1, len(value))], exact),)
            )
        matches: list[KeyMatch] = []
        for _ in range(self.rng.choice([1, 1, 1, 2, 3])):
            key = self.pick(of, anchor)
            if of in CLASS_FIELDS and key.startswith(f"{DL_ORIGIN}/01/") and self.rng.random() < 0.4:
                # Every lot of a GTIN, and the GTIN itself.
                matches.append(KeyMatch("/".join(key.split("/")[:5]), tail=r"(/10/[^/]+)?"))
            else:
                matches.extend(self.key_matches(key))
        return MatchesKey(of, tuple(matches))

    def key_matches(self, key: str) -> list[KeyMatch]:
        """How a MATCH_ parameter could select this key: itself in any notation, its GTIN, an EPC pattern
        over it (or over a company that has no events), or a bare prefix."""
        rng = self.rng
        urn = self.supply.urns.get(key)
        shape = rng.random()
        if shape < 0.25 or urn is None:
            return instance_matches(rng.choice(sorted(self.supply.notations.get(key, {key}))))
        if shape < 0.4 and key.startswith(f"{DL_ORIGIN}/01/"):
            gtin = key.split("/")[4]
            return instance_matches(
                rng.choice([f"{DL_ORIGIN}/01/{gtin}", f"https://example.com/gtin/{gtin}"])
            )
        if shape < 0.9:
            head, _, body = urn.rpartition(":")
            scheme = head.rsplit(":", 1)[1]
            parts = body.split(".")
            wild = rng.randint(1 if parts[-1] == "*" else 0, len(parts))  # a GTIN class is a pattern already
            if wild < len(parts) and rng.random() < 0.2:
                parts[0] = unused_prefix(parts[0])
            pattern = ".".join(parts[: len(parts) - wild] + ["*"] * wild)
            return instance_matches(f"urn:epc:idpat:{scheme}:{pattern}")
        return [KeyMatch(key[: rng.randint(1, len(key))])]


def unused_prefix(prefix: str) -> str:
    """A company prefix of the same length that no event uses (the rest of a pattern stays valid)."""
    return "952" + "0" * (len(prefix) - 3)


# --- the check ------------------------------------------------------------------------------------------


def seen(events: Sequence[StoredEvent]) -> list[tuple[Cursor, str]]:
    return [(e.cursor, e.event_id) for e in events]


async def page_through(store: EventStore, query: EventQuery, limit: int) -> list[StoredEvent]:
    found: list[StoredEvent] = []
    after: Cursor | None = None
    while True:
        page = await store.find_events(query, after, limit)
        assert len(page) <= limit
        found.extend(page)
        if len(page) < limit:
            return found
        after = page[-1].cursor


@dataclass(slots=True)
class Tally:
    """What the queries of a check found, so that it cannot pass on answers that prove nothing."""

    empty: int = 0  # queries that found nothing
    large: int = 0  # queries that found 20 events or more
    paged: int = 0  # answers read over several pages
    found_by: Counter[tuple[Shape, Field]] = field(default_factory=Counter)  # the conditions of the others


async def check_against_reference(store: EventStore, seed: int) -> Tally:
    supply = Supply(random.Random(SEED))
    rows = await load(store, supply)
    queries = Queries(random.Random(seed), rows, supply)
    pages = random.Random(-seed)
    tally = Tally()
    drawn = 0
    # QUERIES queries, and more (up to as many again) until every condition shape found something.
    while drawn < QUERIES or ([s for s in SHAPES if not tally.found_by[s]] and drawn < 2 * QUERIES):
        drawn += 1
        query = queries.query()
        want = reference(query, rows)
        found = await store.find_events(query, None, EVERYTHING)
        assert seen(found) == seen(want), query
        limit = max(pages.randint(1, 12), math.ceil((len(want) + 1) / MAX_PAGES))
        if want and pages.random() < 0.15:
            limit = len(want)  # a full last page, then an empty one
        assert seen(await page_through(store, query, limit)) == seen(want), (query, limit)
        # Coverage of the conditions themselves, whatever the visibility left of their matches.
        matched = want or (query.visible is not None and reference(replace(query, visible=None), rows))
        tally.found_by.update((type(c), c.field) for c in query.conditions if matched)
        tally.empty += not want
        tally.large += len(want) >= 20
        tally.paged += len(want) > limit
    # Not vacuous: most queries find something, some find much, over several pages, some find nothing,
    # and every field under every condition shape narrowed a query that found something.
    assert drawn * 0.08 <= tally.empty <= drawn * 0.5, tally
    assert tally.large >= drawn * 0.15 and tally.paged >= drawn * 0.2, tally
    assert not [s for s in SHAPES if not tally.found_by[s]], tally
    return tally


async def test_every_backend_answers_as_the_reference_model(store: EventStore) -> None:
    await check_against_reference(store, SEED + 1)


def covers(pattern: str, urn: str) -> bool:
    """The Tag Data Standard's reading of an EPC pattern URN: same scheme, each component equal or *."""
    family, scheme, body = pattern.split(":", 4)[2:]
    other_family, other_scheme, other_body = urn.split(":", 4)[2:]
    parts, others = body.split("."), other_body.split(".")
    assert family == "idpat" and other_family == "id"
    return (
        scheme == other_scheme
        and len(parts) == len(others)
        and all(p in ("*", o) for p, o in zip(parts, others, strict=True))
    )


def test_epc_patterns_select_the_identifiers_their_components_name() -> None:
    """The model above trusts KeyMatch; this ties what instance_matches builds to what EPC patterns mean,
    over every instance identifier of the dataset, in any notation (GS1 keys and others alike)."""
    supply = Supply(random.Random(SEED))
    captures(supply)
    instances = {key: urn for key, urn in supply.urns.items() if urn.startswith("urn:epc:id:")}
    patterns: set[str] = set()
    for urn in instances.values():
        head, _, body = urn.rpartition(":")
        parts = body.split(".")
        for wild in range(1, len(parts) + 1):
            for prefix in (parts[0], unused_prefix(parts[0])):
                fixed = [prefix, *parts[1:]][: len(parts) - wild]
                patterns.add(f"{head.replace(':id:', ':idpat:')}:{'.'.join(fixed + ['*'] * wild)}")
    assert len(patterns) >= 100

    def selected(value: str) -> set[str]:
        matches = instance_matches(value)
        return {key for key in instances if any(m.matches(key) for m in matches)}

    schemes: Counter[str] = Counter()
    for pattern in sorted(patterns):
        expected = {key for key, urn in instances.items() if covers(pattern, urn)}
        assert selected(pattern) == expected, pattern
        schemes[pattern.split(":")[3]] += bool(expected)
    assert (
        set(schemes) == {"sgtin", "upui", "itip", "sscc", "sgln", "grai", "giai", "gid"}
        and min(schemes.values()) >= 2
    )
    # A GTIN without serial stands for the pattern of its SGTINs.
    for company in supply.companies:
        for product in company.products:
            gtin = canonical_key(f"urn:epc:idpat:sgtin:{company.prefix}.{product}.*")
            assert selected(gtin) == selected(f"urn:epc:idpat:sgtin:{company.prefix}.{product}.*"), gtin


# (_DRIVER_MAX, _IN_ORDER_FIRST): the defaults let every condition drive by its index on this little
# data; small values make the planner read stretches in visibility order and hand over to an index,
# at different points on every page.
PLANS = [(0, 1), (5, 7), (40, 30), (100, 3), (0, EVERYTHING), (1, 0)]


@pytest.mark.parametrize(("driver_max", "in_order_first"), PLANS)
async def test_every_sqlite_read_path_answers_as_the_reference_model(
    driver_max: int, in_order_first: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "_DRIVER_MAX", driver_max)
    monkeypatch.setattr(queries, "_IN_ORDER_FIRST", in_order_first)
    paths: Counter[str] = Counter()
    in_order, by_index = queries._in_order, queries._by_index

    def reading_in_order(
        conditions: Sequence[Condition], span: Any, limit: int, conn: Connection
    ) -> list[int]:
        paths["in order, then by index" if span.until is not None else "in order"] += 1
        return in_order(conditions, span, limit, conn)

    def reading_by_index(
        driver: Any, conditions: Sequence[Condition], span: Any, limit: int, conn: Connection
    ) -> list[int]:
        paths["by index"] += 1
        return by_index(driver, conditions, span, limit, conn)

    monkeypatch.setattr(queries, "_in_order", reading_in_order)
    monkeypatch.setattr(queries, "_by_index", reading_by_index)
    store = SqliteEventStore(tmp_path / "events.sqlite3")
    await store.open()
    try:
        await check_against_reference(store, SEED + 2 + PLANS.index((driver_max, in_order_first)))
    finally:
        await store.close()
    # A stretch in visibility order as long as the store leaves no rest for an index to read.
    expected = (
        "in order",
        "in order, then by index",
        *(("by index",) if in_order_first < EVERYTHING else ()),
    )
    assert all(paths[p] for p in expected), paths
    assert in_order_first < EVERYTHING or not paths["by index"], paths
