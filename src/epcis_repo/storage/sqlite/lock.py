"""One process per SQLite database.

SQLite would let a second process in, and its `open` would fail the capture jobs the first one is
running. So a store takes an exclusive lock on ``<database>.lock`` beside the database, without
waiting, and gives it back on close; the OS drops it when the process ends, however it ends, so a
crash leaves nothing to clean up.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from epcis_repo.storage.port import StorageError


class ProcessLock:
    """An exclusive OS lock on a file beside the database, held from `acquire` to `release`.

    Non-blocking: a second holder is refused at once. The lock belongs to this open file, so a second
    store in the same process is refused too, and the OS drops it when the process ends.
    """

    def __init__(self, path: Path, database: Path) -> None:
        self._path = path
        self._database = database
        self._fd: int | None = None

    def acquire(self) -> None:
        if self._fd is not None:
            return
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise StorageError(f"Cannot create the lock file {self._path}: {error}") from error
        try:
            locked = _try_lock(fd)
        except OSError as error:
            os.close(fd)
            raise StorageError(f"Cannot lock {self._path}: {error}") from error
        if not locked:
            os.close(fd)
            raise StorageError(
                f"another epcis-repo process is using {self._database} (it holds {self._path}); "
                "stop that process first, or give this one a data directory of its own"
            )
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                _unlock(fd)
            finally:
                os.close(fd)


if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        """Lock the file's first byte (a lock may lie beyond the end of the file); False if held."""
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except PermissionError:  # EACCES: another handle holds it
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        # flock, not fcntl/lockf: its lock belongs to the open file, not the process, so it also keeps
        # out a second store in this process, and closing some other descriptor of the file keeps it.
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
