"""Commands, Warden -> device: validation ranges, encoding, decoding on the device side."""

from __future__ import annotations

import json

import pytest

from core.protocol import (
    COMMANDS,
    ProtocolError,
    Reason,
    decode_command,
    encode_command,
    validate_command,
)
from tests.protocol import fixture_bytes, ms

SHA = "ab" * 32
OTA = {
    "fw_version": "2.2.0",
    "fw_url": "https://fw.example/2.2.0.bin",
    "fw_sha256": SHA,
    "fw_size_bytes": 1024,
}


def problem(cmd: str, params: object) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        validate_command(cmd, params)  # type: ignore[arg-type]
    return caught.value


def test_the_commands():
    assert COMMANDS == ("update_config", "start_ota", "reboot", "factory_reset", "request_status")


@pytest.mark.parametrize(
    ("key", "low", "high"),
    [
        ("sampling_cadence_ms", 100, 60000),
        ("send_interval_s", 1, 3600),
        ("hello_interval_s", 5, 3600),
    ],
)
def test_update_config_ranges_are_inclusive(key, low, high):
    assert validate_command("update_config", {key: low}) == {key: low}
    assert validate_command("update_config", {key: high}) == {key: high}
    for bad in (low - 1, high + 1, True, "ten", 1.5, None, [low]):
        error = problem("update_config", {key: bad})
        assert error.reason is Reason.WRONG_TYPE
        assert key in error.detail and f"{low}-{high}" in error.detail


def test_update_config_normalises_typed_strings_and_passes_device_keys_through():
    params = {
        "send_interval_s": "15",
        "sampling_cadence_ms": 500.0,
        "mqtt_qos": 2,
        "camera_fps": "25",
    }
    assert validate_command("update_config", params) == {
        "send_interval_s": 15,
        "sampling_cadence_ms": 500,
        "mqtt_qos": 2,
        "camera_fps": "25",
    }


def test_update_config_needs_a_setting():
    assert problem("update_config", {}).reason is Reason.MISSING_FIELD


def test_brokers():
    brokers = [{"host": "a.local", "port": 1883}, {"host": "10.0.0.2", "port": 8883}]
    assert validate_command("update_config", {"brokers": brokers}) == {"brokers": brokers}
    assert validate_command("update_config", {"brokers": "a:1884, b"}) == {
        "brokers": [{"host": "a", "port": 1884}, {"host": "b", "port": 1883}]
    }
    for bad in (
        [],
        [{"host": "a", "port": 1}] * 6,
        [{"host": "a", "port": 0}],
        [{"host": ""}],
        [5],
        " , ",
        "a:99999",
        "a b:1883",
    ):
        error = problem("update_config", {"brokers": bad})
        assert error.reason in (Reason.WRONG_TYPE, Reason.MISSING_FIELD)
        assert "brokers" in error.detail
    assert problem("update_config", {"brokers": [{"port": 1883}]}).reason is Reason.MISSING_FIELD


def test_start_ota_needs_all_four_fields():
    assert validate_command("start_ota", OTA) == OTA
    upper = validate_command("start_ota", OTA | {"fw_sha256": SHA.upper(), "fw_size_bytes": "1024"})
    assert upper == OTA
    for key in OTA:
        params = dict(OTA)
        del params[key]
        error = problem("start_ota", params)
        assert error.reason is Reason.MISSING_FIELD and key in error.detail


@pytest.mark.parametrize(
    ("key", "bad"),
    [
        ("fw_url", "ftp://x/fw.bin"),
        ("fw_sha256", "abc"),
        ("fw_size_bytes", 0),
        ("fw_size_bytes", True),
        ("fw_version", 2),
    ],
)
def test_start_ota_checks_each_field(key, bad):
    error = problem("start_ota", OTA | {key: bad})
    assert error.reason is Reason.WRONG_TYPE and key in error.detail


def test_start_ota_rejects_unknown_keys_and_plain_commands_take_no_params():
    assert "extra" in problem("start_ota", OTA | {"extra": 1}).detail
    for cmd in ("reboot", "factory_reset", "request_status"):
        assert validate_command(cmd, {}) == {}
        assert problem(cmd, {"now": True}).reason is Reason.WRONG_TYPE


def test_unknown_commands_and_non_object_params():
    assert "selfdestruct" in problem("selfdestruct", {}).detail
    assert problem("reboot", ["x"]).reason is Reason.WRONG_TYPE


def test_encode_command_writes_the_protocol_md_shape():
    payload = encode_command(
        cmd_id="a3f7c2e1-9b4d-4e8a-b6f1-2d3e4f5a6b7c",
        cmd="update_config",
        params={"send_interval_s": 15},
        ts_ms=ms("2026-02-12T10:05:00Z"),
    )
    assert json.loads(payload) == json.loads(fixture_bytes("command.json"))
    assert list(json.loads(payload)) == ["v", "cmd_id", "ts", "cmd", "params"]


def test_decode_command_reads_the_example_and_any_cmd():
    assert decode_command(fixture_bytes("command.json")) == (
        "a3f7c2e1-9b4d-4e8a-b6f1-2d3e4f5a6b7c",
        "update_config",
        {"send_interval_s": 15},
    )
    odd = encode_command(cmd_id="c1", cmd="dance", params={}, ts_ms=0)
    assert decode_command(odd) == ("c1", "dance", {})
    assert decode_command(b'{"v": 2, "cmd_id": "c2", "cmd": "reboot"}') == ("c2", "reboot", {})


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b'{"v": 2, "cmd": "reboot"}', Reason.MISSING_FIELD),
        (b'{"v": 2, "cmd_id": 5, "cmd": "reboot"}', Reason.WRONG_TYPE),
        (b'{"v": 2, "cmd_id": "c", "cmd": "reboot", "params": []}', Reason.WRONG_TYPE),
        (b'{"v": 1, "cmd_id": "c", "cmd": "reboot"}', Reason.BAD_VERSION),
        (b'{"cmd_id": "c", "cmd": "reboot"}', Reason.MISSING_FIELD),
        (b"reboot", Reason.NOT_JSON),
        (b"\xff", Reason.NOT_UTF8),
    ],
)
def test_decode_command_rejects(payload, reason):
    with pytest.raises(ProtocolError) as caught:
        decode_command(payload)
    assert caught.value.reason is reason
