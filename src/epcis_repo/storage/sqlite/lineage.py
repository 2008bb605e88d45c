"""Lineage edges in SQLite: one row per edge, beside the event that states it, read by node."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Iterable, Sequence
from functools import lru_cache
from typing import TypeVar

from epcis_repo.query.model import Visibility
from epcis_repo.storage.sqlite.queries import BATCH, batched_rows, marks, visibility_filter
from epcis_repo.trace.model import EVERY_EDGE, EdgeKind, EdgeSelection, LineageEdge, StoredEdge, kind_test

T = TypeVar("T")
_KINDS = {str(kind): kind for kind in EdgeKind}

INSERT = (
    "INSERT INTO lineage (event, kind, source, target, action, quantity, uom, role) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
# `d` is an error declaration voiding event `e`: one made by the organisation that captured `e`.
# The test is written in the terms of the eventID index (schema migration 10), so that for an event
# nobody declared erroneous (nearly all) it is one probe of that index, without reading a row.
_VOIDS = (
    "d.event_id = e.event_id AND ifnull(d.captured_by, '') = ifnull(e.captured_by, '') "
    "AND iif(d.declaration, d.id, 0) > 0"
)
_COLUMNS = f"""
    l.kind, l.source, l.target, l.action, l.quantity, l.uom, l.role, e.event_id, e.event_time, e.record_time,
    (SELECT min(d.record_time) FROM events AS d WHERE {_VOIDS}),
    {{visible}}
"""
_BY = (
    "SELECT {columns} FROM lineage AS l JOIN events AS e ON e.id = l.event "
    "WHERE l.{end} IN ({marks}){kinds}{horizon}"
)


def rows(event_rows: Iterable[tuple[int, Sequence[LineageEdge]]]) -> Iterable[tuple[object, ...]]:
    """INSERT parameters for the edges of events stored as these rows."""
    for row, edges in event_rows:
        for e in edges:
            yield row, str(e.kind), e.source, e.target, e.action, e.quantity, e.uom, e.role


def edges_of(
    conn: sqlite3.Connection,
    nodes: Collection[str],
    recorded_by: int | None,
    visible: Visibility | None = None,
    selection: EdgeSelection = EVERY_EDGE,
) -> list[StoredEdge]:
    chosen = list(dict.fromkeys(nodes))
    found: list[StoredEdge] = []
    rows: set[tuple[object, ...]] = set()
    test, tested = visibility_filter(visible)
    horizon_params = [] if recorded_by is None else [recorded_by, *tested]
    ends = [kind_test(kinds) or () for kinds in selection if kinds]
    if not ends:
        return []
    for start in range(0, len(chosen), BATCH // 2):
        chunk = chosen[start : start + BATCH // 2]
        params = [value for kinds in ends for value in (*tested, *chunk, *kinds, *horizon_params)]
        sql = _hop_sql(len(chunk), selection, test, recorded_by is not None)
        for row in conn.execute(sql, params):
            if row in rows:  # an edge with both ends asked for, or asked for in two chunks
                continue
            rows.add(row)
            # kind, source, target, action, quantity, uom, role; event_id, event_time, record_time, voided
            edge = LineageEdge._make((_KINDS[row[0]], *row[1:7]))
            found.append(StoredEdge._make((edge, *row[7:11], bool(row[11]))))
    return found


def names(conn: sqlite3.Connection, node: str, recorded_by: int | None, visible: Visibility | None) -> bool:
    """`EventStore.lineage_names`."""
    test, tested = visibility_filter(visible)
    horizon, later = ("", []) if recorded_by is None else (" AND e.record_time <= ?", [recorded_by])
    probes = (
        _BY.format(columns="1", end=end, marks="?", kinds="", horizon=f" AND ({test}){horizon}")
        for end in ("source", "target")
    )
    sql = "SELECT " + " OR ".join(f"EXISTS ({probe})" for probe in probes)
    return bool(conn.execute(sql, [node, *tested, *later] * 2).fetchone()[0])


@lru_cache(maxsize=256)
def _hop_sql(nodes: int, selection: EdgeSelection, test: str, horizon: bool) -> str:
    """The SQL of a hop (`edges_of`): its text depends only on these, and a trace makes several."""
    columns = _COLUMNS.format(visible=f"({test})")
    # The horizon holds for the events the caller may see; of the others only their being there is
    # told (as not visible), whenever recorded, so that no horizon dates them.
    later = f" AND (e.record_time <= ? OR NOT ({test}))" if horizon else ""
    parts = []
    for end, kinds in zip(("source", "target"), selection, strict=True):
        if kinds:
            named = kind_test(kinds)
            parts.append(
                _BY.format(
                    columns=columns,
                    end=end,
                    marks=marks(nodes),
                    kinds="" if named is None else f" AND l.kind IN ({marks(len(named))})",
                    horizon=later,
                )
            )
    return " UNION ALL ".join(parts)


def events_of(
    conn: sqlite3.Connection, event_ids: Collection[str], recorded_by: int | None, visible: Visibility | None
) -> list[tuple[str, bytes]]:
    """(eventID, body) of the events with these eventIDs that `visible` allows, in visibility order:
    not error declarations, nor copies their organisation declared erroneous (by `recorded_by`)."""
    test, tested = visibility_filter(visible)
    horizon, horizon_params = (
        (" AND d.record_time <= ?", [recorded_by]) if recorded_by is not None else ("", [])
    )
    sql = (
        f"SELECT e.id, e.event_id, e.body FROM events AS e WHERE e.event_id IN ({{}}) AND e.declaration = 0 "
        f"AND ({test}) AND NOT EXISTS (SELECT 1 FROM events AS d WHERE {_VOIDS}{horizon})"
    )
    rows = sorted(batched_rows(sql, event_ids, conn, trailing=[*tested, *horizon_params]))
    return [(event_id, bytes(body)) for _, event_id, body in rows]


def explore(
    conn: sqlite3.Connection,
    start: Collection[str],
    recorded_by: int | None,
    step: Callable[[list[StoredEdge]], Collection[str]],
    hops: int,
    visible: Visibility | None,
    selection: EdgeSelection,
    then: Callable[[sqlite3.Connection], T],
) -> T:
    """The walk of `EventStore.explore_lineage`, then `then`, in one read transaction (one snapshot of
    the store)."""
    nodes = list(start)
    conn.execute("BEGIN")
    try:
        for _ in range(hops):
            if not nodes:
                break
            nodes = list(step(edges_of(conn, nodes, recorded_by, visible, selection)))
        return then(conn)
    finally:
        conn.execute("COMMIT")


def version(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM meta WHERE name = 'lineage_version'").fetchone()
    return int(row[0]) if row else 0


def rebuild(
    conn: sqlite3.Connection, derive: Callable[[bytes], Sequence[LineageEdge]], to_version: int
) -> int:
    """Derive every event's edges again, in one transaction."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("DELETE FROM lineage")
        count, last = 0, 0
        while True:
            batch = conn.execute(
                "SELECT id, body FROM events WHERE id > ? AND declaration = 0 ORDER BY id LIMIT 5000", (last,)
            ).fetchall()
            if not batch:
                break
            conn.executemany(INSERT, rows((row, derive(body)) for row, body in batch))
            count += len(batch)
            last = batch[-1][0]
        conn.execute(
            "INSERT INTO meta (name, value) VALUES ('lineage_version', ?) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (to_version,),
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return count
