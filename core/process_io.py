"""Processes and their I/O: this process's own accounting (Linux ``/proc/self/io``, the
bytes it caused to be written to storage, the figure that wears an SD card), and whether
another process still runs."""

from __future__ import annotations

import os
import time
from pathlib import Path

_PROC_IO = Path("/proc/self/io")


def bytes_written() -> int | None:
    """``write_bytes`` of ``/proc/self/io`` (bytes sent to the block layer, page cache
    write-back included), or ``None`` where the kernel does not account it."""
    try:
        text = _PROC_IO.read_text()
    except OSError:
        return None
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name == "write_bytes":
            return int(value)
    return None


class WriteRate:
    """Bytes written since this object was made, and per hour on average since then."""

    def __init__(self) -> None:
        self._start = time.monotonic()
        self._first = bytes_written()

    def figures(self) -> dict[str, float | int | None]:
        now = bytes_written()
        if now is None or self._first is None:
            return {"bytes_written": None, "bytes_written_per_hour": None}
        hours = (time.monotonic() - self._start) / 3600
        return {
            "bytes_written": now,
            "bytes_written_per_hour": (now - self._first) / hours if hours > 0 else None,
        }


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (one of another user's counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
