"""The mirror's line protocol, checked on its own: VictoriaMetrics accepts malformed lines
without complaint, so the formatter's output is asserted here, byte for byte, and the rows
the database groups are checked on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from collectors.sinks.line_protocol import escape_key, escape_measurement, to_lines
from core.models import Device
from core.pipeline.http_ingest import HttpIngest
from core.services import mirror
from core.services.mirror import MirrorRow

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _row(fields: str, *, ts: int = 1000, **kw: str | None) -> MirrorRow:
    return MirrorRow(
        device_type=kw.get("type") or "power_meter",
        device_id=kw.get("device") or "pm-1",
        location=kw.get("location"),
        ts_ms=ts,
        fields=fields,
        points=fields.count("=") - fields.count("\\="),
    )


def test_a_line_per_device_and_time_with_its_tags():
    body = to_lines([_row("voltage=230.5,current=1.25", location="garage"), _row("t=1.0", ts=2)])
    assert body.splitlines() == [
        "power_meter,device=pm-1,location=garage voltage=230.5,current=1.25 1000",
        "power_meter,device=pm-1 t=1.0 2",
    ]


def test_spaces_commas_and_equals_are_escaped_in_measurement_and_tags():
    line = to_lines([_row("t=1.0", type="air sensor", location="shed, north=1", device="a-1")])
    assert line == r"air\ sensor,device=a-1,location=shed\,\ north\=1 t=1.0 1000"


def test_newlines_cannot_start_a_line_of_their_own():
    assert "\n" not in escape_key("garage\nfake,device=x 1=1")
    assert "\n" not in escape_measurement("type\nother")
    assert escape_measurement("") == "device"


def test_a_trailing_backslash_cannot_escape_the_separator():
    assert not escape_key("dir\\").endswith("\\")


def test_the_database_groups_a_devices_readings_by_time_and_escapes_metric_names(any_core):
    core = any_core
    http = HttpIngest(core.db, core.clock, prefix="iot", max_payload_bytes=4096, mirror=True)
    for n in range(3):
        at = (T0 + timedelta(seconds=n)).isoformat()
        body = {"data": {"temp c": 20.5 + n, "rh=": 40, "v,1": 1e-5}, "timestamp": at}
        http.telemetry("air-1", json.dumps(body).encode())
    with core.db.writer() as session:
        device = session.get(Device, "air-1")
        device.type = "air_sensor"
        session.add(device)
        session.commit()
    with core.db.reader() as session:
        work = mirror.pending(session=session, max_points=5000)
    assert len(work.batch_ids) == 3 and work.points == 9
    first_ms = int(T0.timestamp() * 1000)
    rows = sorted(work.rows, key=lambda r: r.ts_ms)
    assert [r.ts_ms for r in rows] == [first_ms, first_ms + 1000, first_ms + 2000]
    fields = dict(f.rsplit("=", 1) for f in _split_fields(rows[0].fields))  # values hold no =
    assert set(fields) == {r"temp\ c", r"rh\=", r"v\,1"}
    assert float(fields[r"temp\ c"]) == 20.5
    assert float(fields[r"rh\="]) == 40
    assert float(fields[r"v\,1"]) == 1e-5
    assert to_lines(rows[:1]).startswith("air_sensor,device=air-1 ")


def _split_fields(fields: str) -> list[str]:
    """Split ``a=1,b\\,c=2`` at its unescaped commas."""
    parts, current, escaped = [], "", False
    for char in fields:
        if char == "," and not escaped:
            parts.append(current)
            current = ""
        else:
            current += char
        escaped = char == "\\" and not escaped
    return [*parts, current]
