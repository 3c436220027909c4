"""A running agent (collector, writer, jobs) on a real broker, and a device-side publisher."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from core.config import load_settings
from core.runtime import open_core
from warden.agent import Agent

QUIET_SYSLOG = {"syslog_host": "127.0.0.1", "syslog_udp_port": 0, "syslog_tcp_port": 0}
"""Agents in tests listen for syslog on free loopback ports, so parallel tests never clash."""


def wait_until(condition: Callable[[], Any], timeout: float = 15.0, what: str = "") -> Any:
    """Poll ``condition`` until it returns something truthy. For waiting on another
    process or thread (a broker, the writer), never for passing time."""
    deadline = time.monotonic() + timeout
    event = threading.Event()
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what or condition}")
        event.wait(0.05)


class Device:
    """A device-side MQTT client publishing exactly the bytes a test gives it."""

    def __init__(
        self, url_host: str, port: int, client_id: str, will: tuple[str, bytes] | None = None
    ):
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv5,
        )
        if will:
            self.client.will_set(will[0], will[1], qos=1, retain=True)
        self.received: list[tuple[str, bytes]] = []
        self.client.on_message = lambda c, u, m: self.received.append((m.topic, m.payload))
        self.client.connect(url_host, port)
        self.client.loop_start()

    def publish(
        self, topic: str, payload: bytes | dict, *, qos: int = 1, retain: bool = False
    ) -> None:
        if isinstance(payload, dict):
            payload = json.dumps(payload).encode()
        self.client.publish(topic, payload, qos=qos, retain=retain).wait_for_publish(10)

    def subscribe(self, topic: str) -> None:
        done = threading.Event()
        self.client.on_subscribe = lambda *a: done.set()
        self.client.subscribe(topic, qos=1)
        assert done.wait(10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def agent_core(data_dir, broker):
    settings = load_settings(
        data_dir=data_dir,
        mqtt_url=broker.url,
        mqtt_client_id=f"warden-test-{broker.port}",
        **QUIET_SYSLOG,
    )
    opened = open_core(settings)
    yield opened
    opened.close()


@pytest.fixture
def agent(agent_core) -> Iterator[Agent]:
    running = Agent(agent_core)
    running.start()
    wait_until(
        lambda: all(b["connected"] for b in running.collector.broker_states()),
        what="the collector to connect",
    )
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def device(broker) -> Iterator[Callable[..., Device]]:
    made: list[Device] = []

    def make(client_id: str = "device-under-test", **kwargs: Any) -> Device:
        made.append(Device(broker.host, broker.port, client_id, **kwargs))
        return made[-1]

    yield make
    for d in made:
        d.close()
