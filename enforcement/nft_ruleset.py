"""The JSON transaction that makes table ``inet warden`` hold a set of rules. Pure, so a plan
can be looked at without a kernel.

Layout :

- sets ``block4/6``, ``internet_block4/6``, ``quarantine4/6`` (``flags interval`` so CIDRs
  work, and a ``counter`` on every element: the per-address drop counts);
- base chains ``input`` and ``forward`` (priority ``filter - 10``, policy accept) whose rules
  look a set up as their *last* match before ``counter drop``, so an element's counter only
  ever counts dropped packets;
- per ``allow_only`` address a regular chain ``allow_<n>``, jumped to from ``input`` and
  ``forward`` by source address: one ``accept`` per destination, then ``counter drop``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

from core.ports import FirewallRule
from enforcement.nft_rules import FAMILY, PRIORITY, PROTOCOLS, SET_ACTIONS, TABLE, Network

__all__ = ["build_commands", "table_object"]


def table_object() -> dict[str, Any]:
    return {"table": {"family": FAMILY, "name": TABLE}}


def _obj(kind: str, **fields: Any) -> dict[str, Any]:
    return {kind: {"family": FAMILY, "table": TABLE, **fields}}


def _match(left: Any, right: Any, op: str = "==") -> dict[str, Any]:
    return {"match": {"op": op, "left": left, "right": right}}


def _payload(protocol: str, field: str) -> dict[str, Any]:
    return {"payload": {"protocol": protocol, "field": field}}


def _ip(version: int, field: str) -> dict[str, Any]:
    return _payload("ip" if version == 4 else "ip6", field)


def _value(net: Network) -> Any:
    if net.num_addresses == 1:
        return str(net.network_address)
    return {"prefix": {"addr": str(net.network_address), "len": net.prefixlen}}


def _rule(chain: str, *expr: dict[str, Any]) -> dict[str, Any]:
    return {"add": _obj("rule", chain=chain, expr=list(expr))}


def _drop(chain: str, *matches: dict[str, Any]) -> dict[str, Any]:
    return _rule(chain, *matches, {"counter": None}, {"drop": None})


def _destination(ip: str, port: int | None, proto: str | None) -> list[dict[str, Any]]:
    target = ipaddress.ip_network(ip)
    expr = [_match(_ip(target.version, "daddr"), _value(target))]
    if port is not None and proto is not None:
        expr.append(_match(_payload(proto, "dport"), port))
    elif port is not None:
        expr.append(_match({"meta": {"key": "l4proto"}}, {"set": list(PROTOCOLS)}))
        expr.append(_match(_payload("th", "dport"), port))
    elif proto is not None:
        expr.append(_match({"meta": {"key": "l4proto"}}, proto))
    return expr


def build_commands(
    rules: Sequence[FirewallRule],
    *,
    lan_interfaces: Sequence[str],
    wan_interface: str | None,
    services: Sequence[tuple[str, int]],
) -> list[dict[str, Any]]:
    """The whole transaction for ``rules`` (already normalized and checked): a pure function,
    so the plan can be looked at without a kernel."""
    table = table_object()
    commands: list[dict[str, Any]] = [
        {"metainfo": {"json_schema_version": 1}},
        {"add": table},
        {"delete": table},
        {"add": table},
    ]
    for action in SET_ACTIONS:
        for version in (4, 6):
            members = [
                _value(ipaddress.ip_network(r.address))
                for r in rules
                if r.action == action and ipaddress.ip_network(r.address).version == version
            ]
            fields: dict[str, Any] = {
                "name": f"{action}{version}",
                "type": f"ipv{version}_addr",
                "flags": ["interval"],
                "stmt": [{"counter": None}],
            }
            if members:
                fields["elem"] = members
            commands.append({"add": _obj("set", **fields)})
    for chain in ("input", "forward"):
        commands.append(
            {
                "add": _obj(
                    "chain", name=chain, type="filter", hook=chain, prio=PRIORITY, policy="accept"
                )
            }
        )
    allow = [r for r in rules if r.action == "allow_only"]
    for index, rule in enumerate(allow):
        commands.append({"add": _obj("chain", name=f"allow_{index}")})
        for ip, port, proto in rule.destinations:
            commands.append(
                _rule(f"allow_{index}", *_destination(ip, port, proto), {"accept": None})
            )
        commands.append(_drop(f"allow_{index}"))

    def jumps(chain: str) -> None:
        for index, rule in enumerate(allow):
            net = ipaddress.ip_network(rule.address)
            source = _match(_ip(net.version, "saddr"), _value(net))
            commands.append(_rule(chain, source, {"jump": {"target": f"allow_{index}"}}))

    # input: blocked → drop; allow_only → its chain; gateway services (and IPv6 neighbour
    # discovery) → accept; quarantined → drop.
    for v in (4, 6):
        commands.append(_drop("input", _match(_ip(v, "saddr"), f"@block{v}")))
    jumps("input")
    if services:
        service_key = {"concat": [{"meta": {"key": "l4proto"}}, _payload("th", "dport")]}
        allowed = {"set": [{"concat": [proto, port]} for proto, port in services]}
        commands.append(_rule("input", _match(service_key, allowed), {"accept": None}))
    neighbour = ["nd-router-solicit", "nd-neighbor-solicit", "nd-neighbor-advert"]
    commands.append(
        _rule("input", _match(_payload("icmpv6", "type"), {"set": neighbour}), {"accept": None})
    )
    for v in (4, 6):
        commands.append(_drop("input", _match(_ip(v, "saddr"), f"@quarantine{v}")))
    # forward: blocked and quarantined both ways; allow_only; internet_block leaving the WAN.
    for action in ("block", "quarantine"):
        for v in (4, 6):
            for field in ("saddr", "daddr"):
                commands.append(_drop("forward", _match(_ip(v, field), f"@{action}{v}")))
    jumps("forward")
    oif = {"meta": {"key": "oifname"}}
    if wan_interface is not None:
        leaving = _match(oif, wan_interface)
    else:
        leaving = _match(oif, {"set": list(lan_interfaces)}, op="!=")
    for v in (4, 6):
        commands.append(_drop("forward", leaving, _match(_ip(v, "saddr"), f"@internet_block{v}")))
    return commands
