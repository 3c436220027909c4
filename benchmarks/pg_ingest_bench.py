"""``warden bench pg-insert``: the writer's readings insert on PostgreSQL, against raw COPY.

Runs in a scratch database (``warden_bench_<random>``, made by Warden's own migrations on the
server named by ``server_url`` and dropped afterwards). Each round inserts ``batch_rows``
readings per transaction, ``rows`` in all, into series of their own, by each of:

- ``copy_raw_rows_per_s``: psycopg ``COPY reading FROM STDIN`` straight into the table, the
  limit (it cannot skip a row already stored, so the writer cannot use it as is);
- ``unnest_rows_per_s``: ``INSERT … SELECT FROM unnest(int[], bigint[], float8[]) ON CONFLICT
  DO NOTHING`` with the three arrays as text literals, the writer's statement;
- ``copy_staging_rows_per_s``: COPY into a temporary staging table, then ``INSERT … SELECT …
  ON CONFLICT DO NOTHING`` from it;
- ``executemany_rows_per_s``: what the writer did before, ``insert(...).on_conflict_do_nothing``
  with a list of dicts.

The methods take turns within each round, so load on the machine falls on all of them; the
best round of each is reported, with its ratio to raw COPY. The row tuples are built before
the clock starts; what each method makes of them (arrays, dicts, COPY rows) is timed."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, make_url

from core.db import Database
from core.models import Device, Reading, Series
from core.services.readings_insert import PG_UNNEST, unnest_arrays

Rows = list[tuple[int, int, float]]


def run(
    server_url: str, *, rows: int = 200_000, batch_rows: int = 5_000, rounds: int = 3
) -> dict[str, Any]:
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"warden_bench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
        return _measure(url, rows=rows, batch_rows=batch_rows, rounds=rounds)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _measure(url: str, *, rows: int, batch_rows: int, rounds: int) -> dict[str, Any]:
    db = Database(url)
    db.migrate()
    methods: dict[str, Callable[[Connection, Rows], None]] = {
        "copy_raw": _copy_raw,
        "unnest": _unnest,
        "copy_staging": _copy_staging,
        "executemany": _executemany,
    }
    best: dict[str, float] = {}
    per_round = len(methods)
    with db.writer() as session:
        now = datetime.now(UTC)
        session.add(Device(id="bench", name="bench", created_at=now, updated_at=now))
        session.flush()
        for n in range(rounds * per_round):
            session.add(Series(id=n + 1, device_id="bench", metric=f"m{n + 1}"))
    with db.engine.connect() as connection:
        series = iter(range(1, rounds * per_round + 1))
        for _ in range(rounds):
            for method, insert in methods.items():
                series_id = next(series)
                batches = [
                    [
                        (series_id, ts, float(ts))
                        for ts in range(start, min(start + batch_rows, rows))
                    ]
                    for start in range(0, rows, batch_rows)
                ]
                started = time.perf_counter()
                for batch in batches:
                    insert(connection, batch)
                    connection.commit()
                elapsed = time.perf_counter() - started
                best[method] = max(best.get(method, 0.0), rows / elapsed)
        stored = connection.execute(text("SELECT count(*) FROM reading")).scalar_one()
    db.dispose()
    result: dict[str, Any] = {f"{m}_rows_per_s": round(v) for m, v in best.items()}
    result.update(
        {
            f"{m}_vs_copy_raw": round(v / best["copy_raw"], 3)
            for m, v in best.items()
            if m != "copy_raw"
        }
    )
    result.update(
        rows=rows,
        batch_rows=batch_rows,
        rounds=rounds,
        rows_exact=stored == rows * rounds * len(methods),
    )
    return result


def _copy_raw(connection: Connection, batch: Rows) -> None:
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy("COPY reading (series_id, ts, value) FROM STDIN") as copy:
        for row in batch:
            copy.write_row(row)


def _unnest(connection: Connection, batch: Rows) -> None:
    series, ts, values = (list(c) for c in zip(*batch, strict=True))
    connection.execute(PG_UNNEST, unnest_arrays(series, ts, values))


def _copy_staging(connection: Connection, batch: Rows) -> None:
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(
        "CREATE TEMP TABLE IF NOT EXISTS reading_staging "
        "(series_id integer, ts bigint, value double precision) ON COMMIT DELETE ROWS"
    )
    with cursor.copy("COPY reading_staging (series_id, ts, value) FROM STDIN") as copy:
        for row in batch:
            copy.write_row(row)
    cursor.execute(
        "INSERT INTO reading (series_id, ts, value) SELECT series_id, ts, value "
        "FROM reading_staging ON CONFLICT DO NOTHING"
    )


def _executemany(connection: Connection, batch: Rows) -> None:
    connection.execute(
        postgresql.insert(Reading.__table__).on_conflict_do_nothing(),  # type: ignore[arg-type]
        [{"series_id": s, "ts": t, "value": v} for s, t, v in batch],
    )
