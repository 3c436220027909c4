"""`warden command send` reads its command and parameters with the command catalog the
consoles use: the same five commands, values as JSON or a bare word, versions and URLs as
typed, and a refusal before anything is queued."""

from __future__ import annotations

SHA = "cd" * 32


def test_send_queues_what_the_catalog_read(warden):
    assert warden("devices", "add", "meter-1", "--type", "power_meter").exit_code == 0
    queued = warden.json(
        "command",
        "send",
        "meter-1",
        "start_ota",
        "-p",
        "fw_version=2.3",
        "-p",
        "fw_url=https://fw.example/meter.bin",
        "-p",
        f"fw_sha256={SHA}",
        "-p",
        "fw_size_bytes=4096",
    )
    assert queued["params"] == {
        "fw_version": "2.3",
        "fw_url": "https://fw.example/meter.bin",
        "fw_sha256": SHA,
        "fw_size_bytes": 4096,
    }
    config = warden.json("command", "send", "meter-1", "update_config", "-p", "mode=eco")
    assert config["params"] == {"mode": "eco"}


def test_a_parameter_the_protocol_refuses_is_said_and_nothing_is_queued(warden):
    assert warden("devices", "add", "meter-1").exit_code == 0
    refused = warden("command", "send", "meter-1", "update_config", "-p", "send_interval_s={x")
    assert refused.exit_code == 2
    assert "the value of send_interval_s is not JSON" in refused.output
    out_of_range = warden("command", "send", "meter-1", "update_config", "-p", "send_interval_s=0")
    assert out_of_range.exit_code == 2
    assert "send_interval_s must be a whole number 1-3600" in out_of_range.output
    assert warden.json("command", "list") == []


def test_the_help_lists_the_catalog(warden):
    shown = warden("command", "send", "--help").output
    for name in ("request_status", "reboot", "update_config", "start_ota", "factory_reset"):
        assert name in shown
    assert "send_interval_s: how often it sends telemetry, 1-3600 s" in shown
    assert "fw_url (required)" in shown
