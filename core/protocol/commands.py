"""Commands, Warden → device on ``{prefix}/{id}/command`` (PROTOCOL.md "Commands").

``validate_command`` is for whoever queues a command (a person at the CLI types strings:
``--param send_interval_s=15`` is accepted as 15); ``encode_command`` writes what was
validated; ``decode_command`` is the device side (the simulator) and accepts any ``cmd``,
so a device can answer ``unsupported``.
"""

from __future__ import annotations

import re
from typing import Any

from core.protocol.checks import check_version, load_object, text_field
from core.protocol.encode import dumps
from core.protocol.errors import ProtocolError, Reason, show
from core.protocol.times import ms_to_iso

COMMANDS = ("update_config", "start_ota", "reboot", "factory_reset", "request_status")
CONFIG_RANGES = {
    "sampling_cadence_ms": (100, 60_000),
    "send_interval_s": (1, 3_600),
    "hello_interval_s": (5, 3_600),
}
"""``update_config`` settings PROTOCOL.md defines; other keys are device-specific and are
passed through unchanged."""
MAX_BROKERS = 5
DEFAULT_MQTT_PORT = 1883
OTA_PARAMS = ("fw_version", "fw_url", "fw_sha256", "fw_size_bytes")

_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_WHOLE = re.compile(r"\s*[+-]?[0-9]{1,12}\s*")
_HOST = re.compile(r"[A-Za-z0-9_.:\[\]-]{1,253}")


def validate_command(cmd: str, params: dict[str, Any]) -> dict[str, Any]:
    """The normalised params of a valid command, or ``ProtocolError`` naming the problem."""
    if cmd not in COMMANDS:
        raise ProtocolError(
            Reason.WRONG_TYPE, f"unknown command {show(cmd)}; one of {', '.join(COMMANDS)}"
        )
    if not isinstance(params, dict):
        raise ProtocolError(Reason.WRONG_TYPE, f"{cmd} params must be an object")
    if cmd == "update_config":
        return _update_config(params)
    if cmd == "start_ota":
        return _start_ota(params)
    if params:
        raise ProtocolError(
            Reason.WRONG_TYPE, f"{cmd} takes no parameters, got {', '.join(map(str, params))}"
        )
    return {}


def _update_config(params: dict[str, Any]) -> dict[str, Any]:
    if not params:
        raise ProtocolError(
            Reason.MISSING_FIELD, "update_config needs at least one setting, e.g. send_interval_s"
        )
    out: dict[str, Any] = {}
    for key, value in params.items():
        if key in CONFIG_RANGES:
            low, high = CONFIG_RANGES[key]
            out[key] = _whole(value, key, low, high)
        elif key == "brokers":
            out[key] = _brokers(value)
        else:
            out[key] = value
    return out


def _whole(value: object, field: str, low: int, high: int) -> int:
    """An integer in ``low..high`` from an int, a whole float or a digit string."""
    number: int | None = None
    if type(value) is int:
        number = value
    elif (type(value) is float and value.is_integer()) or (
        type(value) is str and _WHOLE.fullmatch(value)
    ):
        number = int(value)
    if number is None or not low <= number <= high:
        raise ProtocolError(
            Reason.WRONG_TYPE, f"{field} must be a whole number {low}-{high}, got {show(value)}"
        )
    return number


def _brokers(value: object) -> list[dict[str, Any]]:
    """1-5 brokers as ``{host, port}`` objects, or ``"host:port"`` strings (a comma-separated
    string is a list); a port defaults to 1883."""
    items = [p for p in value.split(",") if p.strip()] if isinstance(value, str) else value
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BROKERS:
        raise ProtocolError(
            Reason.WRONG_TYPE,
            f"brokers must be a list of 1-{MAX_BROKERS} {{host, port}} objects, got {show(value)}",
        )
    return [_broker(item, i) for i, item in enumerate(items)]


def _broker(item: object, i: int) -> dict[str, Any]:
    if isinstance(item, str):
        host, sep, port = item.strip().rpartition(":")
        item = {"host": host, "port": port} if sep and "]" not in port else {"host": item.strip()}
    if not isinstance(item, dict):
        raise ProtocolError(
            Reason.WRONG_TYPE, f"brokers[{i}] must be {{host, port}} or 'host:port'"
        )
    host = item.get("host")
    if host is None:
        raise ProtocolError(Reason.MISSING_FIELD, f"brokers[{i}].host is missing")
    if not isinstance(host, str) or not _HOST.fullmatch(host):
        raise ProtocolError(
            Reason.WRONG_TYPE, f"brokers[{i}].host must be a host name, got {show(host)}"
        )
    port = _whole(item.get("port", DEFAULT_MQTT_PORT), f"brokers[{i}].port", 1, 65_535)
    return item | {"host": host, "port": port}


def _start_ota(params: dict[str, Any]) -> dict[str, Any]:
    for key in OTA_PARAMS:
        if params.get(key) is None:
            raise ProtocolError(Reason.MISSING_FIELD, f"start_ota needs {key}")
    extra = [key for key in params if key not in OTA_PARAMS]
    if extra:
        raise ProtocolError(
            Reason.WRONG_TYPE,
            f"start_ota takes only {', '.join(OTA_PARAMS)}; unknown {', '.join(extra)}",
        )
    version, url, sha256 = params["fw_version"], params["fw_url"], params["fw_sha256"]
    if not isinstance(version, str) or not 0 < len(version.strip()) <= 64:
        raise ProtocolError(
            Reason.WRONG_TYPE, f"fw_version must be a version string, got {show(version)}"
        )
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ProtocolError(
            Reason.WRONG_TYPE, f"fw_url must be an http:// or https:// URL, got {show(url)}"
        )
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256.strip()):
        raise ProtocolError(
            Reason.WRONG_TYPE, f"fw_sha256 must be 64 hex digits, got {show(sha256)}"
        )
    return {
        "fw_version": version.strip(),
        "fw_url": url,
        "fw_sha256": sha256.strip().lower(),
        "fw_size_bytes": _whole(params["fw_size_bytes"], "fw_size_bytes", 1, 2**40),
    }


def encode_command(*, cmd_id: str, cmd: str, params: dict[str, Any], ts_ms: int) -> bytes:
    """The command as PROTOCOL.md writes it; ``params`` as given (validate them first)."""
    return dumps({"v": 2, "cmd_id": cmd_id, "ts": ms_to_iso(ts_ms), "cmd": cmd, "params": params})


def decode_command(payload: bytes) -> tuple[str, str, dict[str, Any]]:
    """``(cmd_id, cmd, params)`` of a command payload (the device side). Any ``cmd`` string
    is returned, known or not; missing ``params`` is ``{}``."""
    obj = load_object(payload)
    check_version(obj)
    cmd_id = text_field(obj, "cmd_id", limit=128)
    cmd = text_field(obj, "cmd", limit=64)
    params = obj.get("params")
    if params is None:
        params = {}
    elif type(params) is not dict:
        raise ProtocolError(Reason.WRONG_TYPE, f"params must be an object, got {show(params)}")
    return cmd_id, cmd, params
