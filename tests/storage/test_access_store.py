"""Where keys, organisations and grants are kept: the same promises on SQLite and MongoDB."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from epcis_repo.auth.access import AccessStore, SqliteAccessStore
from epcis_repo.auth.keys import digest, new_key
from epcis_repo.auth.model import Grant, GrantScope, Organisation, Role


async def test_a_key_is_found_by_the_digest_of_its_secret_until_revoked(access_store: AccessStore) -> None:
    key, record = new_key("org-a", frozenset({Role.QUERY, Role.CAPTURE}))
    await access_store.add_key(record)
    assert await access_store.key_by_digest(digest(key)) == record
    assert await access_store.key_by_digest(digest(key + "x")) is None
    assert await access_store.revoke_key(record.key_id, 5)
    assert not await access_store.revoke_key(record.key_id, 6)  # already revoked
    assert not await access_store.revoke_key("nope", 6)
    found = await access_store.key_by_digest(digest(key))
    assert found is not None and found.revoked_at == 5 and found.roles == record.roles


async def test_organisations_are_set_whole_and_listed_by_id(access_store: AccessStore) -> None:
    await access_store.set_organisation(Organisation("org-b", ("https://id.gs1.org/417/8934567000002",)))
    await access_store.set_organisation(Organisation("org-a", ("x", "y")))
    await access_store.set_organisation(Organisation("org-a", ("z",)))
    assert await access_store.standing("org-a") == (Organisation("org-a", ("z",)), [])
    assert await access_store.standing("org-c") == (None, [])
    assert [o.id for o in await access_store.list_organisations()] == ["org-a", "org-b"]


async def test_grants_are_found_by_grantee_and_revoked(access_store: AccessStore) -> None:
    scope = GrantScope(
        ("https://id.gs1.org/01/08934567123457",), ("https://ref.gs1.org/cbv/BizStep-shipping",), 1, 9
    )
    await access_store.add_grant(Grant("g1", "org-a", "org-b", scope, 1))
    await access_store.add_grant(Grant("g2", "org-a", "auditor", GrantScope(), 2))
    assert await access_store.standing("org-b") == (None, [Grant("g1", "org-a", "org-b", scope, 1)])
    assert [g.grant_id for g in await access_store.list_grants()] == ["g1", "g2"]
    assert await access_store.revoke_grant("g1") and not await access_store.revoke_grant("g1")
    assert await access_store.standing("org-b") == (None, [])


async def test_sqlite_lookups_see_what_another_process_changed_at_once(tmp_path: Path) -> None:
    # The command line manages keys and grants while the repository serves: a revoked key must be
    # refused at the next request, whichever connection reads it.
    serving, managing = (
        SqliteAccessStore(tmp_path / "access.sqlite3"),
        SqliteAccessStore(tmp_path / "access.sqlite3"),
    )
    try:
        key, record = new_key("org-a", frozenset({Role.QUERY}))
        await managing.add_key(record)
        assert await serving.key_by_digest(digest(key)) == record
        await managing.revoke_key(record.key_id, 7)
        found = await serving.key_by_digest(digest(key))
        assert found is not None and found.revoked_at == 7
        await managing.set_organisation(Organisation("org-a", ("x",)))
        assert await serving.standing("org-a") == (Organisation("org-a", ("x",)), [])
    finally:
        serving.close()
        managing.close()


async def test_a_sqlite_lookup_of_a_busy_file_is_made_on_the_worker_thread(tmp_path: Path) -> None:
    # A reader in WAL mode is busy only in rare moments (another process recovering the log of a
    # crashed one), which a test cannot bring about on time: the reading connection is made busy here.
    store = SqliteAccessStore(tmp_path / "access.sqlite3")
    try:
        key, record = new_key("org-a", frozenset({Role.QUERY}))
        await store.add_key(record)
        store._reader = _Busy()  # type: ignore[assignment]
        assert await store.key_by_digest(digest(key)) == record
        assert await store.standing("org-a") == (None, [])
        store._reader = _Broken()  # type: ignore[assignment]
        with pytest.raises(sqlite3.OperationalError, match="disk I/O error"):
            await store.key_by_digest(digest(key))  # any other error is not waited out
    finally:
        store._reader = sqlite3.connect(":memory:")  # type: ignore[assignment]
        store.close()


class _Busy:
    def execute(self, *_: object) -> None:
        error = sqlite3.OperationalError("database is locked")
        error.sqlite_errorcode = sqlite3.SQLITE_BUSY  # type: ignore[attr-defined]
        raise error

    def close(self) -> None: ...


class _Broken(_Busy):
    def execute(self, *_: object) -> None:
        error = sqlite3.OperationalError("disk I/O error")
        error.sqlite_errorcode = sqlite3.SQLITE_IOERR  # type: ignore[attr-defined]
        raise error
