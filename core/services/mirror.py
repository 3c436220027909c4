"""The InfluxDB mirror's outbox and every sink's published health.

``pending`` hands the mirror the oldest batches still to send, with their readings read back
from ``reading`` and grouped by device and millisecond in the database (device, type,
location and metric joined in); ``delivered`` removes them once the write succeeded. Batches
are removed only after a successful write, so a crash between the two sends them again,
which is harmless: the same series and timestamp overwrite.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, text
from sqlmodel import Session, col, select

from core.models import MirrorPending, Setting, SinkState
from core.services.runtime import put_state

STATE_KEY = "sink.{name}"


@dataclass(frozen=True, slots=True)
class MirrorRow:
    """The readings of one device at one millisecond, as the mirror writes them: one line of
    line protocol. ``fields`` is ``metric=value,…`` (metric names escaped, values as the
    database writes a float), built by the database from the rows themselves."""

    device_type: str
    device_id: str
    location: str | None
    ts_ms: int
    fields: str
    points: int


@dataclass(slots=True)
class MirrorWork:
    """The oldest waiting batches and their readings."""

    batch_ids: list[int] = field(default_factory=list)
    rows: list[MirrorRow] = field(default_factory=list)
    oldest_ms: int | None = None

    @property
    def points(self) -> int:
        return sum(row.points for row in self.rows)


_ESCAPED_METRIC = r"replace(replace(replace(s.metric, ',', '\,'), '=', '\='), ' ', '\ ')"
_SQLITE_ROWS = text(
    "SELECT d.type, d.id, d.location, r.ts, "
    f"group_concat({_ESCAPED_METRIC} || '=' || r.value, ','), count(*) "
    "FROM json_each(:spans) AS span "
    "JOIN reading AS r ON r.series_id = span.value ->> 0 "
    "AND r.ts BETWEEN span.value ->> 1 AND span.value ->> 2 "
    "JOIN series AS s ON s.id = r.series_id "
    "JOIN device AS d ON d.id = s.device_id "
    # InfluxDB cannot hold infinities (NaN is never stored: the column is NOT NULL).
    "WHERE r.value BETWEEN -1.7976931348623157e308 AND 1.7976931348623157e308 "
    "GROUP BY s.device_id, r.ts"
)
_POSTGRES_ROWS = text(
    "SELECT d.type, d.id, d.location, r.ts, "
    f"string_agg({_ESCAPED_METRIC} || '=' || r.value::text, ','), count(*) "
    # Each claimed batch's own spans, unmerged (below), and each reading once however many
    # of them cover it.
    "FROM (SELECT DISTINCT r.series_id, r.ts, r.value "
    "FROM jsonb_array_elements(CAST(:spans AS jsonb)) AS span "
    "JOIN reading AS r ON r.series_id = (span ->> 0)::int "
    "AND r.ts BETWEEN (span ->> 1)::bigint AND (span ->> 2)::bigint "
    "WHERE r.value NOT IN ('Infinity'::float8, '-Infinity'::float8, 'NaN'::float8)) AS r "
    "JOIN series AS s ON s.id = r.series_id "
    "JOIN device AS d ON d.id = s.device_id "
    "GROUP BY d.id, d.type, d.location, r.ts"
)


def pending(*, session: Session, max_points: int) -> MirrorWork:
    """The oldest waiting batches and their readings, grouped by device and time in the
    database (one statement). About ``max_points`` readings: batches are taken while their
    spans fit in ``max_points // 10`` (a span holds at least one reading, usually several),
    always at least one batch however large, so a big batch cannot stall the outbox.

    The batches are claimed ``FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite ignores it): the
    mirrors of several agents take different batches, each holding its claim until it has
    written and deleted them in the same transaction (``InfluxMirror.attempt``). On
    PostgreSQL the spans are not merged per series, as the batches claimed may sit around
    another agent's."""
    work = MirrorWork()
    span_budget = max(1, max_points // 10)
    postgres = session.get_bind().dialect.name == "postgresql"
    merged: dict[int, list[int]] = {}
    spans: list[list[int]] = []
    count = 0
    rows = session.exec(
        select(MirrorPending)
        .order_by(col(MirrorPending.id))
        .limit(span_budget)
        .with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        if work.batch_ids and count + len(row.spans) > span_budget:
            break
        assert row.id is not None
        work.batch_ids.append(row.id)
        count += len(row.spans)
        if work.oldest_ms is None:
            work.oldest_ms = row.created_ms
        if postgres:
            # Not merged: batches claimed around another agent's would otherwise span its
            # readings too. The query reads each reading once (DISTINCT).
            spans.extend(row.spans)
            continue
        for series_id, lo, hi in row.spans:  # one span per series: no reading read twice
            span = merged.get(series_id)
            if span is None:
                merged[series_id] = [series_id, lo, hi]
            else:
                span[1], span[2] = min(span[1], lo), max(span[2], hi)
    if postgres and spans:
        found = session.execute(_POSTGRES_ROWS, {"spans": json.dumps(spans)})
        work.rows = [MirrorRow(t or "device", d, loc, ts, f, n) for t, d, loc, ts, f, n in found]
    elif merged:
        found = session.execute(_SQLITE_ROWS, {"spans": json.dumps(list(merged.values()))})
        work.rows = [MirrorRow(t or "device", d, loc, ts, f, n) for t, d, loc, ts, f, n in found]
    return work


def delivered(*, session: Session, batch_ids: list[int]) -> None:
    """Forget batches the mirror has written."""
    if batch_ids:
        session.execute(delete(MirrorPending).where(col(MirrorPending.id).in_(batch_ids)))
        session.commit()


def backlog(*, session: Session) -> tuple[int, int | None]:
    """How many batches wait, and when the oldest was committed (epoch ms)."""
    count, oldest = session.exec(
        select(func.count(), func.min(MirrorPending.created_ms))  # type: ignore[arg-type]
    ).one()
    return int(count), oldest


def publish_state(*, session: Session, state: SinkState, now: datetime) -> None:
    put_state(
        session=session, key=STATE_KEY.format(name=state.name), value=state.model_dump(), now=now
    )


def sink_states(*, session: Session) -> list[SinkState]:
    """What every configured sink last published (none: no sink configured or started)."""
    rows = session.exec(
        select(Setting).where(col(Setting.key).startswith("sink.")).order_by(col(Setting.key))
    ).all()
    return [SinkState.model_validate(row.value) for row in rows if row.value]
