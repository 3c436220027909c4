"""What several agents stored, read back from their shared database: rows, messages, the
pipeline counters of every agent summed, and each device's sequence statistics.

Read with plain SQL on a connection of its own (SQLite or PostgreSQL), as an operator's
query would, so nothing here trusts the agents' own view of what they did.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

COUNTER_KEYS = ("received", "stored_messages", "duplicates", "missing", "batches")
DEFAULT_PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class SeqFigures:
    """The order-independent part of a device's sequence state: the gap *events* (``gaps``)
    depend on which copy of a message was judged first, so they are not here."""

    boot: int
    last: int | None
    duplicates: int
    missing: int
    suspects: int


class StoredFigures:
    """Queries on the agents' database; ``close()`` when done."""

    def __init__(self, database_url: str) -> None:
        self.engine: Engine = create_engine(database_url)

    def close(self) -> None:
        self.engine.dispose()

    def readings(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM reading")).scalar_one())

    def messages(self) -> int:
        """Distinct (device, ts) among the readings: every message has its own ts."""
        sql = (
            "SELECT count(*) FROM (SELECT DISTINCT s.device_id, r.ts "
            "FROM reading AS r JOIN series AS s ON s.id = r.series_id) AS m"
        )
        with self.engine.connect() as connection:
            return int(connection.execute(text(sql)).scalar_one())

    def counters(self) -> dict[str, int]:
        """The pipeline counters of all agents summed: ``ingest.counters`` of a lone agent
        and ``ingest.counters@NAME`` of each agent on a shared database."""
        sql = (
            "SELECT value FROM setting WHERE key = 'ingest.counters' "
            "OR key LIKE 'ingest.counters@%'"
        )
        total = dict.fromkeys(COUNTER_KEYS, 0)
        with self.engine.connect() as connection:
            for (value,) in connection.execute(text(sql)):
                data = _json(value)
                for key in COUNTER_KEYS:
                    total[key] += int(data.get(key, 0))
        return total

    def received_by_agent(self) -> dict[str, int]:
        """Messages each agent received (its counters' key: ``ingest.counters@NAME``)."""
        sql = "SELECT key, value FROM setting WHERE key LIKE 'ingest.counters@%'"
        with self.engine.connect() as connection:
            rows = list(connection.execute(text(sql)))
        return {key.partition("@")[2]: int(_json(value).get("received", 0)) for key, value in rows}

    def last_commit_s(self) -> float | None:
        """When the last batch was committed (epoch seconds): every commit writes its
        agent's counters in the same transaction, stamped with the agent's clock."""
        from sqlmodel import Session, col, or_, select

        from core.models.setting import Setting

        query = select(Setting.updated_at).where(
            or_(Setting.key == "ingest.counters", col(Setting.key).like("ingest.counters@%"))
        )
        with Session(self.engine) as session:
            stamps = list(session.exec(query))
        return max(stamp.timestamp() for stamp in stamps) if stamps else None

    def seq_states(self) -> dict[str, SeqFigures]:
        sql = "SELECT device_id, state FROM device_seq"
        with self.engine.connect() as connection:
            rows = list(connection.execute(text(sql)))
        result = {}
        for device_id, value in rows:
            state = _json(value)
            result[device_id] = SeqFigures(
                boot=int(state.get("boot", 0)),
                last=state.get("last"),
                duplicates=int(state.get("duplicates", 0)),
                missing=int(state.get("missing", 0)),
                suspects=int(state.get("suspects", 0)),
            )
        return result


def _json(value: Any) -> dict[str, Any]:
    """A JSON column as read: text on SQLite, already decoded on PostgreSQL."""
    return json.loads(value) if isinstance(value, str) else value


@contextmanager
def fresh_pg_database(server_url: str = DEFAULT_PG_SERVER) -> Iterator[str]:
    """A brand-new PostgreSQL database on ``server_url``'s server (its URL), dropped after
    (``WITH (FORCE)``: agents killed with -9 may leave sessions behind for a moment)."""
    admin = create_engine(
        server_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )
    name = f"warden_scale_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
