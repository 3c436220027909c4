"""At-least-once delivery stored exactly once: through two brokers, and across a collector
killed with SIGKILL mid-stream."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from core.config import load_settings
from core.protocol import Measurement, Telemetry, encode
from core.runtime import open_core
from tests.collectors.conftest import QUIET_SYSLOG, wait_until
from warden.agent import Agent

T0 = 1_770_890_400_000  # 2026-02-12T10:00:00Z


def telemetry(device_id: str, seq: int, measurements: int = 10) -> bytes:
    ts = T0 + seq * 1000
    return encode(
        Telemetry(
            device_id=device_id,
            ts_ms=ts,
            seq=seq,
            measurements=tuple(
                Measurement(metric=f"m{i}", ts_ms=ts, value=seq + i / 10, unit=None)
                for i in range(measurements)
            ),
        )
    )


def publisher(broker, client_id: str) -> mqtt.Client:
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
    )
    client.max_inflight_messages_set(500)  # paho refuses past 65 535 unacknowledged
    client.connect(broker.host, broker.port)
    client.loop_start()
    return client


def count(db_path, sql: str) -> int:
    """A number read by another connection; 0 while the agent is still creating the schema."""
    try:
        with sqlite3.connect(db_path) as raw:
            return raw.execute(sql).fetchone()[0] or 0
    except sqlite3.OperationalError:
        return 0


def test_a_message_published_to_two_brokers_is_stored_once(data_dir, broker_factory):
    first, second = broker_factory(), broker_factory()
    settings = load_settings(
        data_dir=data_dir,
        mqtt_url=f"{first.url},{second.url}",
        mqtt_client_id="warden-two-brokers",
        **QUIET_SYSLOG,
    )
    core = open_core(settings)
    agent = Agent(core)
    agent.start()
    clients = [publisher(first, "meter-a"), publisher(second, "meter-b")]
    try:
        wait_until(
            lambda: all(b["connected"] for b in agent.collector.broker_states()),
            what="both brokers",
        )
        infos = [
            c.publish("iot/dc-meter-001/telemetry", telemetry("dc-meter-001", seq), qos=1)
            for seq in range(100)
            for c in clients
        ]
        for info in infos:
            info.wait_for_publish(10)
        wait_until(lambda: agent.writer.counters.received == 200, what="both copies")
    finally:
        for client in clients:
            client.disconnect()
            client.loop_stop()
        agent.stop()
        core.close()
    db_path = data_dir / "warden.db"
    assert count(db_path, "SELECT count(*) FROM reading") == 100 * 10
    assert agent.writer.counters.stored_messages == 100
    assert agent.writer.counters.duplicates == 100


def _start_agent(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "warden", "agent"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_sigkill_mid_stream_loses_nothing_and_stores_everything_once(data_dir, broker):
    env = {
        **os.environ,
        "WARDEN_DATA_DIR": str(data_dir),
        "WARDEN_MQTT_URL": broker.url,
        "WARDEN_MQTT_CLIENT_ID": "warden-kill-test",
        "WARDEN_LOG_LEVEL": "WARNING",
        "WARDEN_SYSLOG_HOST": "127.0.0.1",
        "WARDEN_SYSLOG_UDP_PORT": "0",
        "WARDEN_SYSLOG_TCP_PORT": "0",
    }
    db_path = data_dir / "warden.db"
    devices, per_device = 4, 1500  # 6 000 QoS 1 messages, 60 000 measurements
    agent = _start_agent(env)
    client = publisher(broker, "fleet")
    try:
        wait_until(
            lambda: count(db_path, "SELECT count(*) FROM setting WHERE key = 'agent.heartbeat'"),
            timeout=30,
            what="the agent to start",
        )
        infos = []
        for seq in range(per_device):
            for n in range(devices):
                device_id = f"dc-meter-{n:03d}"
                infos.append(
                    client.publish(f"iot/{device_id}/telemetry", telemetry(device_id, seq), qos=1)
                )
            if seq == per_device // 3:
                # Kill it while thousands of messages are in flight and batches are open.
                wait_until(
                    lambda: count(db_path, "SELECT count(*) FROM reading") > 0,
                    what="the first commits",
                )
                agent.send_signal(signal.SIGKILL)
                agent.wait(10)
        for info in infos:
            info.wait_for_publish(30)
        agent = _start_agent(env)  # the broker kept the session and what arrived meanwhile
        total = devices * per_device
        wait_until(
            lambda: count(db_path, "SELECT count(*) FROM reading") == total * 10,
            timeout=60,
            what="every message to be stored",
        )
        # Redelivered messages that were committed but not yet acknowledged are judged
        # duplicates (sequence state commits with the rows), so each is counted once.
        wait_until(
            lambda: (
                count(
                    db_path,
                    "SELECT json_extract(value, '$.stored_messages') FROM setting "
                    "WHERE key = 'ingest.counters'",
                )
                == total
            ),
            what="the counters",
        )
        assert count(db_path, "SELECT count(*) FROM dead_letter") == 0
        assert count(db_path, "SELECT sum(missing) FROM device_seq") == 0
    finally:
        client.disconnect()
        client.loop_stop()
        agent.terminate()
        agent.wait(10)
