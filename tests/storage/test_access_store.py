"""Where keys, organisations and grants are kept: the same promises on SQLite and MongoDB."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from epcis_repo.auth.access import ACCESS_FILE, AccessStore, SqliteAccessStore
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


async def test_sqlite_lookups_see_what_the_command_line_changed_at_once(tmp_path: Path) -> None:
    # The command line manages keys and grants in another process while the repository serves: a
    # revoked key must be refused, and a grant count, from the next request.
    serving = SqliteAccessStore(tmp_path / ACCESS_FILE)
    try:
        key, record = new_key("org-a", frozenset({Role.QUERY}))
        await serving.add_key(record)
        assert await serving.key_by_digest(digest(key)) == record
        assert await serving.standing("org-b") == (None, [])
        _command_line(tmp_path, "keys", "revoke", record.key_id)
        found = await serving.key_by_digest(digest(key))
        assert found is not None and found.revoked_at is not None
        _command_line(tmp_path, "orgs", "set", "org-b", "--identifier", "urn:epc:id:pgln:8934567.00000")
        _command_line(tmp_path, "grants", "create", "--from", "org-a", "--to", "org-b")
        organisation, [grant] = await serving.standing("org-b")
        assert organisation is not None and organisation.id == "org-b" and len(organisation.identifiers) == 1
        assert (grant.grantor, grant.grantee) == ("org-a", "org-b")
    finally:
        serving.close()


def _command_line(data_dir: Path, *arguments: str) -> None:
    command = [sys.executable, "-m", "epcis_repo", *arguments, "--data-dir", str(data_dir)]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("EPCIS_")}
    subprocess.run(command, env=environment, check=True, capture_output=True)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="holds the log index's locks the POSIX way (fcntl)")
async def test_a_sqlite_lookup_of_a_busy_file_waits_on_the_worker_thread_not_the_event_loop(
    tmp_path: Path,
) -> None:
    # A reader in WAL mode is busy only while another process recovers the log index (after a
    # crash). Such a process is played here: it holds the index's locks (bytes 120 to 127 of the
    # -shm file, SQLite's WAL format) for a while, the index header cleared as a crash leaves it.
    store = SqliteAccessStore(tmp_path / ACCESS_FILE)
    try:
        key, record = new_key("org-a", frozenset({Role.QUERY}))
        await store.add_key(record)
        assert await store.key_by_digest(digest(key)) == record
        with subprocess.Popen(
            [sys.executable, "-c", _HOLD_THE_INDEX, str(tmp_path / f"{ACCESS_FILE}-shm"), "1.0"],
            stdout=subprocess.PIPE,
            text=True,
        ) as holder:
            assert holder.stdout is not None and holder.stdout.readline() == "held\n"
            gaps: list[float] = []

            async def ticking() -> None:
                last = time.perf_counter()
                while True:
                    await asyncio.sleep(0.01)
                    gaps.append(time.perf_counter() - last)
                    last = time.perf_counter()

            ticker = asyncio.create_task(ticking())
            began = time.perf_counter()
            assert await store.key_by_digest(digest(key)) == record  # once the holder let go
            waited = time.perf_counter() - began
            ticker.cancel()
        assert waited > 0.5  # it did wait for the holder ...
        assert max(gaps) < 0.3  # ... but not on the event loop, which kept running
    finally:
        store.close()


_HOLD_THE_INDEX = """
import fcntl, mmap, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 8, 120)
index = mmap.mmap(fd, 32768)
index[0:96] = bytes(96)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


async def test_a_sqlite_lookup_fails_at_once_on_any_other_error(tmp_path: Path) -> None:
    store = SqliteAccessStore(tmp_path / ACCESS_FILE)
    reader = store._reader
    try:
        store._reader = _Broken()  # type: ignore[assignment]
        with pytest.raises(sqlite3.OperationalError, match="disk I/O error"):
            await store.key_by_digest(digest("epcis_x"))
    finally:
        store._reader = reader
        store.close()


class _Broken:
    def execute(self, *_: object) -> None:
        error = sqlite3.OperationalError("disk I/O error")
        error.sqlite_errorcode = sqlite3.SQLITE_IOERR_READ  # type: ignore[attr-defined]
        raise error
