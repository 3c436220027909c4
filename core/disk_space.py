"""A full disk, told apart from other database failures, and a reserve of space to give back.

When the data dir's disk fills, every write fails, the health finding that would tell the
operator included. Warden therefore keeps a file of ``disk_reserve_mb`` in the data dir (as a
ballast file) and deletes it when the writer meets a full disk: the small writes (the finding,
the agent's state) fit in what it freed, while the ingest writer waits until there is room
for the reserve again before it retries, so it never eats the space it gave back.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

RESERVE_NAME = "space-reserve"
_CHUNK = 1024 * 1024


def is_disk_full(exc: BaseException) -> bool:
    """A write refused for lack of space: SQLite's SQLITE_FULL or an ENOSPC from the system."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if "database or disk is full" in str(seen):
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__
    return False


class SpaceReserve:
    """A file of ``size`` bytes in ``directory`` held back for when the disk fills."""

    def __init__(self, directory: Path, size: int) -> None:
        self.path = directory / RESERVE_NAME
        self.size = size

    def free_bytes(self) -> int:
        return shutil.disk_usage(self.path.parent).free

    def room_to_resume(self) -> bool:
        """Enough free space to put the reserve back and write again."""
        return self.free_bytes() > 2 * self.size

    def ensure(self) -> bool:
        """Put the reserve in place if it is missing; False when there is no room for it."""
        if self.size <= 0:
            return True
        try:
            if self.path.stat().st_size >= self.size:
                return True
        except FileNotFoundError:
            pass
        try:
            with self.path.open("wb") as out:
                written = 0
                block = bytes(_CHUNK)
                while written < self.size:
                    written += out.write(block[: min(_CHUNK, self.size - written)])
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            self.path.unlink(missing_ok=True)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                return False
            raise
        return True

    def release(self) -> bool:
        """Give the reserve back to the disk; True if there was one to give."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        log.warning("disk full: released %d bytes of reserved space", self.size)
        return True
