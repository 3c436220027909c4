"""The ``Firewall`` port on nftables: one table ``inet warden``, written as one JSON
transaction through ``nft -j -f -`` and read back with ``nft -j list table inet warden``.

Layout (see ``build_commands``):

- sets ``block4/6``, ``internet_block4/6``, ``quarantine4/6`` (``flags interval`` so CIDRs
  work, and a ``counter`` on every element: the per-address drop counts);
- base chains ``input`` and ``forward`` (priority ``filter - 10``, policy accept) whose rules
  look a set up as their *last* match before ``counter drop``, so an element's counter only
  ever counts dropped packets;
- per ``allow_only`` address a regular chain ``allow_<n>``, jumped to from ``input`` and
  ``forward`` by source address: one ``accept`` per destination, then ``counter drop``.

``apply`` deletes and recreates the table in the same transaction (atomic, idempotent) and
does nothing when the table already holds exactly what is asked, so counters survive a
reconcile that changes nothing; they restart at zero whenever the table is rewritten.
``internet_block`` without a WAN interface drops forwarded traffic from the address that
leaves through any interface that is not a LAN interface. Names and values never reach a
shell: every address goes through ``ipaddress``, every interface name through a pattern,
and ``nft`` runs from an argument vector.
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from core.errors import EnforcementError
from core.ports import FirewallRule

__all__ = ["DEFAULT_GATEWAY_SERVICES", "NftFirewall", "build_commands", "normalize_rule"]

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
_IFNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,14}$")
_NETNS = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_TIMEOUT_S = 10

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _network(value: str, what: str) -> Network:
    try:
        return ipaddress.ip_network(str(value).strip(), strict=False)
    except ValueError:
        raise EnforcementError(f"{what} {value!r} is not an IP address or network") from None


def _text(net: Network) -> str:
    """An address for a single host, ``net/len`` otherwise."""
    return str(net.network_address) if net.num_addresses == 1 else str(net)


def _interface(name: str) -> str:
    if not isinstance(name, str) or not _IFNAME.match(name):
        raise EnforcementError(f"Interface name {name!r} is not a valid interface name")
    return name


def _port(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        raise EnforcementError(f"{what}: port {value!r} is not between 1 and 65535")
    return value


def normalize_rule(rule: FirewallRule) -> FirewallRule:
    """The canonical form ``read`` returns: addresses as ``ipaddress`` prints them (a single
    host without ``/32``), destinations validated and sorted; raises ``EnforcementError``."""
    if rule.action not in ACTIONS:
        raise EnforcementError(f"Unknown firewall action {rule.action!r} for {rule.address!r}")
    net = _network(rule.address, "Address")
    if rule.action != "allow_only":
        if rule.destinations:
            raise EnforcementError(f"{rule.action} for {_text(net)} takes no destinations")
        return FirewallRule(_text(net), rule.action)
    destinations = []
    for ip, port, proto in rule.destinations:
        target = _network(ip, f"Destination of {_text(net)}:")
        if target.version != net.version:
            raise EnforcementError(f"Destination {ip} of {_text(net)} is another IP version")
        if proto is not None and proto not in PROTOCOLS:
            raise EnforcementError(f"Destination protocol {proto!r} is not tcp, udp or none")
        checked = None if port is None else _port(port, f"Destination of {_text(net)}")
        destinations.append((_text(target), checked, proto))
    destinations.sort(
        key=lambda d: (_network(d[0], "").network_address.packed, d[1] or 0, d[2] or "")
    )
    return FirewallRule(_text(net), "allow_only", tuple(dict.fromkeys(destinations)))


def _key(rule: FirewallRule) -> tuple[int, bytes, int, str]:
    net = ipaddress.ip_network(rule.address)
    return (net.version, net.network_address.packed, net.prefixlen, rule.action)


# ------------------------------------------------------------------ building the JSON


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
    table = {"table": {"family": FAMILY, "name": TABLE}}
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


# ------------------------------------------------------------------ reading the JSON back


def _parse_value(value: Any) -> list[str]:
    if isinstance(value, str):
        return [_text(ipaddress.ip_network(value))]
    if "prefix" in value:
        prefix = value["prefix"]
        return [_text(ipaddress.ip_network(f"{prefix['addr']}/{prefix['len']}"))]
    if "range" in value:
        low, high = (ipaddress.ip_address(a) for a in value["range"])
        return [_text(n) for n in ipaddress.summarize_address_range(low, high)]  # type: ignore[arg-type]
    raise EnforcementError(f"Unexpected address in table inet {TABLE}: {value!r}")


def _counter(found: dict[str, Any] | None) -> dict[str, int]:
    found = found or {}
    return {"packets": int(found.get("packets", 0)), "bytes": int(found.get("bytes", 0))}


def _parse(document: dict[str, Any]) -> list[tuple[FirewallRule, dict[str, int]]]:
    """Every rule the table holds, with its drop counter."""
    objects = document.get("nftables", [])
    found: list[tuple[FirewallRule, dict[str, int]]] = []
    for item in objects:
        entry = item.get("set")
        if not entry or entry.get("table") != TABLE:
            continue
        action = entry["name"][:-1]
        if action not in SET_ACTIONS:
            continue
        for element in entry.get("elem", []):
            inner = element["elem"] if isinstance(element, dict) and "elem" in element else None
            value = inner["val"] if inner else element
            for address in _parse_value(value):
                found.append(
                    (FirewallRule(address, action), _counter((inner or {}).get("counter")))
                )
    rules = [item["rule"] for item in objects if "rule" in item]
    for rule in rules:
        expr = rule.get("expr", [])
        if rule["chain"] != "forward" or len(expr) != 2 or "jump" not in expr[1]:
            continue
        chain = expr[1]["jump"]["target"]
        address = _parse_value(expr[0]["match"]["right"])[0]
        destinations: list[tuple[str, int | None, str | None]] = []
        dropped: dict[str, int] = _counter(None)
        for inner in (r for r in rules if r["chain"] == chain):
            if any("drop" in e for e in inner["expr"]):
                dropped = _counter(next(e["counter"] for e in inner["expr"] if "counter" in e))
                continue
            ip, port, proto = "", None, None
            for e in (e["match"] for e in inner["expr"] if "match" in e):
                left, right = e["left"], e["right"]
                if left.get("payload", {}).get("field") == "daddr":
                    ip = _parse_value(right)[0]
                elif left.get("payload", {}).get("field") == "dport":
                    port = int(right)
                    if left["payload"]["protocol"] != "th":
                        proto = left["payload"]["protocol"]
                elif left.get("meta", {}).get("key") == "l4proto" and isinstance(right, str):
                    proto = right
            destinations.append((ip, port, proto))
        found.append(
            (normalize_rule(FirewallRule(address, "allow_only", tuple(destinations))), dropped)
        )
    return sorted(found, key=lambda pair: _key(pair[0]))


def _shape(objects: Sequence[dict[str, Any]]) -> list[tuple[str, str]]:
    """Which sets, chains and rules (by chain) a listing or a transaction holds: enough to
    see a rule or a chain deleted by hand, which the rules read back alone would not show."""
    shape = []
    for item in objects:
        body = item.get("add", item)
        for kind, key in (("set", "name"), ("chain", "name"), ("rule", "chain")):
            if kind in body and body[kind].get("table") == TABLE:
                shape.append((kind, body[kind][key]))
    return sorted(shape)


# ------------------------------------------------------------------ the port


class NftFirewall:
    """The ``Firewall`` port in the kernel, through ``nft -j`` (optionally in a netns)."""

    mode = "kernel"

    def __init__(
        self,
        *,
        lan_interfaces: Sequence[str],
        wan_interface: str | None,
        gateway_services: Mapping[str, int | Sequence[int]] = DEFAULT_GATEWAY_SERVICES,
        management: Sequence[str] = (),
        netns: str | None = None,
        nft: str = "nft",
    ) -> None:
        self.lan_interfaces = tuple(_interface(name) for name in lan_interfaces)
        self.wan_interface = None if wan_interface is None else _interface(wan_interface)
        if self.wan_interface is None and not self.lan_interfaces:
            raise EnforcementError("Without a WAN interface, name at least one LAN interface")
        services: list[tuple[str, int]] = []
        for name, ports in gateway_services.items():
            for port in [ports] if isinstance(ports, int) else list(ports):
                for proto in _SERVICE_PROTOCOLS.get(name, ("tcp",)):
                    services.append((proto, _port(port, f"Gateway service {name!r}")))
        self.services = tuple(sorted(set(services)))
        self.management = tuple(_network(a, "Management address") for a in management)
        if netns is not None and not _NETNS.match(netns):
            raise EnforcementError(f"Network namespace name {netns!r} is not valid")
        self.netns = netns
        self.nft = nft

    # -- kernel I/O

    def _run(
        self, args: Sequence[str], stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        argv = [self.nft, *args]
        if self.netns is not None:
            argv = ["ip", "netns", "exec", self.netns, *argv]
        try:
            return subprocess.run(  # noqa: S603 - fixed argument vector, no shell
                argv,
                input=stdin,
                check=False,
                capture_output=True,
                text=True,
                timeout=_TIMEOUT_S,
                env={**os.environ, "LC_ALL": "C"},
            )
        except FileNotFoundError:
            raise EnforcementError(f"{argv[0]} is not installed (or not on PATH)") from None
        except subprocess.TimeoutExpired:
            raise EnforcementError(f"{' '.join(argv)} did not finish in {_TIMEOUT_S} s") from None

    def _transaction(self, commands: list[dict[str, Any]]) -> None:
        done = self._run(["-j", "-f", "-"], json.dumps({"nftables": commands}))
        if done.returncode != 0:
            reason = " ".join(done.stderr.split()) or f"exit status {done.returncode}"
            raise EnforcementError(f"nftables refused the change to table inet {TABLE}: {reason}")

    def _document(self) -> dict[str, Any] | None:
        """The table as ``nft -j`` lists it, or None when there is none."""
        done = self._run(["-j", "list", "table", FAMILY, TABLE])
        if done.returncode != 0:
            if "No such file or directory" in done.stderr:
                return None
            reason = " ".join(done.stderr.split()) or f"exit status {done.returncode}"
            raise EnforcementError(f"Could not read table inet {TABLE}: {reason}")
        try:
            return json.loads(done.stdout)
        except ValueError as exc:
            raise EnforcementError(
                f"nft -j printed no JSON for table inet {TABLE}: {exc}"
            ) from None

    def _list(
        self, document: dict[str, Any] | None = None
    ) -> list[tuple[FirewallRule, dict[str, int]]]:
        document = self._document() if document is None else document
        if document is None:
            return []
        try:
            return _parse(document)
        except (ValueError, KeyError, TypeError, IndexError, StopIteration) as exc:
            raise EnforcementError(f"Could not understand table inet {TABLE}: {exc!r}") from None

    # -- the port

    def read(self) -> list[FirewallRule]:
        return [rule for rule, _counters in self._list()]

    def counters(self) -> dict[str, dict[str, int]]:
        return {rule.address: dropped for rule, dropped in self._list()}

    def check(self, desired: Sequence[FirewallRule]) -> list[FirewallRule]:
        """``desired`` normalized and sorted, or ``EnforcementError`` naming what is refused:
        an invalid value, an address given twice, overlapping networks in one action, or an
        address that equals, contains or lies inside a management address."""
        rules = sorted((normalize_rule(rule) for rule in desired), key=_key)
        seen: dict[str, str] = {}
        for rule in rules:
            net = ipaddress.ip_network(rule.address)
            for guarded in self.management:
                if net.version == guarded.version and net.overlaps(guarded):  # type: ignore[arg-type]
                    raise EnforcementError(
                        f"Refusing to {rule.action} {rule.address}: it covers the management "
                        f"address {_text(guarded)}, and the gateway must keep its management access"
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
                    raise EnforcementError(f"{action}: {_text(a)} and {_text(b)} overlap; give one")
        return rules

    def apply(self, desired: Sequence[FirewallRule]) -> None:
        rules = self.check(desired)
        commands = build_commands(
            rules,
            lan_interfaces=self.lan_interfaces,
            wan_interface=self.wan_interface,
            services=self.services,
        )
        document = self._document()
        if (
            document is not None
            and _shape(document["nftables"]) == _shape(commands)
            and [rule for rule, _dropped in self._list(document)] == rules
        ):
            return  # already in place: leave it, and its counters, alone
        self._transaction(commands)

    def clear(self) -> None:
        table = {"table": {"family": FAMILY, "name": TABLE}}
        self._transaction([{"add": table}, {"delete": table}])
