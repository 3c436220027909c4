"""What fleet to simulate: ``FleetConfig``, checked when built."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from simulator.faults import parse_faults
from simulator.links import BrokerUrl, parse_broker_url
from simulator.presets import ROUTER_KINDS, resolve_counts
from simulator.routers import parse_syslog_url
from simulator.scenario import parse_scenario

DEFAULT_MAX_UNACKED = 1000
"""Per broker connection: past this many unacknowledged QoS 1/2 messages a device buffers
its samples instead of publishing (paho cannot track more than 65 535 in flight)."""


@dataclass(frozen=True)
class FleetConfig:
    """A fleet of virtual devices. Raises ``ValueError`` naming the first bad field.

    ``brokers``: ``mqtt://host:port`` URLs; every device connects to each one and publishes
    every message to all of them. ``counts`` (kind → number) replaces the ``preset``.
    ``rate`` divides every interval (10 → ten times faster). ``faults``: names from
    ``simulator.FAULTS`` (or a comma-separated string); ``fault_rate`` multiplies their
    chances. ``duration``: seconds, or None to run until stopped. ``clock``: seconds since the
    epoch, for message times and the schedule. ``syslog``: ``udp://host:port`` where the
    routers and access points send their syslog (needed when the fleet has any).
    ``scenario``: scripted incidents (``simulator.scenario.SCENARIOS``), e.g. ``demo``.
    """

    brokers: list[str]
    prefix: str = "iot"
    preset: str = "home"
    counts: Mapping[str, int] | None = None
    rate: float = 1.0
    seed: int = 0
    faults: frozenset[str] | set[str] | str = frozenset()
    fault_rate: float = 1.0
    duration: float | None = None
    qos: int = 1
    max_unacked: int = DEFAULT_MAX_UNACKED
    clock: Callable[[], float] = time.time
    syslog: str | None = None
    scenario: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.brokers, str):
            object.__setattr__(self, "brokers", [self.brokers])
        if not self.brokers:
            raise ValueError("give at least one broker URL (mqtt://host:port)")
        for url in self.brokers:
            parse_broker_url(url)
        if not self.prefix or any(char in self.prefix for char in "+#") or "//" in self.prefix:
            raise ValueError(f"topic prefix {self.prefix!r} must be non-empty, without + or #")
        resolve_counts(self.preset, self.counts)
        if not _positive(self.rate):
            raise ValueError(f"rate must be a positive number, got {self.rate!r}")
        object.__setattr__(self, "faults", parse_faults(_names(self.faults)))
        if not math.isfinite(self.fault_rate) or self.fault_rate < 0:
            raise ValueError(f"fault_rate must be 0 or more, got {self.fault_rate!r}")
        if self.duration is not None and not _positive(self.duration):
            raise ValueError(f"duration must be a positive number of seconds, got {self.duration}")
        if self.qos not in (1, 2):
            raise ValueError(f"qos must be 1 or 2 (PROTOCOL.md), got {self.qos!r}")
        if type(self.max_unacked) is not int or not 1 <= self.max_unacked <= 60_000:
            raise ValueError(f"max_unacked must be an integer 1-60000, got {self.max_unacked!r}")
        if self.syslog is not None:
            parse_syslog_url(self.syslog)
        elif ROUTER_KINDS & set(self.device_counts):
            raise ValueError("routers and access points send syslog: give syslog=udp://host:port")
        parse_scenario(self.scenario)

    @property
    def broker_urls(self) -> tuple[BrokerUrl, ...]:
        return tuple(parse_broker_url(url) for url in self.brokers)

    @property
    def device_counts(self) -> dict[str, int]:
        return resolve_counts(self.preset, self.counts)


def _positive(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


def _names(faults: str | Iterable[str]) -> str | list[str]:
    return faults if isinstance(faults, str) else list(faults)
