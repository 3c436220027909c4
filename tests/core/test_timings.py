"""The one latency histogram (``core.timings``) the writer, HTTP ingest and the
reconciler keep."""

from __future__ import annotations

from core.timings import Timings


def test_timings_are_cumulative_buckets():
    timings = Timings((0.01, 0.1, 1.0))
    for seconds in (0.005, 0.05, 0.5, 5.0):
        timings.observe(seconds)
    assert timings.snapshot() == {
        "buckets": {"0.01": 1, "0.1": 2, "1.0": 3},
        "sum": 5.555,
        "count": 4,
    }
