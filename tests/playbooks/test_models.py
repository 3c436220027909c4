"""Playbook models: what loads, what is refused at load time, and which findings match."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from core.playbooks import COMMANDS, PROGRAMS, TEMPLATES, Mode, Playbook, parse_playbook
from core.protocol.commands import COMMANDS as PROTOCOL_COMMANDS


def playbook(*steps: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "id": "test.pb",
        "name": "Test",
        "on": ["wifi.auth-failures"],
        "steps": list(steps) or [{"kind": "intent", "text": "quarantine {mac}"}],
        **fields,
    }


def diag(template: str, **params: Any) -> dict[str, Any]:
    return {"kind": "diagnostic", "template": template, "params": params}


VALID = [
    playbook(),
    playbook(diag("ping_device", ip="{ip}", count=3)),
    playbook(diag("station_info", interface="{interface}", mac="{mac}")),
    playbook(diag("echo", device="{device}", host="literal-host")),
    playbook(diag("traceroute", target="{host}")),
    playbook(diag("traceroute", target="{ip}", max_hops=30)),
    playbook(diag("dns_lookup", name="example.com", server="9.9.9.9")),
    playbook(diag("neighbours")),
    playbook(diag("nft_counters")),
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
    assert parse_playbook(playbook(diag("echo", host="x"))).steps[0].timeout_s == 10


# (data, words the error must contain)
INVALID = [
    (playbook({"kind": "shell", "cmd": "reboot"}), "shell"),
    (playbook({"kind": "diagnostic", "argv": ["rm", "-rf", "/"]}), "argv is not accepted"),
    (playbook({"kind": "diagnostic", "argv": ["sh", "-c", "x"]}), "template: ping_device"),
    (playbook({"kind": "diagnostic", "argv": ["ip", "-force", "-batch", "f"]}), "argv is not"),
    (playbook(diag("sh")), "unknown diagnostic template 'sh'"),
    (playbook(diag("/bin/ping", ip="{ip}")), "unknown diagnostic template '/bin/ping'"),
    (playbook(diag("{interface}")), "unknown diagnostic template '{interface}'"),
    (playbook({"kind": "diagnostic"}), "template"),
    (playbook(diag("nft_counters", table="ip filter")), "unknown parameter 'table'"),
    (playbook(diag("ping_device")), "ping_device needs ip (an IP address)"),
    (playbook(diag("ping_device", ip="{ip}", count=0)), "count: 0 is not between 1 and 10"),
    (playbook(diag("ping_device", ip="{ip}", count="3")), "count: '3' is not a whole number"),
    (playbook(diag("ping_device", ip="{ip}", count="{finding}")), "count takes no placeholder"),
    (playbook(diag("ping_device", ip="-f")), "ip = '-f' is not an IP address"),
    (playbook(diag("ping_device", ip="{host}")), "ip takes {ip}, not {host}"),
    (playbook(diag("ping_device", ip="x{ip}")), "exactly one placeholder"),
    (playbook(diag("station_info", interface="{interface}", mac="{ip}")), "takes {mac}"),
    (playbook(diag("interface_status", interface="lo down")), "is not an interface name"),
    (playbook(diag("dns_lookup", name="-f/etc/shadow")), "is not a host name"),
    (playbook(diag("dns_lookup", name="{host}", server="@8.8.8.8")), "is not an IP address"),
    (playbook({**diag("echo", host="x"), "timeout_s": 121}), "timeout_s"),
    (playbook({**diag("echo", host="x"), "timeout_s": 0}), "timeout_s"),
    (playbook(diag("echo", host="{address}")), "unknown placeholder {address}"),
    (playbook(diag("echo", host="{address}")), "host: unknown placeholder {address}"),
    (playbook(diag("echo", host="{summary}")), "{summary} is free text"),
    (playbook({"kind": "intent", "text": "block {summary}"}), "{summary} is free text"),
    (
        playbook({"kind": "command", "cmd": "update_config", "params": {"n": "{summary}"}}),
        "{summary} is free text",
    ),
    (playbook({"kind": "intent", "text": "block {{ip}}"}), "only plain {name}"),
    (playbook({"kind": "intent", "text": "block {ip:>5}"}), "only plain {name}"),
    (playbook({"kind": "intent", "text": "block {ip.packed}"}), "only plain {name}"),
    (playbook({"kind": "intent", "text": "block ip}"}), "only plain {name}"),
    (playbook(diag("echo", host="{{ip}}")), "exactly one placeholder"),
    (playbook(diag("echo", host="{ip.packed}")), "exactly one placeholder"),
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
    (playbook(*[diag("echo", host="x")] * 11), "at most 10"),
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
    assert not PROGRAMS & forbidden
    assert all("/" not in program for program in PROGRAMS)


def test_every_template_only_reads_and_holds_no_option_that_loads_files_or_namespaces() -> None:
    """The words a template fixes: none of the options the issue found abused (``-batch``,
    ``-force``, ``netns``, ``-f``, ``flush``, ``set``, ``del``…) appear in any of them."""
    writing = {"-batch", "-force", "netns", "exec", "-f", "flush", "set", "del", "delete"}
    writing |= {"add", "change", "replace", "down", "up", "-b", "-file", "--file"}
    for template in TEMPLATES.values():
        words = {w for word in template.words for w in ([word] if isinstance(word, str) else word)}
        assert not words & writing, template.name


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
