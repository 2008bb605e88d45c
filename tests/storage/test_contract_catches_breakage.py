"""The contract suite has teeth: its tests fail on stores broken on purpose.

Each broken store is the SQLite store with one promise of the port taken away; the contract test
that guards that promise must fail on it, and pass on the store as it is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from epcis_repo.query.model import Cursor, EventQuery
from epcis_repo.storage.port import (
    AppendResult,
    CaptureJob,
    EventRecord,
    EventStore,
    Settle,
    StoredEvent,
)
from epcis_repo.storage.sqlite import SqliteEventStore
from tests.storage import test_contract as contract

Check = Callable[[EventStore], Awaitable[None]]


class SkipsOneEventPerPage(SqliteEventStore):
    """Every page after the first leaves out the event that should open it."""

    async def find_events(self, query: EventQuery, after: Cursor | None, limit: int) -> list[StoredEvent]:
        page = await super().find_events(query, after, limit + 1)
        return page[1:] if after is not None else page[:limit]


class RepeatsTheCursorEvent(SqliteEventStore):
    """The cursor is taken as inclusive: each page repeats the last event of the one before."""

    async def find_events(self, query: EventQuery, after: Cursor | None, limit: int) -> list[StoredEvent]:
        if after is not None:
            after = Cursor(after.commit, after.position - 1)
        return await super().find_events(query, after, limit)


class PublishesBeforeSettling(SqliteEventStore):
    """Commits the capture first and settles its job afterwards: readers see it while it settles."""

    async def _append(
        self,
        records: Sequence[EventRecord],
        job: CaptureJob,
        settle: Settle,
        *stored_with_them: Any,  # master data, company prefixes
    ) -> AppendResult:
        async def nothing(result: AppendResult) -> None:
            return None

        result = await super()._append(records, job, nothing, *stored_with_them)
        await settle(result)
        return result


PAGING = contract.test_pages_follow_the_cursor_without_gaps_or_repeats_while_capture_goes_on
VISIBILITY = contract.test_readers_see_nothing_of_a_capture_until_it_is_settled


async def outcome(store: SqliteEventStore, check: Check) -> AssertionError | None:
    await store.open()
    try:
        await check(store)
    except AssertionError as failure:
        return failure
    finally:
        await store.close()
    return None


@pytest.mark.parametrize(
    ("broken", "check"),
    [
        pytest.param(SkipsOneEventPerPage, PAGING, id="paging-skips-an-event"),
        pytest.param(RepeatsTheCursorEvent, PAGING, id="paging-repeats-an-event"),
        pytest.param(PublishesBeforeSettling, VISIBILITY, id="visible-before-settled"),
    ],
)
async def test_a_contract_test_fails_on_a_broken_store(
    broken: type[SqliteEventStore], check: Check, tmp_path: Path
) -> None:
    assert await outcome(broken(tmp_path / "events.sqlite3"), check) is not None


@pytest.mark.parametrize("check", [PAGING, VISIBILITY], ids=["paging", "visibility"])
async def test_the_same_contract_test_passes_on_the_store_as_it_is(check: Check, tmp_path: Path) -> None:
    assert await outcome(SqliteEventStore(tmp_path / "events.sqlite3"), check) is None
