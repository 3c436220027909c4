"""Syslog, pure: parsing RFC 3164 / RFC 5424 lines, classifying them, reading DHCP leases,
and cutting TCP streams into frames. No I/O: the collector in ``collectors/`` is the shell.

Imports only the standard library and ``core.errors``.
"""

from core.syslog.classify import classify
from core.syslog.dhcp import DhcpLease, parse_dhcp
from core.syslog.framing import MAX_FRAME, TcpFramer
from core.syslog.parser import MAX_INPUT_BYTES, parse_syslog
from core.syslog.record import MAX_MESSAGE_BYTES, LogClass, SyslogRecord

__all__ = [
    "MAX_FRAME",
    "MAX_INPUT_BYTES",
    "MAX_MESSAGE_BYTES",
    "DhcpLease",
    "LogClass",
    "SyslogRecord",
    "TcpFramer",
    "classify",
    "parse_dhcp",
    "parse_syslog",
]
