"""What table ``inet warden`` may hold: its names, and firewall rules checked and put in
the canonical form ``read`` returns. Pure: every address goes through ``ipaddress``, every
interface name through the pattern ``Settings`` uses, every port through a range check."""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Mapping, Sequence
from types import MappingProxyType

from core.config import INTERFACE_NAME
from core.errors import EnforcementError
from core.ports import FirewallRule

__all__ = [
    "ACTIONS",
    "DEFAULT_GATEWAY_SERVICES",
    "FAMILY",
    "PRIORITY",
    "PROTOCOLS",
    "SET_ACTIONS",
    "TABLE",
    "Network",
    "check_rules",
    "checked_port",
    "interface",
    "network",
    "normalize_rule",
    "rule_key",
    "service_ports",
    "text",
]

TABLE = "warden"
FAMILY = "inet"
PRIORITY = -10  # filter - 10: before the distribution's own filter chains
SET_ACTIONS = ("block", "internet_block", "quarantine")
ACTIONS = (*SET_ACTIONS, "allow_only")
PROTOCOLS = ("tcp", "udp")
DEFAULT_GATEWAY_SERVICES: Mapping[str, int | Sequence[int]] = MappingProxyType(
    {"dns": 53, "dhcp": 67, "mqtt": (1883, 8883)}
)
_SERVICE_PROTOCOLS = {"dns": ("udp", "tcp"), "dhcp": ("udp",), "dhcpv6": ("udp",), "ntp": ("udp",)}
"""Transport of a named gateway service; any other name is TCP."""

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def network(value: str, what: str) -> Network:
    try:
        return ipaddress.ip_network(str(value).strip(), strict=False)
    except ValueError:
        raise EnforcementError(f"{what} {value!r} is not an IP address or network") from None


def text(net: Network) -> str:
    """An address for a single host, ``net/len`` otherwise."""
    return str(net.network_address) if net.num_addresses == 1 else str(net)


def interface(name: str) -> str:
    if not isinstance(name, str) or not INTERFACE_NAME.fullmatch(name):
        raise EnforcementError(f"Interface name {name!r} is not a valid interface name")
    return name


def checked_port(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        raise EnforcementError(f"{what}: port {value!r} is not between 1 and 65535")
    return value


def normalize_rule(rule: FirewallRule) -> FirewallRule:
    """The canonical form ``read`` returns: addresses as ``ipaddress`` prints them (a single
    host without ``/32``), destinations validated and sorted; raises ``EnforcementError``."""
    if rule.action not in ACTIONS:
        raise EnforcementError(f"Unknown firewall action {rule.action!r} for {rule.address!r}")
    net = network(rule.address, "Address")
    if rule.action != "allow_only":
        if rule.destinations:
            raise EnforcementError(f"{rule.action} for {text(net)} takes no destinations")
        return FirewallRule(text(net), rule.action)
    destinations = []
    for ip, port, proto in rule.destinations:
        target = network(ip, f"Destination of {text(net)}:")
        if target.version != net.version:
            raise EnforcementError(f"Destination {ip} of {text(net)} is another IP version")
        if proto is not None and proto not in PROTOCOLS:
            raise EnforcementError(f"Destination protocol {proto!r} is not tcp, udp or none")
        checked = None if port is None else checked_port(port, f"Destination of {text(net)}")
        destinations.append((text(target), checked, proto))
    destinations.sort(
        key=lambda d: (network(d[0], "").network_address.packed, d[1] or 0, d[2] or "")
    )
    return FirewallRule(text(net), "allow_only", tuple(dict.fromkeys(destinations)))


def rule_key(rule: FirewallRule) -> tuple[int, bytes, int, str]:
    net = ipaddress.ip_network(rule.address)
    return (net.version, net.network_address.packed, net.prefixlen, rule.action)


def service_ports(services: Mapping[str, int | Sequence[int]]) -> tuple[tuple[str, int], ...]:
    """(protocol, port) pairs the gateway keeps open to quarantined addresses, sorted."""
    found: list[tuple[str, int]] = []
    for name, ports in services.items():
        for number in [ports] if isinstance(ports, int) else list(ports):
            for proto in _SERVICE_PROTOCOLS.get(name, ("tcp",)):
                found.append((proto, checked_port(number, f"Gateway service {name!r}")))
    return tuple(sorted(set(found)))


def check_rules(
    desired: Sequence[FirewallRule], *, management: Sequence[Network]
) -> list[FirewallRule]:
    """``desired`` normalized and sorted, or ``EnforcementError`` naming what is refused:
    an invalid value, an address given twice, overlapping networks in one action, or an
    address that equals, contains or lies inside a management address."""
    rules = sorted((normalize_rule(rule) for rule in desired), key=rule_key)
    seen: dict[str, str] = {}
    for rule in rules:
        net = ipaddress.ip_network(rule.address)
        for guarded in management:
            if net.version == guarded.version and net.overlaps(guarded):  # type: ignore[arg-type]
                raise EnforcementError(
                    f"Refusing to {rule.action} {rule.address}: it covers the management "
                    f"address {text(guarded)}, and the gateway must keep its management access"
                )
        if rule.address in seen:
            raise EnforcementError(
                f"{rule.address} is given twice ({seen[rule.address]}, {rule.action})"
            )
        seen[rule.address] = rule.action
    for action in SET_ACTIONS:
        nets = [ipaddress.ip_network(r.address) for r in rules if r.action == action]
        for a, b in itertools.pairwise(nets):
            if a.version == b.version and a.overlaps(b):  # type: ignore[arg-type]
                raise EnforcementError(f"{action}: {text(a)} and {text(b)} overlap; give one")
    return rules
