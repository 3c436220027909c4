"""The raw archive's local spool: every raw message as received, appended to a segment,
sealed (gzip) every ``WARDEN_ARCHIVE_SEAL_S`` or ``WARDEN_ARCHIVE_SEAL_BYTES``, and kept until
the archive uploader has verified it in S3.

A segment is NDJSON, one record per message: ``t`` (received, epoch ms), ``src`` (``mqtt``,
``http``, ``syslog-udp``, ``syslog-tcp``), ``topic`` or ``ip``, and the payload as text
(``p``) or, when it is not UTF-8, base64 (``b64``). The open segment is plain text so that a
crash loses at most its last, partial line; the next start seals what the dead process left.
Sealed segments are named ``{gateway}-{first ms}-{pid}-{n}.ndjson.gz``, which the archive
turns into the object key, so a segment uploaded twice lands on the same key.

The spool is bounded by ``WARDEN_ARCHIVE_SPOOL_MAX_BYTES``: when sealing would pass it, the
oldest sealed segments go first, counted and logged (and the health finding
``health.archive-spool`` opens well before, at 80 %).
"""

from __future__ import annotations

import base64
import gzip
import json
import logging
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.process_io import pid_alive

log = logging.getLogger(__name__)

OPEN_RE = re.compile(r"^open-(?P<pid>\d+)-(?P<n>\d+)\.ndjson$")
SEALED_RE = re.compile(r"^(?P<gateway>.+)-(?P<first>\d{13})-(?P<pid>\d+)-(?P<n>\d+)\.ndjson\.gz$")


def record(*, received_ms: int, src: str, payload: bytes, **where: Any) -> dict[str, Any]:
    """One archived message. ``where`` is its topic (MQTT, HTTP) or source address (syslog)."""
    out: dict[str, Any] = {"t": received_ms, "src": src, **{k: v for k, v in where.items() if v}}
    try:
        out["p"] = payload.decode()
    except UnicodeDecodeError:
        out["b64"] = base64.b64encode(payload).decode()
    return out


def payload_of(rec: dict[str, Any]) -> bytes:
    return rec["p"].encode() if "p" in rec else base64.b64decode(rec.get("b64", ""))


@dataclass(frozen=True, slots=True)
class Sealed:
    path: Path
    first_ms: int
    size: int


@dataclass
class SpoolStats:
    sealed: int = 0
    sealed_bytes: int = 0
    open_bytes: int = 0
    max_bytes: int = 0
    dropped_segments: int = 0
    dropped_bytes: int = 0
    partial_lines: int = 0

    @property
    def used_pct(self) -> float:
        return 100 * (self.sealed_bytes + self.open_bytes) / self.max_bytes if self.max_bytes else 0


class Spool:
    """One process's writer of the spool directory (several processes may share it: each
    writes its own open segment; sealed segments are everyone's)."""

    def __init__(
        self,
        directory: Path,
        *,
        gateway: str,
        max_bytes: int,
        seal_s: float,
        seal_bytes: int,
        now_ms: Any,
    ) -> None:
        self.dir = directory
        self.sealed_dir = directory / "sealed"
        self.sealed_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._gateway = re.sub(r"[^A-Za-z0-9_.]", "_", gateway)[:40] or "gateway"
        self._max_bytes = max_bytes
        self._seal_s = seal_s
        self._seal_bytes = seal_bytes
        self._now_ms = now_ms
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._n = 0
        self._file: Any = None
        self._path: Path | None = None
        self._first_ms: int | None = None
        self._size = 0
        self.stats = SpoolStats(max_bytes=max_bytes)
        self.seal_orphans()

    # -- writing ---------------------------------------------------------------------

    def append(self, records: list[dict[str, Any]]) -> None:
        if not records:
            return
        data = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records).encode()
        with self._lock:
            if self._file is None:
                self._open(records[0]["t"])
            self._file.write(data)
            self._file.flush()
            self._size += len(data)
            if self._size >= self._seal_bytes:
                self._seal_locked()

    def _open(self, first_ms: int) -> None:
        self._n += 1
        self._path = self.dir / f"open-{self._pid}-{self._n}.ndjson"
        fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._file = os.fdopen(fd, "ab")
        self._first_ms = first_ms
        self._size = 0

    def seal_due(self) -> None:
        """Seal this process's open segment once it is old enough."""
        with self._lock:
            first = self._first_ms
            due = first is not None and self._now_ms() - first >= self._seal_s * 1000
            if self._file is not None and due:
                self._seal_locked()

    def close(self) -> None:
        """Seal what is open (on a clean stop)."""
        with self._lock:
            if self._file is not None:
                self._seal_locked()

    def _seal_locked(self) -> None:
        assert self._path is not None and self._first_ms is not None
        self._file.close()
        self._file = None
        path, first_ms = self._path, self._first_ms
        self._path = None
        self._first_ms = None
        self._size = 0
        self._seal_file(path, first_ms, self._pid, self._n)

    def _seal_file(self, path: Path, first_ms: int, pid: int, n: int) -> None:
        name = f"{self._gateway}-{first_ms:013d}-{pid}-{n}.ndjson.gz"
        data = path.read_bytes()
        if data and not data.endswith(b"\n"):  # a crash in the middle of a line
            data = data[: data.rfind(b"\n") + 1]
            self.stats.partial_lines += 1
            log.warning("archive spool: dropped a partial last line of %s", path.name)
        if data:
            tmp = self.sealed_dir / f".{name}.tmp"
            with tmp.open("wb") as out:
                out.write(gzip.compress(data, compresslevel=6))
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o600)
            tmp.rename(self.sealed_dir / name)
        path.unlink(missing_ok=True)
        self._enforce_cap()

    def seal_orphans(self) -> None:
        """Seal the open segments of processes that are gone (a crash, a kill -9)."""
        for path in sorted(self.dir.glob("open-*.ndjson")):
            m = OPEN_RE.match(path.name)
            if m is None or path == self._path:
                continue
            pid = int(m["pid"])
            if pid != self._pid and pid_alive(pid):  # another live process's open segment
                continue
            first_ms = _first_ms(path)
            if first_ms is None:
                path.unlink(missing_ok=True)
                continue
            self._seal_file(path, first_ms, pid, int(m["n"]))
        for tmp in self.sealed_dir.glob(".*.tmp"):  # a seal interrupted before its rename
            tmp.unlink(missing_ok=True)

    # -- reading (the uploader) ------------------------------------------------------------

    def sealed(self) -> list[Sealed]:
        """Sealed segments, oldest first."""
        found = []
        for path in self.sealed_dir.glob("*.ndjson.gz"):
            m = SEALED_RE.match(path.name)
            if m is None:
                continue
            try:
                found.append(Sealed(path, int(m["first"]), path.stat().st_size))
            except FileNotFoundError:
                continue
        found.sort(key=lambda s: (s.first_ms, s.path.name))
        return found

    def refresh_stats(self) -> SpoolStats:
        segments = self.sealed()
        self.stats.sealed = len(segments)
        self.stats.sealed_bytes = sum(s.size for s in segments)
        self.stats.open_bytes = sum(
            p.stat().st_size for p in self.dir.glob("open-*.ndjson") if p.exists()
        )
        return self.stats

    def _enforce_cap(self) -> None:
        segments = self.sealed()
        total = sum(s.size for s in segments) + self._size
        while segments and total > self._max_bytes:
            oldest = segments.pop(0)
            oldest.path.unlink(missing_ok=True)
            total -= oldest.size
            self.stats.dropped_segments += 1
            self.stats.dropped_bytes += oldest.size
            log.error(
                "archive spool over WARDEN_ARCHIVE_SPOOL_MAX_BYTES: dropped %s (%d bytes) "
                "before it was uploaded",
                oldest.path.name,
                oldest.size,
            )


def _first_ms(path: Path) -> int | None:
    try:
        with path.open("rb") as f:
            line = f.readline()
        return int(json.loads(line)["t"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
