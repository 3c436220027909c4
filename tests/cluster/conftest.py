"""Real ``warden agent`` processes on one database and two real brokers, and a publisher.

The agents are ``benchmarks.agent_cluster``'s (this checkout's code, each its own name,
client id and data directory, ready when its log says so); ``warden bench scale`` runs the
same. The publisher is paho in this process, one client per broker, QoS 1: a phase is
published when every broker acknowledged every message of it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from benchmarks.agent_cluster import AgentProcess, agent_cluster, wait_until
from benchmarks.cluster_figures import StoredFigures
from tests.cluster.workload import Publication
from tests.conftest import Broker

PUBLISH_TIMEOUT_S = 120.0
PHASE_TIMEOUT_S = 120.0


StartCluster = Callable[..., list[AgentProcess]]


@pytest.fixture
def start_cluster(tmp_path: Path) -> Iterator[StartCluster]:
    """``start(agents, database_url, brokers, share_group=...)``: that many agents, ready;
    every agent started here is stopped after the test (and its log shown if it failed)."""
    stack = ExitStack()
    runs = 0

    def start(
        agents: int,
        database_url: str,
        brokers: Sequence[Broker],
        share_group: str | None = "warden",
    ) -> list[AgentProcess]:
        nonlocal runs
        runs += 1
        return stack.enter_context(
            agent_cluster(
                tmp_path / f"cluster-{runs}",
                database_url=database_url,
                mqtt_urls=[b.url for b in brokers],
                agents=agents,
                share_group=share_group,
            )
        )

    with stack:
        yield start


class Publisher:
    """One paho client per broker; ``publish`` returns when all are acknowledged."""

    def __init__(self, brokers: Sequence[Broker]) -> None:
        self._acked = 0
        self._lock = threading.Lock()
        self._all_acked = threading.Event()
        self._expected = 0
        self.clients = []
        connected = [threading.Event() for _ in brokers]
        for n, broker in enumerate(brokers):
            client = mqtt.Client(
                callback_api_version=CallbackAPIVersion.VERSION2,
                client_id=f"fleet-{os.getpid()}-{n}",
                protocol=mqtt.MQTTv5,
            )
            client.max_inflight_messages_set(1000)
            client.max_queued_messages_set(0)
            client.on_publish = self._on_publish
            client.on_connect = lambda *args, done=connected[n]: done.set()
            client.connect(broker.host, broker.port)
            client.loop_start()
            self.clients.append(client)
        for done in connected:  # every broker accepted us (CONNACK)
            if not done.wait(PUBLISH_TIMEOUT_S):
                raise TimeoutError("a broker did not accept the publisher")

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
        with self._lock:
            self._acked += 1
            if self._acked >= self._expected:
                self._all_acked.set()

    def publish(self, publications: Sequence[Publication]) -> None:
        copies = sum(len(p.brokers) for p in publications)
        with self._lock:
            self._expected += copies
            if self._acked < self._expected:
                self._all_acked.clear()
        for publication in publications:
            for index in publication.brokers:
                info = self.clients[index].publish(publication.topic, publication.payload, qos=1)
                if info.rc != mqtt.MQTT_ERR_SUCCESS:
                    raise RuntimeError(f"publish refused by paho: {mqtt.error_string(info.rc)}")
        if not self._all_acked.wait(PUBLISH_TIMEOUT_S):
            raise TimeoutError(f"the brokers acknowledged {self._acked} of {self._expected}")

    def close(self) -> None:
        for client in self.clients:
            client.disconnect()
            client.loop_stop()


@pytest.fixture
def publisher_for() -> Iterator[Callable[[Sequence[Broker]], Publisher]]:
    """``publisher_for(brokers)``: a connected publisher, closed after the test."""
    made: list[Publisher] = []

    def make(brokers: Sequence[Broker]) -> Publisher:
        made.append(Publisher(brokers))
        return made[-1]

    try:
        yield make
    finally:
        for publisher in made:
            publisher.close()


def copies(phases: Sequence[Sequence[Publication]]) -> int:
    """Messages the brokers deliver for these phases (a duplicate twice)."""
    return sum(len(p.brokers) for phase in phases for p in phase)


def feed(
    phases: Sequence[Sequence[Publication]],
    figures: StoredFigures,
    publisher: Publisher,
    *,
    delivered_before: int = 0,
) -> None:
    """Publish phase after phase; each phase ends when the agents together received every
    copy so far (``delivered_before``: copies of earlier phases)."""
    total = delivered_before
    for number, phase in enumerate(phases, 1):
        publisher.publish(phase)
        total += copies([phase])
        wait_until(
            lambda total=total: figures.counters()["received"] >= total,
            PHASE_TIMEOUT_S,
            lambda number=number, total=total: (
                f"phase {number}: {total} copies received; counters {figures.counters()}"
            ),
        )
