"""What every virtual device shares: its links to the brokers, its timers, its random
streams, its counters, and the power cycle (boot, shut down, reboot, power cut)."""

from __future__ import annotations

import copy
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass

from core.protocol import TopicKind, topic_for
from simulator.faults import FaultDice
from simulator.links import BrokerUrl, Link
from simulator.presets import DeviceSpec
from simulator.reactor import Reactor, Timer
from simulator.summary import Counters, DeviceSummary

log = logging.getLogger(__name__)

BOOT_WAIT_S = 2.0
"""After power-on a device waits (real seconds) for all its brokers before it starts
sending; the ones still away get its messages once they connect."""
DRAIN_TIMEOUT_S = 2.0
"""Before a clean shutdown or an injected reboot a device waits this long (real seconds)
for the brokers to acknowledge what it already published."""
REBOOT_OFF_S = 2.0
"""Nominal seconds a rebooting device is off (divided by the fleet's rate)."""


@dataclass
class Environment:
    """What the fleet gives every device."""

    reactor: Reactor
    brokers: tuple[BrokerUrl, ...]
    prefix: str
    qos: int
    rate: float
    max_unacked: int
    faults: frozenset[str]
    fault_rate: float
    seed: int
    stopping: bool = False

    def real(self, nominal_s: float) -> float:
        """Real seconds for a nominal interval at the fleet's rate."""
        return nominal_s / self.rate

    def now(self) -> float:
        return self.reactor.clock()


class VirtualDevice:
    """Base of power meters and flat sensors. Runs only on the reactor thread."""

    protocol = "flat"

    def __init__(self, spec: DeviceSpec, env: Environment) -> None:
        self.spec = spec
        self.device_id = spec.device_id
        self.env = env
        # Simulated readings and faults, not secrets: a seeded PRNG is what makes runs repeat.
        self.rng = random.Random(f"{env.seed}:{spec.device_id}")  # noqa: S311
        fault_rng = random.Random(f"{env.seed}:{spec.device_id}:faults")  # noqa: S311
        self.dice = FaultDice(fault_rng, env.faults, env.fault_rate)
        self.counters = Counters()
        self.links: list[Link] = []
        self.boots = 0
        self.booted_at = 0.0
        self.powered = False
        self.running = False
        self._timers: dict[str, Timer] = {}
        self._after_down: Callable[[], None] | None = None
        self.topics = {kind: topic_for(spec.device_id, kind, env.prefix) for kind in TopicKind}

    # ---------------------------------------------------------------- for subclasses

    def brokers(self) -> tuple[BrokerUrl, ...]:
        return self.env.brokers

    def will(self) -> tuple[str, bytes] | None:
        return None

    def command_topic(self) -> str | None:
        return None

    def on_link_up(self, link: Link) -> None:
        """A link (re)connected."""

    def on_command(self, payload: bytes) -> None:
        """A message arrived on the command topic."""

    def start(self) -> None:
        """All brokers connected (or the boot wait ran out): start sending."""
        raise NotImplementedError

    def farewell(self) -> None:
        """The fleet is stopping: last words before the clean disconnect."""

    def summary(self) -> DeviceSummary:
        return DeviceSummary(
            device_id=self.device_id,
            kind=self.spec.kind,
            protocol=self.protocol,
            boots=self.boots,
            last_seq=None,
            fw_version=None,
            counters=copy.deepcopy(self.counters),
        )

    # ---------------------------------------------------------------- helpers

    def schedule(self, name: str, delay_s: float, callback: Callable[[], None]) -> None:
        """(Re)arm the timer ``name``; an earlier one of that name is cancelled."""
        self.cancel(name)
        self._timers[name] = self.env.reactor.call_later(delay_s, callback)

    def cancel(self, name: str) -> None:
        timer = self._timers.pop(name, None)
        if timer is not None:
            timer.cancel()

    def online(self) -> bool:
        return any(link.connected for link in self.links)

    def fully_connected(self) -> bool:
        return bool(self.links) and all(link.connected for link in self.links)

    def backlogged(self) -> bool:
        """True while a broker holds ``max_unacked`` of our messages unacknowledged."""
        cap = self.env.max_unacked
        return any(link.connected and len(link.unacked) >= cap for link in self.links)

    def drained(self) -> bool:
        return all(not link.unacked for link in self.links if link.connected)

    def publish(
        self,
        kind: TopicKind,
        payload: bytes,
        *,
        message_type: str,
        qos: int | None = None,
        retain: bool = False,
    ) -> int:
        """Publish to every connected broker; returns how many took it."""
        topic = self.topics[kind]
        quality = self.env.qos if qos is None else qos
        copies = 0
        for link in self.links:
            copies += link.publish(topic, payload, qos=quality, retain=retain)
        if copies:
            self.counters.count(message_type, copies)
        return copies

    # ---------------------------------------------------------------- power cycle

    def boot(self) -> None:
        """Power on: connect to every broker, start sending once they all answered."""
        if self.env.stopping or self.powered:
            return
        self.boots += 1
        if self.boots > 1:
            self.counters.reboots += 1
        self.powered = True
        self.booted_at = self.env.now()
        self.links = [self._link(broker) for broker in self.brokers()]
        for link in self.links:
            link.open()
        boot = self.boots
        self.env.reactor.when(self.fully_connected, BOOT_WAIT_S, lambda _ok: self._booted(boot))

    def _booted(self, boot: int) -> None:
        if boot == self.boots and self.powered and not self.running and not self.env.stopping:
            self.running = True
            self.start()

    def _link(self, broker: BrokerUrl) -> Link:
        return Link(
            reactor=self.env.reactor,
            broker=broker,
            client_id=self.device_id,
            will=self.will(),
            subscribe=self.command_topic(),
            on_up=self.on_link_up,
            on_down=self._link_down,
            on_command=self.on_command,
        )

    def shut_down(self, *, abrupt: bool, drain: bool, then: Callable[[], None]) -> None:
        """Stop sending, optionally wait for acks, then close (or cut) every link; ``then``
        runs once all links are down. A later call replaces ``then``."""
        self._after_down = then
        if not self.powered:
            if not self.links:  # off already; else the links closing now will call ``then``
                self._links_gone()
            return
        self.powered = False
        self.running = False
        for name in list(self._timers):
            self.cancel(name)

        def close(_drained: bool) -> None:
            if not self.links:
                self._links_gone()
            for link in list(self.links):
                link.cut() if abrupt else link.close()

        if drain:
            self.env.reactor.when(self.drained, DRAIN_TIMEOUT_S, close)
        else:
            close(False)

    def reboot(self, *, abrupt: bool, off_s: float | None = None) -> None:
        """Shut down, stay off ``off_s`` real seconds, boot again (seq restarts at 0)."""
        delay = self.env.real(REBOOT_OFF_S) if off_s is None else off_s
        self.shut_down(
            abrupt=abrupt,
            drain=True,
            then=lambda: self.env.reactor.call_later(delay, self.boot),
        )

    def power_cut(self, *, off_s: float | None) -> None:
        """Lose power now (no drain, no DISCONNECT: the brokers publish the last will);
        power comes back after ``off_s`` real seconds, or never when None."""
        if off_s is None:
            self.shut_down(abrupt=True, drain=False, then=lambda: None)
        else:
            self.shut_down(
                abrupt=True,
                drain=False,
                then=lambda: self.env.reactor.call_later(off_s, self.boot),
            )

    def _link_down(self, link: Link) -> None:
        self.counters.unconfirmed += len(link.unacked)
        link.unacked.clear()
        if all(each.closed for each in self.links):
            self._links_gone()

    def _links_gone(self) -> None:
        self.links = []
        after, self._after_down = self._after_down, None
        if after is not None:
            after()
