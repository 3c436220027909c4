"""What each placeholder accepts, strictly. Pure.

A value is used only if it fully matches what its name promises (a device id, an IP
address, a MAC address, an interface name…); anything else is refused, so a crafted log
line (``wlan0; reboot``, ``-oProxyCommand=x``, ``$(reboot)``, ``+short``) never reaches a
program's arguments, a device command or an intent. No accepted value (``summary`` aside)
holds whitespace, shell punctuation, or starts with ``-``, ``+`` or ``@``.
"""

from __future__ import annotations

import ipaddress
import re

from core.errors import InvalidInput

MAX_SUMMARY = 2000
FREE_TEXT: frozenset[str] = frozenset({"summary"})
"""Placeholders allowed only in a webhook body (free text never reaches argv or a device)."""

_SLUGGISH = re.compile(r"[a-z0-9][a-z0-9._-]{0,79}")
PATTERNS: dict[str, tuple[re.Pattern[str], str]] = {
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


def check_ip(text: str, label: str = "{ip}") -> str:
    """``text`` as a canonical IP address, or ``PlaceholderRefused``."""
    try:
        if not _IP_CHARS.fullmatch(text):
            raise ValueError(text)
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise PlaceholderRefused(f"{label} = {text!r} is not an IP address") from None


def check_pattern(name: str, text: str, label: str | None = None) -> str:
    """``text`` if it fully matches what ``name`` promises, else ``PlaceholderRefused``."""
    pattern, what = PATTERNS[name]
    if not pattern.fullmatch(text) or (name == "host" and len(text) > 253):
        raise PlaceholderRefused(f"{label or '{' + name + '}'} = {text!r} is not {what}")
    return text.lower() if name == "mac" else text


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
        return check_ip(text)
    if name not in PATTERNS:
        raise PlaceholderRefused(f"{{{name}}} is not a known placeholder")
    return check_pattern(name, text)
