"""Readings as InfluxDB line protocol. Pure.

One line per (device, time): the measurement is the device's type (``power_meter``,
``camera``, …), tagged by ``device`` and ``location`` (when known), with one float field per
metric measured at that millisecond, and the reading's own timestamp in milliseconds:

    power_meter,device=pm-1,location=garage voltage=230.1,current=1.2 1765000000000

Values that InfluxDB cannot hold (NaN, ±infinity) are left out and counted.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from core.services.mirror import MirrorPoint

_MEASUREMENT = str.maketrans({",": r"\,", " ": r"\ ", "\n": " ", "\r": " ", "\t": " "})
_KEY_OR_TAG = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ ", "\n": " ", "\r": " ", "\t": " "})


@dataclass(frozen=True, slots=True)
class Lines:
    body: str
    """Newline-separated lines (empty when nothing could be written)."""
    points: int
    """Readings written into ``body``."""
    skipped: int
    """Readings left out (not finite)."""


def escape_measurement(name: str) -> str:
    return _trim(name.translate(_MEASUREMENT)) or "device"


def escape_key(text: str) -> str:
    """A tag key, tag value or field key, escaped as line protocol requires."""
    return _trim(text.translate(_KEY_OR_TAG))


def _trim(text: str) -> str:
    # A backslash at the end would escape the separator that follows it.
    return text[:-1] + "/" if text.endswith("\\") and not text.endswith("\\\\") else text


def to_lines(points: Iterable[MirrorPoint]) -> Lines:
    grouped: dict[tuple[str, str, str | None, int], list[tuple[str, float]]] = {}
    skipped = 0
    for p in points:
        if not math.isfinite(p.value):
            skipped += 1
            continue
        grouped.setdefault((p.device_type, p.device_id, p.location, p.ts_ms), []).append(
            (p.metric, p.value)
        )
    lines = []
    written = 0
    for (device_type, device_id, location, ts_ms), fields in grouped.items():
        tags = f"device={escape_key(device_id)}"
        if location and (loc := escape_key(location)):
            tags += f",location={loc}"
        values = ",".join(f"{escape_key(metric)}={value!r}" for metric, value in fields)
        lines.append(f"{escape_measurement(device_type)},{tags} {values} {ts_ms}")
        written += len(fields)
    return Lines(body="\n".join(lines), points=written, skipped=skipped)
