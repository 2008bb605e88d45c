"""Copying the write-ahead log into the database on a thread of its own.

SQLite checkpoints inside the commit that crosses the WAL threshold, so one capture in a few paid
for copying everything written since (at 100,000 stored events, more than the capture's own
writes). Here the writer only commits, and a checkpointer thread, with a connection of its own,
copies the new frames while the next capture is prepared: a passive checkpoint, which never
blocks the writer or the readers. Durability is unchanged: a committed capture is in the WAL,
fsynced, before its job is reported.

A passive checkpoint never rewinds the log, and SQLite only starts it over when a write begins
with every frame copied, which a writer that never pauses rarely meets: so once the log passes
`RESTART_PAGES`, the writer restarts it itself, waiting for the copy to finish (`must_restart`).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger(__name__)


# About 256 MiB of log (4 KiB pages) at most between restarts.
RESTART_PAGES = 65_536


class Checkpointer:
    def __init__(self, path: Path, busy_timeout_ms: int) -> None:
        self._path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._wake = threading.Event()
        self._stopping = False
        self._log_pages = 0  # the size of the log at the last checkpoint
        self._thread = threading.Thread(target=self._run, name="epcis-sqlite-checkpoint", daemon=True)
        self._thread.start()

    def nudge(self) -> None:
        """New frames were committed: copy them when the thread is free."""
        self._wake.set()

    def must_restart(self) -> bool:
        """Whether the log has grown so that the writer should restart it before writing on."""
        return self._log_pages >= RESTART_PAGES

    def restarted(self) -> None:
        self._log_pages = 0

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
                    _, log_pages, _ = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    self._log_pages = log_pages
                except sqlite3.Error as error:  # the next nudge tries again; the WAL keeps everything
                    log.warning("SQLite checkpoint of %s failed: %s", self._path, error)
        finally:
            conn.close()


def after_commit(conn: sqlite3.Connection, checkpointer: Checkpointer) -> None:
    """What the writer does after each commit: have the new frames copied, and first, once the log
    has grown past `RESTART_PAGES`, copy the rest and start it over (which waits for readers of old
    frames to move on)."""
    if checkpointer.must_restart():
        conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
        checkpointer.restarted()
    checkpointer.nudge()
