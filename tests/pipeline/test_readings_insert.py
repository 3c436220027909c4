"""The set-based readings insert (``core.services.readings_insert``) keeps every value
exactly and skips what is stored already, on both databases (PostgreSQL's arrays go as
text literals)."""

from __future__ import annotations

import sys

from sqlmodel import select

from core.models import Reading
from core.pipeline.batch import IngestBatch
from core.services import ingest

AWKWARD = [0.1 + 0.2, 1e-300, -0.0, sys.float_info.max, 5, -123456.789012345, 2.5e-8]


def test_values_come_back_exactly_and_copies_are_skipped(any_core):
    cache = ingest.SeriesCache()
    readings = [("meter-1", "power", "W", 1_000 + n, float(v)) for n, v in enumerate(AWKWARD)]
    for _ in range(2):  # the second time, every row is a copy: skipped, not an error
        batch = IngestBatch(readings=readings + readings[:2])  # copies within one batch too
        batch.sighting("meter-1").last_seen_ms = 1_000
        with any_core.db.writer() as session:
            ingest.commit_batch(
                session=session, batch=batch, series_cache=cache, now=any_core.clock.now()
            )
    with any_core.db.reader() as session:
        stored = session.exec(select(Reading.ts, Reading.value).order_by(Reading.ts)).all()
    assert [(ts, value) for ts, value in stored] == [(ts, v) for _, _, _, ts, v in readings]
