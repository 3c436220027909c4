"""The diagnostics a playbook may run: named, fixed argument templates with typed
parameters. Pure: no subprocess, no I/O.

A diagnostic step names a template (``ping_device``) and gives its parameters, each a
literal or exactly one placeholder filled from the finding (``ip: '{ip}'``, ``count: 3``).
Every value is checked against its parameter's type (an IP address, an interface name, a
host name, a MAC address, a count in a range), and the argument vector is built from the
template's words alone: nothing a playbook, a finding or a stored action says reaches argv
except a value that passed its type. Every template only reads (no template changes the
machine's state), so even an ``auto`` playbook cannot do more than look.

An interface must also exist on the machine that runs the step; that is checked where the
step runs (``enforcement.action_runner``), since this module does no I/O.

Somewhat over 300 lines: the table of templates is most of it, and it is kept next to the
checks it relies on so that a reviewer reads every argument a program can get in one place.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from core.errors import InvalidInput
from core.playbooks.values import FREE_TEXT, check_ip, check_pattern

_TOKEN = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class DiagnosticRefused(InvalidInput):
    title = "Diagnostic refused"


class ParamKind(StrEnum):
    IP = "ip"
    INTERFACE = "interface"
    HOST = "host"
    TARGET = "target"
    """An IP address or a host name."""
    MAC = "mac"
    DEVICE = "device"
    COUNT = "count"
    """A whole number in the parameter's range; never a placeholder."""


FILLED_BY: dict[ParamKind, frozenset[str]] = {
    ParamKind.IP: frozenset({"ip"}),
    ParamKind.INTERFACE: frozenset({"interface"}),
    ParamKind.HOST: frozenset({"host"}),
    ParamKind.TARGET: frozenset({"ip", "host"}),
    ParamKind.MAC: frozenset({"mac"}),
    ParamKind.DEVICE: frozenset({"device"}),
    ParamKind.COUNT: frozenset(),
}
"""The placeholders that may fill a parameter of each kind."""

_WHAT = {
    ParamKind.IP: "an IP address",
    ParamKind.INTERFACE: "an interface name",
    ParamKind.HOST: "a host name",
    ParamKind.TARGET: "an IP address or a host name",
    ParamKind.MAC: "a MAC address",
    ParamKind.DEVICE: "a device id",
}


@dataclass(frozen=True, slots=True)
class Param:
    kind: ParamKind
    required: bool = True
    default: int | None = None
    low: int = 1
    high: int = 1

    def describe(self) -> str:
        if self.kind is ParamKind.COUNT:
            return f"a count {self.low} to {self.high}" + (
                f", default {self.default}" if self.default is not None else ""
            )
        return _WHAT[self.kind] + ("" if self.required else ", optional")


Word = str | tuple[str, ...]
"""One argument (fixed, or holding one ``{param}``), or an optional group of arguments
that is present only when every parameter it names has a value."""


@dataclass(frozen=True, slots=True)
class DiagnosticTemplate:
    name: str
    program: str
    summary: str
    words: tuple[Word, ...]
    """The arguments after the program."""
    params: Mapping[str, Param] = field(default_factory=dict)

    def argv(self, values: Mapping[str, object]) -> list[str]:
        """The argument vector for ``values`` (literals, no placeholders): each checked
        against its parameter's type; ``DiagnosticRefused`` for anything else."""
        unknown = sorted(set(values) - set(self.params))
        if unknown:
            raise DiagnosticRefused(self._unknown(unknown[0]))
        checked: dict[str, str] = {}
        for name, param in self.params.items():
            value = values.get(name, param.default)
            if value is None:
                if param.required:
                    raise DiagnosticRefused(self._missing(name, param))
                continue
            checked[name] = check_param(param, name, value)
        argv = [self.program]
        for word in self.words:
            group = (word,) if isinstance(word, str) else word
            names = [n for w in group for n in _TOKEN.findall(w)]
            if all(n in checked for n in names):
                argv += [_TOKEN.sub(lambda m: checked[m.group(1)], w) for w in group]
        return argv

    def interfaces(self, values: Mapping[str, object]) -> list[str]:
        """The interface names among ``values``, which must exist where the step runs."""
        return [
            str(values[name])
            for name, param in self.params.items()
            if param.kind is ParamKind.INTERFACE and values.get(name) is not None
        ]

    def check_definition(self, values: Mapping[str, object], known: Collection[str]) -> None:
        """Check a step's parameters as a playbook states them: each a literal of the
        right type or exactly one placeholder (of the ``known`` ones) that fits, filled
        when the action is proposed. ``ValueError`` naming the parameter."""
        unknown = sorted(set(values) - set(self.params))
        if unknown:
            raise ValueError(self._unknown(unknown[0]))
        for name, param in self.params.items():
            value = values.get(name)
            if value is None:
                if param.required and param.default is None:
                    raise ValueError(self._missing(name, param))
                continue
            if isinstance(value, str) and ("{" in value or "}" in value):
                _check_placeholder(param, name, value, known)
                continue
            try:
                check_param(param, name, value)
            except DiagnosticRefused as exc:
                raise ValueError(exc.msg) from None

    def _unknown(self, name: str) -> str:
        takes = ", ".join(self.params) or "no parameters"
        return f"unknown parameter {name!r}; {self.name} takes {takes}"

    def _missing(self, name: str, param: Param) -> str:
        return f"{self.name} needs {name} ({param.describe()})"


def _check_placeholder(param: Param, name: str, value: str, known: Collection[str]) -> None:
    found = _TOKEN.fullmatch(value)
    if found is None:
        raise ValueError(
            f"{name}: a parameter is a literal or exactly one placeholder such as "
            f"'{{ip}}', not {value!r}"
        )
    placeholder = found.group(1)
    if placeholder not in known:
        raise ValueError(
            f"{name}: unknown placeholder {{{placeholder}}}; one of {', '.join(sorted(known))}"
        )
    if placeholder in FREE_TEXT:
        raise ValueError(f"{name}: {{{placeholder}}} is free text, allowed only in a webhook body")
    fits = FILLED_BY[param.kind]
    if placeholder not in fits:
        takes = " or ".join(f"{{{p}}}" for p in sorted(fits)) or "no placeholder (a number)"
        raise ValueError(f"{name} takes {takes}, not {{{placeholder}}}")


def check_param(param: Param, name: str, value: object) -> str:
    """The normalised text of a literal ``value`` for parameter ``name``, or
    ``DiagnosticRefused`` saying what it should be."""
    if param.kind is ParamKind.COUNT:
        if isinstance(value, bool) or not isinstance(value, int):
            raise DiagnosticRefused(f"{name}: {value!r} is not a whole number")
        if not param.low <= value <= param.high:
            raise DiagnosticRefused(f"{name}: {value} is not between {param.low} and {param.high}")
        return str(value)
    if not isinstance(value, str):
        raise DiagnosticRefused(f"{name}: {value!r} is not {_WHAT[param.kind]}")
    try:
        match param.kind:
            case ParamKind.IP:
                return check_ip(value, name)
            case ParamKind.TARGET:
                try:
                    return check_ip(value, name)
                except InvalidInput:
                    return check_pattern("host", value, name)
            case _:
                return check_pattern(str(param.kind), value, name)
    except InvalidInput as exc:
        raise DiagnosticRefused(exc.msg) from None


_IP = Param(ParamKind.IP)
_IFACE = Param(ParamKind.INTERFACE)


def _optional(kind: ParamKind) -> Param:
    return Param(kind, required=False)


TEMPLATES: dict[str, DiagnosticTemplate] = {
    t.name: t
    for t in (
        DiagnosticTemplate(
            "ping_device",
            "ping",
            "ping an address a few times (reachable? how far?)",
            ("-c", "{count}", "-W", "2", "{ip}"),
            {"ip": _IP, "count": Param(ParamKind.COUNT, default=3, low=1, high=10)},
        ),
        DiagnosticTemplate(
            "traceroute",
            "traceroute",
            "the route to an address or a host, hop by hop",
            ("-n", "-q", "1", "-w", "2", "-m", "{max_hops}", "{target}"),
            {
                "target": Param(ParamKind.TARGET),
                "max_hops": Param(ParamKind.COUNT, default=15, low=1, high=30),
            },
        ),
        DiagnosticTemplate(
            "dns_lookup",
            "dig",
            "resolve a host name (optionally through one DNS server)",
            ("+time=2", "+tries=1", ("@{server}",), "{name}"),
            {"name": Param(ParamKind.HOST), "server": _optional(ParamKind.IP)},
        ),
        DiagnosticTemplate(
            "reverse_dns",
            "dig",
            "the name an address resolves back to",
            ("+time=2", "+tries=1", "-x", "{ip}"),
            {"ip": _IP},
        ),
        DiagnosticTemplate(
            "interface_status",
            "ip",
            "an interface's state, addresses and counters",
            ("-details", "-statistics", "address", "show", "dev", "{interface}"),
            {"interface": _IFACE},
        ),
        DiagnosticTemplate(
            "neighbours",
            "ip",
            "the neighbour (ARP/NDP) table, for one address and/or interface",
            ("neigh", "show", ("to", "{ip}"), ("dev", "{interface}")),
            {"ip": _optional(ParamKind.IP), "interface": _optional(ParamKind.INTERFACE)},
        ),
        DiagnosticTemplate(
            "route_to",
            "ip",
            "the route this machine takes to an address",
            ("route", "get", "{ip}"),
            {"ip": _IP},
        ),
        DiagnosticTemplate(
            "qdisc_stats",
            "tc",
            "an interface's queueing disciplines and their counters",
            ("-statistics", "qdisc", "show", "dev", "{interface}"),
            {"interface": _IFACE},
        ),
        DiagnosticTemplate(
            "nft_counters",
            "nft",
            "Warden's firewall table with its rule counters",
            ("list", "table", "inet", "warden"),
        ),
        DiagnosticTemplate(
            "station_info",
            "iw",
            "what an access point knows about one station (signal, rates, inactive time)",
            ("dev", "{interface}", "station", "get", "{mac}"),
            {"interface": _IFACE, "mac": Param(ParamKind.MAC)},
        ),
        DiagnosticTemplate(
            "wifi_stations",
            "iw",
            "every station of a wireless interface",
            ("dev", "{interface}", "station", "dump"),
            {"interface": _IFACE},
        ),
        DiagnosticTemplate(
            "link_settings",
            "ethtool",
            "an Ethernet link's speed, duplex and negotiation",
            ("{interface}",),
            {"interface": _IFACE},
        ),
        DiagnosticTemplate(
            "echo",
            "echo",
            "print the values it is given (try a playbook without touching anything)",
            (("{device}",), ("{ip}",), ("{mac}",), ("{interface}",), ("{host}",)),
            {
                "device": _optional(ParamKind.DEVICE),
                "ip": _optional(ParamKind.IP),
                "mac": _optional(ParamKind.MAC),
                "interface": _optional(ParamKind.INTERFACE),
                "host": _optional(ParamKind.HOST),
            },
        ),
    )
}
"""Every diagnostic a playbook may run, by name."""

PROGRAMS: frozenset[str] = frozenset(t.program for t in TEMPLATES.values())
"""The programs the templates start, by bare name."""

EXAMPLE = "template: ping_device, params: {ip: '{ip}'}"


def template_named(name: object) -> DiagnosticTemplate:
    """The template called ``name``, or ``DiagnosticRefused`` listing them."""
    found = TEMPLATES.get(name) if isinstance(name, str) else None
    if found is None:
        raise DiagnosticRefused(
            f"unknown diagnostic template {name!r}; one of {', '.join(sorted(TEMPLATES))}"
        )
    return found
