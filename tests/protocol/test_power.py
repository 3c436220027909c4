"""derive_power: P = V·I (DC) and V·I·pf (AC), paired by identical ts_ms."""

from __future__ import annotations

import pytest

from core.protocol import Measurement, decode, derive_power
from tests.protocol import fixture_bytes, ms


def m(metric: str, ts: int, value: float, unit: str | None = None) -> Measurement:
    return Measurement(metric, ts, value, unit)


def test_dc_power_from_the_protocol_md_example():
    message = decode("iot/dc-meter-007/telemetry", fixture_bytes("telemetry.json"), received_ms=0)
    (power,) = derive_power("dc_meter", message.measurements)
    assert power.metric == "power_dc" and power.unit == "W"
    assert power.ts_ms == ms("2026-02-12T10:00:01Z")
    assert power.value == pytest.approx(756.3 * 312.8)


def test_ac_power_needs_the_power_factor_at_the_same_time():
    readings = [
        m("voltage_ac", 1000, 230.0, "V"),
        m("current_ac", 1000, 10.0, "A"),
        m("pf", 1000, 0.9),
        m("voltage_ac", 2000, 231.0, "V"),
        m("current_ac", 2000, 11.0, "A"),
    ]
    assert derive_power("ac_meter", readings) == [m("power_ac", 1000, pytest.approx(2070.0), "W")]


def test_pairs_only_match_on_identical_timestamps():
    readings = [
        m("voltage_dc", 1000, 48.0, "V"),
        m("current_dc", 1001, 2.0, "A"),
        m("voltage_dc", 2000, 50.0),
        m("current_dc", 2000, 3.0),
    ]
    assert derive_power(None, readings) == [m("power_dc", 2000, 150.0, "W")]


def test_nothing_for_other_device_types_other_units_or_reported_power():
    pair = [m("voltage_dc", 1, 48.0, "V"), m("current_dc", 1, 2.0, "A")]
    assert derive_power("thermostat", pair) == []
    assert derive_power("unknown", pair) == [m("power_dc", 1, 96.0, "W")]
    assert derive_power("PowerMonitor", pair) != []
    assert derive_power("dc_meter", [m("voltage_dc", 1, 48.0, "kV"), pair[1]]) == []
    assert derive_power("dc_meter", [*pair, m("power_dc", 1, 95.0, "W")]) == []
    assert derive_power("dc_meter", []) == []
