"""The embedded default store (SQLite)."""

from epcis_repo.storage.sqlite.store import SqliteEventStore

__all__ = ["SqliteEventStore"]
