"""Rendering: every value is checked against what its placeholder promises before any step
is returned; a crafted value never reaches argv, a device command or an intent. A diagnostic
is rendered with the argument vector its template builds, which is what will run."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.playbooks import (
    DEFAULT_BODY,
    PLACEHOLDERS,
    PlaceholderMissing,
    PlaceholderRefused,
    Playbook,
    parse_playbook,
    placeholders_of,
    render_steps,
    validate_value,
)

STATION = parse_playbook(
    {
        "id": "wifi.station",
        "name": "Station",
        "on": ["wifi.auth-failures"],
        "steps": [
            {
                "kind": "diagnostic",
                "template": "station_info",
                "params": {"interface": "{interface}", "mac": "{mac}"},
            },
            {
                "kind": "diagnostic",
                "template": "neighbours",
                "params": {"ip": "{ip}", "interface": "{interface}"},
            },
            {"kind": "intent", "text": "quarantine {mac}"},
            {
                "kind": "command",
                "cmd": "update_config",
                "params": {"send_interval_s": 30, "tag": "seen-{device}", "n": {"l": ["{rule}"]}},
            },
            {
                "kind": "webhook",
                "url": "https://hooks.example.com/warden",
                "body": {"text": "{summary}", "at": ["{host}", 1]},
            },
        ],
    }
)
GOOD = {
    "interface": "wlan0",
    "mac": "3C:22:FB:12:34:56",
    "ip": "192.168.1.50",
    "device": "ap-1",
    "rule": "wifi.auth-failures",
    "host": "ap-1.lan",
    "summary": "5 failed Wi-Fi authentications; from $(nowhere) | x",
}


def test_render_fills_every_templated_field() -> None:
    assert render_steps(STATION, GOOD) == [
        {
            "kind": "diagnostic",
            "template": "station_info",
            "params": {"interface": "wlan0", "mac": "3c:22:fb:12:34:56"},
            "argv": ["iw", "dev", "wlan0", "station", "get", "3c:22:fb:12:34:56"],
            "timeout_s": 10,
        },
        {
            "kind": "diagnostic",
            "template": "neighbours",
            "params": {"ip": "192.168.1.50", "interface": "wlan0"},
            "argv": ["ip", "neigh", "show", "to", "192.168.1.50", "dev", "wlan0"],
            "timeout_s": 10,
        },
        {"kind": "intent", "text": "quarantine 3c:22:fb:12:34:56"},
        {
            "kind": "command",
            "cmd": "update_config",
            "params": {
                "send_interval_s": 30,
                "tag": "seen-ap-1",
                "n": {"l": ["wifi.auth-failures"]},
            },
        },
        {
            "kind": "webhook",
            "url": "https://hooks.example.com/warden",
            "body": {"text": GOOD["summary"], "at": ["ap-1.lan", 1]},
        },
    ]


def test_render_leaves_the_playbook_unchanged() -> None:
    before = STATION.model_dump()
    render_steps(STATION, GOOD)
    assert STATION.model_dump() == before


def test_placeholders_of() -> None:
    assert placeholders_of(STATION) == {
        "interface",
        "mac",
        "ip",
        "device",
        "rule",
        "host",
        "summary",
    }


INJECTIONS = [
    "wlan0; reboot",
    "-oProxyCommand=x",
    "$(reboot)",
    "`reboot`",
    "wlan0|sh",
    "wlan0&&x",
    "a b",
    "wlan0\n",
    "wlan0\nreboot",
    "",
    "wlan0123456789012",  # 16 characters, over IFNAMSIZ
    "../etc",
]


@pytest.mark.parametrize("value", INJECTIONS)
def test_crafted_interface_is_refused_and_nothing_is_rendered(value: str) -> None:
    result: list[dict[str, Any]] | None = None
    with pytest.raises(PlaceholderRefused) as info:
        result = render_steps(STATION, {**GOOD, "interface": value})
    assert result is None
    assert info.value.msg == f"{{interface}} = {value!r} is not an interface name"
    assert info.value.title == "Placeholder refused"


def test_missing_value_is_named() -> None:
    with pytest.raises(PlaceholderMissing, match=r"^\{mac\} has no value for this finding$"):
        render_steps(STATION, {**GOOD, "mac": None})
    with pytest.raises(PlaceholderMissing, match=r"\{host\}"):
        render_steps(STATION, {k: v for k, v in GOOD.items() if k != "host"})


# (name, value, normalised or None when refused)
VALUES = [
    ("ip", "::1", "::1"),
    ("ip", "2001:DB8:0:0::1", "2001:db8::1"),
    ("ip", "10.0.0.9", "10.0.0.9"),
    ("ip", ipaddress.ip_address("10.0.0.9"), "10.0.0.9"),
    ("ip", "1.2.3", None),
    ("ip", "01.2.3.4", None),
    ("ip", "fe80::1%eth0", None),
    ("ip", "fe80::1%; reboot", None),
    ("ip", " 10.0.0.9", None),
    ("ip", "-1", None),
    ("mac", "3C:22:FB:12:34:56", "3c:22:fb:12:34:56"),
    ("mac", "3c-22-fb-12-34-56", None),
    ("mac", "3c:22:fb:12:34:56:78", None),
    ("mac", "3c:22:fb:12:34:5g", None),
    ("device", "sensor-12.a_b", "sensor-12.a_b"),
    ("device", "-sensor", None),
    ("device", "a" * 65, None),
    ("device", "a/b", None),
    ("interface", "br-lan.10", "br-lan.10"),
    ("interface", "wlan0@phy0", "wlan0@phy0"),
    ("interface", "wlan0:1", None),
    ("host", "ap-1.lan", "ap-1.lan"),
    ("host", "ap_1", None),
    ("host", "+short", None),
    ("host", "@8.8.8.8", None),
    ("host", ".lan", None),
    ("host", "a." * 130 + "b", None),
    ("rule", "wifi.auth-failures", "wifi.auth-failures"),
    ("rule", "Wifi", None),
    ("severity", "high", "high"),
    ("severity", "-high", None),
    ("finding", 42, "42"),
    ("finding", "42", "42"),
    ("finding", "4 2", None),
    ("finding", "-1", None),
    ("finding", "٤٢", None),  # Arabic-Indic digits are not 0-9
    ("finding", True, None),
    ("device", 3.5, None),
    ("device", ["ap-1"], None),
    ("summary", "anything; $(at) all | ok", "anything; $(at) all | ok"),
    ("summary", "x" * 2001, None),
    ("nonsense", "x", None),
]


@pytest.mark.parametrize(("name", "value", "expected"), VALUES)
def test_validate_value(name: str, value: object, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(PlaceholderRefused, match=rf"\{{{name}\}}"):
            validate_value(name, value)
    else:
        assert validate_value(name, value) == expected


STRICT = sorted(PLACEHOLDERS - {"summary"})


@pytest.mark.parametrize("name", STRICT)
def test_no_strict_value_may_start_with_a_dash(name: str) -> None:
    for value in ("-x", "-1", "--help", "-oProxyCommand=x"):
        with pytest.raises(PlaceholderRefused):
            validate_value(name, value)


@settings(max_examples=300)
@given(name=st.sampled_from(STRICT), value=st.text(max_size=80) | st.integers())
def test_accepted_values_are_inert(name: str, value: str | int) -> None:
    try:
        text = validate_value(name, value)
    except PlaceholderRefused:
        return
    assert not any(c.isspace() for c in text)
    assert not set(text) & set(";$`|&<>()'\"\\*?{}")
    assert not text.startswith(("-", "+", "@"))
    assert text


def webhook(body: dict[str, Any] | None = None) -> Playbook:
    return parse_playbook(
        {
            "id": "hook",
            "name": "Hook",
            "on": ["wifi.*"],
            "steps": [{"kind": "webhook", "url": "https://h.example.com/", "body": body}],
        }
    )


def test_default_body_is_best_effort() -> None:
    values = {"finding": 7, "rule": "wifi.auth-failures", "device": "bad device", "summary": "s"}
    [step] = render_steps(webhook(), values)
    assert set(step["body"]) == set(DEFAULT_BODY)
    assert step["body"] == {
        "finding": "7",
        "rule": "wifi.auth-failures",
        "severity": None,
        "device": None,
        "summary": "s",
    }


def test_an_explicit_body_is_strict() -> None:
    with pytest.raises(PlaceholderMissing, match=r"\{severity\}"):
        render_steps(webhook({"s": "{severity}"}), {})
    with pytest.raises(PlaceholderRefused, match=r"\{device\}"):
        render_steps(webhook({"d": "{device}"}), {"device": "bad device"})
