"""Worked example: Vietnamese robusta from Dak Lak to an EU retailer, as EPCIS 2.0 JSON-LD documents.

The story (illustrative data, season 2026/27, fictitious GS1 Company Prefixes):

* Seven farmers create seven lots of green coffee on seven plots (ObjectEvent ADD,
  ``creating_class_instance``, harvest range in ILMD): F1 3,000 kg on P1, F2 9,000 kg on P2 and
  F3 12,000 kg on P3 sell to collector A; G1..G4 4,000 kg each on Q1..Q4 sell to collector B.
* Collector A (Buôn Ma Thuột) receives F1..F3 and bulks them into lot C-77 (24,000 kg); collector B
  receives G1..G4 and bulks them into C-78 (16,000 kg).
* The processor/exporter receives C-77 (2026-12-28) and C-78 (2026-12-30), cleans and grades the
  40,000 kg into EXP-A 38,000 kg (export grade) and BP-1 2,000 kg (by-product, 2027-01-08), ships BP-1
  to a domestic buyer (2027-01-12), roasts 19,000 kg of EXP-A into RC-2701 = 16,150 bags of 1 kg
  (2027-01-15), packs the bags on 17 pallets of 950 (2027-01-16), ships the other 19,000 kg of EXP-A
  to a second buyer (2027-01-20), loads the pallets into a container (2027-01-21) and ships it to the
  EU importer (2027-01-22, with container temperature and humidity readings).
* The EU importer receives the container (2027-02-26, with the reference of its due diligence
  statement as a ``coffee:dds`` business transaction) and unpacks it; a retailer receives 4 pallets
  (2027-03-02).

Conventions the trace tests rely on: masses are in ``KGM``; RC-2701 is counted in bags (no ``uom``),
and its GTIN's master data says ``cbvmda:netWeight`` 1 (kg a bag). Every event has an explicit,
deterministic eventID (``urn:uuid:`` uuid5 of its name, see EVENT_IDS). Farm and collector documents
name things with EPC URNs, the processor mixes URNs and GS1 Digital Links, the EU side uses Digital
Links; the exported identifiers are canonical keys (``identifiers.canonical_key``), the same for both
notations. Plots, sites, farmers and companies carry master data (names, coordinates, area in ha, and a
GeoJSON polygon for the plots above 4 ha, the EUDR threshold for a point).
"""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass
from typing import Any, NamedTuple

from epcis_repo.epcis.identifiers import canonical_key, to_digital_link

JSON = dict[str, Any]

COFFEE = "https://ns.example.org/coffee/"
CONTEXT: list[Any] = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"coffee": COFFEE}]
VN, EU = "+07:00", "+01:00"  # local time of the Vietnamese and the EU parties
KGM = "KGM"
ORIGIN_COUNTRY = "VN"
DDS_REFERENCE = "urn:example:eudr:dds:26VNPX7R2K4M9Q:KQ7XH2M9"  # DDS reference and verification number

LOCATION_VOCABULARY = "urn:epcglobal:epcis:vtype:Location"
PARTY_VOCABULARY = "urn:epcglobal:epcis:vtype:Party"
CLASS_VOCABULARY = "urn:epcglobal:epcis:vtype:EPCClass"


@dataclass(frozen=True)
class Gs1:
    """A GS1 identifier written as an EPC URN, with its Digital Link and canonical key derived from it."""

    urn: str

    @property
    def dl(self) -> str:
        link = to_digital_link(self.urn)
        if link is None:
            raise ValueError(f"{self.urn} has no GS1 Digital Link")
        return link

    @property
    def key(self) -> str:
        return canonical_key(self.urn)


def sgln(prefix: str, ref: str) -> Gs1:
    return Gs1(f"urn:epc:id:sgln:{prefix}.{ref}.0")


def pgln(prefix: str, ref: str) -> Gs1:
    return Gs1(f"urn:epc:id:pgln:{prefix}.{ref}")


def gdti(prefix: str, doc_type: str, serial: str) -> Gs1:
    return Gs1(f"urn:epc:id:gdti:{prefix}.{doc_type}.{serial}")


# --- companies ------------------------------------------------------------------------------------------


class Company(NamedTuple):
    prefix: str  # GS1 Company Prefix, 7 digits
    name: str
    has_site: bool = True

    @property
    def party(self) -> Gs1:
        return pgln(self.prefix, "00001")

    @property
    def site(self) -> Gs1:
        return sgln(self.prefix, "00002")


COMPANIES = {
    "collector_A": Company("8934567", "Đại lý cà phê A, Buôn Ma Thuột"),
    "collector_B": Company("8934789", "Đại lý cà phê B, Krông Pắc"),
    "processor": Company("8935001", "Dak Lak Coffee Processing and Export JSC"),
    "importer": Company("4012345", "Hanse Kaffee Import GmbH, Hamburg"),
    "retailer": Company("4098765", "Beispiel Markt AG, distribution centre Bremen"),
    "second_buyer": Company("8012345", "Torrefazione Esempio S.p.A., Trieste", has_site=False),
    "domestic_buyer": Company("8936012", "Công ty cà phê hòa tan Ví Dụ, Biên Hòa", has_site=False),
}
PROCESSOR = COMPANIES["processor"].prefix

# Products of the processor: GTIN-level classes (pattern URNs) and lots of them.
GREEN_COFFEE = "000010"  # robusta green coffee, unsorted ("nhân xô"), bulk, kg
EXPORT_GRADE = "000020"  # robusta green coffee, export grade, bulk, kg
BY_PRODUCT = "000030"  # grading by-product (black and broken beans), bulk, kg
ROASTED_BAG = "000062"  # roasted robusta, 1 kg bag (GTIN 08935001000624)
PRODUCT_NAMES = {
    GREEN_COFFEE: "Robusta green coffee, unsorted (nhân xô), bulk",
    EXPORT_GRADE: "Robusta green coffee, export grade 1 screen 18, bulk",
    BY_PRODUCT: "Robusta grading by-product, bulk",
    ROASTED_BAG: "Roasted robusta coffee beans, 1 kg bag",
}


def gtin_class(item: str) -> Gs1:
    return Gs1(f"urn:epc:idpat:sgtin:{PROCESSOR}.{item}.*")


def lot(item: str, number: str) -> Gs1:
    return Gs1(f"urn:epc:class:lgtin:{PROCESSOR}.{item}.{number}")


# --- the farms ------------------------------------------------------------------------------------------


class Farm(NamedTuple):
    lot: str
    plot: str
    collector: str  # "A" or "B"
    farmer: str
    kg: int
    area_ha: float
    latitude: float
    longitude: float
    harvest: tuple[str, str]  # first and last day of harvest
    created: str  # day the dried, hulled lot is recorded (origin event)
    received: str  # day the collector receives it


FARMS = (
    Farm("F1", "P1", "A", "Nguyễn Văn An", 3_000, 1.2, 12.848731, 108.072943, ("2026-11-05", "2026-11-26"),
         "2026-12-01", "2026-12-16"),
    Farm("F2", "P2", "A", "Trần Thị Bình", 9_000, 3.6, 12.861254, 108.091387, ("2026-11-08", "2026-11-30"),
         "2026-12-03", "2026-12-17"),
    Farm("F3", "P3", "A", "Y Khuê Niê", 12_000, 5.8, 12.873916, 108.054621, ("2026-11-10", "2026-12-04"),
         "2026-12-07", "2026-12-18"),
    Farm("G1", "Q1", "B", "H'Lan Êban", 4_000, 1.5, 12.702183, 108.236457, ("2026-11-12", "2026-12-02"),
         "2026-12-05", "2026-12-18"),
    Farm("G2", "Q2", "B", "Lê Văn Cường", 4_000, 2.0, 12.715342, 108.249718, ("2026-11-15", "2026-12-06"),
         "2026-12-09", "2026-12-19"),
    Farm("G3", "Q3", "B", "Phạm Thị Dung", 4_000, 4.3, 12.689427, 108.262135, ("2026-11-18", "2026-12-09"),
         "2026-12-12", "2026-12-21"),
    Farm("G4", "Q4", "B", "Y Bhin Mlô", 4_000, 3.0, 12.727865, 108.218573, ("2026-11-20", "2026-12-12"),
         "2026-12-15", "2026-12-22"),
)  # fmt: skip
POINT_MAX_HA = 4.0  # EUDR: a plot above 4 ha needs a polygon


class Bulking(NamedTuple):
    lot: str
    day: str
    shipped_to_processor: str  # the day the processor receives the bulked lot


BULKING = {"A": Bulking("C-77", "2026-12-20", "2026-12-28"), "B": Bulking("C-78", "2026-12-24", "2026-12-30")}

GRADING_DAY = "2027-01-08"
GRADING_OUTPUT_KG = {"EXP-A": 38_000, "BP-1": 2_000}
BP1_SHIPPING_DAY = "2027-01-12"
ROASTING_DAY = "2027-01-15"
ROASTING_INPUT_KG = 19_000  # of EXP-A
BAGS = 16_150  # RC-2701, 1 kg bags (15 % roasting loss)
PACKING_DAY = "2027-01-16"
PALLET_COUNT, BAGS_PER_PALLET = 17, 950
SECOND_BUYER_DAY = "2027-01-20"
LOADING_DAY = "2027-01-21"
CONTAINER_SHIPPING_DAY = "2027-01-22"
IMPORT_DAY = "2027-02-26"
RETAIL_DAY = "2027-03-02"
RETAILER_PALLET_NUMBERS = (3, 6, 12, 17)

if PALLET_COUNT * BAGS_PER_PALLET != BAGS:
    raise ValueError("the pallets do not hold the roasted lot")

# --- identifiers ----------------------------------------------------------------------------------------


def farmer_party(farm: Farm) -> Gs1:
    return pgln(COMPANIES[f"collector_{farm.collector}"].prefix, f"1000{farm.lot[1]}")


def plot_location(farm: Farm) -> Gs1:
    return sgln(COMPANIES[f"collector_{farm.collector}"].prefix, f"2000{farm.plot[1]}")


FARM_LOT_IDS = {farm.lot: lot(GREEN_COFFEE, farm.lot) for farm in FARMS}
BULK_LOT_IDS = {b.lot: lot(GREEN_COFFEE, b.lot) for b in BULKING.values()}
EXP_A_ID = lot(EXPORT_GRADE, "EXP-A")
BP_1_ID = lot(BY_PRODUCT, "BP-1")
RC_2701_ID = lot(ROASTED_BAG, "RC-2701")
PALLET_IDS = [Gs1(f"urn:epc:id:sscc:{PROCESSOR}.0{270100000 + n}") for n in range(1, PALLET_COUNT + 1)]
CONTAINER_ID = Gs1(f"urn:epc:id:giai:{PROCESSOR}.CTR2701")
LOGGER_ID = Gs1(f"urn:epc:id:giai:{PROCESSOR}.LOG07")
CONTAINER_INVOICE = gdti(PROCESSOR, "00030", "INV-2701")
BILL_OF_LADING = gdti(PROCESSOR, "00031", "BL-HCM-2701")
SITES = {name: company.site for name, company in COMPANIES.items() if company.has_site}

# The contract: canonical keys.
PLOTS: dict[str, str] = {farm.plot: plot_location(farm).key for farm in FARMS}
FARM_LOTS: dict[str, str] = {name: gs1.key for name, gs1 in FARM_LOT_IDS.items()}
C77, C78 = (BULK_LOT_IDS[b.lot].key for b in BULKING.values())
EXP_A, BP_1, RC_2701 = EXP_A_ID.key, BP_1_ID.key, RC_2701_ID.key
ROASTED_GTIN = gtin_class(ROASTED_BAG).key
PALLETS: list[str] = [p.key for p in PALLET_IDS]
RETAILER_PALLETS: list[str] = [PALLETS[n - 1] for n in RETAILER_PALLET_NUMBERS]
CONTAINER = CONTAINER_ID.key
PARTIES: dict[str, str] = {f"farmer_{farm.lot}": farmer_party(farm).key for farm in FARMS} | {
    name: company.party.key for name, company in COMPANIES.items()
}
LOCATIONS: dict[str, str] = {name: site.key for name, site in SITES.items()}
# Quantity of each lot where it was made: kg, except RC-2701 (bags).
LOT_QUANTITIES: dict[str, int] = (
    {farm.lot: farm.kg for farm in FARMS}
    | {b.lot: sum(f.kg for f in FARMS if f.collector == c) for c, b in BULKING.items()}
    | GRADING_OUTPUT_KG
    | {"RC-2701": BAGS}
)

EVENT_IDS: dict[str, str] = {}
EVENT_TIMES: dict[str, str] = {}
EVENTS: dict[str, JSON] = {}  # name -> the event as captured


def event_time(name: str) -> str:
    return EVENT_TIMES[name]


# --- event builders -------------------------------------------------------------------------------------


def at(day: str, clock: str, offset: str = VN) -> str:
    return f"{day}T{clock}:00.000{offset}"


def event(name: str, kind: str, when: str, **fields: Any) -> JSON:
    """An event with its deterministic eventID, registered under `name`."""
    if name in EVENTS:
        raise ValueError(f"two events named {name}")
    built = {
        "type": kind,
        "eventTime": when,
        "eventTimeZoneOffset": when[-6:],
        "eventID": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, COFFEE + 'robusta/' + name)}",
        **fields,
    }
    EVENT_IDS[name], EVENT_TIMES[name], EVENTS[name] = built["eventID"], when, built
    return built


def quantity(epc_class: str, amount: int, uom: str | None = KGM) -> JSON:
    return {"epcClass": epc_class, "quantity": amount} | ({"uom": uom} if uom else {})


def place(location: str) -> JSON:
    return {"readPoint": {"id": location}, "bizLocation": {"id": location}}


def custody(source: str, destination: str) -> JSON:
    return {
        "sourceList": [{"type": "owning_party", "source": source}],
        "destinationList": [{"type": "owning_party", "destination": destination}],
    }


def transactions(*pairs: tuple[str, str]) -> list[JSON]:
    return [{"type": kind, "bizTransaction": value} for kind, value in pairs]


def object_event(
    name: str, when: str, action: str, biz_step: str, disposition: str, location: str, **fields: Any
) -> JSON:
    return event(
        name,
        "ObjectEvent",
        when,
        action=action,
        bizStep=biz_step,
        disposition=disposition,
        **place(location),
        **fields,
    )


def receiving(name: str, when: str, location: str, source: str, destination: str, **fields: Any) -> JSON:
    return object_event(
        name, when, "OBSERVE", "receiving", "in_progress", location, **custody(source, destination), **fields
    )


def shipping(name: str, when: str, location: str, source: str, destination: str, **fields: Any) -> JSON:
    return object_event(
        name, when, "OBSERVE", "shipping", "in_transit", location, **custody(source, destination), **fields
    )


def transformation(
    name: str,
    when: str,
    transformation_id: str,
    location: str,
    inputs: list[JSON],
    outputs: list[JSON],
    process: str,
    **fields: Any,
) -> JSON:
    return event(
        name,
        "TransformationEvent",
        when,
        transformationID=transformation_id,
        inputQuantityList=inputs,
        outputQuantityList=outputs,
        bizStep="commissioning",  # CBV 2.0 has no "transforming" step
        disposition="active",
        **place(location),
        **{"coffee:process": process},
        **fields,
    )


def aggregation(
    name: str, when: str, action: str, biz_step: str, parent: str, location: str, **fields: Any
) -> JSON:
    disposition = "container_closed" if action == "ADD" else "container_open"
    return event(
        name,
        "AggregationEvent",
        when,
        parentID=parent,
        action=action,
        bizStep=biz_step,
        disposition=disposition,
        **place(location),
        **fields,
    )


# --- master data ----------------------------------------------------------------------------------------


def vocabulary(kind: str, elements: dict[str, dict[str, Any]]) -> JSON:
    """A vocabulary: element id -> {attribute id: value}."""
    return {
        "type": kind,
        "vocabularyElementList": [
            {
                "id": element,
                "attributes": [{"id": name, "attribute": value} for name, value in attributes.items()],
            }
            for element, attributes in elements.items()
        ],
    }


def polygon(latitude: float, longitude: float, area_ha: float) -> str:
    """A square of `area_ha` centred on the point, as GeoJSON text (counter-clockwise, closed, 6 decimals)."""
    half_side = math.sqrt(area_ha * 10_000) / 2
    dlat = half_side / 110_574
    dlon = half_side / (111_320 * math.cos(math.radians(latitude)))
    corners = [(-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1)]
    ring = [[round(longitude + x * dlon, 6), round(latitude + y * dlat, 6)] for x, y in corners]
    return json.dumps({"type": "Polygon", "coordinates": [ring]}, separators=(",", ":"))


def plot_attributes(farm: Farm) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "cbvmda:name": f"Plot {farm.plot}, farm of {farm.farmer}",
        "cbvmda:latitude": farm.latitude,
        "cbvmda:longitude": farm.longitude,
        "cbvmda:countryCode": ORIGIN_COUNTRY,
        "coffee:areaHa": farm.area_ha,
    }
    if farm.area_ha > POINT_MAX_HA:
        attributes["coffee:geometry"] = polygon(farm.latitude, farm.longitude, farm.area_ha)
    return attributes


def company_vocabularies(*names: str) -> list[JSON]:
    return [
        vocabulary(
            PARTY_VOCABULARY, {COMPANIES[n].party.urn: {"cbvmda:name": COMPANIES[n].name} for n in names}
        ),
        vocabulary(
            LOCATION_VOCABULARY,
            {SITES[n].urn: {"cbvmda:name": COMPANIES[n].name} for n in names if n in SITES},
        ),
    ]


def product_vocabulary(*items: str, net_weight_kg: dict[str, int] | None = None) -> JSON:
    weights = net_weight_kg or {}
    return vocabulary(
        CLASS_VOCABULARY,
        {
            gtin_class(item).urn: {"cbvmda:descriptionShort": PRODUCT_NAMES[item]}
            | ({"cbvmda:netWeight": weights[item], "coffee:netWeightUom": KGM} if item in weights else {})
            for item in items
        },
    )


# --- documents ------------------------------------------------------------------------------------------


def document(events: list[JSON], vocabularies: list[JSON] | None = None) -> JSON:
    doc: JSON = {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": events[-1]["eventTime"],
    }
    if vocabularies:
        doc["epcisHeader"] = {"epcisMasterData": {"vocabularyList": vocabularies}}
    doc["epcisBody"] = {"eventList": events}
    return doc


def farm_document() -> JSON:
    """The origins of all seven lots, with the plots' and farmers' master data (EPC URNs)."""
    events = [
        object_event(
            f"origin_{farm.lot}",
            at(farm.created, "16:00"),
            "ADD",
            "creating_class_instance",
            "active",
            plot_location(farm).urn,
            quantityList=[quantity(FARM_LOT_IDS[farm.lot].urn, farm.kg)],
            ilmd={
                "coffee:harvestStartDate": farm.harvest[0],
                "coffee:harvestEndDate": farm.harvest[1],
                "coffee:producer": farmer_party(farm).urn,
                "coffee:plot": plot_location(farm).urn,
                "cbvmda:countryOfOrigin": ORIGIN_COUNTRY,
            },
        )
        for farm in sorted(FARMS, key=lambda f: f.created)
    ]
    vocabularies = [
        vocabulary(LOCATION_VOCABULARY, {plot_location(farm).urn: plot_attributes(farm) for farm in FARMS}),
        vocabulary(
            PARTY_VOCABULARY, {farmer_party(farm).urn: {"cbvmda:name": farm.farmer} for farm in FARMS}
        ),
        *company_vocabularies("collector_A", "collector_B"),
        product_vocabulary(GREEN_COFFEE),
    ]
    return document(events, vocabularies)


def collector_document(collector: str) -> JSON:
    """A collector receives its farmers' lots and bulks them into one lot (EPC URNs)."""
    company = COMPANIES[f"collector_{collector}"]
    farms = sorted((f for f in FARMS if f.collector == collector), key=lambda f: f.received)
    bulking = BULKING[collector]
    events = [
        receiving(
            f"receive_{farm.lot}",
            at(farm.received, "10:00"),
            company.site.urn,
            farmer_party(farm).urn,
            company.party.urn,
            quantityList=[quantity(FARM_LOT_IDS[farm.lot].urn, farm.kg)],
            bizTransactionList=transactions(("po", gdti(company.prefix, "00010", f"PO-{farm.lot}").urn)),
        )
        for farm in farms
    ]
    events.append(
        transformation(
            f"bulking_{collector}",
            at(bulking.day, "14:00"),
            gdti(company.prefix, "00020", bulking.lot).urn,
            company.site.urn,
            [quantity(FARM_LOT_IDS[farm.lot].urn, farm.kg) for farm in farms],
            [quantity(BULK_LOT_IDS[bulking.lot].urn, LOT_QUANTITIES[bulking.lot])],
            "bulking",
        )
    )
    return document(events)


def processor_document() -> JSON:
    """Receiving, grading, roasting, packing and shipping at the processor (URNs and Digital Links)."""
    me = COMPANIES["processor"]
    site_dl, site_urn = me.site.dl, me.site.urn
    c77, c78 = BULK_LOT_IDS["C-77"], BULK_LOT_IDS["C-78"]
    second_buyer_kg = GRADING_OUTPUT_KG["EXP-A"] - ROASTING_INPUT_KG
    events = [
        receiving(
            "receive_C77",
            at(BULKING["A"].shipped_to_processor, "09:00"),
            site_dl,
            COMPANIES["collector_A"].party.dl,
            me.party.dl,
            quantityList=[quantity(c77.dl, LOT_QUANTITIES["C-77"])],
            bizTransactionList=transactions(("po", gdti(me.prefix, "00010", "PO-C-77").dl)),
        ),
        receiving(
            "receive_C78",
            at(BULKING["B"].shipped_to_processor, "09:00"),
            site_urn,
            COMPANIES["collector_B"].party.urn,
            me.party.urn,
            quantityList=[quantity(c78.urn, LOT_QUANTITIES["C-78"])],
            bizTransactionList=transactions(("po", gdti(me.prefix, "00010", "PO-C-78").urn)),
        ),
        transformation(
            "grading",
            at(GRADING_DAY, "15:00"),
            gdti(me.prefix, "00020", "G2701").dl,
            site_dl,
            [quantity(c77.dl, LOT_QUANTITIES["C-77"]), quantity(c78.urn, LOT_QUANTITIES["C-78"])],
            [
                quantity(EXP_A_ID.dl, GRADING_OUTPUT_KG["EXP-A"]),
                quantity(BP_1_ID.dl, GRADING_OUTPUT_KG["BP-1"]),
            ],
            "cleaning_grading",
        ),
        shipping(
            "ship_bp1",
            at(BP1_SHIPPING_DAY, "08:30"),
            site_dl,
            me.party.dl,
            COMPANIES["domestic_buyer"].party.dl,
            quantityList=[quantity(BP_1_ID.dl, GRADING_OUTPUT_KG["BP-1"])],
            bizTransactionList=transactions(("inv", gdti(me.prefix, "00030", "INV-BP-1").dl)),
        ),
        transformation(
            "roasting",
            at(ROASTING_DAY, "17:00"),
            gdti(me.prefix, "00020", "R2701").urn,
            site_urn,
            [quantity(EXP_A_ID.urn, ROASTING_INPUT_KG)],
            [quantity(RC_2701_ID.dl, BAGS, uom=None)],
            "roasting_packing",
            ilmd={"cbvmda:bestBeforeDate": "2028-01-15", "cbvmda:countryOfOrigin": ORIGIN_COUNTRY},
        ),
    ]
    events += [
        aggregation(
            f"pack_pallet_{n:02d}",
            at(PACKING_DAY, f"{8 + n // 4:02d}:{n % 4 * 15:02d}"),
            "ADD",
            "packing",
            pallet.urn,
            site_urn,
            childQuantityList=[quantity(RC_2701_ID.urn, BAGS_PER_PALLET, uom=None)],
        )
        for n, pallet in enumerate(PALLET_IDS, start=1)
    ]
    events += [
        shipping(
            "ship_exp_a_second_buyer",
            at(SECOND_BUYER_DAY, "08:00"),
            site_urn,
            me.party.urn,
            COMPANIES["second_buyer"].party.urn,
            quantityList=[quantity(EXP_A_ID.urn, second_buyer_kg)],
            bizTransactionList=transactions(("inv", gdti(me.prefix, "00030", "INV-EXP-A-2").urn)),
        ),
        aggregation(
            "load_container",
            at(LOADING_DAY, "15:00"),
            "ADD",
            "loading",
            CONTAINER_ID.urn,
            site_urn,
            childEPCs=[pallet.urn for pallet in PALLET_IDS],
        ),
        shipping(
            "ship_container",
            at(CONTAINER_SHIPPING_DAY, "07:00"),
            site_dl,
            me.party.dl,
            COMPANIES["importer"].party.dl,
            epcList=[CONTAINER_ID.dl],
            bizTransactionList=transactions(("inv", CONTAINER_INVOICE.urn), ("bol", BILL_OF_LADING.urn)),
            sensorElementList=[container_climate(at(CONTAINER_SHIPPING_DAY, "07:00"))],
        ),
    ]
    vocabularies = [
        product_vocabulary(EXPORT_GRADE, BY_PRODUCT, ROASTED_BAG, net_weight_kg={ROASTED_BAG: 1}),
        *company_vocabularies("processor", "importer", "second_buyer", "domestic_buyer"),
    ]
    return document(events, vocabularies)


def container_climate(when: str) -> JSON:
    """The container logger's summary at departure: temperature and relative humidity."""
    return {
        "sensorMetadata": {"time": when, "deviceID": LOGGER_ID.urn, "startTime": at(LOADING_DAY, "15:00")},
        "sensorReport": [
            {"type": "Temperature", "value": 24.5, "minValue": 22.1, "maxValue": 27.8, "uom": "CEL"},
            {"type": "RelativeHumidity", "value": 64.0, "minValue": 58.0, "maxValue": 71.0, "uom": "P1"},
        ],
    }


def importer_document() -> JSON:
    """The EU importer receives and unpacks the container (Digital Links); it names its customer."""
    me = COMPANIES["importer"]
    return document(
        [
            receiving(
                "import_receive",
                at(IMPORT_DAY, "10:00", EU),
                me.site.dl,
                COMPANIES["processor"].party.dl,
                me.party.dl,
                epcList=[CONTAINER_ID.dl],
                bizTransactionList=transactions(("bol", BILL_OF_LADING.dl), ("coffee:dds", DDS_REFERENCE)),
            ),
            aggregation(
                "unpack_container",
                at(IMPORT_DAY, "14:00", EU),
                "DELETE",
                "unpacking",
                CONTAINER_ID.dl,
                me.site.dl,
                childEPCs=[pallet.dl for pallet in PALLET_IDS],
            ),
        ],
        company_vocabularies("importer", "retailer"),
    )


def retailer_document() -> JSON:
    """The retailer receives four of the pallets (Digital Links)."""
    me = COMPANIES["retailer"]
    pallets = [PALLET_IDS[n - 1] for n in RETAILER_PALLET_NUMBERS]
    return document(
        [
            receiving(
                "retailer_receive",
                at(RETAIL_DAY, "09:30", EU),
                me.site.dl,
                COMPANIES["importer"].party.dl,
                me.party.dl,
                epcList=[pallet.dl for pallet in pallets],
                bizTransactionList=transactions(
                    ("po", gdti(me.prefix, "00010", "PO-2027-0311").dl), ("coffee:dds", DDS_REFERENCE)
                ),
            )
        ]
    )


DOCUMENTS: list[JSON] = [
    farm_document(),
    collector_document("A"),
    collector_document("B"),
    processor_document(),
    importer_document(),
    retailer_document(),
]
