"""Resolving intent targets (INTENTS.md "Targets") against the registry.

A selector is one JSON object of a parse result's ``targets``: ``{"device": "camera-3"}``,
``{"glob": "camera-*"}``, ``{"type": "camera", "location": "garage"}``, ``{"ip": …}``,
``{"cidr": …}``, ``{"mac": …}``, ``{"tag": …}``, ``{"all": true}``. A device matches a
selector when it matches every key of it, and matches the targets when it matches any
selector. Address selectors that match no registered device still name an address the
network kinds can act on ("block 10.0.0.23" needs no registered device).
"""

from __future__ import annotations

import difflib
import fnmatch
import ipaddress
from collections import Counter
from typing import Any, NamedTuple

from sqlmodel import Session, SQLModel, col, select

from core.errors import InvalidInput
from core.intents.fleet import Fleet
from core.models import Device, DevicePublic
from core.protocol.settings import DeclaredSetting, read_setting

SELECTOR_KEYS = frozenset({"device", "glob", "type", "tag", "location", "ip", "cidr", "mac", "all"})


class SelectorMatch(SQLModel):
    selector: dict[str, Any]
    devices: list[str]
    """Ids of the devices it matched."""
    suggestions: list[str] = []
    """Close names, when it matched nothing (likely typos)."""


class Resolution(SQLModel):
    devices: list[DevicePublic]
    """Every device any selector matched, once each, by id."""
    selectors: list[SelectorMatch]
    addresses: list[str]
    """IP addresses and networks from address selectors that match no registered device."""
    warnings: list[str]


class _Candidate(NamedTuple):
    id: str
    name: str
    type: str
    tags: list[str]
    location: str | None
    ip: str | None
    mac: str | None


def _type_matches(device_type: str, wanted: str) -> bool:
    return device_type == wanted or device_type.startswith(f"{wanted}_")


def _normal_mac(value: str) -> str:
    digits = "".join(ch for ch in value.lower() if ch in "0123456789abcdef")
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2)) if len(digits) == 12 else value


def matches_selector(device: Any, selector: dict[str, Any]) -> bool:
    """Whether a device (anything with id, name, type, tags, location, ip, mac) matches
    every key of ``selector``."""
    for key, wanted in selector.items():
        if key == "all":
            continue
        if key == "device":
            if wanted not in (device.id, device.name):
                return False
        elif key == "glob":
            if not (
                fnmatch.fnmatchcase(device.id, wanted) or fnmatch.fnmatchcase(device.name, wanted)
            ):
                return False
        elif key == "type":
            if not _type_matches(device.type, wanted):
                return False
        elif key == "tag":
            if wanted not in device.tags:
                return False
        elif key == "location":
            if (device.location or "").lower() != str(wanted).lower():
                return False
        elif key == "ip":
            if device.ip is None or ipaddress.ip_address(device.ip) != ipaddress.ip_address(wanted):
                return False
        elif key == "cidr":
            if device.ip is None or ipaddress.ip_address(device.ip) not in ipaddress.ip_network(
                wanted, strict=False
            ):
                return False
        elif key == "mac" and (
            device.mac is None or _normal_mac(device.mac) != _normal_mac(wanted)
        ):
            return False
    return True


def validate_selector(selector: dict[str, Any]) -> None:
    """Refuse a selector with unknown keys or malformed addresses (``InvalidInput``)."""
    unknown = set(selector) - SELECTOR_KEYS
    if unknown or not selector:
        raise InvalidInput(f"not a target selector: {selector!r}")
    try:
        if "ip" in selector:
            ipaddress.ip_address(selector["ip"])
        if "cidr" in selector:
            ipaddress.ip_network(selector["cidr"], strict=False)
    except ValueError as exc:
        raise InvalidInput(f"not an address: {exc}") from exc


def _describe(selector: dict[str, Any]) -> str:
    return ", ".join(f"{k} `{v}`" for k, v in selector.items() if k != "all") or "all devices"


def _suggest(selector: dict[str, Any], devices: list[_Candidate]) -> list[str]:
    if "device" in selector:
        names = sorted({d.id for d in devices} | {d.name for d in devices})
        return difflib.get_close_matches(str(selector["device"]), names, n=3)
    if "type" in selector:
        types = sorted({d.type for d in devices})
        return difflib.get_close_matches(str(selector["type"]), types, n=3, cutoff=0.6)
    if "location" in selector:
        places = sorted({d.location for d in devices if d.location})
        return difflib.get_close_matches(str(selector["location"]), places, n=3)
    if "tag" in selector:
        tags = sorted({t for d in devices for t in d.tags})
        return difflib.get_close_matches(str(selector["tag"]), tags, n=3)
    return []


def fleet_of(*, session: Session) -> Fleet:
    """What the parser's suggestions may name: the registry's device ids and names, its
    types (most common first) and the words of the settings its devices declare."""
    names: set[str] = set()
    types: Counter[str] = Counter()
    settings: set[str] = set()
    for device_id, name, device_type, declared in session.exec(
        select(Device.id, Device.name, Device.type, Device.settings)
    ):
        names.update(n for n in (device_id, name) if n)
        if device_type and device_type != "unknown":
            types[device_type] += 1
        for setting in declared or []:
            settings.update(read_setting(setting).names)
    return Fleet(
        names=frozenset(names),
        types=tuple(t for t, _ in sorted(types.items(), key=lambda item: (-item[1], item[0]))),
        settings=tuple(sorted(settings)),
    )


def declared_settings(resolution: Resolution) -> list[tuple[str, list[DeclaredSetting]]]:
    """Each resolved device with the settings it declares (for ``intents.grounding``)."""
    return [
        (device.id, [read_setting(s) for s in device.settings]) for device in resolution.devices
    ]


def resolve_targets(*, session: Session, targets: list[dict[str, Any]]) -> Resolution:
    """The devices and addresses ``targets`` name, selector by selector, with a warning
    (and close names) for every selector that matches nothing."""
    for selector in targets:
        validate_selector(selector)
    # Only the columns selectors look at: building 1 000 full ORM rows per resolve would
    # cost more than the matching itself.
    registry = [
        _Candidate(*row)
        for row in session.exec(
            select(
                Device.id,
                Device.name,
                Device.type,
                Device.tags,
                Device.location,
                Device.ip,
                Device.mac,
            ).order_by(col(Device.id))
        )
    ]
    chosen: dict[str, _Candidate] = {}
    matches: list[SelectorMatch] = []
    addresses: list[str] = []
    warnings: list[str] = []
    for selector in targets:
        found = [d for d in registry if matches_selector(d, selector)]
        for device in found:
            chosen.setdefault(device.id, device)
        suggestions: list[str] = []
        if not found:
            address = selector.get("ip") or selector.get("cidr")
            if address and set(selector) <= {"ip", "cidr"}:
                addresses.append(str(address))
            else:
                suggestions = _suggest(selector, registry)
                hint = f" (did you mean {', '.join(suggestions)}?)" if suggestions else ""
                warnings.append(f"no device matches {_describe(selector)}{hint}")
        matches.append(
            SelectorMatch(selector=selector, devices=[d.id for d in found], suggestions=suggestions)
        )
    rows = session.exec(select(Device).where(col(Device.id).in_(list(chosen)))).all()
    return Resolution(
        devices=[
            DevicePublic.model_validate(d, from_attributes=True)
            for d in sorted(rows, key=lambda d: d.id)
        ],
        selectors=matches,
        addresses=addresses,
        warnings=warnings,
    )
