"""Checks on decoded JSON, shared by the message decoders and the command decoder.

Each names the offending field in its ``ProtocolError`` detail. ``bool`` is never accepted
where a number is expected (JSON ``true`` is not ``1``).
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from core.protocol.errors import ProtocolError, Reason, show
from core.protocol.times import iso_to_ms

MAX_PAYLOAD_BYTES = 262_144
"""The default of ``WARDEN_MAX_PAYLOAD_BYTES`` (256 KiB)."""
MAX_SEQ = 2**32 - 1


def _reject_constant(name: str) -> None:
    raise ProtocolError(Reason.NON_FINITE, f"{name} is not a finite number")


# json.loads accepts NaN/Infinity/-Infinity literals; this decoder refuses them. One shared
# decoder, so no per-call construction (the C scanner still does the work).
_json_decode = json.JSONDecoder(parse_constant=_reject_constant).decode


def load_object(payload: bytes) -> dict[str, Any]:
    """UTF-8 → JSON → a JSON object, or ``NOT_UTF8`` / ``NOT_JSON`` / ``NON_FINITE``.

    orjson first (about twice as fast as ``json`` on the hot path; it accepts only valid
    UTF-8); whatever it refuses (not UTF-8, broken JSON, NaN, 1e999, lone surrogates, deep
    nesting) goes through ``json`` for the exact reason. orjson reads integers beyond 64
    bits as floats; the field checks refuse such a value either way."""
    try:
        obj = orjson.loads(payload)
    except orjson.JSONDecodeError:
        obj = _load_slowly(payload)
    if type(obj) is not dict:
        raise ProtocolError(
            Reason.NOT_JSON, f"payload is a JSON {_json_kind(obj)}, not a JSON object"
        )
    return obj


def _load_slowly(payload: bytes) -> Any:
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(
            Reason.NOT_UTF8, f"payload is not UTF-8 (bad byte at {exc.start})"
        ) from None
    try:
        return _json_decode(text)
    except ProtocolError:
        raise
    except ValueError as exc:  # JSONDecodeError, and ints over 4300 digits
        where = f" at char {exc.pos}" if isinstance(exc, json.JSONDecodeError) else ""
        raise ProtocolError(Reason.NOT_JSON, f"payload is not valid JSON{where}") from None
    except RecursionError:
        raise ProtocolError(Reason.NOT_JSON, "payload JSON is nested too deeply") from None


def _json_kind(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "null"


def missing(field: str) -> ProtocolError:
    return ProtocolError(Reason.MISSING_FIELD, f"required field {field} is missing")


def wrong(field: str, expected: str, value: object) -> ProtocolError:
    return ProtocolError(Reason.WRONG_TYPE, f"{field} must be {expected}, got {show(value)}")


def check_version(obj: dict[str, Any]) -> None:
    v = obj.get("v")
    if v is None:
        raise missing("v")
    if type(v) is not int:
        raise wrong("v", "the integer 2", v)
    if v != 2:
        raise ProtocolError(Reason.BAD_VERSION, f"payload version v={v} is not 2")


def check_identity(obj: dict[str, Any], device_id: str) -> None:
    claimed = obj.get("device_id")
    if claimed is None:
        raise missing("device_id")
    if claimed != device_id:
        if type(claimed) is not str:
            raise wrong("device_id", "a string", claimed)
        raise ProtocolError(
            Reason.IDENTITY_MISMATCH,
            f"device_id {show(claimed)} does not match {device_id!r} in the topic",
        )


def check_seq(value: object) -> int:
    if type(value) is not int or not 0 <= value <= MAX_SEQ:  # type: ignore[operator]
        raise wrong("seq", "an integer 0-4294967295", value)
    return value  # type: ignore[return-value]


def check_msg_type(obj: dict[str, Any], expected: str) -> None:
    msg_type = obj.get("msg_type")
    if msg_type != expected:
        if msg_type is None:
            raise missing("msg_type")
        raise ProtocolError(
            Reason.WRONG_TYPE, f"msg_type {show(msg_type)} does not match the topic ({expected})"
        )


def envelope(obj: dict[str, Any], device_id: str, msg_type: str) -> tuple[int, int]:
    """Check ``v``, ``device_id``, ``ts``, ``seq``, ``msg_type``; return ``(ts_ms, seq)``."""
    check_version(obj)
    check_identity(obj, device_id)
    ts = obj.get("ts")
    if ts is None:
        raise missing("ts")
    ts_ms = iso_to_ms(ts, "ts")
    seq = obj.get("seq")
    if seq is None:
        raise missing("seq")
    seq = check_seq(seq)
    check_msg_type(obj, msg_type)
    return ts_ms, seq


def as_float(value: object, field: str) -> float:
    """A JSON number (not a boolean) as a finite float."""
    kind = type(value)
    if kind is float:
        if value - value != 0.0:  # type: ignore[operator]  # inf and nan (1e999 parses as inf)
            raise ProtocolError(Reason.NON_FINITE, f"{field} is not a finite number")
        return value  # type: ignore[return-value]
    if kind is int:
        try:
            return float(value)  # type: ignore[arg-type]
        except OverflowError:
            raise ProtocolError(Reason.NON_FINITE, f"{field} is too large a number") from None
    if value is None:
        raise missing(field)
    raise wrong(field, "a number", value)


def opt_float(obj: dict[str, Any], field: str) -> float | None:
    value = obj.get(field)
    return None if value is None else as_float(value, field)


def count(obj: dict[str, Any], field: str) -> int:
    value = obj.get(field)
    if type(value) is not int or value < 0:
        if value is None:
            raise missing(field)
        raise wrong(field, "a whole number >= 0", value)
    return value


def text_field(obj: dict[str, Any], field: str, *, limit: int = 256) -> str:
    value = obj.get(field)
    if type(value) is not str or not 0 < len(value) <= limit:
        if value is None:
            raise missing(field)
        raise wrong(field, f"a string of 1-{limit} characters", value)
    return value


def opt_text(obj: dict[str, Any], field: str) -> str | None:
    value = obj.get(field)
    if value is None or type(value) is str:
        return value
    raise wrong(field, "a string", value)


def choice(obj: dict[str, Any], field: str, allowed: frozenset[str]) -> str:
    value = obj.get(field)
    if type(value) is not str or value not in allowed:
        if value is None:
            raise missing(field)
        raise wrong(field, "one of " + ", ".join(sorted(allowed)), value)
    return value  # type: ignore[return-value]
