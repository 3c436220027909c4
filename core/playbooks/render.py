"""Filling a playbook's placeholders from a finding, strictly.

A value is used only if it fully matches what its name promises (a device id, an IP
address, a MAC address, an interface name…); anything else is refused before any step is
returned, so a crafted log line (``wlan0; reboot``, ``-oProxyCommand=x``, ``$(reboot)``)
never reaches a program's arguments, a device command or an intent. No accepted value
(``summary`` aside) holds whitespace, shell punctuation or a leading ``-``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from core.errors import InvalidInput
from core.playbooks.models import FREE_TEXT, Playbook, fill, template_names

MAX_SUMMARY = 2000
DEFAULT_BODY: dict[str, str] = {
    "finding": "{finding}",
    "rule": "{rule}",
    "severity": "{severity}",
    "device": "{device}",
    "summary": "{summary}",
}
"""A webhook's body when the playbook gives none; a value that is missing or refused is
``null`` here instead of an error (the default body is best-effort)."""

_SLUGGISH = re.compile(r"[a-z0-9][a-z0-9._-]{0,79}")
_PATTERNS: dict[str, tuple[re.Pattern[str], str]] = {
    "device": (re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"), "a device id"),
    "mac": (re.compile(r"[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}"), "a MAC address"),
    "interface": (re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,14}"), "an interface name"),
    "host": (
        re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,62}(?:\.[A-Za-z0-9][A-Za-z0-9-]{0,62})*"),
        "a host name",
    ),
    "rule": (_SLUGGISH, "a rule id"),
    "severity": (_SLUGGISH, "a severity"),
    "finding": (re.compile(r"[0-9]{1,19}"), "a finding number"),
}
_IP_CHARS = re.compile(r"[0-9A-Fa-f.:]{2,45}")  # no "%scope", no spaces


class PlaceholderRefused(InvalidInput):
    title = "Placeholder refused"


class PlaceholderMissing(InvalidInput):
    title = "Placeholder missing"


def validate_value(name: str, value: object) -> str:
    """The normalised text of ``value`` for placeholder ``name`` (an IP address in its
    canonical form, a MAC address in lower case), or ``PlaceholderRefused``."""
    if isinstance(value, bool) or not isinstance(
        value, str | int | ipaddress.IPv4Address | ipaddress.IPv6Address
    ):
        raise PlaceholderRefused(f"{{{name}}} = {value!r} is not text")
    text = str(value)
    if name in FREE_TEXT:
        if len(text) > MAX_SUMMARY:
            raise PlaceholderRefused(f"{{{name}}} is longer than {MAX_SUMMARY} characters")
        return text
    if name == "ip":
        try:
            if not _IP_CHARS.fullmatch(text):
                raise ValueError(text)
            return str(ipaddress.ip_address(text))
        except ValueError:
            raise PlaceholderRefused(f"{{ip}} = {text!r} is not an IP address") from None
    if name not in _PATTERNS:
        raise PlaceholderRefused(f"{{{name}}} is not a known placeholder")
    pattern, what = _PATTERNS[name]
    if not pattern.fullmatch(text) or (name == "host" and len(text) > 253):
        raise PlaceholderRefused(f"{{{name}}} = {text!r} is not {what}")
    return text.lower() if name == "mac" else text


def placeholders_of(playbook: Playbook) -> set[str]:
    """Every placeholder the playbook's steps name (not those of a default webhook body)."""
    return {
        name
        for step in playbook.steps
        for _, template in step.templates()
        for name in template_names(template)
    }


def render_steps(playbook: Playbook, values: Mapping[str, object | None]) -> list[dict[str, Any]]:
    """The playbook's steps as plain dicts with placeholders filled from ``values``.
    Every placeholder a step names is checked first: ``PlaceholderMissing`` when it has no
    value, ``PlaceholderRefused`` when its value is not what the name promises; on either,
    nothing is returned."""
    filled: dict[str, str | None] = {}
    for name in sorted(placeholders_of(playbook)):
        value = values.get(name)
        if value is None:
            raise PlaceholderMissing(f"{{{name}}} has no value for this finding")
        filled[name] = validate_value(name, value)
    best_effort = {**filled}
    for name in template_names("".join(DEFAULT_BODY.values())):
        if name not in best_effort:
            best_effort[name] = _or_none(name, values.get(name))

    rendered: list[dict[str, Any]] = []
    for step in playbook.steps:
        data = step.model_dump(mode="json")
        match data["kind"]:
            case "command":
                data["params"] = _fill_all(data["params"], filled)
            case "diagnostic":
                data["argv"] = [data["argv"][0], *_fill_all(data["argv"][1:], filled)]
            case "intent":
                data["text"] = fill(data["text"], filled)
            case "webhook":
                if data["body"] is None:
                    data["body"] = _fill_all(DEFAULT_BODY, best_effort)
                else:
                    data["body"] = _fill_all(data["body"], filled)
        rendered.append(data)
    return rendered


def _or_none(name: str, value: object | None) -> str | None:
    if value is None:
        return None
    try:
        return validate_value(name, value)
    except PlaceholderRefused:
        return None


def _fill_all(value: Any, filled: dict[str, str | None]) -> Any:
    if isinstance(value, str):
        return fill(value, filled)
    if isinstance(value, dict):
        return {key: _fill_all(item, filled) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill_all(item, filled) for item in value]
    return value
