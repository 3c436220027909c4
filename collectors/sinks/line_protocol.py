"""Readings as InfluxDB line protocol. Pure.

One line per (device, time): the measurement is the device's type (``power_meter``,
``camera``, …), tagged by ``device`` and ``location`` (when known), with one float field per
metric measured at that millisecond, and the reading's own timestamp in milliseconds:

    power_meter,device=pm-1,location=garage voltage=230.1,current=1.2 1765000000000

The fields (``metric=value,…``) come from the database, which groups the readings
(``core.services.mirror``); the measurement and tags are escaped here, once per device.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from core.services.mirror import MirrorRow

_MEASUREMENT = str.maketrans({",": r"\,", " ": r"\ ", "\n": " ", "\r": " ", "\t": " "})
_KEY_OR_TAG = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ ", "\n": " ", "\r": " ", "\t": " "})


def escape_measurement(name: str) -> str:
    return _trim(name.translate(_MEASUREMENT)) or "device"


def escape_key(text: str) -> str:
    """A tag key, tag value or field key, escaped as line protocol requires."""
    return _trim(text.translate(_KEY_OR_TAG))


def _trim(text: str) -> str:
    # A backslash at the end would escape the separator that follows it.
    return text[:-1] + "/" if text.endswith("\\") and not text.endswith("\\\\") else text


@lru_cache(maxsize=4096)
def series_key(device_type: str, device_id: str, location: str | None) -> str:
    """``measurement,device=…[,location=…]`` of one device."""
    key = f"{escape_measurement(device_type)},device={escape_key(device_id)}"
    if location and (loc := escape_key(location)):
        key += f",location={loc}"
    return key


def to_lines(rows: Iterable[MirrorRow]) -> str:
    """Newline-separated lines (empty when there is nothing to write)."""
    return "\n".join(
        f"{series_key(r.device_type, r.device_id, r.location)} {r.fields} {r.ts_ms}" for r in rows
    )
