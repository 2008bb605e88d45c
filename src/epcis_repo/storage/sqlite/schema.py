"""The SQLite store's schema: versioned, migrated in order when a store opens."""

from __future__ import annotations

import sqlite3

from epcis_repo.storage.port import StorageError

# The columns of the events table that hold one query field each.
COLUMNS: dict[str, str] = {
    "type": "type",
    "eventTime": "event_time",
    "recordTime": "record_time",
    "action": "action",
    "bizStep": "biz_step",
    "disposition": "disposition",
    "readPoint": "read_point",
    "bizLocation": "biz_location",
    "eventID": "event_id",
    "capturedBy": "captured_by",
}
# The indexed columns of the first schema version (its migration must never change).
_FIRST_COLUMNS = (
    "type", "event_time", "record_time", "action", "biz_step", "disposition", "read_point", "biz_location",
    "event_id",
)  # fmt: skip

# Schema versions, applied in order on open (PRAGMA user_version counts those applied). Add a
# migration for every change; never edit one that has shipped.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID",
        "INSERT INTO meta (name, value) VALUES ('last_commit', 0)",
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY,  -- visibility order (module docstring)
            commit_no INTEGER NOT NULL,
            position INTEGER NOT NULL,
            capture_id TEXT NOT NULL,
            event_id TEXT NOT NULL,
            hash TEXT NOT NULL,
            dedup_key TEXT NOT NULL UNIQUE,
            declaration INTEGER NOT NULL CHECK (declaration IN (0, 1)),
            type TEXT NOT NULL,
            event_time INTEGER NOT NULL,
            record_time INTEGER NOT NULL,
            action TEXT,
            biz_step TEXT,
            disposition TEXT,
            read_point TEXT,
            biz_location TEXT,
            body BLOB NOT NULL,
            UNIQUE (commit_no, position)
        )""",
        # Only events that are not error declarations own their eventID.
        "CREATE UNIQUE INDEX events_owned_event_id ON events (event_id) WHERE declaration = 0",
        "CREATE INDEX events_capture_id ON events (capture_id)",
        *(f"CREATE INDEX events_{column} ON events ({column})" for column in _FIRST_COLUMNS),
        # Identifier membership of the list fields; the key order serves exact keys and prefixes.
        """CREATE TABLE event_keys (
            field TEXT NOT NULL,
            key TEXT NOT NULL,
            event INTEGER NOT NULL REFERENCES events (id),
            PRIMARY KEY (field, key, event)
        ) WITHOUT ROWID""",
        """CREATE TABLE capture_jobs (
            capture_id TEXT PRIMARY KEY,
            created_at INTEGER NOT NULL,
            running INTEGER NOT NULL,
            job BLOB NOT NULL  -- the CaptureJob as JSON
        )""",
        # An event's own keys, for testing an event read in visibility order (and for the foreign key).
        "CREATE INDEX event_keys_event ON event_keys (event, field)",
        "CREATE INDEX capture_jobs_newest_first ON capture_jobs (created_at, capture_id)",
        "CREATE INDEX capture_jobs_running ON capture_jobs (capture_id) WHERE running = 1",
    ),
    (
        # Facts with a number (quantities, sensor values, times ...); text facts share event_keys.
        """CREATE TABLE event_numbers (
            field TEXT NOT NULL,
            number REAL NOT NULL,
            event INTEGER NOT NULL REFERENCES events (id),
            PRIMARY KEY (field, number, event)
        ) WITHOUT ROWID""",
        "CREATE INDEX event_numbers_event ON event_numbers (event, field)",
        # Master data, one version per capture that declared it; the latest (highest commit) counts.
        """CREATE TABLE vocabulary (
            type TEXT NOT NULL,
            key TEXT NOT NULL,  -- the element's canonical key
            commit_no INTEGER NOT NULL,
            element BLOB NOT NULL,  -- the vocabulary element as captured (JSON)
            PRIMARY KEY (type, key, commit_no)
        ) WITHOUT ROWID""",
        "CREATE INDEX vocabulary_key ON vocabulary (key, type, commit_no)",
        """CREATE TABLE vocabulary_attributes (
            name TEXT NOT NULL,
            value TEXT NOT NULL,
            key TEXT NOT NULL,
            type TEXT NOT NULL,
            commit_no INTEGER NOT NULL,
            PRIMARY KEY (name, value, key, type, commit_no)
        ) WITHOUT ROWID""",
        """CREATE TABLE vocabulary_children (
            key TEXT NOT NULL,
            type TEXT NOT NULL,
            commit_no INTEGER NOT NULL,
            child TEXT NOT NULL,
            PRIMARY KEY (key, type, commit_no, child)
        ) WITHOUT ROWID""",
        """CREATE TABLE named_queries (
            name TEXT PRIMARY KEY,
            created_at INTEGER NOT NULL,
            definition BLOB NOT NULL  -- the query as the client defined it (JSON)
        ) WITHOUT ROWID""",
    ),
    (
        # GS1 Company Prefixes stated by captured EPC URNs: each prefix is as long as it is.
        "CREATE TABLE company_prefixes (prefix TEXT PRIMARY KEY) WITHOUT ROWID",
    ),
    (
        # Lineage edges (trace/model.py) of each event; meta's lineage_version says which derivation
        # made them, and an older one is rebuilt when the application starts.
        """CREATE TABLE lineage (
            event INTEGER NOT NULL REFERENCES events (id),
            kind TEXT NOT NULL,
            source TEXT NOT NULL,
            target TEXT NOT NULL,
            action TEXT,
            quantity REAL,
            uom TEXT,
            role TEXT
        )""",
        "CREATE INDEX lineage_source ON lineage (source, event)",
        "CREATE INDEX lineage_target ON lineage (target, event)",
        "INSERT INTO meta (name, value) VALUES ('lineage_version', 0)",
    ),
    (
        # A column equality within an eventTime window, read from one index (queries.py, _InWindow).
        *(
            f"CREATE INDEX events_{column}_event_time ON events ({column}, event_time)"
            for column in ("type", "action", "biz_step", "disposition", "read_point", "biz_location")
        ),
    ),
    (
        # Access control: who captured each event and each job, who owns each named query.
        "ALTER TABLE events ADD COLUMN captured_by TEXT",
        "CREATE INDEX events_captured_by ON events (captured_by)",
        "ALTER TABLE capture_jobs ADD COLUMN organisation TEXT",
        "CREATE INDEX capture_jobs_organisation ON capture_jobs (organisation, created_at, capture_id)",
        "ALTER TABLE named_queries ADD COLUMN owner TEXT",
    ),
    (
        # The attributes of one version of an element (the primary key leads with the name, for
        # EQ_ATTR queries): without this, reading an element's attributes scanned every attribute.
        "CREATE INDEX vocabulary_attributes_element ON vocabulary_attributes (key, type, commit_no)",
    ),
    (
        # An event is stored once by each organisation (storage/port.py, `scoped`): two may hold the
        # same event, and neither learns from its capture that the other does.
        "UPDATE events SET dedup_key = length(captured_by) || ':' || captured_by || ':' || dedup_key "
        "WHERE captured_by IS NOT NULL",
        "DROP INDEX events_owned_event_id",
        "CREATE UNIQUE INDEX events_owned_event_id ON events (ifnull(captured_by, ''), event_id) "
        "WHERE declaration = 0",
    ),
    (
        # Master data is its organisation's: a reader goes by the versions of the organisations it
        # trusts (storage/port.py, Sources), so another's cannot change its queries or traces.
        "ALTER TABLE vocabulary ADD COLUMN organisation TEXT",
        # A version is written only with a capture that stored events: they say whose it is (versions
        # of captures before access control, which name no organisation, are left as they are).
        "UPDATE vocabulary SET organisation = "
        "(SELECT e.captured_by FROM events AS e WHERE e.commit_no = vocabulary.commit_no LIMIT 1) "
        "WHERE EXISTS (SELECT 1 FROM events AS e "
        "WHERE e.commit_no = vocabulary.commit_no AND e.captured_by IS NOT NULL)",
    ),
    (
        # Fewer index entries per event, for capture speed. anyEPC and anyEPCClass are read from the
        # roles they unite (queries.stored_fields), not stored again.
        "DELETE FROM event_keys WHERE field IN ('anyEPC', 'anyEPCClass')",
        # One index serves both lookups by eventID and the uniqueness of owned eventIDs (an error
        # declaration's entry is made unique by its row id; an owned event's is not).
        "DROP INDEX events_event_id",
        "DROP INDEX events_owned_event_id",
        "CREATE UNIQUE INDEX events_event_id "
        "ON events (event_id, ifnull(captured_by, ''), iif(declaration, id, 0))",
    ),
)


def migrate(conn: sqlite3.Connection) -> None:
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    if version > len(MIGRATIONS):
        raise StorageError(
            f"The SQLite database has schema version {version}; "
            f"this repository knows versions up to {len(MIGRATIONS)}"
        )
    for number, statements in enumerate(MIGRATIONS[version:], start=version + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in statements:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
