"""Reading ``nft -j list table inet warden`` back into firewall rules with their drop
counters, and the outline (sets, chains, rules by chain) used to notice a hand edit. Pure."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

from core.errors import EnforcementError
from core.ports import FirewallRule
from enforcement.nft_rules import SET_ACTIONS, TABLE, normalize_rule, rule_key, text

__all__ = ["outline", "parse_listing"]


def _parse_value(value: Any) -> list[str]:
    if isinstance(value, str):
        return [text(ipaddress.ip_network(value))]
    if "prefix" in value:
        prefix = value["prefix"]
        return [text(ipaddress.ip_network(f"{prefix['addr']}/{prefix['len']}"))]
    if "range" in value:
        low, high = (ipaddress.ip_address(a) for a in value["range"])
        return [text(n) for n in ipaddress.summarize_address_range(low, high)]  # type: ignore[arg-type]
    raise EnforcementError(f"Unexpected address in table inet {TABLE}: {value!r}")


def _counter(found: dict[str, Any] | None) -> dict[str, int]:
    found = found or {}
    return {"packets": int(found.get("packets", 0)), "bytes": int(found.get("bytes", 0))}


def parse_listing(document: dict[str, Any]) -> list[tuple[FirewallRule, dict[str, int]]]:
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
    return sorted(found, key=lambda pair: rule_key(pair[0]))


def outline(objects: Sequence[dict[str, Any]]) -> list[tuple[str, str]]:
    """Which sets, chains and rules (by chain) a listing or a transaction holds: enough to
    see a rule or a chain deleted by hand, which the rules read back alone would not show."""
    found = []
    for item in objects:
        body = item.get("add", item)
        for kind, name_field in (("set", "name"), ("chain", "name"), ("rule", "chain")):
            if kind in body and body[kind].get("table") == TABLE:
                found.append((kind, body[kind][name_field]))
    return sorted(found)
