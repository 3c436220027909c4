"""The mirror's line protocol, checked on its own: VictoriaMetrics accepts malformed lines
without complaint, so the formatter's output is asserted here, byte for byte."""

from __future__ import annotations

import math

from collectors.sinks.line_protocol import escape_key, escape_measurement, to_lines
from core.services.mirror import MirrorPoint


def _point(metric: str, value: float, *, ts: int = 1000, **kw: str | None) -> MirrorPoint:
    return MirrorPoint(
        device_id=kw.get("device") or "pm-1",
        device_type=kw.get("type") or "power_meter",
        location=kw.get("location"),
        metric=metric,
        ts_ms=ts,
        value=value,
    )


def test_readings_of_one_device_at_one_time_share_a_line():
    lines = to_lines(
        [
            _point("voltage", 230.5, location="garage"),
            _point("current", 1.25, location="garage"),
            _point("voltage", 231.0, ts=2000, location="garage"),
        ]
    )
    assert lines.body.splitlines() == [
        "power_meter,device=pm-1,location=garage voltage=230.5,current=1.25 1000",
        "power_meter,device=pm-1,location=garage voltage=231.0 2000",
    ]
    assert (lines.points, lines.skipped) == (3, 0)


def test_spaces_commas_and_equals_are_escaped_and_no_location_means_no_tag():
    lines = to_lines(
        [_point("temp c", 20.0, type="air sensor", location="shed, north=1", device="a-1")]
    )
    assert lines.body == r"air\ sensor,device=a-1,location=shed\,\ north\=1 temp\ c=20.0 1000"
    assert to_lines([_point("t", 1.0)]).body == "power_meter,device=pm-1 t=1.0 1000"


def test_what_influxdb_cannot_hold_is_left_out_and_counted():
    lines = to_lines([_point("t", math.nan), _point("t", math.inf, ts=2), _point("u", 2.0)])
    assert lines.body == "power_meter,device=pm-1 u=2.0 1000"
    assert (lines.points, lines.skipped) == (1, 2)


def test_newlines_cannot_start_a_line_of_their_own():
    assert "\n" not in escape_key("garage\nfake,device=x 1=1")
    assert "\n" not in escape_measurement("type\nother")
    assert escape_measurement("") == "device"


def test_a_trailing_backslash_cannot_escape_the_separator():
    assert not escape_key("dir\\").endswith("\\")
