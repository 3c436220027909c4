"""The u32 match that sends one address's traffic into its class: built from an address,
and decoded back from a dumped filter. Pure functions."""

from __future__ import annotations

import ipaddress
import socket
import struct
from dataclasses import dataclass
from typing import Any

from core.errors import EnforcementError
from enforcement.tc_layout import ETH_P_IP, ETH_P_IPV6, Direction

__all__ = ["Match", "address_of", "filter_info", "match_for", "u32_keys"]

_U32_SEL_SIZE = 4 + 16  # attribute header + struct tc_u32_sel, before the keys


@dataclass(frozen=True, slots=True)
class Match:
    protocol: int
    keys: tuple[tuple[int, int, int], ...]  # (value, mask, offset), as u32 holds them

    def tc_keys(self) -> list[str]:
        """The keys as pyroute2's u32 plugin takes them."""
        return [f"{value:#x}/{mask:#x}+{offset}" for value, mask, offset in self.keys]


def match_for(address: str, direction: Direction) -> Match:
    """``ip dst`` ("down") or ``ip src`` ("up") of one IPv4 or IPv6 address."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError as exc:
        raise EnforcementError(f"{address!r} is not an IP address") from exc
    if ip.version == 4:
        offset = 16 if direction == "down" else 12
        return Match(ETH_P_IP, ((int(ip), 0xFFFFFFFF, offset),))
    offset = 24 if direction == "down" else 8
    words = ip.packed
    keys = tuple(
        (int.from_bytes(words[i : i + 4], "big"), 0xFFFFFFFF, offset + i) for i in (0, 4, 8, 12)
    )
    return Match(ETH_P_IPV6, keys)


def address_of(match: Match) -> str:
    """The address a match was built for."""
    if match.protocol == ETH_P_IP and len(match.keys) == 1:
        return str(ipaddress.IPv4Address(match.keys[0][0]))
    ordered = sorted(match.keys, key=lambda key: key[2])
    packed = b"".join(value.to_bytes(4, "big") for value, _, _ in ordered)
    return str(ipaddress.IPv6Address(packed))


def u32_keys(selector: Any) -> tuple[tuple[int, int, int], ...]:
    """(value, mask, offset) of a dumped u32 selector's keys, from the raw attribute:
    pyroute2 0.9.7 decodes the keys 4 bytes too early (after the 16-byte selector it starts
    at +16 from the attribute instead of +20, past the 4-byte attribute header)."""
    raw = bytes(selector.data[selector.offset : selector.offset + selector.length])
    keys = []
    for n in range(selector["nkeys"]):
        mask, value = struct.unpack_from(">II", raw, _U32_SEL_SIZE + 16 * n)
        (offset,) = struct.unpack_from("=i", raw, _U32_SEL_SIZE + 16 * n + 8)
        keys.append((value, mask, offset))
    return tuple(keys)


def filter_info(prio: int, protocol: int) -> int:
    """A filter's tcmsg ``info``: priority in the high half, protocol (network order) low."""
    return (prio << 16) | socket.htons(protocol)
