"""Scripted incidents: what happens to which device when, so a demo shows every kind of
finding within a minute and again every ten minutes. Times are nominal seconds after the
fleet starts (divided by its rate, like every interval).

An incident names a kind of device (the first of that kind in the fleet does it) and one of
its methods: routers stage syslog storms (``simulator.routers.Router``), v2 devices lose
messages, send a broken payload or go silent (``simulator.meters.PowerMeter``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulator.presets import AC_METER, ACCESS_POINT, AUDIO, CO2, DC_METER, GATEWAY


@dataclass(frozen=True, slots=True)
class Incident:
    at_s: float
    kind: str
    action: str
    args: tuple[tuple[str, Any], ...] = ()
    """Keyword arguments of the action."""


DEMO: tuple[Incident, ...] = (
    Incident(6, GATEWAY, "ssh_bruteforce"),
    Incident(10, ACCESS_POINT, "auth_storm"),
    Incident(12, DC_METER, "skip_seqs", (("count", 12),)),
    Incident(15, CO2, "send_malformed"),
    Incident(18, GATEWAY, "link_flap"),
    Incident(22, AUDIO, "go_silent", (("nominal_s", 150.0),)),
    Incident(25, GATEWAY, "dhcp_naks"),
    Incident(30, ACCESS_POINT, "oom"),
    Incident(45, AC_METER, "skip_seqs", (("count", 15),)),
)
"""Within the first minute: SSH password guessing, a Wi-Fi passphrase storm from one
client, a flapping WAN link (and so the WAN down), a phone refused by DHCP, an OOM kill on
the access point, messages lost by two meters, a malformed payload (a dead letter) and an
audio node that goes silent long enough to be marked offline."""

SCENARIOS: dict[str, tuple[Incident, ...]] = {"demo": DEMO}
REPEAT_S = 600.0
"""A scenario starts over this many nominal seconds after it started."""


def parse_scenario(name: str | None) -> str | None:
    if name is not None and name not in SCENARIOS:
        raise ValueError(f"unknown scenario {name!r}; choose from {', '.join(SCENARIOS)}")
    return name
