"""A fleet of virtual devices on one reactor thread: ``Fleet`` to embed, ``run_fleet`` to run
one to the end and get its summary."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from types import TracebackType

from simulator.config import FleetConfig
from simulator.device import Environment, VirtualDevice
from simulator.meters import PowerMeter
from simulator.presets import DeviceSpec, plan
from simulator.reactor import Reactor
from simulator.routers import Router, SyslogSender, lan_clients
from simulator.scenario import REPEAT_S, SCENARIOS, Incident
from simulator.sensors import FlatSensor
from simulator.smart import SmartDevice
from simulator.summary import Counters, FleetSummary

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 10.0
"""Longest a stop waits for acknowledgements and clean disconnects (real seconds)."""


class Fleet:
    """The devices of ``config``, started and stopped as one.

    ``start()`` returns at once (one background thread drives every device, router and
    scripted incident); ``stop()`` publishes each v2 device's retained ``offline`` status,
    waits for the brokers to acknowledge what was sent, disconnects cleanly and returns.
    Also a context manager. ``specs`` says who is who (names, places, types, firmware) and
    ``clients`` the addresses the routers hand out, for whoever registers the fleet.
    """

    def __init__(self, config: FleetConfig) -> None:
        self.config = config
        self._reactor = Reactor(config.clock)
        self._env = Environment(
            reactor=self._reactor,
            brokers=config.broker_urls,
            prefix=config.prefix,
            qos=config.qos,
            rate=float(config.rate),
            max_unacked=config.max_unacked,
            faults=frozenset(config.faults),
            fault_rate=config.fault_rate,
            seed=config.seed,
        )
        self.specs: list[DeviceSpec] = plan(config.device_counts)
        self.devices: list[VirtualDevice] = [
            _device(spec, self._env) for spec in self.specs if not spec.is_router
        ]
        self.clients = lan_clients(self.specs)
        self._sender = SyslogSender(config.syslog) if config.syslog else None
        self.routers: list[Router] = [
            Router(spec, self._env, self._sender, self.clients)
            for spec in self.specs
            if spec.is_router and self._sender is not None
        ]
        self._by_id = {device.device_id: device for device in self.devices}
        self._thread: threading.Thread | None = None
        self._connected = threading.Event()
        self._started_at: float | None = None
        self._stopped_at: float | None = None

    @property
    def device_ids(self) -> list[str]:
        return [spec.device_id for spec in self.specs]

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("this fleet was started already; build a new Fleet")
        self._started_at = self.config.clock()
        for device in self.devices:
            self._reactor.post(device.boot)
        for router in self.routers:
            self._reactor.post(router.start)
        self._reactor.post(self._watch_connections)
        if self.config.scenario is not None:
            self._reactor.post(lambda: self._play(SCENARIOS[self.config.scenario or ""]))
        self._thread = threading.Thread(
            target=self._reactor.run, name="warden-simulator", daemon=True
        )
        self._thread.start()

    def wait_connected(self, timeout: float) -> bool:
        """Block until every device is connected to every broker (True) or ``timeout``."""
        return self._connected.wait(timeout)

    def stop(self) -> None:
        """Stop every device cleanly and wait for the thread (idempotent)."""
        if self._thread is None or not self._thread.is_alive():
            return
        self._reactor.post(self._begin_stop)
        self._thread.join(STOP_TIMEOUT_S + 5)
        if self._stopped_at is None:
            self._stopped_at = self.config.clock()
        if self._thread.is_alive():
            log.warning("simulator thread did not stop within %.0f s", STOP_TIMEOUT_S + 5)
        if self._sender is not None:
            self._sender.close()

    def power_cut(self, device_id: str, *, off_s: float | None = None) -> None:
        """Cut a device's power: its TCP connections drop without DISCONNECT (the brokers
        publish its last will); power returns after ``off_s`` seconds (a new boot), or never.
        """
        device = self._device(device_id)
        self._reactor.post(lambda: device.power_cut(off_s=off_s))

    def reboot(self, device_id: str) -> None:
        """Reboot a device cleanly, as the ``reboot`` command does (seq restarts at 0)."""
        device = self._device(device_id)
        self._reactor.post(lambda: device.reboot(abrupt=False))

    def summary(self) -> FleetSummary:
        """What was sent so far (final once ``stop`` returned)."""
        if not self.running:
            return self._summary()
        ready = threading.Event()
        box: list[FleetSummary] = []

        def take() -> None:
            box.append(self._summary())
            ready.set()

        self._reactor.post(take)
        if not ready.wait(5.0):
            raise TimeoutError("the simulator thread did not answer within 5 s")
        return box[0]

    def __enter__(self) -> Fleet:
        self.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ---------------------------------------------------------------- reactor side

    def _device(self, device_id: str) -> VirtualDevice:
        try:
            return self._by_id[device_id]
        except KeyError:
            raise KeyError(f"no device {device_id!r} in this fleet") from None

    def _watch_connections(self) -> None:
        def everyone() -> bool:
            return all(device.fully_connected() for device in self.devices)

        self._reactor.when(everyone, 24 * 3600.0, lambda ok: ok and self._connected.set())

    def _play(self, incidents: tuple[Incident, ...]) -> None:
        """Schedule a scenario's incidents from now, and the scenario again after
        ``REPEAT_S``."""
        if self._env.stopping:
            return
        for incident in incidents:
            self._reactor.call_later(self._env.real(incident.at_s), lambda i=incident: self._do(i))
        self._reactor.call_later(self._env.real(REPEAT_S), lambda: self._play(incidents))

    def _do(self, incident: Incident) -> None:
        actors: list[VirtualDevice | Router] = [*self.devices, *self.routers]
        actor = next((a for a in actors if a.spec.kind == incident.kind), None)
        if actor is None or self._env.stopping:
            return
        if isinstance(actor, VirtualDevice) and not actor.running:
            return  # off (rebooting): the incident passes it by
        getattr(actor, incident.action)(**dict(incident.args))

    def _begin_stop(self) -> None:
        if self._env.stopping:
            return
        self._env.stopping = True
        for router in self.routers:
            router.stop()
        self._reactor.call_later(STOP_TIMEOUT_S, self._reactor.halt)
        waiting = {device.device_id for device in self.devices}

        def down(device_id: str) -> None:
            waiting.discard(device_id)
            if not waiting:
                self._stopped_at = self.config.clock()
                self._reactor.halt()

        for device in self.devices:
            if device.powered:
                device.farewell()
            device.shut_down(
                abrupt=False, drain=True, then=lambda device_id=device.device_id: down(device_id)
            )

    def _summary(self) -> FleetSummary:
        devices = [device.summary() for device in self.devices]
        devices += [router.summary() for router in self.routers]
        totals = Counters()
        for device in devices:
            totals.add(device.counters)
        started = self._started_at if self._started_at is not None else self.config.clock()
        ended = self._stopped_at if self._stopped_at is not None else self.config.clock()
        return FleetSummary(
            brokers=list(self.config.brokers),
            prefix=self.config.prefix,
            seed=self.config.seed,
            rate=float(self.config.rate),
            faults=sorted(self.config.faults),
            started_at=datetime.fromtimestamp(started, tz=UTC).isoformat(),
            duration_s=round(max(0.0, ended - started), 3),
            devices=devices,
            totals=totals,
        )


def _device(spec: DeviceSpec, env: Environment) -> VirtualDevice:
    if spec.is_meter:
        return PowerMeter(spec, env)
    if spec.is_smart:
        return SmartDevice(spec, env)
    return FlatSensor(spec, env)


def run_fleet(config: FleetConfig, stop: threading.Event | None = None) -> FleetSummary:
    """Run the fleet until ``config.duration`` passes or ``stop`` is set (Ctrl-C too), stop
    it cleanly and return what it sent."""
    stop = stop or threading.Event()
    fleet = Fleet(config)
    fleet.start()
    try:
        stop.wait(config.duration)
    except KeyboardInterrupt:
        log.info("interrupted: stopping the fleet")
    finally:
        fleet.stop()
    return fleet.summary()
