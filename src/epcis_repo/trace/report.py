"""A trace as the JSON document the API returns and the command line prints.

Identifiers go through `write_id` (the notation GS1-EPC-Format asks for); quantities are
``{"value", "uom"}`` in the base unit of their dimension (KGM for mass); shares are fractions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from epcis_repo.epcis.timestamps import from_micros
from epcis_repo.trace.graph import is_transformation
from epcis_repo.trace.measures import Measure
from epcis_repo.trace.result import Direction, Portion, Reference, Trace
from epcis_repo.trace.stages import Item, Stage

WriteId = Callable[[str], str]


def trace_document(trace: Trace, stages: list[Stage], write_id: WriteId) -> dict[str, Any]:
    written: dict[str | None, str | None] = {}  # a chain names the same keys many times

    def ident(key: str | None) -> str | None:
        if key not in written:
            written[key] = key if key is None or is_transformation(key) else write_id(key)
        return written[key]

    request = trace.request
    document: dict[str, Any] = {
        "target": ident(request.target),
        "direction": str(request.direction),
        "at": _time(request.at),
        "asOf": _time(request.as_of),
        "window": None if request.window == (None, None) else [_time(t) for t in request.window],
        "cursor": _time(trace.cursor),
        "quantity": _quantity(trace.quantity),
    }
    if request.direction is Direction.BACK:
        document["origins"] = [_origin(p, ident) for p in trace.origins]
        document["unexplained"] = [_portion(p, ident) for p in trace.unexplained]
    else:
        document["reached"] = [_portion(p, ident) for p in trace.reached]
        document["parties"] = [_reference(r, ident) for r in trace.parties]
        document["documents"] = [_reference(r, ident) for r in trace.documents]
    document["nodes"] = [
        {"id": ident(p.node), "kind": p.kind, "quantity": _quantity(p.quantity), "share": _share(p.share)}
        for p in trace.nodes.values()
    ]
    document["edges"] = [
        {
            "kind": e.kind,
            "from": ident(e.source),
            "to": ident(e.target),
            "eventID": e.event_id,
            "eventTime": from_micros(e.event_time),
            "quantity": _quantity(e.quantity),
            "reason": e.reason,
        }
        for e in trace.edges
    ]
    document["stages"] = [_stage(s, ident) for s in stages]
    document["findings"] = [
        {"rule": f.rule, "severity": str(f.severity), "message": f.message, "eventIDs": list(f.event_ids)}
        for f in trace.findings
    ]
    return document


def _origin(portion: Portion, ident: Callable[[str | None], str | None]) -> dict[str, Any]:
    return {
        "id": ident(portion.node),
        "location": ident(portion.location),
        "eventID": portion.event_ids[0] if portion.event_ids else None,
        "quantity": _quantity(portion.quantity),
        "share": _share(portion.share),
    }


def _portion(portion: Portion, ident: Callable[[str | None], str | None]) -> dict[str, Any]:
    return {
        "id": ident(portion.node),
        "quantity": _quantity(portion.quantity),
        "share": _share(portion.share),
    }


def _reference(reference: Reference, ident: Callable[[str | None], str | None]) -> dict[str, Any]:
    found: dict[str, Any] = {"id": ident(reference.id), "type": reference.role}
    if reference.quantity is not None:
        found["quantity"] = _quantity(reference.quantity)
    found["eventIDs"] = reference.event_ids
    return found


def _stage(stage: Stage, ident: Callable[[str | None], str | None]) -> dict[str, Any]:
    return {
        "step": stage.step,
        "type": stage.event_type,
        "eventIDs": stage.event_ids,
        "place": ident(stage.place),
        "actor": ident(stage.actor),
        "start": stage.start,
        "end": stage.end,
        "inputs": [_item(i, ident) for i in stage.inputs],
        "outputs": [_item(i, ident) for i in stage.outputs],
    }


def _item(item: Item, ident: Callable[[str | None], str | None]) -> dict[str, Any]:
    found: dict[str, Any] = {"id": ident(item.id)}
    if item.quantity is not None:
        found["quantity"] = {"value": item.quantity, "uom": item.uom}
    return found


def _quantity(measure: Measure | None) -> dict[str, Any] | None:
    return None if measure is None else {"value": _rounded(measure.value), "uom": measure.unit}


def _share(share: float | None) -> float | None:
    return None if share is None else _rounded(share)


def _rounded(value: float) -> float | int:
    """Twelve significant digits: enough for any scale, without float noise (0.1, not 0.10000000000000003)."""
    value = float(value)
    if value.is_integer() and abs(value) < 1e12:  # already exact in twelve digits (most quantities)
        return int(value)
    rounded = float(f"{value:.12g}")
    return int(rounded) if rounded.is_integer() and abs(rounded) < 2**53 else rounded


def _time(micros: int | None) -> str | None:
    return None if micros is None else from_micros(micros)
