"""A seeded generator of synthetic supply chains, as EPCIS 2.0 events and documents.

Every chain has the shape of a coffee chain, in 25 events: six farms create lots on their plots
(ILMD with harvest dates and a moisture reading), a collector receives and bulks them, ships the
bulk lot to a processor, who receives it, grades it into an export lot and a by-product, roasts
the export lot into counted bags, packs them on eight pallets and the pallets in a container,
ships the container (with temperature and humidity readings, an invoice and a bill of lading)
to an importer, who receives and unpacks it; a retailer receives two pallets.

Companies alternate between EPC URNs and GS1 Digital Links for their identifiers, so both forms
are stored. The same seed and chain number always give the same chain.

    chains = SupplyChains(seed=2027)
    events = chains.events(100_000)                  # a flat list, whole chains
    for document in chains.documents(1000, 100_000): # 100 EPCIS documents of 1,000 events, with master data
        ...
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from epcis_repo.epcis.identifiers import to_digital_link

CONTEXT = [
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
    {"ex": "https://ns.example.org/bench/"},
]
CHAIN_EVENTS = 25
START = datetime(2025, 1, 1, tzinfo=UTC)
COMPANIES = 50
PLOTS_PER_COMPANY = 200
Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Chain:
    number: int
    events: list[Json]
    master_data: list[Json]  # vocabulary lists for the document header
    farm_lots: list[str] = field(default_factory=list)
    plots: list[str] = field(default_factory=list)
    roasted: str = ""  # the final lot
    pallets: list[str] = field(default_factory=list)
    container: str = ""


class SupplyChains:
    def __init__(self, seed: int = 2027) -> None:
        self.seed = seed

    def chain(self, k: int) -> Chain:
        rng = random.Random(self.seed * 1_000_003 + k)
        return _Builder(k, rng).build()

    def events(self, count: int) -> list[Json]:
        """Whole chains, `count` events or the whole chains just above it."""
        return [event for k in range(-(-count // CHAIN_EVENTS)) for event in self.chain(k).events]

    def documents(self, size: int, count: int, first_chain: int = 0) -> Iterator[Json]:
        """EPCIS documents of `size` events (the last may have fewer), `count` events in all, from the
        chains `first_chain` on, with the master data of the chains of their events in the header. A
        chain may end in the next document, which then carries its master data too."""
        if size < 1:
            raise ValueError(f"a document needs at least one event, not {size}")
        events: list[Json] = []
        vocabularies: dict[str, list[Json]] = {}
        made = 0
        k = first_chain
        while made < count:
            chain = self.chain(k)
            k += 1
            left = chain.events[: count - made]
            while left:
                part, left = left[: size - len(events)], left[size - len(events) :]
                events += part
                made += len(part)
                for vocabulary in chain.master_data:
                    elements = vocabulary["vocabularyElementList"]
                    vocabularies.setdefault(vocabulary["type"], []).extend(elements)
                if len(events) == size or made == count:
                    yield document(events, vocabularies)
                    events, vocabularies = [], {}


def document(events: list[Json], vocabularies: dict[str, list[Json]] | None = None) -> Json:
    built: Json = {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2027-01-01T00:00:00Z",
        "epcisBody": {"eventList": events},
    }
    if vocabularies:
        built["epcisHeader"] = {
            "epcisMasterData": {
                "vocabularyList": [
                    {"type": kind, "vocabularyElementList": elements}
                    for kind, elements in vocabularies.items()
                ]
            }
        }
    return built


class _Builder:
    def __init__(self, k: int, rng: random.Random) -> None:
        self.k = k
        self.rng = rng
        company = k % COMPANIES
        self.prefix = f"95{company:05d}"
        self.digital_link = company % 2 == 1
        self.clock = START + timedelta(minutes=7 * k)
        self.events: list[Json] = []

    # --- identifiers, in this company's notation ----------------------------------------------------

    def write(self, urn: str) -> str:
        if not self.digital_link:
            return urn
        link = to_digital_link(urn)
        return link if link is not None else urn

    def lot(self, product: str, name: str) -> str:
        return self.write(f"urn:epc:class:lgtin:{self.prefix}.{product}.{name}")

    def location(self, reference: int) -> str:
        return self.write(f"urn:epc:id:sgln:{self.prefix}.{reference:05d}.0")

    def party(self, reference: int) -> str:
        return self.write(f"urn:epc:id:pgln:{self.prefix}.{reference:05d}")

    # --- events -----------------------------------------------------------------------------------------

    def event(self, kind: str, hours: float, **fields: Any) -> Json:
        when = self.clock + timedelta(hours=hours)
        built = {
            "type": kind,
            "eventTime": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "eventTimeZoneOffset": "+00:00",
            **fields,
        }
        self.events.append(built)
        return built

    def build(self) -> Chain:
        k, rng = self.k, self.rng
        collector, processor, importer, retailer = (self.location(90000 + n) for n in range(4))
        parties = {
            name: self.party(90000 + n)
            for n, name in enumerate(("collector", "processor", "importer", "retailer"))
        }
        plots = [self.location(rng.randrange(1, PLOTS_PER_COMPANY + 1)) for _ in range(6)]
        farm_lots = [self.lot("000010", f"F{k}-{i}") for i in range(6)]
        masses = [float(rng.randrange(1000, 5000, 10)) for _ in range(6)]
        for i, (plot, lot, mass) in enumerate(zip(plots, farm_lots, masses, strict=True)):
            self.event(
                "ObjectEvent",
                i,
                action="ADD",
                bizStep="creating_class_instance",
                disposition="active",
                readPoint={"id": plot},
                bizLocation={"id": plot},
                quantityList=[{"epcClass": lot, "quantity": mass, "uom": "KGM"}],
                ilmd={
                    "ex:harvestStart": "2024-11-01",
                    "ex:harvestEnd": "2024-12-15",
                    "ex:moisture": round(rng.uniform(10.5, 13.5), 2),
                },
            )
        total = sum(masses)
        bulk = self.lot("000010", f"B{k}")
        graded, by_product = self.lot("000020", f"G{k}"), self.lot("000030", f"P{k}")
        roasted = self.lot("000062", f"R{k}")
        bags = int(total * 0.95 * 0.85)
        inputs = [
            {"epcClass": lot, "quantity": m, "uom": "KGM"} for lot, m in zip(farm_lots, masses, strict=True)
        ]
        self.event(
            "ObjectEvent",
            8,
            action="OBSERVE",
            bizStep="receiving",
            disposition="in_progress",
            readPoint={"id": collector},
            bizLocation={"id": collector},
            quantityList=inputs,
            destinationList=[{"type": "owning_party", "destination": parties["collector"]}],
        )
        self.event(
            "TransformationEvent",
            10,
            bizStep="commissioning",
            disposition="active",
            transformationID=f"urn:epc:id:gdti:{self.prefix}.00001.B{k}",
            bizLocation={"id": collector},
            inputQuantityList=inputs,
            outputQuantityList=[{"epcClass": bulk, "quantity": total, "uom": "KGM"}],
        )
        moved = [{"epcClass": bulk, "quantity": total, "uom": "KGM"}]
        self.custody("shipping", 20, collector, moved, parties["collector"], parties["processor"])
        self.custody("receiving", 30, processor, moved, parties["collector"], parties["processor"])
        self.event(
            "TransformationEvent",
            40,
            bizStep="commissioning",
            disposition="active",
            transformationID=f"urn:epc:id:gdti:{self.prefix}.00001.G{k}",
            bizLocation={"id": processor},
            inputQuantityList=moved,
            outputQuantityList=[
                {"epcClass": graded, "quantity": total * 0.95, "uom": "KGM"},
                {"epcClass": by_product, "quantity": total * 0.05, "uom": "KGM"},
            ],
        )
        self.event(
            "TransformationEvent",
            50,
            bizStep="commissioning",
            disposition="active",
            transformationID=f"urn:epc:id:gdti:{self.prefix}.00001.R{k}",
            bizLocation={"id": processor},
            inputQuantityList=[{"epcClass": graded, "quantity": total * 0.95, "uom": "KGM"}],
            outputQuantityList=[{"epcClass": roasted, "quantity": bags}],
        )
        pallets = [
            self.write(f"urn:epc:id:sscc:{self.prefix}.{k % 10}{(k * 8 + p) % 10**9:09d}") for p in range(8)
        ]
        for p, pallet in enumerate(pallets):
            self.event(
                "AggregationEvent",
                51 + p / 10,
                action="ADD",
                bizStep="packing",
                disposition="container_closed",
                parentID=pallet,
                bizLocation={"id": processor},
                childQuantityList=[{"epcClass": roasted, "quantity": bags // 8}],
            )
        container = self.write(f"urn:epc:id:giai:{self.prefix}.C{k}")
        self.event(
            "AggregationEvent",
            60,
            action="ADD",
            bizStep="loading",
            disposition="container_closed",
            parentID=container,
            childEPCs=pallets,
            bizLocation={"id": processor},
        )
        shipped = self.custody(
            "shipping", 70, processor, None, parties["processor"], parties["importer"], container
        )
        shipped["bizTransactionList"] = [
            {"type": "inv", "bizTransaction": f"urn:epcglobal:cbv:bt:{self.prefix}000017:INV-{k}"},
            {"type": "bol", "bizTransaction": f"urn:epcglobal:cbv:bt:{self.prefix}000017:BOL-{k}"},
        ]
        shipped["sensorElementList"] = [
            {
                "sensorMetadata": {"time": shipped["eventTime"]},
                "sensorReport": [
                    {"type": "Temperature", "value": round(rng.uniform(12, 28), 1), "uom": "CEL"},
                    {"type": "RelativeHumidity", "value": round(rng.uniform(40, 80), 1), "uom": "P1"},
                ],
            }
        ]
        self.custody("receiving", 400, importer, None, parties["processor"], parties["importer"], container)
        self.event(
            "AggregationEvent",
            401,
            action="DELETE",
            bizStep="unpacking",
            disposition="container_open",
            parentID=container,
            childEPCs=pallets,
            bizLocation={"id": importer},
        )
        self.custody("receiving", 450, retailer, None, parties["importer"], parties["retailer"], *pallets[:2])
        assert len(self.events) == CHAIN_EVENTS
        master_data = [
            {
                "type": "urn:epcglobal:epcis:vtype:BusinessLocation",
                "vocabularyElementList": [
                    {
                        "id": plot,
                        "attributes": [
                            {
                                "id": "urn:epcglobal:cbv:mda#latitude",
                                "attribute": round(rng.uniform(11.5, 13.5), 6),
                            },
                            {
                                "id": "urn:epcglobal:cbv:mda#longitude",
                                "attribute": round(rng.uniform(107.5, 109.0), 6),
                            },
                        ],
                    }
                    for plot in dict.fromkeys(plots)
                ],
            },
            {
                "type": "urn:epcglobal:epcis:vtype:EPCClass",
                "vocabularyElementList": [
                    {
                        "id": self.write(f"urn:epc:idpat:sgtin:{self.prefix}.000062.*"),
                        "attributes": [{"id": "urn:epcglobal:cbv:mda#netWeight", "attribute": 1}],
                    }
                ],
            },
        ]
        return Chain(k, self.events, master_data, farm_lots, plots, roasted, pallets, container)

    def custody(
        self,
        step: str,
        hours: float,
        place: str,
        quantities: list[Json] | None,
        source: str,
        destination: str,
        *epcs: str,
    ) -> Json:
        fields: Json = {"epcList": list(epcs)} if epcs else {"quantityList": quantities}
        return self.event(
            "ObjectEvent",
            hours,
            action="OBSERVE",
            bizStep=step,
            disposition="in_transit" if step == "shipping" else "in_progress",
            readPoint={"id": place},
            bizLocation={"id": place},
            sourceList=[{"type": "owning_party", "source": source}],
            destinationList=[{"type": "owning_party", "destination": destination}],
            **fields,
        )
