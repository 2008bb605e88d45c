"""Where a capture's writes go: the pages each table and index of the SQLite store dirties per event.

On a copy of the cached store of `--size` events (benchmarks/stores.py), the rows of `--documents`
new documents of 1,000 events (as capture.py's ceiling builds them: the rows the store writes) are
inserted, one transaction per document, with the store's durability (WAL, synchronous=FULL). After
each commit the frames it appended to the write-ahead log are read and each page is attributed to
its table or index (SQLite's dbstat: pages allocated by the commit show as "(new pages)"). Printed
per event: pages in all, pages by B-tree, and the time of each statement and of COMMIT (writing the
frames and the fsync). The log is restarted before each document, so no checkpoint runs meanwhile.

A page is a 4 KiB frame at the commit and again when the checkpoint copies it into the database;
an index with random keys costs about one page per event once it is larger than what a transaction
touches, which is what limits capture on a large store (docs/benchmarks.md).

Usage: python benchmarks/index_pages.py [--size 1000000] [--documents 4]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import struct
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stores import copy_store, sqlite_store

from capture import insert_rows, prepared_documents, workload
from epcis_repo.capture.schema import SchemaValidator

_FRAME_HEADER, _WAL_HEADER = 24, 32


def logged_pages(wal: Path) -> set[int]:
    """The page numbers of the frames since the log last started over (they share its salt)."""
    data = wal.read_bytes()
    if len(data) < _WAL_HEADER:
        return set()
    page_size = struct.unpack(">I", data[8:12])[0]
    salt = data[16:24]
    pages, offset = set(), _WAL_HEADER
    while offset + _FRAME_HEADER <= len(data) and data[offset + 8 : offset + 16] == salt:
        pages.add(struct.unpack(">I", data[offset : offset + 4])[0])
        offset += _FRAME_HEADER + page_size
    return pages


def measure(size: int, documents: int) -> tuple[int, Counter[str], Counter[str]]:
    """Events inserted, pages per B-tree, and seconds per statement (and COMMIT)."""
    work = workload(size, documents * 1000)
    prepared = prepared_documents(work.large[:documents], SchemaValidator.load())
    pages: Counter[str] = Counter()
    seconds: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(prefix="epcis-index-pages-") as folder:
        path = copy_store(sqlite_store(size), Path(folder))
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA wal_autocheckpoint = 0")
            (base,) = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM events").fetchone()
            (commit,) = conn.execute("SELECT value FROM meta WHERE name = 'last_commit'").fetchone()
            events = 0
            for document in prepared:
                commit += 1
                batch = insert_rows(document, base, commit)
                base += len(document[0])
                events += len(document[0])
                conn.execute("PRAGMA wal_checkpoint(RESTART)")
                owners = dict(conn.execute("SELECT pageno, name FROM dbstat"))  # as the commit finds them
                conn.execute("BEGIN IMMEDIATE")
                for statement, rows in batch:
                    began = time.perf_counter()
                    conn.executemany(statement, rows)
                    seconds[" ".join(statement.split()[:3])] += time.perf_counter() - began
                began = time.perf_counter()
                conn.execute("COMMIT")
                seconds["COMMIT"] += time.perf_counter() - began
                for page in logged_pages(path.with_name(path.name + "-wal")):
                    pages[owners.get(page, "(new pages)")] += 1
        finally:
            conn.close()
        shutil.rmtree(folder, ignore_errors=True)
    return events, pages, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="events in the store")
    parser.add_argument("--documents", type=int, default=4, help="documents of 1,000 events to insert")
    args = parser.parse_args()
    events, pages, seconds = measure(args.size, args.documents)
    print(f"store of {args.size:,} events; {events:,} events inserted, in documents of 1,000")
    print(f"pages per event: {sum(pages.values()) / events:.2f}")
    for name, count in pages.most_common():
        if count / events >= 0.01:
            print(f"  {name:<40} {count / events:6.2f}")
    print(f"time per event: {sum(seconds.values()) / events * 1e6:.0f} us")
    for name, spent in seconds.most_common():
        print(f"  {name:<40} {spent / events * 1e6:6.1f} us")


if __name__ == "__main__":
    main()
