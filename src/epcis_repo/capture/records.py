"""From a validated event to the record a store keeps: its identity and its query fields."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from epcis_repo.capture.facts import event_facts
from epcis_repo.capture.lineage import derive_lineage
from epcis_repo.epcis import cbv, identifiers, timestamps
from epcis_repo.epcis.context import STANDARD_CONTEXTS
from epcis_repo.epcis.hashing import event_hash
from epcis_repo.query.model import Field
from epcis_repo.storage.port import EventRecord


def prepare(event: Mapping[str, Any], prefixes: Mapping[str, str], document_context: Any) -> EventRecord:
    """The record of one event of a document whose ``@context`` is `document_context`.

    `prefixes` are the namespaces of that context and of the event's own (`epcis.context.namespaces`).
    The stored body is the event as sent, minus recordTime (the repository sets it), with its
    eventID (the hash when it had none) and the context its extension prefixes need.
    """
    digest = event_hash(event, prefixes)
    event_id = event.get("eventID") or digest
    declaration = event.get("errorDeclaration")
    dedup_key = digest
    if declaration is not None:
        # Declaring an event erroneous twice in the same words is a duplicate; other declarations are not.
        dedup_key += "#" + hashlib.sha256(orjson.dumps(declaration, option=orjson.OPT_SORT_KEYS)).hexdigest()

    body = {key: value for key, value in event.items() if key != "recordTime"}
    body["eventID"] = event_id
    context = _context_for(document_context, event.get("@context"))
    if context is not None:
        body["@context"] = context

    parent = [event["parentID"]] if "parentID" in event else None
    keys = {
        Field.EPC: _keys(event.get("epcList"), event.get("childEPCs")),
        Field.PARENT_ID: _keys(parent),
        Field.INPUT_EPC: _keys(event.get("inputEPCList")),
        Field.OUTPUT_EPC: _keys(event.get("outputEPCList")),
        Field.EPC_CLASS: _classes(event.get("quantityList"), event.get("childQuantityList")),
        Field.INPUT_EPC_CLASS: _classes(event.get("inputQuantityList")),
        Field.OUTPUT_EPC_CLASS: _classes(event.get("outputQuantityList")),
    }
    return EventRecord(
        event_id=event_id,
        event_hash=digest,
        dedup_key=dedup_key,
        is_declaration=declaration is not None,
        event_type=event["type"],
        event_time=timestamps.to_micros(event["eventTime"]),
        body=exact_bytes(orjson.dumps(body)),
        action=event.get("action"),
        biz_step=cbv.BIZ_STEP.canonical(event["bizStep"]) if "bizStep" in event else None,
        disposition=cbv.DISPOSITION.canonical(event["disposition"]) if "disposition" in event else None,
        read_point=_location(event.get("readPoint")),
        biz_location=_location(event.get("bizLocation")),
        keys={f: k for f, k in keys.items() if k},
        facts=tuple(event_facts(event, prefixes)),
        lineage=derive_lineage(event, prefixes, event_id),
    )


def exact_bytes(data: bytes) -> bytes:
    """A copy just as long as the data: orjson's bytes keep a buffer of several KiB each, which a
    capture of 50,000 events would hold hundreds of MiB of."""
    return bytes(memoryview(data))


def _keys(*lists: Iterable[str] | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(identifiers.canonical_key(uri) for uris in lists if uris for uri in uris))


def _classes(*lists: Iterable[Mapping[str, Any]] | None) -> tuple[str, ...]:
    return _keys(*([element["epcClass"] for element in elements] for elements in lists if elements))


def _location(value: Any) -> str | None:
    return identifiers.canonical_key(value["id"]) if isinstance(value, dict) and "id" in value else None


def _context_for(document_context: Any, event_context: Any) -> Any:
    """The context to keep with an event: nothing when the standard context says it all."""
    parts = [
        part
        for context in (document_context, event_context)
        for part in (context if isinstance(context, list) else [context])
        if part is not None and not (isinstance(part, str) and part in STANDARD_CONTEXTS)
    ]
    return parts or None
