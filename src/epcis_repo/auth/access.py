"""Where keys, organisations and grants are kept: beside the events, but apart from the event store.

The command line manages them (`epcis-repo keys|orgs|grants`) while the repository serves, so they
live where two processes may share them: a small SQLite database of their own in the data folder
(the event store admits one process), or MongoDB collections.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar

import orjson

from epcis_repo.auth.model import ApiKey, Grant, GrantScope, Organisation, Role
from epcis_repo.settings import Settings

T = TypeVar("T")
ACCESS_FILE = "access.sqlite3"


class AccessStore(Protocol):
    async def add_key(self, key: ApiKey) -> None: ...

    async def key_by_digest(self, digest: str) -> ApiKey | None: ...

    async def list_keys(self) -> list[ApiKey]: ...

    async def revoke_key(self, key_id: str, at: int) -> bool:
        """Whether a key with that id was active."""

    async def set_organisation(self, organisation: Organisation) -> None: ...

    async def standing(self, organisation_id: str) -> tuple[Organisation | None, list[Grant]]:
        """What decides what an organisation sees, read together: its record (its identifiers), if
        registered, and the grants made to it."""

    async def list_organisations(self) -> list[Organisation]: ...

    async def add_grant(self, grant: Grant) -> None: ...

    async def list_grants(self) -> list[Grant]: ...

    async def revoke_grant(self, grant_id: str) -> bool: ...


@asynccontextmanager
async def open_configured_access(settings: Settings) -> AsyncIterator[AccessStore]:
    if settings.mongodb_uri:
        from pymongo import AsyncMongoClient

        client: Any = AsyncMongoClient(settings.mongodb_uri)
        try:
            store = MongoAccessStore(client[settings.mongodb_database])
            await store.open()
            yield store
        finally:
            await client.close()
        return
    sqlite_store = SqliteAccessStore(settings.data_dir / ACCESS_FILE)
    try:
        yield sqlite_store
    finally:
        sqlite_store.close()


# --- SQLite -------------------------------------------------------------------------------------------

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS api_keys (
        key_id TEXT PRIMARY KEY,
        organisation TEXT NOT NULL,
        roles TEXT NOT NULL,
        digest TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
    )""",
    "CREATE TABLE IF NOT EXISTS organisations (id TEXT PRIMARY KEY, identifiers BLOB NOT NULL)",
    """CREATE TABLE IF NOT EXISTS grants (
        grant_id TEXT PRIMARY KEY,
        grantor TEXT NOT NULL,
        grantee TEXT NOT NULL,
        scope BLOB NOT NULL,
        created_at INTEGER NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS grants_grantee ON grants (grantee)",
)


_BUSY = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


class SqliteAccessStore:
    """Several processes share the file (WAL). Writes and listings go through one connection on a
    worker thread, one at a time. The two reads of every request (its key, its organisation's
    standing) are index lookups of a few microseconds: they are made at once on the caller's thread,
    through a read-only connection of their own, since a hand-off to a thread costs some hundred
    microseconds. In WAL mode a reader does not wait for writers; in the rare case the file is
    busy all the same (another process recovering the log of a crashed one), the read is made on the
    worker thread, which waits for it: the event loop never does."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA busy_timeout = 10000")
        for statement in _SCHEMA:
            self._conn.execute(statement)
        # Used by the event loop's thread only (SQLite serialises any other use); never waits (timeout 0).
        self._reader = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
        self._reader.execute("PRAGMA query_only = ON")

    def close(self) -> None:
        with self._lock:
            try:
                self._conn.close()
            finally:
                self._reader.close()

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        def locked() -> T:
            with self._lock:
                return work(self._conn)

        return await asyncio.to_thread(locked)

    async def _lookup(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """A read of a few index entries, made at once (see the class)."""
        try:
            return work(self._reader)
        except sqlite3.OperationalError as error:
            # The primary code of the extended one (SQLITE_BUSY_RECOVERY is a SQLITE_BUSY); errors of
            # the sqlite3 module itself have none.
            if getattr(error, "sqlite_errorcode", 0) & 0xFF not in _BUSY:
                raise
        return await self._run(work)

    async def add_key(self, key: ApiKey) -> None:
        await self._run(
            lambda c: c.execute(
                "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, ?)",
                (key.key_id, key.organisation, _roles(key.roles), key.digest, key.created_at, key.revoked_at),
            )
        )

    async def key_by_digest(self, digest: str) -> ApiKey | None:
        row = await self._lookup(
            lambda c: c.execute("SELECT * FROM api_keys WHERE digest = ?", (digest,)).fetchone()
        )
        return _key(*row) if row else None

    async def list_keys(self) -> list[ApiKey]:
        rows = await self._run(lambda c: c.execute("SELECT * FROM api_keys ORDER BY created_at").fetchall())
        return [_key(*row) for row in rows]

    async def revoke_key(self, key_id: str, at: int) -> bool:
        cursor = await self._run(
            lambda c: c.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL", (at, key_id)
            )
        )
        return bool(cursor.rowcount)

    async def set_organisation(self, organisation: Organisation) -> None:
        await self._run(
            lambda c: c.execute(
                "INSERT INTO organisations VALUES (?, ?) "
                "ON CONFLICT (id) DO UPDATE SET identifiers = excluded.identifiers",
                (organisation.id, orjson.dumps(list(organisation.identifiers))),
            )
        )

    async def standing(self, organisation_id: str) -> tuple[Organisation | None, list[Grant]]:
        def read(c: sqlite3.Connection) -> tuple[Organisation | None, list[Grant]]:
            c.execute("BEGIN")  # one snapshot for both
            try:
                row = c.execute("SELECT * FROM organisations WHERE id = ?", (organisation_id,)).fetchone()
                grants = c.execute("SELECT * FROM grants WHERE grantee = ?", (organisation_id,)).fetchall()
            finally:
                c.execute("ROLLBACK")  # nothing written; and no snapshot is kept past the read
            organisation = Organisation(row[0], tuple(orjson.loads(row[1]))) if row else None
            return organisation, [_grant(*grant) for grant in grants]

        return await self._lookup(read)

    async def list_organisations(self) -> list[Organisation]:
        rows = await self._run(lambda c: c.execute("SELECT * FROM organisations ORDER BY id").fetchall())
        return [Organisation(i, tuple(orjson.loads(ids))) for i, ids in rows]

    async def add_grant(self, grant: Grant) -> None:
        await self._run(
            lambda c: c.execute(
                "INSERT INTO grants VALUES (?, ?, ?, ?, ?)",
                (
                    grant.grant_id,
                    grant.grantor,
                    grant.grantee,
                    orjson.dumps(_scope_fields(grant.scope)),
                    grant.created_at,
                ),
            )
        )

    async def list_grants(self) -> list[Grant]:
        rows = await self._run(lambda c: c.execute("SELECT * FROM grants ORDER BY created_at").fetchall())
        return [_grant(*row) for row in rows]

    async def revoke_grant(self, grant_id: str) -> bool:
        cursor = await self._run(lambda c: c.execute("DELETE FROM grants WHERE grant_id = ?", (grant_id,)))
        return bool(cursor.rowcount)


def _roles(roles: frozenset[Role]) -> str:
    return ",".join(sorted(roles))


def _key(
    key_id: str, organisation: str, roles: str, digest: str, created_at: int, revoked_at: int | None
) -> ApiKey:
    return ApiKey(
        key_id,
        organisation,
        frozenset(Role(r) for r in roles.split(",") if r),
        digest,
        created_at,
        revoked_at,
    )


def _scope_fields(scope: GrantScope) -> dict[str, Any]:
    """A grant's scope as stored: a JSON column in SQLite, a subdocument in MongoDB."""
    return {
        "products": list(scope.products),
        "bizSteps": list(scope.biz_steps),
        "from": scope.from_time,
        "until": scope.until_time,
    }


def _scope(fields: dict[str, Any]) -> GrantScope:
    return GrantScope(
        tuple(fields.get("products", ())),
        tuple(fields.get("bizSteps", ())),
        fields.get("from"),
        fields.get("until"),
    )


def _grant(grant_id: str, grantor: str, grantee: str, scope: bytes, created_at: int) -> Grant:
    return Grant(grant_id, grantor, grantee, _scope(orjson.loads(scope)), created_at)


# --- MongoDB ------------------------------------------------------------------------------------------


class MongoAccessStore:
    def __init__(self, database: Any) -> None:
        self._keys = database["apiKeys"]
        self._organisations = database["organisations"]
        self._grants = database["grants"]

    async def open(self) -> None:
        from pymongo import ASCENDING, IndexModel

        await self._keys.create_indexes([IndexModel([("digest", ASCENDING)], name="digest", unique=True)])
        await self._grants.create_indexes([IndexModel([("grantee", ASCENDING)], name="grantee")])

    async def add_key(self, key: ApiKey) -> None:
        await self._keys.insert_one(
            {
                "_id": key.key_id,
                "organisation": key.organisation,
                "roles": sorted(key.roles),
                "digest": key.digest,
                "createdAt": key.created_at,
                "revokedAt": key.revoked_at,
            }
        )

    async def key_by_digest(self, digest: str) -> ApiKey | None:
        doc = await self._keys.find_one({"digest": digest})
        return _mongo_key(doc) if doc else None

    async def list_keys(self) -> list[ApiKey]:
        return [_mongo_key(doc) async for doc in self._keys.find({}).sort("createdAt", 1)]

    async def revoke_key(self, key_id: str, at: int) -> bool:
        result = await self._keys.update_one({"_id": key_id, "revokedAt": None}, {"$set": {"revokedAt": at}})
        return bool(result.modified_count)

    async def set_organisation(self, organisation: Organisation) -> None:
        await self._organisations.update_one(
            {"_id": organisation.id}, {"$set": {"identifiers": list(organisation.identifiers)}}, upsert=True
        )

    async def standing(self, organisation_id: str) -> tuple[Organisation | None, list[Grant]]:
        doc = await self._organisations.find_one({"_id": organisation_id})
        grants = [_mongo_grant(grant) async for grant in self._grants.find({"grantee": organisation_id})]
        return (Organisation(doc["_id"], tuple(doc.get("identifiers", ()))) if doc else None), grants

    async def list_organisations(self) -> list[Organisation]:
        found = self._organisations.find({}).sort("_id", 1)
        return [Organisation(doc["_id"], tuple(doc.get("identifiers", ()))) async for doc in found]

    async def add_grant(self, grant: Grant) -> None:
        await self._grants.insert_one(
            {
                "_id": grant.grant_id,
                "grantor": grant.grantor,
                "grantee": grant.grantee,
                "scope": _scope_fields(grant.scope),
                "createdAt": grant.created_at,
            }
        )

    async def list_grants(self) -> list[Grant]:
        return [_mongo_grant(doc) async for doc in self._grants.find({}).sort("createdAt", 1)]

    async def revoke_grant(self, grant_id: str) -> bool:
        result = await self._grants.delete_one({"_id": grant_id})
        return bool(result.deleted_count)


def _mongo_key(doc: dict[str, Any]) -> ApiKey:
    return ApiKey(
        doc["_id"],
        doc["organisation"],
        frozenset(Role(r) for r in doc["roles"]),
        doc["digest"],
        doc["createdAt"],
        doc.get("revokedAt"),
    )


def _mongo_grant(doc: dict[str, Any]) -> Grant:
    return Grant(doc["_id"], doc["grantor"], doc["grantee"], _scope(doc["scope"]), doc["createdAt"])
