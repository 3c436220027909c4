"""DC and AC power meters speaking v2 (PROTOCOL.md): batched telemetry, hellos when the
send interval exceeds the hello interval, retained ``online`` status with an ``offline``
last will, and commands applied with a ``command_ack``.

``seq`` goes up by one for every telemetry, hello, command_ack and ota_status message and
restarts at 0 on every boot. Status messages carry no seq: the last will is written at
connect time and cannot know one, and a retained status is delivered again to every new
subscriber, so it must not look like a new message in the sequence.

Longer than most modules: a v2 device's whole life (schedule, telemetry, hellos, the five
commands, OTA, scripted faults) is one class, which the smart devices extend.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from core.protocol import (
    CommandAck,
    Hello,
    Measurement,
    OtaStatus,
    ProtocolError,
    Status,
    Telemetry,
    TopicKind,
    decode_command,
    encode,
)
from core.protocol.encode import dumps
from core.protocol.messages import MAX_MEASUREMENTS
from simulator import faults
from simulator.device import Environment, VirtualDevice
from simulator.links import BrokerUrl, Link
from simulator.presets import DC_METER, DeviceSpec
from simulator.sampler import Sample, Sampler
from simulator.settings import MeterSettings, Rejected, no_params, updated, upgrade
from simulator.signals import (
    AC_CHANNELS,
    DC_CHANNELS,
    INTERNAL_TEMPERATURE,
    Channel,
    Signals,
    Walk,
)
from simulator.summary import DeviceSummary

log = logging.getLogger(__name__)

MAX_BUFFERED_SAMPLES = 10_000
"""A meter keeps at most this many unsent samples (brokers away or slow); older ones go."""
REMEMBERED_COMMANDS = 256
"""A command seen again (e.g. through a second broker) is acked again, not applied again."""
OTA_STEPS: tuple[tuple[str, int], ...] = (
    ("downloading", 0),
    ("downloading", 50),
    ("downloading", 100),
    ("verifying", 100),
    ("applying", 100),
    ("success", 100),
)
OTA_STEP_S = 1.0
"""Nominal seconds between OTA progress messages (divided by the fleet's rate)."""


def default_settings(spec: DeviceSpec, env: Environment) -> MeterSettings:
    """Every third meter batches a minute of samples and so also sends hellos (its send
    interval, 60 s, exceeds its hello interval, 30 s); the others send every 10 s and
    their telemetry is their heartbeat."""
    if spec.index % 3 == 0:
        cadence = 1000 if spec.kind == DC_METER else 2000
        return MeterSettings(cadence, 60, 30, env.qos, env.brokers)
    return MeterSettings(1000, 10, 30, env.qos, env.brokers)


class PowerMeter(VirtualDevice):
    protocol = "v2"

    def __init__(self, spec: DeviceSpec, env: Environment) -> None:
        super().__init__(spec, env)
        self.channels = self.channels_for(spec)
        self.units = {channel.metric: channel.unit for channel in self.channels}
        self.defaults = self.default_settings()
        self.settings = self.defaults
        self.signals = Signals(self.channels, self.rng)
        self.internal = Walk(INTERNAL_TEMPERATURE, self.rng)
        self.fw_version = spec.firmware
        self.seq = 0
        self.last_seq: int | None = None
        self.sampler = Sampler(self.signals, MAX_BUFFERED_SAMPLES)
        self._next_send = 0.0
        self._silent_until = 0.0
        self._recent: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self._ota: tuple[str, str, bool] | None = None
        """(cmd_id, target version, fails) of an upgrade in progress."""
        self._ota_step = 0

    # ---------------------------------------------------------------- what it is

    def channels_for(self, spec: DeviceSpec) -> tuple[Channel, ...]:
        """What it measures."""
        return DC_CHANNELS if spec.kind == DC_METER else AC_CHANNELS

    def default_settings(self) -> MeterSettings:
        return default_settings(self.spec, self.env)

    def hello_extras(self) -> dict[str, Any]:
        """Fields a hello carries beyond PROTOCOL.md's (none for a meter)."""
        return {}

    # ---------------------------------------------------------------- identity

    def brokers(self) -> tuple[BrokerUrl, ...]:
        return self.settings.brokers

    def will(self) -> tuple[str, bytes]:
        offline = Status(self.device_id, self._now_ms(), None, False)
        return self.topics[TopicKind.STATUS], encode(offline)

    def command_topic(self) -> str:
        return self.topics[TopicKind.COMMAND]

    def on_link_up(self, link: Link) -> None:
        online = Status(self.device_id, self._now_ms(), None, True)
        if link.publish(self.topics[TopicKind.STATUS], encode(online), qos=1, retain=True):
            self.counters.count("status", 1)

    def farewell(self) -> None:
        offline = Status(self.device_id, self._now_ms(), None, False)
        self.publish(TopicKind.STATUS, encode(offline), message_type="status", qos=1, retain=True)

    def summary(self) -> DeviceSummary:
        summary = super().summary()
        summary.last_seq = self.last_seq
        summary.fw_version = self.fw_version
        return summary

    # ---------------------------------------------------------------- schedule

    def boot(self) -> None:
        if self.powered or self.env.stopping:
            return
        self.seq = 0
        self.last_seq = None
        self.sampler.buffer.clear()  # RAM does not survive a reboot
        super().boot()

    def start(self) -> None:
        now = self.env.now()
        self._resample_from(round(now * 1000))
        self._silent_until = 0.0
        if self._ota is not None:  # power went during an upgrade
            cmd_id, target, _fails = self._ota
            self._ota = None
            self._ota_status(cmd_id, "failed", None, target, "interrupted by a reboot")
        if self.settings.sends_hello:
            self._hello_due()
        first = self.env.real(self.settings.send_interval_s) * self.rng.uniform(0.2, 1.0)
        self._next_send = now + first
        self.schedule("send", first, self._send_due)

    def _replan(self) -> None:
        """Settings changed: resample at the new cadence from now, resend on the new
        interval, send hellos or not."""
        now = self.env.now()
        self._collect(now)
        self._resample_from(round(self.sampler.next_ms()))
        interval = self.env.real(self.settings.send_interval_s)
        self._next_send = now + interval
        self.schedule("send", interval, self._send_due)
        if self.settings.sends_hello:
            self.schedule("hello", self.env.real(self.settings.hello_interval_s), self._hello_due)
        else:
            self.cancel("hello")

    def _hello_due(self) -> None:
        self.schedule("hello", self.env.real(self.settings.hello_interval_s), self._hello_due)
        if self.env.now() >= self._silent_until:
            self.send_hello()

    def _send_due(self) -> None:
        now = self.env.now()
        interval = self.env.real(self.settings.send_interval_s)
        self._next_send = max(self._next_send + interval, now + interval / 2)
        self.schedule("send", self._next_send - now, self._send_due)
        if now < self._silent_until:
            return
        self._collect(now)
        self._flush()
        if self.dice.hits(faults.SILENCE):
            self.counters.silences += 1
            longest = max(self.settings.send_interval_s, self.settings.hello_interval_s)
            self._silent_until = now + self.env.real(longest * self.dice.silence_factor())
            self._resample_from(round(self._silent_until * 1000))  # a hung device samples nothing
        elif self.dice.hits(faults.REBOOTS):
            self.reboot(abrupt=True)

    # ---------------------------------------------------------------- telemetry

    def _resample_from(self, base_ms: int) -> None:
        """Sample from ``base_ms`` on at the current cadence."""
        self.sampler.restart(base_ms, self.settings.sampling_cadence_ms / self.env.rate)

    def _collect(self, now: float) -> None:
        self.counters.samples_dropped += self.sampler.collect(now * 1000)

    def _flush(self) -> None:
        """Publish buffered samples, at most 200 measurements a message, while the brokers
        keep up; the rest waits for the next send."""
        per_message = MAX_MEASUREMENTS // len(self.channels)
        while self.sampler.buffer and self.online() and not self.backlogged():
            self._publish_telemetry(self.sampler.take(per_message))

    def _publish_telemetry(self, batch: list[Sample]) -> None:
        if self.dice.hits(faults.GAPS):
            skipped = self.dice.gap()
            self.seq = (self.seq + skipped) % 2**32
            self.counters.gaps += 1
            self.counters.seqs_skipped += skipped
        units = self.units
        measurements = tuple(
            Measurement(metric, ts_ms, value, units[metric])
            for ts_ms, values in batch
            for metric, value in values.items()
        )
        message = Telemetry(self.device_id, self._now_ms(), self._take_seq(), measurements)
        payload = encode(message)
        qos = self.settings.mqtt_qos
        if not self.publish(TopicKind.TELEMETRY, payload, message_type="telemetry", qos=qos):
            self.counters.samples_dropped += len(batch)
            return
        self.counters.telemetry_messages += 1
        self.counters.measurements += len(measurements)
        # Faulty extras go after the valid message, so a collector that counted them in
        # the sequence before rejecting them could still never lose the valid one.
        if self.dice.hits(faults.DUPLICATES):
            self.publish(TopicKind.TELEMETRY, payload, message_type="telemetry", qos=qos)
            self.counters.duplicates += 1
        if self.dice.hits(faults.MALFORMED):
            variant = self.dice.choice(faults.MALFORMED_VARIANTS)
            broken = faults.malformed_payload(variant, payload)
            self.publish(TopicKind.TELEMETRY, broken, message_type="malformed", qos=qos)
            self.counters.malformed += 1
        if self.dice.hits(faults.WRONG_IDS):
            impostor = faults.renamed(payload, f"{self.device_id}-x")
            self.publish(TopicKind.TELEMETRY, impostor, message_type="wrong_id", qos=qos)
            self.counters.wrong_ids += 1

    def send_hello(self) -> None:
        def hello(seq: int) -> Hello:
            return Hello(
                self.device_id,
                self._now_ms(),
                seq,
                self.fw_version,
                int(self.env.now() - self.booted_at),
                sum(link.connected for link in self.links),
                self.sampler.usage_pct(),
                self.internal.next(self.rng),
            )

        self._emit(TopicKind.HELLO, "hello", hello, extra=self.hello_extras())

    # ---------------------------------------------------------------- commands

    def on_command(self, payload: bytes) -> None:
        try:
            cmd_id, cmd, params = decode_command(payload)
        except ProtocolError as exc:
            log.info("%s: ignoring an unreadable command: %s", self.device_id, exc.detail)
            return
        if cmd_id in self._recent:
            result, detail = self._recent[cmd_id]
            self._ack(cmd_id, result, detail)
            return
        self.counters.commands_received += 1
        handler = {
            "update_config": self._update_config,
            "request_status": self._request_status,
            "start_ota": self._start_ota,
            "reboot": self._reboot,
            "factory_reset": self._factory_reset,
        }.get(cmd)
        if handler is None:
            self._answer(cmd_id, "unsupported", f"unknown command {cmd[:64]!r}")
            return
        try:
            handler(cmd_id, params)
        except Rejected as exc:
            self._answer(cmd_id, "rejected", str(exc))

    def _answer(self, cmd_id: str, result: str, detail: str) -> None:
        self._recent[cmd_id] = (result, detail)
        while len(self._recent) > REMEMBERED_COMMANDS:
            self._recent.popitem(last=False)
        self._ack(cmd_id, result, detail)

    def _ack(self, cmd_id: str, result: str, detail: str) -> None:
        def ack(seq: int) -> CommandAck:
            return CommandAck(self.device_id, self._now_ms(), seq, cmd_id, result, detail)

        if self._emit(TopicKind.COMMAND_ACK, "command_ack", ack):
            self.counters.acks_sent += 1
            self.counters.acks[result] = self.counters.acks.get(result, 0) + 1

    def _update_config(self, cmd_id: str, params: dict[str, Any]) -> None:
        settings, detail = updated(self.settings, params)
        relink = settings.brokers != self.settings.brokers
        self.settings = settings
        if relink:  # like most firmware, the meter reboots to use new brokers
            self._answer(cmd_id, "accepted", f"{detail} Rebooting.")
            self.reboot(abrupt=False, off_s=0.0)
            return
        self._answer(cmd_id, "accepted", detail)
        self._replan()

    def _request_status(self, cmd_id: str, params: dict[str, Any]) -> None:
        no_params("request_status", params)
        self._answer(cmd_id, "accepted", "Status sent.")
        self.send_hello()

    def _reboot(self, cmd_id: str, params: dict[str, Any]) -> None:
        no_params("reboot", params)
        self._answer(cmd_id, "accepted", "Rebooting.")
        self.reboot(abrupt=False)

    def _factory_reset(self, cmd_id: str, params: dict[str, Any]) -> None:
        no_params("factory_reset", params)
        self._answer(cmd_id, "accepted", "Factory defaults restored. Rebooting.")
        self.settings = self.defaults
        self.reboot(abrupt=False)

    def _start_ota(self, cmd_id: str, params: dict[str, Any]) -> None:
        if self._ota is not None:
            raise Rejected(f"an upgrade to {self._ota[1]} is already in progress")
        plan = upgrade(params, current=self.fw_version)
        self._ota = (cmd_id, plan.fw_version, plan.fails)
        self._ota_step = 0
        self._answer(cmd_id, "accepted", f"Upgrading {self.fw_version} to {plan.fw_version}.")
        self.schedule("ota", self.env.real(OTA_STEP_S), self._ota_next)

    def _ota_next(self) -> None:
        if self._ota is None:
            return
        cmd_id, target, fails = self._ota
        state, progress = OTA_STEPS[self._ota_step]
        if fails and state == "verifying":
            self._ota = None
            self._ota_status(cmd_id, "failed", progress, target, "sha256 mismatch")
            return
        self._ota_status(cmd_id, state, progress, target, None)
        self._ota_step += 1
        if state == "success":
            self._ota = None
            self.fw_version = target
        else:
            self.schedule("ota", self.env.real(OTA_STEP_S), self._ota_next)

    def _ota_status(
        self, cmd_id: str, state: str, progress: int | None, target: str, detail: str | None
    ) -> None:
        def status(seq: int) -> OtaStatus:
            return OtaStatus(
                self.device_id, self._now_ms(), seq, cmd_id, state, progress, target, detail
            )

        self._emit(TopicKind.OTA_STATUS, "ota_status", status, qos=1)

    # ---------------------------------------------------------------- small things

    def _emit(
        self,
        kind: TopicKind,
        message_type: str,
        make: Callable[[int], Hello | CommandAck | OtaStatus],
        *,
        qos: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> bool:
        """Build a message with the next seq and publish it, unless no broker is connected
        (then nothing is sent and no seq is used, so Warden sees no gap). ``extra`` fields
        are added to the JSON (a hello's declared settings)."""
        if not self.online():
            return False
        payload = encode(make(self._take_seq()))
        if extra:
            payload = dumps(json.loads(payload) | extra)
        return bool(self.publish(kind, payload, message_type=message_type, qos=qos))

    # ---------------------------------------------------------------- scripted faults

    def skip_seqs(self, count: int) -> None:
        """Lose ``count`` messages on the way: the next one arrives ``count`` seqs later."""
        self.seq = (self.seq + count) % 2**32
        self.counters.gaps += 1
        self.counters.seqs_skipped += count

    def send_malformed(self, variant: str = "missing_field") -> None:
        """Publish one broken telemetry payload (see ``faults.MALFORMED_VARIANTS``)."""
        sample = {c.metric: self.signals.next(c.metric) for c in self.channels}
        measurements = [Measurement(m, self._now_ms(), v, self.units[m]) for m, v in sample.items()]
        valid = encode(Telemetry(self.device_id, self._now_ms(), self.seq, measurements))
        broken = faults.malformed_payload(variant, valid)
        if self.publish(TopicKind.TELEMETRY, broken, message_type="malformed"):
            self.counters.malformed += 1

    def go_silent(self, nominal_s: float) -> None:
        """Hang for ``nominal_s`` (divided by the fleet's rate): nothing sent, nothing sampled."""
        now = self.env.now()
        self.counters.silences += 1
        self._silent_until = now + self.env.real(nominal_s)
        self._resample_from(round(self._silent_until * 1000))

    def _take_seq(self) -> int:
        seq = self.seq
        self.seq = (seq + 1) % 2**32
        self.last_seq = seq
        return seq

    def _now_ms(self) -> int:
        return int(self.env.now() * 1000)
