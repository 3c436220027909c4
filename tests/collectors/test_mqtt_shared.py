"""Shared subscriptions and acknowledgement after commit, at the MQTT level: real mosquitto,
the real collector (gmqtt), a writer double that records what it is handed. Two agents'
collectors in one share group split the traffic and together get all of it; one takes all
when the other leaves; a collector killed before its commit gets its messages again."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from collectors.mqtt import MqttCollector
from tests.collectors.conftest import Device, wait_until
from tests.collectors.mqtt_member import RecordingWriter, member_settings

ROOT = Path(__file__).resolve().parents[2]
GROUP = "warden"
Start = Callable[..., tuple[MqttCollector, RecordingWriter]]


@pytest.fixture
def members(tmp_path: Path, broker) -> Iterator[Start]:
    """Start collectors on ``broker``; all are stopped after the test."""
    started: list[MqttCollector] = []

    def start(
        client_id: str, group: str | None = GROUP, protocol: str = "5"
    ) -> tuple[MqttCollector, RecordingWriter]:
        writer = RecordingWriter()
        settings = member_settings(
            tmp_path / client_id, broker.url, client_id, group, mqtt_protocol=protocol
        )
        collector = MqttCollector(settings, writer)  # type: ignore[arg-type]
        collector.start()
        started.append(collector)
        assert all(link.subscribed.wait(20) for link in collector.links)
        return collector, writer

    yield start
    for collector in started:
        collector.stop()


def _publish(device: Device, first: int, count: int) -> list[bytes]:
    payloads = [f"message {n}".encode() for n in range(first, first + count)]
    for n, payload in enumerate(payloads):
        device.publish(f"iot/meter-{n % 7}/telemetry", payload)
    return payloads


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_a_share_group_splits_the_traffic_and_one_member_takes_all_when_the_other_leaves(
    members: Start, device: Callable[..., Device], protocol: str
) -> None:
    a, a_got = members("warden-agent-a", protocol=protocol)
    _b, b_got = members("warden-agent-b", protocol=protocol)
    sender = device("meter-sender")

    first = _publish(sender, 0, 200)
    wait_until(lambda: len(a_got.payloads) + len(b_got.payloads) >= 200, what="all 200")

    assert a_got.payloads and b_got.payloads  # both members got a part
    assert set(a_got.payloads).isdisjoint(b_got.payloads)  # each message went to one
    assert sorted(a_got.payloads + b_got.payloads) == sorted(first)

    a.stop()  # leaves the group: unsubscribes, lets its messages be committed, disconnects
    b_before = len(b_got.payloads)
    later = _publish(sender, 200, 100)

    assert b_got.wait_for(b_before + 100)
    assert sorted(b_got.payloads[b_before:]) == sorted(later)


def test_what_piled_up_in_the_socket_reaches_the_writer_in_few_hand_offs(
    tmp_path: Path, broker, device: Callable[..., Device]
) -> None:
    behind = threading.Event()
    got = RecordingWriter(gate=behind)  # the writer is busy: the receive loop waits on it
    settings = member_settings(tmp_path, broker.url, "warden-agent-solo", None)
    collector = MqttCollector(settings, got)  # type: ignore[arg-type]
    collector.start()
    try:
        assert collector.links[0].subscribed.wait(20)
        sender = device("meter-burst")
        payloads = [f"burst {n}".encode() for n in range(500)]
        for payload in payloads:  # the broker has them all; they wait in the socket
            sender.publish("iot/meter-1/telemetry", payload)
        behind.set()

        assert got.wait_for(500)
        assert got.payloads == payloads  # in order, each once
        assert got.handoffs < 50  # one list per socket read, not one put per message
    finally:
        collector.stop()


def test_a_member_killed_before_its_commit_gets_its_messages_again(
    members: Start, device: Callable[..., Device], broker
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-m", "tests.collectors.mqtt_member", broker.url, "warden-agent-k"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "subscribed"
        sent = _publish(device("meter-k"), 0, 50)
        while holder.stdout.readline().strip() != "holding 50":
            assert holder.poll() is None
    finally:
        holder.kill()  # SIGKILL: handed to its writer, never committed, never acknowledged
        holder.wait(timeout=10)

    _again, got = members("warden-agent-k", group=None)

    assert got.wait_for(50)
    assert sorted(got.payloads) == sorted(sent)  # redelivered by the broker, none lost


def test_a_shared_subscription_receives_retained_messages_once_subscribed(
    members: Start, device: Callable[..., Device]
) -> None:
    """What mosquitto 2.0.11 does (MQTT 5 §4.8.2 says a new shared subscription gets no
    retained messages): docs/mqtt.md relies on neither, this pins what Warden receives."""
    device("meter-r").publish("iot/meter-r/status", b"online", retain=True)

    _member, got = members("warden-agent-r")

    wait_until(lambda: got.retained, what="the retained status")
    assert got.retained == [b"online"]
