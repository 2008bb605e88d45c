"""A small farm-to-retail chain for `epcis-repo serve --demo`: robusta coffee from two plots in
Đắk Lắk, hulled and bagged by an exporter, shipped to Hamburg and sold by a retailer.

Identifiers are fictitious but well-formed (GS1 prefix 893 for the Vietnamese companies), and
mix EPC URNs and GS1 Digital Links as real data does.
"""

from __future__ import annotations

from typing import Any

from epcis_repo.epcis.context import STANDARD_CONTEXT
from epcis_repo.epcis.identifiers import canonical_key

VN = "https://example.vn/traceability/"
FARM = "8931234"  # a cooperative of growers
EXPORTER = "8935678"  # huller, bagger and exporter
IMPORTER = "4012345"  # importer and roaster in Germany
PLOT_A = f"urn:epc:id:sgln:{FARM}.00001.0"
PLOT_B = f"urn:epc:id:sgln:{FARM}.00002.0"
COLLECTION_POINT = f"urn:epc:id:sgln:{FARM}.00010.0"
MILL = f"urn:epc:id:sgln:{EXPORTER}.00001.0"
PORT_HCMC = f"urn:epc:id:sgln:{EXPORTER}.00009.0"
HAMBURG = f"https://id.gs1.org/414/{IMPORTER}000016"
CHERRY_A = f"urn:epc:class:lgtin:{FARM}.000001.HV26-A"
CHERRY_B = f"urn:epc:class:lgtin:{FARM}.000001.HV26-B"
GREEN_LOT = f"urn:epc:class:lgtin:{EXPORTER}.000010.GC-2611"
BAGS = [f"urn:epc:id:sgtin:{EXPORTER}.000010.B{n:03d}" for n in range(1, 7)]
PALLET = f"urn:epc:id:sscc:{EXPORTER}.0000000011"


def _party(prefix: str) -> str:
    return f"urn:epc:id:pgln:{prefix}.00000"


def _event(kind: str, time: str, offset: str = "+07:00", **fields: Any) -> dict[str, Any]:
    return {"type": kind, "eventTime": f"{time}{offset}", "eventTimeZoneOffset": offset, **fields}


def _harvest(lot: str, plot: str, kilograms: int, time: str, picked: tuple[str, str]) -> dict[str, Any]:
    """A lot of cherries commissioned at the plot it was picked on, with the picking dates."""
    return _event(
        "ObjectEvent",
        time,
        action="ADD",
        bizStep="commissioning",
        disposition="active",
        quantityList=[{"epcClass": lot, "quantity": kilograms, "uom": "KGM"}],
        readPoint={"id": plot},
        bizLocation={"id": plot},
        ilmd={"vn:harvestStart": picked[0], "vn:harvestEnd": picked[1]},
    )


def demo_document() -> dict[str, Any]:
    events = [
        _harvest(CHERRY_A, PLOT_A, 1200, "2026-10-20T07:30:00", ("2026-10-12", "2026-10-19")),
        _harvest(CHERRY_B, PLOT_B, 800, "2026-10-21T08:00:00", ("2026-10-14", "2026-10-20")),
        _event(
            "ObjectEvent",
            "2026-10-22T15:10:00",
            action="OBSERVE",
            bizStep="receiving",
            quantityList=[
                {"epcClass": CHERRY_A, "quantity": 1200, "uom": "KGM"},
                {"epcClass": CHERRY_B, "quantity": 800, "uom": "KGM"},
            ],
            readPoint={"id": COLLECTION_POINT},
            destinationList=[{"type": "owning_party", "destination": _party(FARM)}],
        ),
        _event(
            "TransformationEvent",
            "2026-10-28T10:00:00",
            bizStep="commissioning",
            transformationID=f"urn:epc:id:gdti:{EXPORTER}.00001.2611",
            inputQuantityList=[
                {"epcClass": CHERRY_A, "quantity": 1200, "uom": "KGM"},
                {"epcClass": CHERRY_B, "quantity": 800, "uom": "KGM"},
            ],
            outputQuantityList=[{"epcClass": GREEN_LOT, "quantity": 360, "uom": "KGM"}],
            readPoint={"id": MILL},
            sourceList=[{"type": "owning_party", "source": _party(FARM)}],
            destinationList=[{"type": "owning_party", "destination": _party(EXPORTER)}],
            ilmd={"vn:process": "natural, dry-hulled", "vn:moisturePercent": 12.5},
        ),
        _event(
            "ObjectEvent",
            "2026-10-29T09:00:00",
            action="ADD",
            bizStep="commissioning",
            disposition="active",
            epcList=BAGS,
            readPoint={"id": MILL},
            ilmd={"vn:lot": "GC-2611", "vn:netWeightKg": 60},
        ),
        _event(
            "AggregationEvent",
            "2026-10-29T11:00:00",
            action="ADD",
            bizStep="packing",
            disposition="container_closed",
            parentID=PALLET,
            childEPCs=BAGS,
            readPoint={"id": MILL},
        ),
        _event(
            "ObjectEvent",
            "2026-11-03T16:45:00",
            action="OBSERVE",
            bizStep="shipping",
            disposition="in_transit",
            epcList=[PALLET],
            readPoint={"id": PORT_HCMC},
            bizTransactionList=[
                {"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:4012345000016:PO-77812"}
            ],
            sourceList=[
                {"type": "owning_party", "source": _party(EXPORTER)},
                {"type": "location", "source": PORT_HCMC},
            ],
            destinationList=[
                {"type": "owning_party", "destination": f"https://id.gs1.org/417/{IMPORTER}000009"},
                {"type": "location", "destination": HAMBURG},
            ],
        ),
        _event(
            "ObjectEvent",
            "2026-12-01T09:20:00",
            offset="+01:00",
            action="OBSERVE",
            bizStep="receiving",
            disposition="in_progress",
            epcList=[canonical_key(PALLET)],
            readPoint={"id": HAMBURG},
            bizLocation={"id": HAMBURG},
        ),
        _event(
            "AggregationEvent",
            "2026-12-01T10:05:00",
            offset="+01:00",
            action="DELETE",
            bizStep="unpacking",
            parentID=PALLET,
            childEPCs=BAGS,
            readPoint={"id": HAMBURG},
        ),
        _event(
            "ObjectEvent",
            "2026-12-02T14:00:00",
            offset="+01:00",
            action="OBSERVE",
            bizStep="retail_selling",
            disposition="retail_sold",
            epcList=BAGS[:2],
            readPoint={"id": HAMBURG},
        ),
    ]
    return {
        "@context": [STANDARD_CONTEXT, {"vn": VN}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-12-02T14:00:00+01:00",
        "epcisBody": {"eventList": events},
    }
