"""Messages to the exact PROTOCOL.md JSON, for the simulator and tests.

Keys in the order of the PROTOCOL.md examples; compact separators; times as ISO 8601 UTC
with ``Z`` (milliseconds kept when not zero); optional fields that are ``None`` left out.
Non-finite numbers raise ``ValueError`` (the protocol has no way to write them).
"""

from __future__ import annotations

import json
from typing import Any

from core.protocol.messages import CommandAck, Hello, OtaStatus, Status, Telemetry
from core.protocol.times import ms_to_iso

_dumps = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode


def dumps(obj: Any) -> bytes:
    return _dumps(obj).encode()


def encode(message: Telemetry | Hello | Status | CommandAck | OtaStatus) -> bytes:
    if isinstance(message, Telemetry):
        ts = ms_to_iso(message.ts_ms)
        items = []
        for m in message.measurements:
            item: dict[str, Any] = {
                "ts": ts if m.ts_ms == message.ts_ms else ms_to_iso(m.ts_ms),
                "type": m.metric,
                "val": m.value,
            }
            if m.unit is not None:
                item["unit"] = m.unit
            items.append(item)
        return dumps(_envelope(message, "telemetry", ts) | {"measurements": items})
    if isinstance(message, Hello):
        body = _envelope(message, "hello") | {
            "fw_version": message.fw_version,
            "uptime_s": message.uptime_s,
            "broker_connections": message.broker_connections,
            "buf_usage_pct": message.buf_usage_pct,
        }
        if message.temp_internal is not None:
            body["temp_internal"] = message.temp_internal
        if message.settings is not None:
            body["settings"] = [s.as_json() for s in message.settings]
        return dumps(body)
    if isinstance(message, Status):
        # The example shows no seq/msg_type; the envelope table asks for msg_type, so it is
        # written (decode accepts both) and seq only when there is one.
        body = {"v": 2, "device_id": message.device_id, "ts": ms_to_iso(message.ts_ms)}
        if message.seq is not None:
            body["seq"] = message.seq
        body["msg_type"] = "status"
        body["status"] = "online" if message.online else "offline"
        return dumps(body)
    if isinstance(message, CommandAck):
        body = _envelope(message, "command_ack") | {
            "cmd_id": message.cmd_id,
            "result": message.result,
        }
        if message.detail is not None:
            body["detail"] = message.detail
        return dumps(body)
    if isinstance(message, OtaStatus):
        body = _envelope(message, "ota_status") | {
            "cmd_id": message.cmd_id,
            "ota_state": message.ota_state,
        }
        for key in ("progress_pct", "fw_version_target", "detail"):
            value = getattr(message, key)
            if value is not None:
                body[key] = value
        return dumps(body)
    raise TypeError(f"cannot encode {type(message).__name__} as a v2 message")


def _envelope(
    message: Telemetry | Hello | CommandAck | OtaStatus, msg_type: str, ts: str | None = None
) -> dict[str, Any]:
    return {
        "v": 2,
        "device_id": message.device_id,
        "ts": ts or ms_to_iso(message.ts_ms),
        "seq": message.seq,
        "msg_type": msg_type,
    }


def encode_flat(values: dict[str, Any], *, ts_ms: int | None = None) -> bytes:
    """A flat JSON object; with ``ts_ms``, an ISO ``ts`` comes first (replacing any)."""
    if ts_ms is None:
        return dumps(values)
    return dumps({"ts": ms_to_iso(ts_ms)} | {k: v for k, v in values.items() if k != "ts"})
