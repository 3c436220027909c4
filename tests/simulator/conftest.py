"""The shared real mosquitto (``sim_broker``) and a plain paho subscriber that records what
the simulated fleet really put on the wire (``recorder``)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from core.protocol import CommandAck, Message, ProtocolError, decode, encode_command
from tests.conftest import Broker

SimBroker = Broker
"""The shared real-mosquitto fixture's broker (tests/conftest.py)."""


@pytest.fixture
def start_broker(broker_factory: Callable[..., Broker]) -> Callable[..., Broker]:
    """Starts a mosquitto on a free port of 127.0.0.1 (or on ``port``)."""
    return broker_factory


@pytest.fixture
def sim_broker(broker: Broker) -> Broker:
    """A real mosquitto on a free port, for this test only."""
    return broker


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    retain: bool
    arrived: float

    @property
    def device_id(self) -> str:
        return self.topic.split("/")[1]

    @property
    def kind(self) -> str:
        return self.topic.split("/", 2)[2]

    def decoded(self) -> Message | ProtocolError:
        try:
            return decode(self.topic, self.payload, received_ms=int(self.arrived * 1000))
        except ProtocolError as exc:
            return exc


class Recorder:
    """A paho subscriber to ``iot/#`` that keeps everything it receives."""

    def __init__(self, broker: SimBroker, prefix: str = "iot") -> None:
        self.prefix = prefix
        self._messages: list[Received] = []
        self._mark_topic = f"{prefix}/mark-"
        self._marks: set[str] = set()
        self._changed = threading.Condition()
        self._subscribed = threading.Event()
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"rec-{uuid.uuid4().hex}")
        client.on_connect = lambda c, *_: c.subscribe(f"{prefix}/#", qos=1)
        client.on_subscribe = lambda *_: self._subscribed.set()
        client.on_message = self._received
        client.connect(broker.host, broker.port)
        client.loop_start()
        self._client = client
        if not self._subscribed.wait(5):
            raise TimeoutError("the recorder could not subscribe")

    def _received(self, _client: mqtt.Client, _userdata: object, msg: mqtt.MQTTMessage) -> None:
        with self._changed:
            if msg.topic.startswith(self._mark_topic):
                self._marks.add(msg.topic)
            else:
                self._messages.append(Received(msg.topic, msg.payload, msg.retain, time.time()))
            self._changed.notify_all()

    def settle(self, timeout: float = 5.0) -> None:
        """Wait until everything the broker accepted before now has reached us: our own
        mark, published after it, comes back (mosquitto keeps the order per subscriber)."""
        topic = f"{self._mark_topic}{uuid.uuid4().hex}/mark"
        self.publish(topic, b"")
        deadline = time.monotonic() + timeout
        with self._changed:
            while topic not in self._marks:
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(f"the recorder's mark did not come back within {timeout} s")
                self._changed.wait(left)

    @property
    def messages(self) -> list[Received]:
        with self._changed:
            return list(self._messages)

    def wait_for(self, condition: Callable[[list[Received]], object], timeout: float = 5.0):
        """Block until ``condition(messages)`` is truthy and return its value, or fail."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                value = condition(list(self._messages))
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(f"condition not met within {timeout} s", pytrace=False)
                self._changed.wait(left)

    def v2(self, device_id: str | None = None) -> list[Message]:
        """Every valid v2 message with a seq (telemetry, hello, acks, OTA), in arrival order."""
        found = []
        for received in self.messages:
            if device_id is not None and received.device_id != device_id:
                continue
            message = received.decoded()
            if getattr(message, "seq", None) is not None and received.kind != "status":
                found.append(message)
        return found

    def statuses(self, device_id: str) -> list[Received]:
        return [m for m in self.messages if m.device_id == device_id and m.kind == "status"]

    def ack(self, cmd_id: str, timeout: float = 5.0) -> CommandAck:
        """Wait for the command_ack of ``cmd_id``."""

        def find(messages: list[Received]) -> CommandAck | None:
            for received in messages:
                if received.kind == "command/ack":
                    message = received.decoded()
                    if isinstance(message, CommandAck) and message.cmd_id == cmd_id:
                        return message
            return None

        return self.wait_for(find, timeout)

    def command(self, device_id: str, cmd: str, params: dict | None = None) -> str:
        """Publish a command to a device as Warden would; returns its cmd_id."""
        cmd_id = str(uuid.uuid4())
        payload = encode_command(
            cmd_id=cmd_id, cmd=cmd, params=params or {}, ts_ms=int(time.time() * 1000)
        )
        self.publish(f"{self.prefix}/{device_id}/command", payload)
        return cmd_id

    def publish(self, topic: str, payload: bytes) -> None:
        self._client.publish(topic, payload, qos=1).wait_for_publish(5)

    def close(self) -> None:
        self._client.disconnect()  # wakes the network thread, so loop_stop returns at once
        self._client.loop_stop()


@pytest.fixture
def recorder(sim_broker: SimBroker) -> Iterator[Recorder]:
    """Subscribed to ``iot/#`` on ``sim_broker`` before the test starts its fleet."""
    subscriber = Recorder(sim_broker)
    try:
        yield subscriber
    finally:
        subscriber.close()
