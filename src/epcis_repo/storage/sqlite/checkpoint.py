"""Copying the write-ahead log into the database on a thread of its own.

SQLite checkpoints inside the commit that crosses the WAL threshold, so one capture in a few paid
for copying everything written since (at 100,000 stored events, more than the capture's own
writes). Here the writer only commits, and a checkpointer thread, with a connection of its own,
copies the new frames while the next capture is prepared: a passive checkpoint, which never
blocks the writer or the readers. Durability is unchanged: a committed capture is in the WAL,
fsynced, before its job is reported.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger(__name__)


class Checkpointer:
    def __init__(self, path: Path, busy_timeout_ms: int) -> None:
        self._path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="epcis-sqlite-checkpoint", daemon=True)
        self._thread.start()

    def nudge(self) -> None:
        """New frames were committed: copy them when the thread is free."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        self._thread.join()

    def _run(self) -> None:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
            while True:
                self._wake.wait()
                self._wake.clear()
                if self._stopping:
                    return
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error as error:  # the next nudge tries again; the WAL keeps everything
                    log.warning("SQLite checkpoint of %s failed: %s", self._path, error)
        finally:
            conn.close()
