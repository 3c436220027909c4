"""The client's address behind reverse proxies, from ``X-Forwarded-For``.

Each proxy appends the address it received the request from, so the header reads
``client, proxy1, proxy2`` and only its right end was written by someone Warden trusts.
``client_address`` believes the header only when the peer itself is a trusted proxy, then
walks it from the right and answers the first hop that is not a trusted proxy: whatever a
client wrote further left is ignored, so a spoofed header buys it nothing. Without trusted
proxies (the default) the peer is the client.

Pure and free of any web framework: the REST API and the consoles call the same function
with the peer, the header's value and the trusted networks (``Settings.trusted_proxy_networks``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

Network = IPv4Network | IPv6Network
Address = IPv4Address | IPv6Address


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """Addresses (``10.0.0.1``) and networks (``10.0.0.0/8``, ``fd00::/8``); ``ValueError``
    names the first that is neither."""
    networks = []
    for value in values:
        try:
            networks.append(ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{value!r} is not an address or a network (CIDR)") from None
    return tuple(networks)


def client_address(
    peer: str | None, forwarded_for: str | None, trusted: Sequence[Network]
) -> str | None:
    """The client's address: ``peer`` itself unless it is a trusted proxy; then the
    rightmost hop of ``forwarded_for`` (the ``X-Forwarded-For`` value, several headers
    joined with commas) that is not a trusted proxy. A malformed hop ends the walk at the
    nearest trusted hop, the last address a trusted proxy vouched for."""
    peer_ip = parse_address(peer)
    if peer_ip is None or not _is_trusted(peer_ip, trusted):
        return peer
    nearest = peer_ip
    for raw in reversed((forwarded_for or "").split(",")):
        hop = parse_address(raw)
        if hop is None:
            break
        if not _is_trusted(hop, trusted):
            return str(hop)
        nearest = hop
    return str(nearest)


def parse_address(text: str | None) -> Address | None:
    """An address as proxies write it (``1.2.3.4``, ``1.2.3.4:5678``, ``[::1]:80``,
    ``::ffff:1.2.3.4`` read as IPv4), or None when it is not one."""
    if text is None:
        return None
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ip_address(text)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: Address, trusted: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in trusted)
