"""Device identity from DHCP server lines: only an acknowledged lease (dnsmasq ``DHCPACK``)
says that this MAC now holds this IP under this name; offers, requests and IPv6 replies (which
carry a DUID, not a MAC) teach nothing reliable.

odhcpd is not read: its IPv6 lines name DUIDs, and its log format changes between OpenWRT
releases. Warden learns IPv6 neighbours elsewhere.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from core.syslog.record import SyslogRecord

_ACK = re.compile(
    r"(?:^|\s)DHCPACK\(([^)\s]{1,32})\) (\S+) "
    r"((?:[0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2})(?: (\S{1,253}))?\s*$"
)
_HOSTNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,252}")


@dataclass(frozen=True, slots=True)
class DhcpLease:
    ip: str
    mac: str
    """Lower case, colon separated."""
    hostname: str | None
    """As the client asked (dnsmasq prints it only when it is usable as a DNS name)."""
    interface: str | None


def parse_dhcp(record_or_message: str | SyslogRecord) -> DhcpLease | None:
    """The lease a dnsmasq ``DHCPACK(br-lan) 192.168.1.100 aa:bb:cc:dd:ee:ff name`` line
    reports (the name is optional; a ``--log-dhcp`` transaction number before it is fine);
    ``None`` for anything else."""
    message = (
        record_or_message.message
        if isinstance(record_or_message, SyslogRecord)
        else record_or_message
    )
    if "DHCPACK(" not in message:
        return None
    found = _ACK.search(message)
    if found is None:
        return None
    interface, ip, mac, name = found.groups()
    try:
        address = ipaddress.IPv4Address(ip)
    except ValueError:
        return None
    hostname = name if name is not None and _HOSTNAME.fullmatch(name) else None
    return DhcpLease(
        ip=str(address),
        mac=mac.lower().replace("-", ":"),
        hostname=hostname,
        interface=interface,
    )
