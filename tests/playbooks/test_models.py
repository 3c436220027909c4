"""Playbook models: what loads, what is refused at load time, and which findings match."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from core.playbooks import ALLOWED_PROGRAMS, COMMANDS, Mode, Playbook, parse_playbook
from core.protocol.commands import COMMANDS as PROTOCOL_COMMANDS


def playbook(*steps: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "id": "test.pb",
        "name": "Test",
        "on": ["wifi.auth-failures"],
        "steps": list(steps) or [{"kind": "intent", "text": "quarantine {mac}"}],
        **fields,
    }


def diag(*argv: str) -> dict[str, Any]:
    return {"kind": "diagnostic", "argv": list(argv)}


VALID = [
    playbook(),
    playbook(diag("ping", "-c", "3", "{ip}")),
    playbook(diag("iw", "dev", "{interface}", "station", "get", "{mac}")),
    playbook(diag("echo", "prefix-{device}")),
    playbook({"kind": "command", "cmd": "reboot"}),
    playbook({"kind": "command", "cmd": "update_config", "params": {"send_interval_s": 30}}),
    playbook({"kind": "command", "cmd": "update_config", "params": {"x": {"y": ["{device}"]}}}),
    playbook({"kind": "webhook", "url": "https://hooks.example.com/x"}),
    playbook({"kind": "webhook", "url": "http://10.0.0.1:8080/h", "body": {"t": "{summary}"}}),
    playbook(on=["wifi.*", "security.ssh-login-failures"], mode="auto"),
]


@pytest.mark.parametrize("data", VALID)
def test_valid_playbooks_load(data: dict[str, Any]) -> None:
    assert parse_playbook(data).id == "test.pb"


def test_defaults() -> None:
    pb = parse_playbook(playbook())
    assert (pb.enabled, pb.mode, pb.min_severity, pb.device_type, pb.pack) == (
        True,
        Mode.SUGGEST,
        None,
        None,
        "",
    )
    assert parse_playbook(playbook(diag("echo", "x"))).steps[0].timeout_s == 10


# (data, words the error must contain)
INVALID = [
    (playbook({"kind": "shell", "cmd": "reboot"}), "shell"),
    (playbook(diag("rm", "-rf", "/")), "'rm' is not an allowed program"),
    (playbook(diag("/bin/sh", "-c", "x")), "'/bin/sh' is not an allowed program"),
    (playbook(diag("sh", "-c", "reboot")), "'sh' is not an allowed program"),
    (playbook(diag("/bin/ping", "x")), "'/bin/ping' is not an allowed program"),
    (playbook(diag("{interface}", "x")), "argv[0] is the program"),
    (playbook({"kind": "diagnostic", "argv": []}), "at least 1"),
    (playbook({"kind": "diagnostic", "argv": ["echo"], "timeout_s": 121}), "timeout_s"),
    (playbook({"kind": "diagnostic", "argv": ["echo"], "timeout_s": 0}), "timeout_s"),
    (playbook(diag("ping", "{address}")), "unknown placeholder {address}"),
    (playbook(diag("ping", "{address}")), "steps[0] (diagnostic) argv[1]"),
    (playbook(diag("echo", "{summary}")), "{summary} is free text"),
    (playbook({"kind": "intent", "text": "block {summary}"}), "{summary} is free text"),
    (
        playbook({"kind": "command", "cmd": "update_config", "params": {"n": "{summary}"}}),
        "{summary} is free text",
    ),
    (playbook(diag("echo", "{{ip}}")), "only plain {name}"),
    (playbook(diag("echo", "{ip:>5}")), "only plain {name}"),
    (playbook(diag("echo", "{ip.packed}")), "only plain {name}"),
    (playbook(diag("echo", "ip}")), "only plain {name}"),
    (playbook({"kind": "command", "cmd": "factory_reset"}), "unknown command 'factory_reset'"),
    (playbook({"kind": "command", "cmd": "identify"}), "unknown command 'identify'"),
    (playbook({"kind": "command", "cmd": "reboot", "params": {"a": 1}}), "takes no parameters"),
    (playbook({"kind": "command", "cmd": "update_config"}), "at least one setting"),
    (playbook({"kind": "webhook", "url": "ftp://example.com/x"}), "http:// or https://"),
    (playbook({"kind": "webhook", "url": "example.com/x"}), "http:// or https://"),
    (playbook({"kind": "webhook", "url": "https:///x"}), "http:// or https://"),
    (playbook({"kind": "webhook", "url": "https://{host}/x"}), "no placeholders"),
    (playbook({"kind": "webhook", "url": "https://a.b/ x"}), "no spaces"),
    (playbook({"kind": "intent", "text": ""}), "at least 1"),
    (playbook({"kind": "intent", "text": "x" * 501}), "at most 500"),
    (playbook(extra=1), "extra"),
    (playbook(id="Bad Id"), "pattern"),
    (playbook(on=[]), "at least 1"),
    (playbook(on=["wifi*"]), "'wifi*' is neither"),
    (playbook(on=["*"]), "'*' is neither"),
    (playbook(on=["Wifi.auth"]), "is neither"),
    (playbook(min_severity="urgent"), "min_severity"),
    (playbook(mode="sometimes"), "mode"),
    (playbook(*[diag("echo", "x")] * 11), "at most 10"),
]


@pytest.mark.parametrize(("data", "words"), INVALID)
def test_invalid_playbooks_are_refused(data: dict[str, Any], words: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_playbook(data)
    assert words in str(info.value)


def test_playbook_is_frozen() -> None:
    pb = parse_playbook(playbook())
    with pytest.raises(ValidationError):
        pb.enabled = False  # type: ignore[misc]


def test_commands_are_the_protocol_commands_without_factory_reset() -> None:
    assert set(COMMANDS) == set(PROTOCOL_COMMANDS) - {"factory_reset"}


def test_no_shell_or_interpreter_is_allowed() -> None:
    forbidden = {"sh", "bash", "ash", "busybox", "python", "python3", "env", "sudo", "xargs"}
    assert not ALLOWED_PROGRAMS & forbidden
    assert all("/" not in program for program in ALLOWED_PROGRAMS)


def pb_for(**fields: Any) -> Playbook:
    return parse_playbook(playbook(**fields))


# (playbook fields, rule id, severity, device type, matches?)
MATCHES = [
    ({}, "wifi.auth-failures", "medium", None, True),
    ({}, "wifi.auth-failures-x", "medium", None, False),
    ({}, "wifi.deauth-flood", "medium", None, False),
    ({"enabled": False}, "wifi.auth-failures", "medium", None, False),
    ({"on": ["wifi.*"]}, "wifi.deauth-flood", "low", None, True),
    ({"on": ["wifi.*"]}, "wifix.deauth", "low", None, False),
    ({"on": ["wifi.*"]}, "wifi", "low", None, False),
    ({"on": ["iot.device-offline", "wifi.*"]}, "iot.device-offline", "info", None, True),
    ({"min_severity": "high"}, "wifi.auth-failures", "medium", None, False),
    ({"min_severity": "high"}, "wifi.auth-failures", "high", None, True),
    ({"min_severity": "high"}, "wifi.auth-failures", "critical", None, True),
    ({"min_severity": "info"}, "wifi.auth-failures", "info", None, True),
    ({"min_severity": "low"}, "wifi.auth-failures", "info", None, False),
    ({"min_severity": "low"}, "wifi.auth-failures", "bogus", None, False),
    ({}, "wifi.auth-failures", "bogus", None, True),
    ({"device_type": "sensor"}, "wifi.auth-failures", "low", "sensor", True),
    ({"device_type": "sensor"}, "wifi.auth-failures", "low", "sensor_temp", True),
    ({"device_type": "sensor"}, "wifi.auth-failures", "low", "sensors", False),
    ({"device_type": "sensor"}, "wifi.auth-failures", "low", None, False),
    ({}, "wifi.auth-failures", "low", "gateway", True),
]


@pytest.mark.parametrize(("fields", "rule_id", "severity", "device_type", "expected"), MATCHES)
def test_matches(
    fields: dict[str, Any], rule_id: str, severity: str, device_type: str | None, expected: bool
) -> None:
    assert (
        pb_for(**fields).matches(rule_id=rule_id, severity=severity, device_type=device_type)
        is expected
    )
