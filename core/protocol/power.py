"""Active power derived from voltage and current (PROTOCOL.md: "For power meters Warden
derives active power … as its own series")."""

from __future__ import annotations

from collections.abc import Sequence

from core.protocol.messages import Measurement

DC = ("voltage_dc", "current_dc", None, "power_dc")
AC = ("voltage_ac", "current_ac", "pf", "power_ac")
_RELEVANT = frozenset(
    {"voltage_dc", "current_dc", "voltage_ac", "current_ac", "pf", "power_dc", "power_ac"}
)
_UNITS = {"voltage_dc": "V", "current_dc": "A", "voltage_ac": "V", "current_ac": "A"}


def is_power_meter(device_type_hint: str | None) -> bool:
    """A device whose type is unknown (``None``, ``""``, ``"unknown"``) or names a meter or
    power (``dc_meter``, ``power-meter``, ``PowerMonitor``) counts as a power meter."""
    if not device_type_hint or device_type_hint.lower() == "unknown":
        return True
    hint = device_type_hint.lower()
    return "meter" in hint or "power" in hint


def derive_power(
    device_type_hint: str | None, measurements: Sequence[Measurement]
) -> list[Measurement]:
    """Only the derived measurements, in W: ``power_dc = voltage_dc · current_dc`` and
    ``power_ac = voltage_ac · current_ac · pf``, each from readings with the same
    ``ts_ms``. Nothing is derived when an input's unit is neither absent nor V / A, when
    ``pf`` is missing (AC), or where the device reported that power itself at that time.
    """
    if not is_power_meter(device_type_hint):
        return []
    by_metric: dict[str, dict[int, float]] = {}
    for m in measurements:
        metric = m.metric
        if metric not in _RELEVANT:
            continue
        unit = _UNITS.get(metric)
        if unit is not None and m.unit is not None and m.unit != unit:
            continue
        series = by_metric.get(metric)
        if series is None:
            by_metric[metric] = {m.ts_ms: m.value}
        else:
            series[m.ts_ms] = m.value
    derived: list[Measurement] = []
    for voltage, current, factor, power in (DC, AC):
        volts, amps = by_metric.get(voltage), by_metric.get(current)
        if not volts or not amps:
            continue
        factors = by_metric.get(factor, {}) if factor else None
        reported = by_metric.get(power, {})
        for ts_ms, amp in amps.items():
            volt = volts.get(ts_ms)
            if volt is None or ts_ms in reported:
                continue
            value = volt * amp
            if factors is not None:
                pf = factors.get(ts_ms)
                if pf is None:
                    continue
                value *= pf
            derived.append(Measurement(power, ts_ms, value, "W"))
    return derived
