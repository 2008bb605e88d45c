"""Tracing as the API and the command line ask for it: the trace and its stages, as one document."""

from __future__ import annotations

import logging
from typing import Any

from epcis_repo.capture.lineage import LINEAGE_VERSION, stored_event_lineage
from epcis_repo.storage.port import EventStore
from epcis_repo.trace.engine import trace_with_events
from epcis_repo.trace.report import WriteId, trace_document
from epcis_repo.trace.result import TraceRequest
from epcis_repo.trace.stages import chain_stages

log = logging.getLogger(__name__)


async def bring_lineage_up_to_date(store: EventStore) -> None:
    """Derive the lineage edges of stored events again when the derivation is newer than theirs."""
    if await store.lineage_version() < LINEAGE_VERSION:
        log.info("deriving the lineage edges of the stored events (lineage version %d)", LINEAGE_VERSION)
        count = await store.rebuild_lineage(stored_event_lineage, LINEAGE_VERSION)
        log.info("lineage edges derived for %d events", count)


async def trace_report(store: EventStore, request: TraceRequest, write_id: WriteId) -> dict[str, Any] | None:
    """The trace document, or None when no event names the target."""
    found = await trace_with_events(store, request)
    if found is None:
        return None
    trace, events = found
    return trace_document(trace, chain_stages(events), write_id)
