"""Flat JSON from legacy sensors (PROTOCOL.md "Flat JSON"): no envelope, no ``seq``.

- Numbers become measurements named by their key, booleans 1.0/0.0, strings device
  attributes; ``null`` and lists are ignored.
- Nested objects are flattened with dots (``{"env": {"t": 1}}`` → ``env.t``), except an
  object named ``measurements``, ``data`` or ``values`` (at any depth), which adds nothing
  to the path: its keys are used directly. When two paths give the same name, the last wins.
- The time is the first of ``ts``, ``timestamp``, ``time`` found at the top of the path
  (so also ``{"data": {"ts": …}}``): ISO 8601, or epoch seconds or milliseconds (numbers
  or digit strings; ≥ 1e11 means milliseconds); without one, the arrival time.
- At most 200 measurements, and at most 16 levels of nesting.
"""

from __future__ import annotations

import re
from typing import Any

from core.protocol.errors import ProtocolError, Reason
from core.protocol.messages import MAX_MEASUREMENTS, MAX_METRIC_LEN, FlatData, Measurement
from core.protocol.times import epoch_to_ms, iso_to_ms

TS_KEYS = ("ts", "timestamp", "time")
DIRECT_KEYS = frozenset({"measurements", "data", "values"})
MAX_DEPTH = 16
_EPOCH_TEXT = re.compile(r"[0-9]{1,16}(\.[0-9]{1,9})?")


def flat_from_object(obj: dict[str, Any], device_id: str, received_ms: int) -> FlatData:
    values: dict[str, float] = {}
    attributes: dict[str, str] = {}
    stamps: dict[str, object] = {}
    _walk(obj, "", values, attributes, stamps, 0)
    if len(values) > MAX_MEASUREMENTS:
        raise ProtocolError(
            Reason.TOO_MANY_MEASUREMENTS,
            f"{len(values)} measurements in one message, at most {MAX_MEASUREMENTS} allowed",
        )
    ts_ms = received_ms
    for key in TS_KEYS:
        if key in stamps:
            ts_ms = _stamp_ms(stamps[key], key)
            break
    measurements = tuple(Measurement(name, ts_ms, value, None) for name, value in values.items())
    return FlatData(device_id, ts_ms, measurements, attributes)


def _walk(
    obj: dict[str, Any],
    prefix: str,
    values: dict[str, float],
    attributes: dict[str, str],
    stamps: dict[str, object],
    depth: int,
) -> None:
    if depth > MAX_DEPTH:
        raise ProtocolError(
            Reason.WRONG_TYPE, f"object {prefix[:-1]!r} is nested more than {MAX_DEPTH} deep"
        )
    for key, value in obj.items():
        if not key:
            continue
        if not prefix and key in TS_KEYS:
            stamps.setdefault(key, value)
            continue
        kind = type(value)
        if kind is dict:
            inner = prefix if key in DIRECT_KEYS else f"{prefix}{key}."
            _walk(value, inner, values, attributes, stamps, depth + 1)
            continue
        name = prefix + key
        if kind is str:
            attributes[name] = value
            continue
        if kind is bool:
            number = 1.0 if value else 0.0
        elif kind is float:
            if value - value != 0.0:
                raise ProtocolError(Reason.NON_FINITE, f"{name} is not a finite number")
            number = value
        elif kind is int:
            try:
                number = float(value)
            except OverflowError:
                raise ProtocolError(Reason.NON_FINITE, f"{name} is too large a number") from None
        else:  # null, list
            continue
        if len(name) > MAX_METRIC_LEN:
            raise ProtocolError(
                Reason.WRONG_TYPE, f"measurement name {name[:40]!r}… is over 128 characters"
            )
        values[name] = number


def _stamp_ms(value: object, field: str) -> int:
    kind = type(value)
    if kind is int or kind is float:
        return epoch_to_ms(value, field)  # type: ignore[arg-type]
    if kind is str and _EPOCH_TEXT.fullmatch(value):  # type: ignore[arg-type]
        return epoch_to_ms(float(value) if "." in value else int(value), field)  # type: ignore
    if kind is str:
        return iso_to_ms(value, field)
    raise ProtocolError(
        Reason.WRONG_TYPE, f"{field} must be an ISO 8601 time or epoch seconds or milliseconds"
    )
