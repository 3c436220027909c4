"""The newest reading of each of a device's series: what both device pages call its latest
values (the web's value cards, the terminal's chart labels), on both backends."""

from __future__ import annotations

from core.runtime import Core
from core.services import telemetry
from tests.factories import actor, make_device, readings

DAY_MS = 86_400_000
T0 = 1_770_890_400_000


def _append(session, device_id: str, metric: str, start_ms: int, values: list[float]) -> None:
    telemetry.append_readings(
        session=session,
        device_id=device_id,
        readings=readings(
            metric, start_ms=start_ms, count=len(values), value_fn=values.__getitem__
        ),
        actor=actor(),
    )


def test_the_latest_value_is_the_newest_reading_of_each_series_however_old(
    any_core: Core,
) -> None:
    with any_core.db.writer() as session:
        make_device(session, id="meter-1")
        make_device(session, id="meter-2")
        _append(session, "meter-1", "power", T0, [5.0, 7.0, 6.0])
        _append(session, "meter-1", "energy", T0 - 30 * DAY_MS, [1.0, 2.0])  # a month old
        telemetry.ensure_series(session=session, device_id="meter-1", metrics={"voltage": "V"})
        _append(session, "meter-2", "power", T0 + 60_000, [99.0])  # another device's
        latest = telemetry.latest_readings(session=session, device_id="meter-1")
    assert [(r.metric, r.ts, r.value) for r in latest] == [
        ("energy", T0 - 30 * DAY_MS + 1000, 2.0),
        ("power", T0 + 2000, 6.0),
    ]  # the series without a reading is left out
