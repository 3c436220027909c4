"""Timestamps on the wire (ISO 8601 UTC, or epoch seconds/milliseconds in flat JSON) to
epoch milliseconds and back, exactly (no float rounding)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.protocol.errors import ProtocolError, Reason

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_MS = timedelta(milliseconds=1)
_fromisoformat = datetime.fromisoformat

EPOCH_MS_ABOVE = 100_000_000_000
"""Epoch numbers at or above this are milliseconds (after 1973), below it seconds."""
MAX_MS = 253_402_300_800_000
"""Year 10000: later times cannot be written as ISO 8601."""


def iso_to_ms(value: object, field: str) -> int:
    """Epoch ms of an ISO 8601 string; a time without offset is UTC (PROTOCOL.md)."""
    if type(value) is not str:
        raise ProtocolError(Reason.WRONG_TYPE, f"{field} must be an ISO 8601 time string")
    try:
        moment = _fromisoformat(value)
    except ValueError:
        raise ProtocolError(
            Reason.WRONG_TYPE, f"{field} is not an ISO 8601 time like 2026-02-12T10:00:10Z"
        ) from None
    if moment.tzinfo is None:
        return (moment - _NAIVE_EPOCH) // _MS
    return (moment - _EPOCH) // _MS


def epoch_to_ms(value: int | float, field: str) -> int:
    """Epoch seconds or milliseconds (told apart by size) to epoch ms."""
    try:
        ms = round(value if abs(value) >= EPOCH_MS_ABOVE else value * 1000)
    except (OverflowError, ValueError):
        raise ProtocolError(Reason.NON_FINITE, f"{field} is not a finite number") from None
    if not 0 <= ms < MAX_MS:
        raise ProtocolError(Reason.WRONG_TYPE, f"{field} is out of range as an epoch time")
    return ms


def ms_to_iso(ms: int) -> str:
    """``2026-02-12T10:00:10Z``, or ``…10.123Z`` when the milliseconds are not zero."""
    moment = _NAIVE_EPOCH + timedelta(milliseconds=ms)
    if ms % 1000:
        return moment.isoformat(timespec="milliseconds") + "Z"
    return moment.isoformat(timespec="seconds") + "Z"
