"""Leader election for the jobs that must run once per period across all agents.

Several ``warden agent`` processes on one PostgreSQL database (DESIGN.md §14) each schedule
every job; a job that must run once per period (liveness, rules, rollups, command delivery,
webhooks, ...) runs only on the agent holding that job's PostgreSQL advisory lock. The locks
are session-level and taken on ONE dedicated connection that lives as long as the agent, so
the leader's death (kill -9, a crash, a cut-off host once TCP keepalives give up) ends its
session and releases them; nothing has to expire or be cleaned up.

One lock per job, not one "leader" lock: the jobs spread over the agents, so one agent does
not carry every periodic job while the others only ingest. Every ``ELECT_EVERY_S`` each agent
takes the free locks up to its fair share (jobs / agents connected, counted from a shared
membership lock on the same connection), takes any lock that stayed free for a whole round
whatever its share (a job is never left without a leader), and hands back one lock per round
(never in the middle of that job's run) while it leads at least two jobs more than the agent
leading the fewest. A standby therefore takes a dead leader's jobs within two rounds
(``TAKEOVER_BOUND_S``); measured with real processes and kill -9: 1.3 to 2.0 s.

SQLite has no election: ``SoleLeader`` leads every job, as a single agent always did.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import zlib
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

ELECT_EVERY_S = 2.0
"""How often each agent tries the locks it does not hold and checks its connection."""
TAKEOVER_BOUND_S = 2 * ELECT_EVERY_S
"""A job free because its leader died is taken within this (a free lock is taken regardless
of fair share in the round after it was first seen free)."""
LOCK_NAMESPACE = 0x57415244
"""The first key of every Warden advisory lock ("WARD"); the second is the job's."""
MEMBERSHIP_KEY = 0
"""Every agent holds this one shared: counting its holders counts the agents connected."""
KEEPALIVE = {"tcp_keepalives_idle": 5, "tcp_keepalives_interval": 2, "tcp_keepalives_count": 3}
"""Server side: PostgreSQL drops the session of a leader whose host vanished without closing
the socket (power cut, partition) after about 5 + 2 * 3 s, releasing its locks."""

_THIS_DATABASE = "database = (SELECT oid FROM pg_database WHERE datname = current_database())"
"""Advisory locks belong to one database, but ``pg_locks`` lists those of every database on
the server: agents of another Warden database on the same server are not ours to count."""
_HELD = text(
    "SELECT pid, objid FROM pg_locks WHERE locktype = 'advisory' AND granted "
    f"AND {_THIS_DATABASE} AND classid = :ns AND objsubid = 2 AND objid <> :member"
)
_MEMBERS = text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
    f"AND {_THIS_DATABASE} AND classid = :ns AND objsubid = 2 AND objid = :member"
)


def application_name(agent: str) -> str:
    """The name of ``agent``'s lock session in ``pg_stat_activity`` (63 bytes at most)."""
    return f"warden leadership {agent}"[:63]


def job_key(job: str) -> int:
    """The second key of ``job``'s advisory lock: stable across processes and versions."""
    return (zlib.crc32(job.encode()) & 0x7FFFFFFF) or 1


class Leadership(Protocol):
    """Which once-per-period jobs this agent runs."""

    def elect(self) -> None:
        """Take free locks, check held ones, hand back extra ones (one round)."""

    def leads(self) -> list[str]:
        """The jobs this agent holds the lock of, sorted."""

    def gate(self, job: str, run: Callable[..., Any]) -> Callable[..., None]:
        """``run`` wrapped so that it only runs while this agent leads ``job``."""

    def close(self) -> None:
        """Release every lock (a clean stop hands the jobs over at once)."""


class SoleLeader:
    """SQLite: one agent, no election; it leads every job from its first round on."""

    def __init__(self, jobs: Iterable[str], on_acquired: Callable[[str], None] | None) -> None:
        self._jobs = sorted(jobs)
        self._on_acquired = on_acquired
        self._elected = False

    def elect(self) -> None:
        if self._elected:
            return
        self._elected = True
        for job in self._jobs:
            if self._on_acquired is not None:
                self._on_acquired(job)

    def leads(self) -> list[str]:
        return list(self._jobs)

    def gate(self, job: str, run: Callable[..., Any]) -> Callable[..., None]:
        def gated(*args: Any, **kwargs: Any) -> None:
            run(*args, **kwargs)

        return gated

    def close(self) -> None:
        return None


class AdvisoryLocks:
    """Per-job PostgreSQL advisory locks on one connection held for the agent's life.

    ``on_acquired(job)`` runs in the electing thread when this agent becomes the leader of
    ``job`` (before the job first runs here): the agent uses it to take over state the old
    leader left, such as actions it was running."""

    def __init__(
        self,
        url: str,
        jobs: Iterable[str],
        *,
        agent: str,
        on_acquired: Callable[[str], None] | None = None,
    ) -> None:
        # Named in pg_stat_activity, so an operator (and the fail-over test) can tell whose
        # session holds which lock.
        self._engine = create_engine(
            url,
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
            connect_args={"application_name": application_name(agent)},
        )
        self._jobs = sorted(set(jobs))
        # Agents try free jobs in their own order, so agents starting together spread them.
        self._order = sorted(self._jobs, key=lambda j: zlib.crc32(f"{agent}/{j}".encode()))
        self._keys = {job: job_key(job) for job in self._jobs}
        self._on_acquired = on_acquired or (lambda _job: None)
        self._conn: Connection | None = None
        self._pid = 0
        """The backend pid of this agent's lock session (its own locks in ``pg_locks``)."""
        self._conn_lock = threading.Lock()
        """The connection is used by the electing thread and by every gated job's check."""
        self._held: set[str] = set()
        self._free_before: set[str] = set()
        self._adopted: set[str] = set()
        """Jobs taken because no other agent took them in a whole round (another agent may
        not run that job at all, e.g. command delivery with MQTT disabled): never handed
        back, or they would bounce between this agent and nobody."""
        self._running = {job: threading.Lock() for job in self._jobs}
        """Held while a job runs here: its lock is never handed back in the middle of a run."""

    # -- the connection ---------------------------------------------------------------

    def _connect(self) -> Connection:
        conn = self._engine.connect()
        for name, value in KEEPALIVE.items():
            conn.execute(text(f"SET {name} = {int(value)}"))
        conn.execute(
            text("SELECT pg_advisory_lock_shared(:ns, :member)"),
            {"ns": LOCK_NAMESPACE, "member": MEMBERSHIP_KEY},
        )
        self._pid = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
        return conn

    def _lost(self, exc: BaseException) -> None:
        """The connection broke: its session, and with it every lock, is gone."""
        if self._held:
            log.warning(
                "leadership: lost the database connection (%s); no longer leading %s",
                exc,
                ", ".join(sorted(self._held)),
            )
        self._held.clear()
        self._adopted.clear()
        if self._conn is not None:
            try:
                self._conn.invalidate()
                self._conn.close()
            except DBAPIError:
                pass  # already broken; the session is gone either way
        self._conn = None

    # -- one round --------------------------------------------------------------------

    def elect(self) -> None:
        with self._conn_lock:
            try:
                if self._conn is None:
                    self._conn = self._connect()
                self._round(self._conn)
            except DBAPIError as exc:
                self._lost(exc)

    def _round(self, conn: Connection) -> None:
        params = {"ns": LOCK_NAMESPACE, "member": MEMBERSHIP_KEY}
        holders: Counter[int] = Counter()
        taken = set()
        for pid, key in conn.execute(_HELD, params):
            holders[pid] += 1
            taken.add(key)
        members = max(1, int(conn.execute(_MEMBERS, params).scalar_one()))
        share = math.ceil(len(self._jobs) / members)
        others = [n for pid, n in holders.items() if pid != self._pid]
        # The other agent leading the fewest jobs (0 when one of them leads none).
        fewest = min(others) if len(others) >= members - 1 and others else 0
        free = {job for job in self._jobs if self._keys[job] not in taken}
        for job in self._order:
            if job in self._held or job not in free:
                continue
            over_share = len(self._held) >= share
            if over_share and job not in self._free_before:
                continue  # another agent below its share may take it; if not, next round
            if conn.execute(
                text("SELECT pg_try_advisory_lock(:ns, :job)"),
                {"ns": LOCK_NAMESPACE, "job": self._keys[job]},
            ).scalar_one():
                self._held.add(job)
                if over_share:
                    self._adopted.add(job)
                log.info("leadership: now leading %s", job)
                self._acquired(job)
        self._free_before = free - self._held
        if members > 1 and len(self._held) >= fewest + 2:
            self._hand_back_one(conn)

    def _acquired(self, job: str) -> None:
        try:
            self._on_acquired(job)
        except Exception:  # the job still runs; what the hook tidies is logged
            log.exception("leadership: taking over %s failed", job)

    def _hand_back_one(self, conn: Connection) -> None:
        for job in reversed(self._order):
            if job in self._adopted or job not in self._held:
                continue
            if self._running[job].acquire(blocking=False):
                try:
                    conn.execute(
                        text("SELECT pg_advisory_unlock(:ns, :job)"),
                        {"ns": LOCK_NAMESPACE, "job": self._keys[job]},
                    )
                    self._held.discard(job)
                    log.info("leadership: handed %s over (more than a fair share)", job)
                finally:
                    self._running[job].release()
                return

    # -- what the agent asks ----------------------------------------------------------

    def leads(self) -> list[str]:
        return sorted(self._held.copy())  # a copy: the electing thread may be changing it

    def _confirmed(self, job: str) -> bool:
        """Whether this agent still leads ``job``: held, and the session holding it alive
        (one round trip) — a run never starts on a connection already lost."""
        if job not in self._held:
            return False
        with self._conn_lock:
            if self._conn is None:
                return False
            try:
                self._conn.execute(text("SELECT 1"))
            except DBAPIError as exc:
                self._lost(exc)
                return False
        return job in self._held

    def gate(self, job: str, run: Callable[..., Any]) -> Callable[..., None]:
        if job not in self._running:
            raise ValueError(f"{job!r} is not one of the elected jobs {self._jobs}")
        running = self._running[job]

        def gated(*args: Any, **kwargs: Any) -> None:
            with running:
                if self._confirmed(job):
                    run(*args, **kwargs)

        return gated

    def close(self) -> None:
        with self._conn_lock:
            if self._conn is not None:
                # Released now, not when the server notices the closed socket, so the
                # others take the jobs at their next round (a broken session is gone already).
                with contextlib.suppress(DBAPIError):
                    self._conn.execute(text("SELECT pg_advisory_unlock_all()"))
                    self._conn.close()
                self._conn = None
            self._held.clear()
            self._adopted.clear()
        self._engine.dispose()


def open_leadership(
    url: str,
    jobs: Iterable[str],
    *,
    sqlite: bool,
    agent: str,
    on_acquired: Callable[[str], None] | None = None,
) -> Leadership:
    """An election on PostgreSQL; on SQLite, the one agent leads everything (its
    ``on_acquired`` hooks run in its first round, as when it takes every lock)."""
    if not sqlite:
        return AdvisoryLocks(url, jobs, agent=agent, on_acquired=on_acquired)
    return SoleLeader(jobs, on_acquired)
