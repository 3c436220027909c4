"""``warden bench pg-insert`` runs end to end on the real PostgreSQL server: every method
stores every row, and the figures come with their ratio to raw COPY."""

from __future__ import annotations

import pytest

from benchmarks import pg_ingest_bench

pytestmark = pytest.mark.postgres


def test_every_method_stores_every_row(pg_url):
    result = pg_ingest_bench.run(pg_url, rows=2_000, batch_rows=500, rounds=1)
    assert result["rows_exact"] is True
    for method in ("unnest", "copy_staging", "executemany"):
        assert result[f"{method}_rows_per_s"] > 0
        assert result[f"{method}_vs_copy_raw"] > 0
