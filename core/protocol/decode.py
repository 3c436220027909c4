"""The whole device → Warden path: topic and payload bytes in, a typed message or a
``ProtocolError`` (with its dead-letter reason) out.

Hot path (the writer decodes every message here): ``orjson`` plus hand-written checks on
plain dicts, no validation library. Checks run in this order, the first failure wins:
size, topic, UTF-8, JSON (an object), ``v`` (v2 topics), then fields in the order the
message lists them. Unknown extra fields are ignored, so newer firmware keeps working.
Optional fields may be absent or ``null``; a required field that is ``null`` is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.protocol.checks import (
    MAX_PAYLOAD_BYTES,
    as_float,
    check_identity,
    check_msg_type,
    check_seq,
    check_version,
    choice,
    count,
    envelope,
    load_object,
    missing,
    opt_float,
    opt_text,
    text_field,
    wrong,
)
from core.protocol.errors import ProtocolError, Reason, show
from core.protocol.flat import flat_from_object
from core.protocol.messages import (
    ACK_RESULTS,
    MAX_MEASUREMENTS,
    MAX_METRIC_LEN,
    MAX_UNIT_LEN,
    OTA_STATES,
    CommandAck,
    FlatData,
    Hello,
    Measurement,
    Message,
    OtaStatus,
    Status,
    Telemetry,
)
from core.protocol.settings import read_settings
from core.protocol.times import iso_to_ms
from core.protocol.topics import DEVICE_ID_RE, TopicKind, parse_topic


def _telemetry(obj: dict[str, Any], device_id: str, received_ms: int) -> Telemetry:
    ts_ms, seq = envelope(obj, device_id, "telemetry")
    items = obj.get("measurements")
    if type(items) is not list:
        if items is None:
            raise missing("measurements")
        raise wrong("measurements", "a list", items)
    if len(items) > MAX_MEASUREMENTS:
        raise ProtocolError(
            Reason.TOO_MANY_MEASUREMENTS,
            f"{len(items)} measurements in one message, at most {MAX_MEASUREMENTS} allowed",
        )
    # The fast loop: ~10 times per message, so no enumerate, no .get for required keys,
    # slot setters instead of the frozen dataclass __init__ (about 40 % cheaper). Anything
    # unusual goes to _measurements_checked, which is the reference and names the problem.
    out: list[Measurement] = []
    append = out.append
    last_ts, last_ms = obj["ts"], ts_ms  # batches mostly repeat one ts: parse it once
    for item in items:
        try:
            metric = item["type"]
            value = item["val"]
        except (TypeError, KeyError):
            return _measurements_checked(device_id, ts_ms, seq, items)
        if type(value) is float:
            if value - value != 0.0:
                return _measurements_checked(device_id, ts_ms, seq, items)
        elif type(value) is int:
            try:
                value = float(value)
            except OverflowError:
                return _measurements_checked(device_id, ts_ms, seq, items)
        else:
            return _measurements_checked(device_id, ts_ms, seq, items)
        if type(metric) is not str or not 0 < len(metric) <= MAX_METRIC_LEN:
            return _measurements_checked(device_id, ts_ms, seq, items)
        ts = item.get("ts")
        if ts is None:
            m_ms = ts_ms
        elif ts == last_ts:
            m_ms = last_ms
        else:
            try:
                m_ms = iso_to_ms(ts, "ts")
            except ProtocolError:
                return _measurements_checked(device_id, ts_ms, seq, items)
            last_ts, last_ms = ts, m_ms
        unit = item.get("unit")
        if unit is not None and (type(unit) is not str or len(unit) > MAX_UNIT_LEN):
            return _measurements_checked(device_id, ts_ms, seq, items)
        m = _new(Measurement)
        _set_metric(m, metric)
        _set_ts(m, m_ms)
        _set_value(m, value)
        _set_unit(m, unit)
        append(m)
    return Telemetry(device_id, ts_ms, seq, tuple(out))


_new = object.__new__
_set_metric, _set_ts, _set_value, _set_unit = (
    Measurement.__dict__[name].__set__ for name in ("metric", "ts_ms", "value", "unit")
)


def _measurements_checked(device_id: str, ts_ms: int, seq: int, items: list[Any]) -> Telemetry:
    """The slow, exact path: the reference for the fast loop, and the error that names
    the bad field (with its index)."""
    out: list[Measurement] = []
    for i, item in enumerate(items):
        if type(item) is not dict:
            raise wrong(f"measurements[{i}]", "an object", item)
        metric = item.get("type")
        if type(metric) is not str or not 0 < len(metric) <= MAX_METRIC_LEN:
            if metric is None:
                raise missing(f"measurements[{i}].type")
            raise wrong(f"measurements[{i}].type", "a string of 1-128 characters", metric)
        value = as_float(item.get("val"), f"measurements[{i}].val")
        ts = item.get("ts")
        m_ms = ts_ms if ts is None else iso_to_ms(ts, f"measurements[{i}].ts")
        unit = item.get("unit")
        if unit is not None and (type(unit) is not str or len(unit) > MAX_UNIT_LEN):
            raise wrong(f"measurements[{i}].unit", "a string of at most 32 characters", unit)
        out.append(Measurement(metric, m_ms, value, unit))
    return Telemetry(device_id, ts_ms, seq, tuple(out))


def _hello(obj: dict[str, Any], device_id: str, received_ms: int) -> Hello:
    ts_ms, seq = envelope(obj, device_id, "hello")
    return Hello(
        device_id,
        ts_ms,
        seq,
        text_field(obj, "fw_version", limit=64),
        count(obj, "uptime_s"),
        count(obj, "broker_connections"),
        as_float(obj.get("buf_usage_pct"), "buf_usage_pct"),
        opt_float(obj, "temp_internal"),
        None if obj.get("settings") is None else read_settings(obj["settings"]),
    )


def _status(obj: dict[str, Any], device_id: str, received_ms: int) -> Status:
    """Lenient on purpose: the last will may be just ``{"status": "offline"}``. Envelope
    fields are optional here but checked when present."""
    if obj.get("v") is not None:
        check_version(obj)
    if obj.get("device_id") is not None:
        check_identity(obj, device_id)
    ts = obj.get("ts")
    ts_ms = received_ms if ts is None else iso_to_ms(ts, "ts")
    seq = obj.get("seq")
    if seq is not None:
        seq = check_seq(seq)
    if obj.get("msg_type") is not None:
        check_msg_type(obj, "status")
    state = obj.get("status")
    if state == "online":
        return Status(device_id, ts_ms, seq, True)
    if state == "offline":
        return Status(device_id, ts_ms, seq, False)
    if state is None:
        raise missing("status")
    raise wrong("status", "online or offline", state)


def _command_ack(obj: dict[str, Any], device_id: str, received_ms: int) -> CommandAck:
    ts_ms, seq = envelope(obj, device_id, "command_ack")
    return CommandAck(
        device_id,
        ts_ms,
        seq,
        text_field(obj, "cmd_id", limit=128),
        choice(obj, "result", ACK_RESULTS),
        opt_text(obj, "detail"),
    )


def _ota_status(obj: dict[str, Any], device_id: str, received_ms: int) -> OtaStatus:
    ts_ms, seq = envelope(obj, device_id, "ota_status")
    return OtaStatus(
        device_id,
        ts_ms,
        seq,
        text_field(obj, "cmd_id", limit=128),
        choice(obj, "ota_state", OTA_STATES),
        opt_float(obj, "progress_pct"),
        opt_text(obj, "fw_version_target"),
        opt_text(obj, "detail"),
    )


_DECODERS: dict[TopicKind, Callable[[dict[str, Any], str, int], Message]] = {
    TopicKind.TELEMETRY: _telemetry,
    TopicKind.HELLO: _hello,
    TopicKind.STATUS: _status,
    TopicKind.COMMAND_ACK: _command_ack,
    TopicKind.OTA_STATUS: _ota_status,
    TopicKind.DATA: flat_from_object,
}


def decode(
    topic: str,
    payload: bytes,
    *,
    prefix: str = "iot",
    max_bytes: int = MAX_PAYLOAD_BYTES,
    received_ms: int,
) -> Message:
    """Decode one MQTT message from a device, or raise ``ProtocolError``.

    ``received_ms`` (epoch ms) is the time of flat JSON without a timestamp and of a status
    without ``ts``.
    """
    if len(payload) > max_bytes:
        raise ProtocolError(
            Reason.TOO_LARGE, f"payload is {len(payload)} bytes, over the {max_bytes} allowed"
        )
    device_id, kind = parse_topic(topic, prefix)
    if kind is TopicKind.COMMAND:
        raise ProtocolError(
            Reason.UNKNOWN_TOPIC, "the command topic carries Warden's commands, not device data"
        )
    return _DECODERS[kind](load_object(payload), device_id, received_ms)


def decode_flat(
    device_id: str, payload: bytes, *, max_bytes: int = MAX_PAYLOAD_BYTES, received_ms: int
) -> FlatData:
    """Flat JSON from a topic configured as flat (not ``{prefix}/{id}/data``), or from
    HTTP, for a device whose id is already known (checked like a topic's id)."""
    if DEVICE_ID_RE.fullmatch(device_id) is None:
        raise ProtocolError(
            Reason.BAD_DEVICE_ID, f"device id {show(device_id)} is not 1-64 of A-Z a-z 0-9 _ . : -"
        )
    if len(payload) > max_bytes:
        raise ProtocolError(
            Reason.TOO_LARGE, f"payload is {len(payload)} bytes, over the {max_bytes} allowed"
        )
    return flat_from_object(load_object(payload), device_id, received_ms)
