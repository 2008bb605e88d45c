"""Reading events from the SQLite store: conditions become SQL over indexes, pages follow a cursor.

Event rows are numbered in visibility order, so `events.id` order is (commit, position) order, and
since SQLite ends every index with the rowid, an equality index lists its matches in visibility
order: such a page is an index range read up to `limit`, and a cursor becomes a lower bound on `id`.
(The eventID index orders the few events of one eventID by organisation first: they are sorted.)
Ranges, key patterns and facts list theirs by value; `_page_ids` chooses how to read those.

Where each field lives: columns of `events` (one value per event); `event_keys (field, key, event)`
for identifier roles and text facts; `event_numbers (field, number, event)` for numeric facts. A
union of roles (anyEPC, anyEPCClass) is not stored: it is read from its roles (`stored_fields`).
User values only ever reach SQL as bound parameters.
"""

from __future__ import annotations

import functools
import math
import re
import sqlite3
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from epcis_repo.epcis.identifiers import KeyMatch
from epcis_repo.query.model import (
    UNIONS,
    AnyNumber,
    AnyOf,
    Condition,
    Cursor,
    EventQuery,
    Exists,
    InRange,
    MatchesKey,
    Order,
    Visibility,
    is_numeric,
)
from epcis_repo.storage.port import StoredEvent
from epcis_repo.storage.sqlite.schema import COLUMNS

BATCH = 500  # values per IN list when looking up many keys
_INT64 = (-(2**63), 2**63 - 1)
# Reading a page (_page_ids): most matches a condition may have to drive the query by its index, and
# how many events are read in visibility order before an index takes over.
_DRIVER_MAX = 20_000
_IN_ORDER_FIRST = 20_000


_STORED_FIELDS = {str(union): tuple(str(part) for part in parts) for union, parts in UNIONS.items()}


def stored_fields(field: str) -> tuple[str, ...]:
    """The event_keys fields that hold a key field's keys: its roles, for a union."""
    return _STORED_FIELDS.get(field, (field,))


def register_functions(conn: sqlite3.Connection) -> None:
    conn.create_function("epcis_tail_matches", 3, _tail_matches, deterministic=True)


@functools.lru_cache(maxsize=256)
def _tail_pattern(tail: str) -> re.Pattern[str]:
    return re.compile(tail)


def _tail_matches(key: object, start: object, tail: object) -> int:
    """Whether `key` after its first `start` characters fully matches `tail` (see KeyMatch.matches)."""
    if not isinstance(key, str) or not isinstance(start, int) or not isinstance(tail, str):
        return 0
    return int(_tail_pattern(tail).fullmatch(key[start:]) is not None)


# --- pages of events ----------------------------------------------------------------------------------


def find_events(
    query: EventQuery, after: Cursor | None, limit: int, conn: sqlite3.Connection
) -> list[StoredEvent]:
    conn.execute("BEGIN")  # one snapshot for the steps below
    try:
        after_id = _after_id(after, conn)
        conditions = _with_visibility(query)
        if query.order is None:
            ids = _page_ids(conditions, after_id, clamp(limit, 0), conn)
        else:
            value = after.value if after is not None else None
            ids = _ordered_ids(conditions, query.order, value, after_id, clamp(limit, 0), conn)
        found: dict[int, StoredEvent] = {}
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            rows = conn.execute(
                "SELECT id, event_id, record_time, body, commit_no, position, event_time FROM events "
                f"WHERE id IN ({marks(len(chunk))})",
                chunk,
            )
            for row_id, event_id, record_time, body, commit, position, event_time in rows:
                sort_value = None
                if query.order is not None:
                    sort_value = event_time if query.order.field == "eventTime" else record_time
                found[row_id] = StoredEvent(
                    event_id, record_time, bytes(body), Cursor(commit, position, sort_value)
                )
    finally:
        conn.execute("COMMIT")
    return [found[i] for i in ids]


def count_events(query: EventQuery, cap: int, conn: sqlite3.Connection) -> int:
    conn.execute("BEGIN")
    try:
        return len(_page_ids(_with_visibility(query), 0, clamp(cap, 0), conn))
    finally:
        conn.execute("COMMIT")


def _after_id(after: Cursor | None, conn: sqlite3.Connection) -> int:
    """The last event at or before the cursor (ids follow visibility order), even if it names none."""
    if after is None:
        return 0
    row = conn.execute(
        """SELECT id FROM events WHERE (commit_no, position) <= (?, ?)
           ORDER BY commit_no DESC, position DESC LIMIT 1""",
        (clamp(after.commit), clamp(after.position)),
    ).fetchone()
    return int(row[0]) if row else 0


class _Span(NamedTuple):
    """The ids a read may return: after `after`, up to `until` (None: no end)."""

    after: int
    until: int | None = None

    def clause(self, column: str) -> tuple[str, list[object]]:
        if self.until is None:
            return f"{column} > ?", [self.after]
        return f"{column} > ? AND {column} <= ?", [self.after, self.until]


@dataclass(frozen=True, slots=True)
class _InWindow:
    """An equality on a column and an eventTime range, read together from the (column, event_time)
    index: the commonest query, a business step or a place within a time window."""

    equal: AnyOf
    window: InRange

    @property
    def field(self) -> str:
        return self.equal.field


@dataclass(frozen=True, slots=True)
class _Visible:
    """The events a caller may see (EventQuery.visible): those of which some group's conditions all
    hold. As a driver, the union of each group's first condition (the visibility builder puts an
    indexed one first); always tested as a filter too."""

    groups: Visibility

    @property
    def field(self) -> str:
        return "(visible)"


def _with_visibility(query: EventQuery) -> list[_Filterable]:
    conditions: list[_Filterable] = list(query.conditions)
    if query.visible is not None:
        conditions.append(_Visible(query.visible))
    return conditions


def visibility_filter(visible: Visibility | None) -> tuple[str, list[object]]:
    """SQL testing an event row `e` against a visibility (``1`` when there is none)."""
    return ("1", []) if visible is None else _filter(_Visible(visible), equality_index=False)


_Filterable = Condition | _Visible
_Candidate = Condition | _InWindow | _Visible
# Columns with an index (column, event_time) (schema migration 5).
_TIMED = frozenset({"type", "action", "bizStep", "disposition", "readPoint", "bizLocation"})


def _page_ids(
    conditions: Sequence[_Filterable], after_id: int, limit: int, conn: sqlite3.Connection
) -> list[int]:
    """The ids of the first `limit` matching events after `after_id`.

    Two ways to read them. By an index: the matches of one condition (an index range or key lookup)
    are collected and then read in id order against the other conditions; it costs as much as that
    condition matches. In visibility order: events are read from the cursor on and filtered, stopping
    at `limit`; it costs about `limit` divided by the share of events that match, which is little
    when matches are dense, and most of the table when they are rare or all late. SQLite cannot tell
    (it keeps no range statistics), so capped counts on the indexes decide: the condition with the
    fewest matches drives by its index when they are few (at most `_DRIVER_MAX`) and not so dense
    that reading in order is cheaper; otherwise a bounded stretch is read in visibility order and, if
    the page is not full, the rest by the index of the least broad condition.

    Before that, ranges on one column are merged (one value per event, so both bounds hold for
    it), and recordTime bounds become id bounds: ids follow visibility order, and recordTime only
    grows with it.
    """
    if limit == 0:
        return []
    conditions = _merged(conditions)
    span = _record_time_span(conditions, _Span(after_id), conn)
    if span is None:
        return []
    conditions = [c for c in conditions if c.field != "recordTime"]
    windows = _windows(conditions)
    # A column equality within the window never matches more than the window: only it is counted.
    covered = {id(w.window) for w in windows}
    candidates: list[_Candidate] = [*windows, *(c for c in conditions if id(c) not in covered)]
    # An index drives only if its matches are at most `most`: counting further changes nothing.
    most = min(_DRIVER_MAX, math.isqrt(limit * _remaining(span, conn)))
    driver = _driver(candidates, span, conn, most)
    if driver is None:
        return []
    if driver is _NO_DRIVER:
        return _in_order(conditions, span, limit, conn)
    count, condition = driver
    if count > most:
        stretch = _Span(span.after, _earliest(span.until, span.after + _IN_ORDER_FIRST))
        ids = _in_order(conditions, stretch, limit, conn)
        if len(ids) == limit or stretch.until == span.until:
            return ids
        # The rest by the least broad index, counted in full now that it is needed.
        rest = _Span(stretch.until or span.after, span.until)
        narrowest = _driver(candidates, rest, conn)
        if narrowest is None or narrowest is _NO_DRIVER:
            return ids
        return ids + _by_index(narrowest[1], conditions, rest, limit - len(ids), conn)
    return _by_index(condition, conditions, span, limit, conn)


_NO_DRIVER = (0, AnyOf("type", ()))


def _merged(conditions: Sequence[_Filterable]) -> list[_Filterable]:
    """Ranges on one column become one range (a column holds one value per event)."""
    ranges: dict[str, InRange] = {}
    others: list[_Filterable] = []
    for condition in conditions:
        if isinstance(condition, InRange) and condition.field in COLUMNS:
            known = ranges.get(condition.field)
            ranges[condition.field] = condition if known is None else _intersection(known, condition)
        else:
            others.append(condition)
    return [*ranges.values(), *others]


def _intersection(a: InRange, b: InRange) -> InRange:
    def tighter(x: float | None, y: float | None, pick: Callable[[float, float], float]) -> float | None:
        return y if x is None else x if y is None else pick(x, y)

    return InRange(
        a.field,
        ge=tighter(a.ge, b.ge, max),
        lt=tighter(a.lt, b.lt, min),
        gt=tighter(a.gt, b.gt, max),
        le=tighter(a.le, b.le, min),
    )


def _record_time_span(
    conditions: Sequence[_Filterable], span: _Span, conn: sqlite3.Connection
) -> _Span | None:
    """The span narrowed to the ids a recordTime range allows (None: no id can match)."""
    window = next((c for c in conditions if c.field == "recordTime"), None)
    if window is None:
        return span
    if not isinstance(window, InRange):
        return span if isinstance(window, Exists) else None  # recordTime equality: read as a filter
    after, until = span
    lower = [("record_time >= ?", window.ge), ("record_time > ?", window.gt)]
    upper = [("record_time < ?", window.lt), ("record_time <= ?", window.le)]
    for test, bound in lower:
        if bound is not None:
            row = conn.execute(f"SELECT min(id) FROM events WHERE {test}", (clamp(int(bound)),)).fetchone()
            if row[0] is None:
                return None
            after = max(after, int(row[0]) - 1)
    for test, bound in upper:
        if bound is not None:
            row = conn.execute(f"SELECT max(id) FROM events WHERE {test}", (clamp(int(bound)),)).fetchone()
            if row[0] is None:
                return None
            until = _earliest(until, int(row[0]))
    if until is not None and until <= after:
        return None
    return _Span(after, until)


def _windows(conditions: Sequence[_Filterable]) -> list[_InWindow]:
    window = next((c for c in conditions if isinstance(c, InRange) and c.field == "eventTime"), None)
    if window is None:
        return []
    return [
        _InWindow(c, window)
        for c in conditions
        if isinstance(c, AnyOf) and c.field in _TIMED and not _key_matches(c)[1]
    ]


def _earliest(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def _remaining(span: _Span, conn: sqlite3.Connection) -> int:
    """How many events a read in visibility order could meet (an upper bound)."""
    (last,) = conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()
    end = _earliest(span.until, int(last)) or 0
    return max(0, end - span.after)


def _driver(
    candidates: Sequence[_Candidate], span: _Span, conn: sqlite3.Connection, most: int | None = None
) -> tuple[int, _Candidate] | None:
    """The candidate with the fewest index entries in the span and its count, counted no further than
    `most` (`_DRIVER_MAX` when None): past it, which candidate is returned is not told.
    `_NO_DRIVER` when none is worth counting, None when one has no match at all."""
    most = _DRIVER_MAX if most is None else most
    best: tuple[int, _Candidate] | None = None
    for candidate in candidates:
        if not _indexed(candidate):
            continue
        # Only whether it beats the best so far matters: count no further.
        cap = most if best is None else min(best[0], most)
        count = _count(candidate, span, cap, conn)
        if count == 0:
            return None
        if best is None or count < best[0]:
            best = (count, candidate)
    return best if best is not None else _NO_DRIVER


def _ordered_ids(
    conditions: Sequence[_Filterable],
    order: Order,
    after_value: int | None,
    after_id: int,
    limit: int,
    conn: sqlite3.Connection,
) -> list[int]:
    """Like `_page_ids`, sorted by a time column (then id). A selective condition gives the candidates,
    sorted afterwards; otherwise the column's index is walked in order, filtering as it goes."""
    if limit == 0:
        return []
    column = "e." + COLUMNS[order.field]
    clauses: list[str] = []
    params: list[object] = []
    if after_value is not None:
        clauses.append(f"({column}, e.id) {'<' if order.descending else '>'} (?, ?)")
        params.extend([clamp(after_value), after_id])
    driver = _driver(conditions, _Span(0), conn)
    if driver is None:
        return []
    if driver is not _NO_DRIVER and driver[0] <= _DRIVER_MAX:
        arms = _arms(driver[1], _Span(0), tails=True)
        clauses.append(f"e.id IN ({' UNION ALL '.join(sql for sql, _ in arms)})")
        params.extend(value for _, values in arms for value in values)
        source = "events AS e"
    else:
        source = f"events AS e INDEXED BY events_{COLUMNS[order.field]}"
    for condition in conditions:
        clause, values = _filter(condition, equality_index=False)
        clauses.append(clause)
        params.extend(values)
    direction = "DESC" if order.descending else "ASC"
    sql = (
        f"SELECT e.id FROM {source} WHERE {' AND '.join(clauses) or '1'} "
        f"ORDER BY {column} {direction}, e.id {direction} LIMIT ?"
    )
    return [row[0] for row in conn.execute(sql, [*params, limit])]


def _in_order(
    conditions: Sequence[_Filterable], span: _Span, limit: int, conn: sqlite3.Connection
) -> list[int]:
    """The first `limit` matching events of the span, read in visibility order. When a condition asks
    for one key of one field, only the events holding it are read: its primary key lists them in
    that order, and they are the rows of a full read that could match."""
    streamed = next(((c, key) for c in conditions if (key := _single_key(c)) is not None), None)
    if streamed is None:
        source, order = "events AS e", "e.id"
        clause, params = span.clause("e.id")
        clauses = [clause]
    else:
        # CROSS JOIN: SQLite keeps the key's rows as the outer loop, so the order needs no sort.
        source, order = "event_keys AS s NOT INDEXED CROSS JOIN events AS e ON e.id = s.event", "s.event"
        clause, params = span.clause("s.event")
        clauses = ["s.field = ? AND s.key = ?", clause]
        params = [str(streamed[0].field), streamed[1], *params]
    for condition in conditions:
        if streamed is not None and condition is streamed[0]:
            continue
        clause, values = _filter(condition, equality_index=True)
        clauses.append(clause)
        params.extend(values)
    sql = f"SELECT e.id FROM {source} WHERE {' AND '.join(clauses)} ORDER BY {order} LIMIT ?"
    return [row[0] for row in conn.execute(sql, [*params, limit])]


def _single_key(condition: _Filterable) -> str | None:
    """The one key a condition on a stored key field (identifier role or text fact) asks for."""
    if not isinstance(condition, AnyOf | MatchesKey) or condition.field in COLUMNS:
        return None
    if is_numeric(str(condition.field)) or len(stored_fields(str(condition.field))) != 1:
        return None
    exact, ranges = _key_matches(condition)
    return exact[0] if len(exact) == 1 and not ranges else None


def _by_index(
    driver: _Candidate, conditions: Sequence[_Filterable], span: _Span, limit: int, conn: sqlite3.Connection
) -> list[int]:
    arms = _arms(driver, span, tails=True)
    if not arms:
        return []
    within, params = span.clause("e.id")
    clauses = [f"e.id IN ({' UNION ALL '.join(sql for sql, _ in arms)})", within]
    params = [value for _, values in arms for value in values] + params
    # What the driver's index read already ensures (a visibility driver only narrows: test it again).
    covered: tuple[object, ...] = (
        (driver.equal, driver.window)
        if isinstance(driver, _InWindow)
        else ()
        if isinstance(driver, _Visible)
        else (driver,)
    )
    for condition in conditions:
        if condition not in covered:
            clause, values = _filter(condition, equality_index=False)
            clauses.append(clause)
            params.extend(values)
    sql = f"SELECT e.id FROM events AS e WHERE {' AND '.join(clauses)} ORDER BY e.id LIMIT ?"
    return [row[0] for row in conn.execute(sql, [*params, limit])]


def _indexed(condition: _Candidate) -> bool:
    """Whether a condition is worth counting: a range, a key match, a list field, a fact, or a
    column equality within an eventTime window.

    (Equality on a column alone needs no count: its index lists the matches in visibility order.)
    """
    if isinstance(condition, _InWindow | _Visible):
        return True
    if condition.field in COLUMNS:
        if isinstance(condition, InRange):
            return any(
                bound is not None for bound in (condition.ge, condition.gt, condition.le, condition.lt)
            )
        return isinstance(condition, MatchesKey)
    return True


def _count(condition: _Candidate, span: _Span, cap: int, conn: sqlite3.Connection) -> int:
    """How many index entries the condition selects in the span, counting up to `cap` + 1 (key tails
    left out: they only narrow, and cost a call each)."""
    arms = _arms(condition, span, tails=False)
    if not arms:
        return 0
    sql = f"SELECT count(*) FROM ({' UNION ALL '.join(sql for sql, _ in arms)} LIMIT ?)"
    params = [value for _, values in arms for value in values]
    (count,) = conn.execute(sql, [*params, cap + 1]).fetchone()
    return int(count)


def _arms(condition: _Candidate, span: _Span, *, tails: bool) -> list[tuple[str, list[object]]]:
    """SELECTs, each one index search, whose union is the ids of the events matching `condition`
    in the span. SQLite would scan for an OR, hence one SELECT per shape. The indexes are named:
    planner statistics must not trade them for a scan in id order."""
    if isinstance(condition, _Visible):
        return [arm for group in condition.groups for arm in _arms(group[0], span, tails=tails)]
    if isinstance(condition, _InWindow):
        name = COLUMNS[condition.field]
        within, params = span.clause("r.id")
        exact, _ = _key_matches(condition.equal)
        bounds, times = _bounds("r.event_time", condition.window)
        sql = (
            f"SELECT r.id FROM events AS r INDEXED BY events_{name}_event_time "
            f"WHERE r.{name} IN ({marks(len(exact))}) AND {bounds} AND {within}"
        )
        return [(sql, [*exact, *times, *params])]
    field = str(condition.field)
    if field in COLUMNS:
        name = COLUMNS[field]
        within, params = span.clause("r.id")
        base = f"SELECT r.id FROM events AS r INDEXED BY events_{name} WHERE {within} AND "
        column = f"r.{name}"
        if isinstance(condition, Exists):
            return [(base + f"{column} IS NOT NULL", params)]
        if isinstance(condition, InRange):
            clause, values = _bounds(column, condition)
            return [(base + clause, [*params, *values])]
        if isinstance(condition, AnyNumber):
            return [
                (base + f"{column} BETWEEN ? AND ?", [*params, low, high]) for low, high in condition.ranges()
            ]
        return _key_arms(base, column, params, condition, tails)
    if is_numeric(field):
        # NOT INDEXED: by the primary key (field, number, event), never the (event, field) index.
        within, params = span.clause("n.event")
        base = f"SELECT n.event FROM event_numbers AS n NOT INDEXED WHERE n.field = ? AND {within} AND "
        if isinstance(condition, Exists):
            return [(base + "1", [field, *params])]
        if isinstance(condition, AnyNumber):
            return [
                (base + "n.number BETWEEN ? AND ?", [field, *params, low, high])
                for low, high in condition.ranges()
            ]
        assert isinstance(condition, InRange)
        clause, values = _bounds("n.number", condition)
        return [(base + clause, [field, *params, *values])]
    within, params = span.clause("k.event")
    roles = stored_fields(field)
    base = (
        f"SELECT k.event FROM event_keys AS k NOT INDEXED WHERE k.field IN ({marks(len(roles))}) "
        f"AND {within} AND "
    )
    if isinstance(condition, Exists):
        return [(base + "1", [*roles, *params])]
    if isinstance(condition, InRange | AnyNumber):
        return []
    return _key_arms(base, "k.key", [*roles, *params], condition, tails)


def _key_arms(
    base: str, column: str, params: list[object], condition: AnyOf | MatchesKey, tails: bool
) -> list[tuple[str, list[object]]]:
    exact, ranges = _key_matches(condition)
    arms: list[tuple[str, list[object]]] = []
    if exact:
        arms.append((base + f"{column} IN ({marks(len(exact))})", [*params, *exact]))
    for match in ranges:
        clause, values = _prefix_range(column, match, tails=tails)
        arms.append((base + clause, [*params, *values]))
    return arms


def _filter(condition: _Filterable, *, equality_index: bool) -> tuple[str, list[object]]:
    """The condition tested on each event row `e` read; it never brings a range index into play
    (unary +), and uses an equality index only when `equality_index`."""
    if isinstance(condition, _Visible):
        alternatives, params = [], list[object]()
        for group in condition.groups:
            tests = [_filter(c, equality_index=False) for c in group]
            alternatives.append("(" + " AND ".join(sql for sql, _ in tests) + ")")
            params.extend(value for _, values in tests for value in values)
        return "(" + (" OR ".join(alternatives) or "0") + ")", params
    field = str(condition.field)
    if field in COLUMNS:
        column = "e." + COLUMNS[field]
        if isinstance(condition, Exists):
            return f"+{column} IS NOT NULL", []
        if isinstance(condition, InRange):
            return _bounds("+" + column, condition)
        if isinstance(condition, AnyNumber):
            return _between("+" + column, condition)
        use_index = equality_index and isinstance(condition, AnyOf)
        return _key_test(column, condition, exact_by_index=use_index, ranges_by_index=False)
    if is_numeric(field):
        # The event's own numbers, through the (event, field) index.
        test, values = (
            ("1", []) if isinstance(condition, Exists) else _bounds("n.number", _as_range(condition))
        )
        return (
            "EXISTS (SELECT 1 FROM event_numbers AS n INDEXED BY event_numbers_event "
            f"WHERE n.event = e.id AND n.field = ? AND {test})",
            [field, *values],
        )
    if isinstance(condition, Exists):
        test, params = "1", []
    elif isinstance(condition, InRange | AnyNumber):
        return "0", []  # text is never a number
    else:
        test, params = _key_test("k.key", condition, exact_by_index=True, ranges_by_index=True)
    roles = stored_fields(field)
    return (
        "EXISTS (SELECT 1 FROM event_keys AS k INDEXED BY event_keys_event "
        f"WHERE k.event = e.id AND k.field IN ({marks(len(roles))}) AND {test})",
        [*roles, *params],
    )


def _key_test(
    column: str, condition: AnyOf | MatchesKey, *, exact_by_index: bool, ranges_by_index: bool
) -> tuple[str, list[object]]:
    """`column` equal to one of the condition's exact keys or under one of its prefixes; the column
    written `+column` where an index must not serve it."""
    exact, ranges = _key_matches(condition)
    alternatives = [f"{'' if exact_by_index else '+'}{column} IN ({marks(len(exact))})"] if exact else []
    params = list[object](exact)
    for match in ranges:
        clause, values = _prefix_range(("" if ranges_by_index else "+") + column, match, tails=True)
        alternatives.append(clause)
        params.extend(values)
    return "(" + (" OR ".join(alternatives) or "0") + ")", params


def _as_range(condition: Condition) -> InRange:
    assert isinstance(condition, InRange)
    return condition


def _bounds(column: str, condition: InRange) -> tuple[str, list[object]]:
    clauses, params = ["1"], list[object]()
    for operator, bound in (
        (">=", condition.ge),
        (">", condition.gt),
        ("<=", condition.le),
        ("<", condition.lt),
    ):
        if bound is not None:
            clauses.append(f"{column} {operator} ?")
            params.append(clamp(bound) if isinstance(bound, int) else bound)
    return " AND ".join(clauses), params


def _between(column: str, condition: AnyNumber) -> tuple[str, list[object]]:
    ranges = condition.ranges()
    clause = " OR ".join(f"{column} BETWEEN ? AND ?" for _ in ranges) or "0"
    return f"({clause})", [bound for pair in ranges for bound in pair]


def _key_matches(condition: AnyOf | MatchesKey) -> tuple[list[str], list[KeyMatch]]:
    """The exact keys and the prefix matches of a condition (none that no stored text can match)."""
    if isinstance(condition, AnyOf):
        return [v for v in dict.fromkeys(condition.values) if storable(v)], []
    exact = [m.prefix for m in condition.matches if m.exact and storable(m.prefix)]
    return list(dict.fromkeys(exact)), [m for m in condition.matches if not m.exact and storable(m.prefix)]


def _prefix_range(column: str, match: KeyMatch, *, tails: bool) -> tuple[str, list[object]]:
    """`column` starts with the literal prefix (an index range), and the rest fully matches the tail
    (checked only when `tails`)."""
    clauses, params = [f"{column} >= ?"], list[object]([match.prefix])
    upper = _prefix_upper_bound(match.prefix)
    if upper is not None:
        clauses.append(f"{column} < ?")
        params.append(upper)
    if tails and match.tail is not None:
        clauses.append(f"epcis_tail_matches({column.lstrip('+')}, ?, ?)")
        params.extend([len(match.prefix), match.tail])
    return "(" + " AND ".join(clauses) + ")", params


def _prefix_upper_bound(prefix: str) -> str | None:
    """The least string above every string that starts with `prefix`; None when there is none.

    SQLite compares text as UTF-8 bytes, which orders like code points. So the bound is the prefix
    with its last character raised by one code point, after dropping trailing U+10FFFF (they cannot
    be raised), and skipping the surrogates, which no stored (UTF-8) text contains.
    """
    stem = prefix.rstrip("\U0010ffff")
    if not stem:
        return None
    following = ord(stem[-1]) + 1
    if 0xD800 <= following <= 0xDFFF:
        following = 0xE000
    return stem[:-1] + chr(following)


# --- distinct values --------------------------------------------------------------------------------


def distinct_values(
    field: str, after: str | None, limit: int, visible: Visibility | None, conn: sqlite3.Connection
) -> list[str]:
    """One index seek per value: the least value above the previous one (with a visibility, values
    are read in order and each kept if an event the caller may see has it)."""
    if visible is not None:
        return _visible_values(field, after, limit, visible, conn)
    if field in COLUMNS:
        sql = f"SELECT min({COLUMNS[field]}) FROM events WHERE {COLUMNS[field]} > ?1"
        roles: tuple[str, ...] = ()
    else:
        # One seek per role (a min over several roles at once would scan them).
        roles = stored_fields(field)
        arms = " UNION ALL ".join(
            f"SELECT min(key) AS k FROM event_keys WHERE field = ?{n} AND key > ?1"
            for n in range(2, len(roles) + 2)
        )
        sql = f"SELECT min(k) FROM ({arms})"
    values: list[str] = []
    last = after if after is not None else ""
    conn.execute("BEGIN")
    try:
        while len(values) < limit:
            (value,) = conn.execute(sql, [last, *roles]).fetchone()
            if value is None:
                break
            values.append(value)
            last = value
    finally:
        conn.execute("COMMIT")
    return values


def _visible_values(
    field: str, after: str | None, limit: int, visible: Visibility, conn: sqlite3.Connection
) -> list[str]:
    test, params = visibility_filter(visible)
    if field in COLUMNS:
        column = COLUMNS[field]
        sql = (
            f"SELECT DISTINCT e.{column} FROM events AS e INDEXED BY events_{column} "
            f"WHERE e.{column} > ? AND {test} ORDER BY e.{column} LIMIT ?"
        )
        args: list[object] = [after or "", *params, clamp(limit, 0)]
    else:
        # Each role's keys come in order from its index; the compound merges them (UNION: distinct).
        arm = (
            "SELECT k.key FROM event_keys AS k JOIN events AS e ON e.id = k.event "
            f"WHERE k.field = ? AND k.key > ? AND {test}"
        )
        roles = stored_fields(field)
        sql = f"{' UNION '.join([arm] * len(roles))} ORDER BY 1 LIMIT ?"
        args = [value for role in roles for value in (role, after or "", *params)] + [clamp(limit, 0)]
    conn.execute("BEGIN")
    try:
        return [row[0] for row in conn.execute(sql, args)]
    finally:
        conn.execute("COMMIT")


# --- helpers ----------------------------------------------------------------------------------------


def batched_rows(
    sql: str,
    values: Collection[str],
    conn: sqlite3.Connection,
    *,
    fixed: Sequence[object] = (),
    trailing: Sequence[object] = (),
) -> Iterator[tuple[Any, ...]]:
    """The rows of `sql` (``{}`` standing for a list of placeholders, between the `fixed` and the
    `trailing` parameters) for these values, distinct and storable, in batches."""
    unique = [v for v in dict.fromkeys(values) if storable(v)]
    for start in range(0, len(unique), BATCH):
        chunk = unique[start : start + BATCH]
        yield from conn.execute(sql.format(marks(len(chunk))), [*fixed, *chunk, *trailing])


def lookup(
    sql: str, values: Collection[str], conn: sqlite3.Connection, *, fixed: Sequence[object] = ()
) -> set[str]:
    """The first column of `batched_rows`."""
    return {row[0] for row in batched_rows(sql, values, conn, fixed=fixed)}


def storable(value: str) -> bool:
    """Whether SQLite can hold the text: a lone surrogate cannot be UTF-8, so no stored value has one."""
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def marks(count: int) -> str:
    return ", ".join("?" * count)


def clamp(value: int, low: int = _INT64[0]) -> int:
    """An integer SQLite can bind, with its order kept (cursors and bounds may come from clients)."""
    return max(low, min(value, _INT64[1]))
