"""What a syslog line said, parsed: one frozen dataclass, and the class it was sorted into."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

MAX_MESSAGE_BYTES = 8192
"""A message longer than this (as UTF-8, after neutralising) is cut and flagged ``truncated``."""

DEFAULT_FACILITY = 1
"""``user``: what RFC 3164 §4.3.3 tells a relay to assume for a line without ``<PRI>``."""
DEFAULT_SEVERITY = 5
"""``notice``: the same rule's severity."""


class LogClass(StrEnum):
    WIFI = "wifi"
    AUTH = "auth"
    DHCP = "dhcp"
    CONNECTIVITY = "connectivity"
    FIREWALL = "firewall"
    SYSTEM = "system"
    GENERIC = "generic"


@dataclass(frozen=True, slots=True)
class SyslogRecord:
    """One syslog line. Every text field is already neutralised (no control characters).

    ``ts_ms`` is epoch milliseconds, UTC; the arrival time when the line carried none.
    ``rfc`` is ``"5424"`` (``<PRI>1 …``), ``"3164"`` (``<PRI>`` then BSD style, the header
    parts being optional) or ``"none"`` (no ``<PRI>``: defaults, BSD header still recognised).
    """

    facility: int
    severity: int
    ts_ms: int
    host: str | None
    app: str | None
    pid: int | None
    message: str
    structured_data: dict[str, dict[str, str]]
    truncated: bool
    log_class: LogClass
    rfc: str
