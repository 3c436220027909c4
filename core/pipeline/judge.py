"""Judging raw messages: decode, tell new from duplicate, notice boots and gaps, and turn
what cannot be used into dead letters. Pure apart from the sequence state it keeps.

A message whose sequence number jumps too far to be trusted (``core.protocol.seq``) is held
as suspect: dead-lettered with the reason ``seq_suspect`` and a sentence saying how far it
jumped, nothing of it stored, and the boot signal it may have carried undone, so one forged
message cannot silence a device or reset what its next hello is compared with."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from core.models.deadletter import HEAD_BYTES
from core.pipeline.batch import DeadLetterRow, IngestBatch, RawMessage
from core.protocol import (
    CommandAck,
    FlatData,
    FlatTopic,
    Hello,
    Message,
    OtaStatus,
    ProtocolError,
    Reason,
    SeqState,
    Status,
    Telemetry,
    Verdict,
    boot_signal,
    decode,
    decode_flat,
    derive_power,
    observe,
)

SeqLoader = Callable[[str], SeqState | None]

_DC = frozenset({"voltage_dc", "current_dc"})
_AC = frozenset({"voltage_ac", "current_ac"})


def type_hint(metrics: set[str]) -> str | None:
    """A device type guessed from what it measures (power meters derive power)."""
    if metrics >= _DC:
        return "power_meter_dc"
    if metrics >= _AC:
        return "power_meter_ac"
    return None


class Judge:
    """Keeps each device's sequence state (loaded on first sight through ``load_seq``, or
    given by ``use_states``) and adds every message's consequences to a batch: ``decode``
    (pure, no state) then ``judge`` (against the state), or both at once with ``add``."""

    def __init__(
        self,
        *,
        prefix: str,
        max_payload_bytes: int,
        load_seq: SeqLoader,
        flat_topics: Sequence[FlatTopic] = (),
    ) -> None:
        self._prefix = prefix
        self._flat_topics = tuple(flat_topics)
        self._max_bytes = max_payload_bytes
        self._load_seq = load_seq
        self._states: dict[str, SeqState] = {}

    def forget(self) -> None:
        """Drop cached state (after a failed commit the database is the truth again)."""
        self._states.clear()

    def _state(self, device_id: str) -> SeqState:
        state = self._states.get(device_id)
        if state is None:
            state = self._load_seq(device_id) or SeqState()
            self._states[device_id] = state
        return state

    def use_states(self, states: dict[str, SeqState]) -> None:
        """Judge against these states, just read under the devices' locks (several agents
        on one PostgreSQL database: what this process remembers may be stale)."""
        self._states = states

    def add(self, raw: RawMessage, batch: IngestBatch) -> None:
        """Decode and judge one message (``decode`` then ``judge``)."""
        self.judge(raw, self.decode(raw), batch)

    def decode(self, raw: RawMessage) -> Message | DeadLetterRow:
        """The message ``raw`` carries, or the dead letter it becomes. Pure: needs no state,
        so it can run before the devices' locks are taken."""
        try:
            return self._flat(raw) or decode(
                raw.topic,
                raw.payload,
                prefix=self._prefix,
                max_bytes=self._max_bytes,
                received_ms=raw.received_ms,
            )
        except ProtocolError as error:
            return DeadLetterRow.from_error(raw, error, HEAD_BYTES)

    def judge(self, raw: RawMessage, message: Message | DeadLetterRow, batch: IngestBatch) -> None:
        """Add a decoded message's consequences to ``batch``, judging its seq against the
        device's state (which it advances)."""
        if isinstance(message, DeadLetterRow):
            batch.dead_letters.append(message)
            return
        device_id = message.device_id
        sighting = batch.sighting(device_id)
        verdict = None if isinstance(message, FlatData) else self._judge_seq(raw, message, batch)
        if verdict is Verdict.SUSPECT:
            return  # held: no sign of life either
        if raw.retained:
            # Replayed by the broker, maybe from long ago: it says when it was sent, and it
            # is no sign of life now.
            seen_ms = min(message.ts_ms, raw.received_ms)
        else:
            seen_ms = raw.received_ms
            sighting.live = True
            if not isinstance(message, Status):
                sighting.went_offline = False  # spoke again after its last will
        if seen_ms > sighting.last_seen_ms:
            sighting.last_seen_ms = seen_ms

        if isinstance(message, FlatData):
            batch.messages += 1
            self._add_readings(batch, device_id, message.measurements)
            if message.attributes:
                sighting.attributes = {**(sighting.attributes or {}), **message.attributes}
                if hint := message.attributes.get("type"):
                    sighting.type_hint = hint
            return

        if verdict is Verdict.DUPLICATE:
            batch.duplicates += 1
            return
        batch.messages += 1
        if isinstance(message, Telemetry):
            self._add_readings(batch, device_id, message.measurements)
            hint = type_hint({m.metric for m in message.measurements})
            if hint:
                sighting.type_hint = hint
                self._add_readings(batch, device_id, derive_power(hint, message.measurements))
        elif isinstance(message, Hello):
            sighting.hello = message
        elif isinstance(message, Status):
            sighting.went_offline = not message.online
        elif isinstance(message, CommandAck):
            batch.acks.append(message)
        elif isinstance(message, OtaStatus):
            batch.ota.append(message)

    def _flat(self, raw: RawMessage) -> FlatData | None:
        """Flat JSON from a topic configured as flat, or None for the protocol's topics."""
        for pattern in self._flat_topics:
            device_id = pattern.device_id(raw.topic)
            if device_id is not None:
                return decode_flat(
                    device_id, raw.payload, max_bytes=self._max_bytes, received_ms=raw.received_ms
                )
        return None

    def _judge_seq(self, raw: RawMessage, message: Message, batch: IngestBatch) -> Verdict:
        device_id = message.device_id
        state = self._state(device_id)
        seq: int | None = message.seq  # type: ignore[union-attr]
        last, signals = state.last, (state.last_uptime_s, state.hello_ts_ms, state.online_ts_ms)
        # A retained replay is old news, not a connect: it starts no boot.
        new_boot = not raw.retained and boot_signal(state, message)
        verdict, missing = observe(state, seq, new_boot=new_boot)
        batch.seq_states[device_id] = state
        if verdict is Verdict.SUSPECT:
            state.last_uptime_s, state.hello_ts_ms, state.online_ts_ms = signals
            batch.dead_letters.append(
                DeadLetterRow.from_error(raw, _suspect(seq, last, new_boot), HEAD_BYTES)
            )
            return verdict
        if new_boot:
            batch.sighting(device_id).new_boot = True
        if missing:
            batch.gaps[device_id] = batch.gaps.get(device_id, 0) + missing
        return verdict

    @staticmethod
    def _add_readings(batch: IngestBatch, device_id: str, measurements) -> None:  # type: ignore[no-untyped-def]
        rows = batch.readings
        for m in measurements:
            rows.append((device_id, m.metric, m.unit, m.ts_ms, m.value))


def _suspect(seq: int | None, last: int | None, new_boot: bool) -> ProtocolError:
    ahead = (seq or 0) - (last or 0)
    ahead %= 2**32
    what = "a restart signal with seq" if new_boot else "seq"
    return ProtocolError(
        Reason.SEQ_SUSPECT,
        f"{what} {seq} is {ahead} ahead of the last one seen ({last}): too far to trust, "
        "held as suspect and not stored; taken only when the next messages continue from it",
    )
