"""The storage status counts rows and bytes per table on both backends."""

from __future__ import annotations

from core.clock import to_ms
from core.models import ReadingIn
from core.runtime import Core
from core.services import storage, telemetry
from tests.factories import actor, make_device


def test_rows_bytes_and_time_range_per_tier(any_core: Core) -> None:
    now_ms = to_ms(any_core.clock.now())
    with any_core.db.writer() as session:
        make_device(session, id="meter-1")
        telemetry.append_readings(
            session=session,
            device_id="meter-1",
            readings=[
                ReadingIn(metric="power", ts=now_ms - 600_000 + i * 1000, value=1.0)
                for i in range(300)
            ],
            actor=actor(),
        )
    with any_core.db.reader() as session:
        status = storage.storage_status(
            session=session,
            now=any_core.clock.now(),
            days=storage.retention_by_name(any_core.settings),
        )

    tables = {t.name: t for t in status.tables}
    assert tables["reading"].rows == 300
    assert tables["reading"].bytes > 0
    assert tables["reading"].rows_per_day == 300 * 24
    assert tables["reading"].oldest is not None
    assert tables["rollup_pending"].rows > 0
    assert tables["rollup_hour"].retention_days == 730
    assert status.exact_bytes
