"""The stages of a traced chain, in time order: who did what where, with what went in and came out.

A stage is one event the trace followed, or all the events of one transformation (one
transformationID). Its actor is the party the event names: the receiving party of a receipt, the
sending party of a dispatch, else the first destination or source.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson

from epcis_repo.epcis import cbv, identifiers, timestamps

_SENDING = frozenset({"shipping", "departing"})


class Item(NamedTuple):  # a named tuple: a chain has many, and a frozen dataclass is slow to make
    id: str  # canonical key
    quantity: float | None = None
    uom: str | None = None


@dataclass(slots=True)
class Stage:
    step: str | None  # the bizStep, as a bare word for a CBV step
    event_type: str
    event_ids: list[str]
    place: str | None  # canonical key of the bizLocation, else the readPoint
    actor: str | None  # canonical key of a party
    start: str  # eventTime as captured
    end: str
    inputs: list[Item] = field(default_factory=list)
    outputs: list[Item] = field(default_factory=list)
    _start: int = 0
    _end: int = 0


def chain_stages(events: Iterable[tuple[str, bytes]]) -> list[Stage]:
    """The stages of these events (eventID, the event as captured; no error declarations), in time
    order."""
    stages: dict[str, Stage] = {}
    taken: set[str] = set()  # an event two organisations both captured is one stage, once
    for event_id, body in events:
        if event_id in taken:
            continue
        taken.add(event_id)
        event: dict[str, Any] = orjson.loads(body)
        group = event.get("transformationID") if event.get("type") == "TransformationEvent" else None
        key = f"transformation {group}" if group else event_id
        stage = stages.get(key)
        time = timestamps.to_micros(event["eventTime"])
        if stage is None:
            stage = stages[key] = _stage(event, event_id, time)
        else:
            stage.event_ids.append(event_id)
            if time < stage._start:
                stage._start, stage.start = time, event["eventTime"]
            if time > stage._end:
                stage._end, stage.end = time, event["eventTime"]
            stage.place = stage.place or _place(event)
            stage.actor = stage.actor or _actor(event, _step(event))
        inputs, outputs = _items(event)
        stage.inputs += inputs
        stage.outputs += outputs
    return sorted(stages.values(), key=lambda s: (s._start, s._end, s.event_ids[0]))


def _stage(event: Mapping[str, Any], event_id: str, time: int) -> Stage:
    step = _step(event)
    return Stage(
        step=step,
        event_type=event["type"],
        event_ids=[event_id],
        place=_place(event),
        actor=_actor(event, step),
        start=event["eventTime"],
        end=event["eventTime"],
        _start=time,
        _end=time,
    )


def _step(event: Mapping[str, Any]) -> str | None:
    """The bizStep, as a bare word for a CBV step."""
    step = event.get("bizStep")
    return cbv.BIZ_STEP.render(step, cbv.Form.BARE_WORD) if isinstance(step, str) else None


def _place(event: Mapping[str, Any]) -> str | None:
    for name in ("bizLocation", "readPoint"):
        location = event.get(name)
        if isinstance(location, dict) and "id" in location:
            return identifiers.canonical_key(location["id"])
    return None


def _actor(event: Mapping[str, Any], word: str | None) -> str | None:
    ends = ("sourceList", "source") if word in _SENDING else ("destinationList", "destination")
    others = ("destinationList", "destination") if word in _SENDING else ("sourceList", "source")
    for list_name, member in (ends, others):
        parties = [e for e in event.get(list_name) or () if "party" in str(e.get("type", ""))]
        if parties:
            return identifiers.canonical_key(parties[0][member])
    return None


def _items(event: Mapping[str, Any]) -> tuple[list[Item], list[Item]]:
    kind = event["type"]
    if kind == "TransformationEvent":
        return (
            [*_instances(event.get("inputEPCList")), *_classes(event.get("inputQuantityList"))],
            [*_instances(event.get("outputEPCList")), *_classes(event.get("outputQuantityList"))],
        )
    if kind in ("AggregationEvent", "AssociationEvent"):
        parent = [Item(identifiers.canonical_key(event["parentID"]))] if "parentID" in event else []
        return [*_instances(event.get("childEPCs")), *_classes(event.get("childQuantityList"))], parent
    return [], [*_instances(event.get("epcList")), *_classes(event.get("quantityList"))]


def _instances(uris: Iterable[str] | None) -> list[Item]:
    return [Item(identifiers.canonical_key(uri)) for uri in uris or ()]


def _classes(elements: Iterable[Mapping[str, Any]] | None) -> list[Item]:
    return [
        Item(identifiers.canonical_key(e["epcClass"]), e.get("quantity"), e.get("uom"))
        for e in elements or ()
    ]
