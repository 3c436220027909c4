"""``warden bench ingest``: MQTT to committed rows, against the layers below, in one run.

Everything runs on 127.0.0.1 against a mosquitto this module starts on a free port with its
own configuration (in a temporary directory, removed afterwards), and stops by itself:

- ``paho_limit_per_s`` (a): a bare paho-mqtt subscriber (QoS 1, the collector's MQTT version,
  ``json.loads`` of every payload, nothing else) receiving N telemetry messages while a
  publisher process sends them as fast as the broker takes them; N / (first to last
  received).
- ``sqlite_limit_rows_per_s``: raw ``sqlite3`` inserting readings into a database made by
  Warden's own migrations, one transaction per ``sqlite_batch_rows`` rows, with Warden's
  pragmas (WAL, ``synchronous=FULL``, foreign keys) and the pipeline's statement
  (``INSERT ... SELECT ... FROM json_each(?)``; the JSON text is made before the clock
  starts). The same with ``ORDER BY 1, 2`` and with ``executemany`` are reported beside it.
- ``messages_per_s`` (b): the real collector (``MqttCollector`` and ``IngestWriter``, built as
  ``warden agent`` builds them, without the scheduler) in this process, on a fresh database;
  a publisher process sends M v2 telemetry messages of 10 measurements (AC and DC power
  meters, consecutive seqs per device, one message a second each) at QoS 1, at most
  ``PUBLISH_WINDOW`` unacknowledged. Only committed messages count: M / (first publish to
  the commit that stored the last one), the commit seen by the writer's ``on_committed``.
- (c) after draining, from the database: ``lost`` is M minus the distinct messages stored
  (distinct (device, ts) among the readings), checked against ``SELECT count(*) FROM
  reading`` (``rows_exact``: exactly ``rows_per_message`` rows per message, the 10
  measurements plus the power Warden derives for a meter) and the writer's persisted
  counters; ``duplicated`` is stored_messages minus M when positive (the primary key makes
  a duplicate row impossible, so a message stored twice shows in the counters only).
- ``peak_rss_mb``: peak resident memory of this process during the collector phase (the
  publishers are other processes). ``cpu_us_per_message``: CPU time per message of the paho
  network thread, the writer thread, this whole process, the broker and the publisher.

The broker keeps ``max_queued_messages 1000000`` and ``max_inflight_messages`` 20 000
(``broker_inflight``); see docs/benchmarks.md for what mosquitto 2.0.11 does with it.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from core.protocol import Measurement, Telemetry, TopicKind, derive_power, encode, topic_for

MOSQUITTO = "/usr/sbin/mosquitto"
HOST = "127.0.0.1"
TARGET_RATIO = 1.0
START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
PUBLISH_WINDOW = 1000
"""Unacknowledged QoS 1 messages a publisher keeps (paho cannot go past 65 535)."""
PAHO_PREFIX = "benchpaho"
"""Topic prefix of the bare-subscriber phase, apart from the collector's ``iot``."""

# (metric, unit, base value, spread) of the two meter kinds; 10 measurements each. Each
# kind also gets its power derived by Warden (power_ac = V·I·pf, power_dc = V·I).
AC_METER = (
    ("voltage_ac", "V", 230.0, 6.0),
    ("current_ac", "A", 12.0, 4.0),
    ("pf", None, 0.93, 0.05),
    ("frequency", "Hz", 50.0, 0.1),
    ("thd_v", "%", 2.1, 0.8),
    ("thd_i", "%", 4.5, 1.5),
    ("temperature", "Cel", 38.0, 5.0),
    ("energy_import", "kWh", 10_000.0, 500.0),
    ("power_reactive", "var", 300.0, 80.0),
    ("rssi", "dBm", -61.0, 6.0),
)
DC_METER = (
    ("voltage_dc", "V", 756.0, 10.0),
    ("current_dc", "A", 312.0, 25.0),
    ("temperature", "Cel", 41.0, 5.0),
    ("battery", "V", 3.6, 0.2),
    ("energy_import", "kWh", 52_000.0, 900.0),
    ("insulation_resistance", "kOhm", 900.0, 120.0),
    ("string_voltage_1", "V", 378.0, 6.0),
    ("string_voltage_2", "V", 377.0, 6.0),
    ("fan_speed", "rpm", 2400.0, 300.0),
    ("rssi", "dBm", -58.0, 6.0),
)


# ------------------------------------------------------------------------- the workload


def device_ids(devices: int) -> list[str]:
    return [f"bench-{'ac' if n % 2 == 0 else 'dc'}-meter-{n:04d}" for n in range(devices)]


def telemetry(device_id: str, seq: int) -> Telemetry:
    """Message ``seq`` of a meter sending once a second (so every row has its own ts)."""
    kind = AC_METER if "-ac-" in device_id else DC_METER
    ts_ms = START_MS + seq * 1000
    measurements = tuple(
        Measurement(
            metric, ts_ms, round(base + spread * (((seq * 7 + i * 13) % 101) / 50 - 1), 3), unit
        )
        for i, (metric, unit, base, spread) in enumerate(kind)
    )
    return Telemetry(device_id, ts_ms, seq, measurements)


def rows_per_message(device_id: str) -> int:
    """Rows one message becomes: its measurements and the power Warden derives."""
    message = telemetry(device_id, 0)
    hint = "power_meter_ac" if "-ac-" in device_id else "power_meter_dc"
    return len(message.measurements) + len(derive_power(hint, message.measurements))


def workload(messages: int, devices: int, prefix: str = "iot") -> Iterator[tuple[str, bytes]]:
    """(topic, payload) of ``messages`` messages, round-robin over the devices."""
    ids = device_ids(devices)
    topics = [topic_for(d, TopicKind.TELEMETRY, prefix) for d in ids]
    for n in range(messages):
        d = n % devices
        yield topics[d], encode(telemetry(ids[d], n // devices))


# ------------------------------------------------------------------------- the broker


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    config: str
    pid: int


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.2):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def mosquitto(directory: Path, *, inflight: int = 20_000) -> Iterator[Broker]:
    """A mosquitto on a free port of 127.0.0.1, stopped on exit."""
    if not Path(MOSQUITTO).exists():
        raise RuntimeError(f"mosquitto is not installed at {MOSQUITTO}")
    for _attempt in range(3):
        port = _free_port()
        config = (
            f"listener {port} {HOST}\n"
            "allow_anonymous true\n"
            "persistence false\n"
            "max_queued_messages 1000000\n"
            f"max_inflight_messages {inflight}\n"
        )
        path = directory / "mosquitto.conf"
        path.write_text(config)
        with (directory / "mosquitto.log").open("ab") as log:
            process = subprocess.Popen(
                [MOSQUITTO, "-c", str(path)], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 10
        while process.poll() is None and time.monotonic() < deadline and not _accepts(port):
            time.sleep(0.02)
        if process.poll() is None and _accepts(port):
            break
        _terminate(process)
    else:
        log_text = (directory / "mosquitto.log").read_text(errors="replace")
        raise RuntimeError(f"mosquitto did not start:\n{log_text}")
    try:
        yield Broker(host=HOST, port=port, config=config, pid=process.pid)
    finally:
        _terminate(process)


def _terminate(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_s(pid: int | str = "self", tid: int | None = None) -> float:
    """CPU time (user + system, seconds) of a process or of one of its threads."""
    path = f"/proc/{pid}/task/{tid}/stat" if tid is not None else f"/proc/{pid}/stat"
    try:
        fields = Path(path).read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _thread_ids(prefix: str) -> list[int]:
    return [
        t.native_id
        for t in threading.enumerate()
        if t.name.startswith(prefix) and t.native_id is not None
    ]


class CpuMeter:
    """CPU seconds spent, between ``start()`` and ``stop()``, by named threads of this
    process, by this process and by the broker."""

    def __init__(self, broker: Broker, threads: dict[str, str]) -> None:
        self._broker = broker
        self._threads = threads
        self._start: dict[str, float] = {}
        self.spent: dict[str, float] = {}

    def _sample(self) -> dict[str, float]:
        sample = {
            name: sum(cpu_s(tid=tid) for tid in _thread_ids(prefix))
            for name, prefix in self._threads.items()
        }
        sample["process"] = cpu_s()
        sample["broker"] = cpu_s(self._broker.pid)
        return sample

    def start(self) -> None:
        self._start = self._sample()

    def stop(self) -> None:
        end = self._sample()
        self.spent = {k: end[k] - self._start.get(k, 0.0) for k in end}

    def per_message_us(self, messages: int, **extra: float) -> dict[str, float]:
        spent = {**self.spent, **extra}
        return {k: round(v / messages * 1e6, 1) for k, v in spent.items()}


# ------------------------------------------------------------------------- the publisher


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        digit, n = n % 128, n // 128
        out.append(digit | 0x80 if n else digit)
        if not n:
            return bytes(out)


def _packet(kind: int, body: bytes) -> bytes:
    return bytes([kind]) + _varint(len(body)) + body


def _publish_packet(topic: str, payload: bytes, packet_id: int) -> bytes:
    """An MQTT v5 PUBLISH at QoS 1, no properties."""
    name = topic.encode()
    return _packet(
        0x32, struct.pack("!H", len(name)) + name + struct.pack("!H", packet_id) + b"\0" + payload
    )


def publish(spec: dict[str, Any]) -> dict[str, Any]:
    """Run in a publisher process: publish the workload at QoS 1 as fast as the broker
    acknowledges it, at most ``window`` messages unacknowledged. Times are ``time.time()``.

    A minimal MQTT v5 client on a plain socket (CONNECT, PUBLISH, PUBACK), not paho: paho
    publishes ~8 000 QoS 1 messages/s here with its network thread (~18 000 without), so
    it would measure the publisher. The packets are made before the clock starts and sent
    100 at a time; packet ids cycle through 1 … 65 535, never reused while unacknowledged.
    """
    started = time.perf_counter()
    window, chunk = spec["window"], min(100, spec["window"])
    packets = [
        _publish_packet(topic, payload, n % 65_535 + 1)
        for n, (topic, payload) in enumerate(
            workload(spec["messages"], spec["devices"], spec["prefix"])
        )
    ]
    encode_s = time.perf_counter() - started
    total = len(packets)
    sock = socket.create_connection((spec["host"], spec["port"]), timeout=spec["timeout_s"])
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client_id = f"warden-bench-publisher-{os.getpid()}".encode()
    # protocol name, level 5, flags: clean start, keepalive 60 s, no properties, client id
    connect = b"\0\4MQTT\x05\x02\0\x3c\0" + struct.pack("!H", len(client_id)) + client_id
    sock.sendall(_packet(0x10, connect))
    connack = sock.recv(64)
    if len(connack) < 4 or connack[0] != 0x20 or connack[3] != 0:
        raise RuntimeError(f"the broker refused the publisher: {connack!r}")
    sent = acked = refused = 0
    pending = b""
    cpu_before = cpu_s()
    first = time.time()
    while acked < total:
        if sent < total and sent - acked <= window - chunk:
            sock.sendall(b"".join(packets[sent : sent + chunk]))
            sent = min(total, sent + chunk)
            continue
        data = sock.recv(1 << 16)
        if not data:
            raise RuntimeError("the broker closed the publisher's connection")
        pending += data
        at = 0
        while len(pending) - at >= 2:
            length = pending[at + 1]  # a PUBACK is short: a one-byte remaining length
            if len(pending) - at < 2 + length:
                break
            if pending[at] != 0x40 or length & 0x80:
                raise RuntimeError(f"unexpected packet from the broker: {pending[at : at + 8]!r}")
            if length > 2 and pending[at + 4] >= 0x80:
                refused += 1
            acked += 1
            at += 2 + length
        pending = pending[at:]
    last = time.time()
    cpu = cpu_s() - cpu_before
    sock.sendall(_packet(0xE0, b"\0"))
    sock.close()
    return {
        "first_publish": first,
        "last_ack": last,
        "published": total,
        "acked": acked,
        "refused": refused,
        "cpu_s": cpu,
        "encode_s": encode_s,
        "payload_bytes": sum(len(p) for p in packets) / max(1, total),
    }


class Publisher:
    """The publisher in its own process (its own GIL): ``python -m benchmarks.ingest_bench``."""

    def __init__(
        self, broker: Broker, *, messages: int, devices: int, prefix: str, timeout_s: float
    ):
        spec = {
            "host": broker.host,
            "port": broker.port,
            "messages": messages,
            "devices": devices,
            "prefix": prefix,
            "window": PUBLISH_WINDOW,
            "timeout_s": timeout_s,
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.ingest_bench", "publish", json.dumps(spec)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def result(self, timeout: float) -> dict[str, Any]:
        try:
            out, err = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, err = self.process.communicate()
        if self.process.returncode != 0:
            raise RuntimeError(f"the publisher failed:\n{err.decode(errors='replace')}")
        return json.loads(out)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


# ------------------------------------------------------------------------- (a) bare paho


def paho_limit(
    broker: Broker, *, messages: int, devices: int, timeout_s: float, protocol: str = "5"
) -> dict[str, Any]:
    """A bare paho subscriber (what the collector is built on, with nothing of Warden)."""
    received = 0
    first = last = 0.0
    done = threading.Event()
    subscribed = threading.Event()
    loads = json.loads

    def on_message(client, userdata, message) -> None:  # type: ignore[no-untyped-def]
        nonlocal received, first, last
        loads(message.payload)
        received += 1
        if received == 1:
            first = time.time()
        if received >= messages:
            last = time.time()
            done.set()

    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=f"warden-bench-paho-{os.getpid()}",
        protocol=mqtt.MQTTv5 if protocol == "5" else mqtt.MQTTv311,
    )
    client.on_message = on_message
    client.on_subscribe = lambda *args: subscribed.set()
    client.on_connect = lambda c, *args: c.subscribe(f"{PAHO_PREFIX}/+/telemetry", qos=1)
    client.connect(broker.host, broker.port)
    client.loop_start()
    try:
        if not subscribed.wait(10):
            raise RuntimeError("the bare subscriber could not subscribe")
        cpu = CpuMeter(broker, {"paho_thread": "paho-mqtt-client-warden-bench-paho"})
        cpu.start()
        publisher = Publisher(
            broker, messages=messages, devices=devices, prefix=PAHO_PREFIX, timeout_s=timeout_s
        )
        try:
            done.wait(timeout_s)
            cpu.stop()
            sent = publisher.result(timeout=timeout_s)
        finally:
            publisher.kill()
    finally:
        client.disconnect()
        client.loop_stop()
    elapsed = (last - first) if done.is_set() else 0.0
    return {
        "paho_limit_per_s": round(messages / elapsed) if elapsed > 0 else 0,
        "paho_received": received,
        "paho_cpu_us_per_message": cpu.per_message_us(messages, publisher=sent["cpu_s"]),
        "paho_publish_per_s": round(sent["published"] / (sent["last_ack"] - sent["first_publish"])),
    }


# ------------------------------------------------------------------------- raw SQLite


def _raw_connection(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _add_series(conn: sqlite3.Connection, devices: int) -> dict[tuple[str, str], int]:
    now = datetime.now(UTC).isoformat(sep=" ")
    ids: dict[tuple[str, str], int] = {}
    conn.execute("BEGIN")
    for device_id in device_ids(devices):
        conn.execute(
            "INSERT INTO device (id, name, type, tags, status, enabled, created_at, updated_at) "
            "VALUES (?, ?, 'power_meter', '[]', 'online', 1, ?, ?)",
            (device_id, device_id, now, now),
        )
        metrics = [m for m, *_ in (AC_METER if "-ac-" in device_id else DC_METER)]
        for metric in [*metrics, "power"]:
            ids[(device_id, metric)] = conn.execute(
                "INSERT INTO series (device_id, metric) VALUES (?, ?) RETURNING id",
                (device_id, metric),
            ).fetchone()[0]
    conn.execute("COMMIT")
    return ids


def _sqlite_batches(
    ids: dict[tuple[str, str], int], rows: int, devices: int, batch_rows: int
) -> Iterator[list[tuple[int, int, float]]]:
    """Rows in arrival order (message after message, round-robin over the devices), in
    batches of ``batch_rows``, made one at a time so memory stays small."""
    ids_by_device: dict[str, list[int]] = {}
    for (device_id, _metric), series_id in ids.items():
        ids_by_device.setdefault(device_id, []).append(series_id)
    order = device_ids(devices)
    batch: list[tuple[int, int, float]] = []
    made = n = 0
    while made < rows:
        device_id = order[n % devices]
        ts = START_MS + (n // devices) * 1000
        for i, series_id in enumerate(ids_by_device[device_id]):
            if made == rows:
                break
            batch.append((series_id, ts, 100.0 + (n * 7 + i) % 997 * 0.25))
            made += 1
            if len(batch) == batch_rows:
                yield batch
                batch = []
        n += 1
    if batch:
        yield batch


SQLITE_JSON_EACH = (
    "INSERT OR IGNORE INTO reading (series_id, ts, value) "
    "SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?)"
)
"""The statement of ``core.services.ingest`` (one per batch, rows as JSON text)."""
SQLITE_METHODS = {
    "json_each": SQLITE_JSON_EACH,
    "json_each_ordered": SQLITE_JSON_EACH + " ORDER BY 1, 2",
    "executemany": "INSERT OR IGNORE INTO reading (series_id, ts, value) VALUES (?, ?, ?)",
}


def sqlite_limit(directory: Path, *, rows: int, batch_rows: int, devices: int) -> dict[str, Any]:
    """Raw ``sqlite3`` into Warden's schema, one transaction per batch, timing only SQLite
    (the JSON text of a batch is made before its clock starts): ``json_each`` as the
    pipeline does it, the same with the rows sorted by SQLite in key order, and
    ``executemany``."""
    from core.db import Database

    template = directory / "template.db"
    db = Database(f"sqlite:///{template}")
    db.migrate()
    db.dispose()
    result: dict[str, int] = {}
    for method, sql in SQLITE_METHODS.items():
        path = directory / f"sqlite-{method}.db"
        shutil.copy(template, path)
        conn = _raw_connection(path)
        elapsed = 0.0
        try:
            for batch in _sqlite_batches(_add_series(conn, devices), rows, devices, batch_rows):
                arg = json.dumps(batch) if method.startswith("json_each") else None
                started = time.perf_counter()
                conn.execute("BEGIN IMMEDIATE")
                if arg is None:
                    conn.executemany(sql, batch)
                else:
                    conn.execute(sql, (arg,))
                conn.execute("COMMIT")
                elapsed += time.perf_counter() - started
            stored = conn.execute("SELECT count(*) FROM reading").fetchone()[0]
        finally:
            conn.close()
            path.unlink()
        if stored != rows:
            raise RuntimeError(f"sqlite {method}: {stored} rows stored of {rows}")
        result[method] = round(rows / elapsed)
    return {
        "sqlite_limit_rows_per_s": result["json_each"],
        "sqlite_method": "json_each",
        "sqlite_ordered_rows_per_s": result["json_each_ordered"],
        "sqlite_executemany_rows_per_s": result["executemany"],
        "sqlite_rows": rows,
        "sqlite_batch_rows": batch_rows,
    }


# ------------------------------------------------------------------------- (b) the collector


class PeakRss:
    """Peak resident memory of this process from ``reset()`` on: Linux's VmHWM, reset by
    writing 5 to /proc/self/clear_refs; where that is refused, ``ru_maxrss`` (peak since
    the process started, so an upper bound)."""

    def __init__(self) -> None:
        self.method = "ru_maxrss"

    def reset(self) -> None:
        try:
            Path("/proc/self/clear_refs").write_text("5")
            self.method = "VmHWM"
        except OSError:
            self.method = "ru_maxrss"

    def mb(self) -> float:
        if self.method == "VmHWM":
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def collector(
    broker: Broker,
    directory: Path,
    *,
    messages: int,
    devices: int,
    timeout_s: float,
    protocol: str = "5",
) -> dict[str, Any]:
    """The real collector and writer on a fresh database, fed by a publisher process."""
    from collectors.mqtt import THREAD_NAME, MqttCollector
    from core.config import load_settings
    from core.pipeline.batch import IngestBatch
    from core.pipeline.writer import IngestWriter
    from core.runtime import open_core

    data_dir = directory / "collector"
    settings = load_settings(
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'warden.db'}",
        mqtt_url=f"mqtt://{broker.host}:{broker.port}",
        mqtt_client_id=f"warden-bench-collector-{os.getpid()}",
        mqtt_prefix="iot",
        mqtt_username=None,
        mqtt_password=None,
        mqtt_protocol=protocol,
        mqtt_flat_topics="",
    )
    core = open_core(settings)
    stored = 0
    last_commit = 0.0
    all_stored = threading.Event()

    def on_committed(batch: IngestBatch) -> None:
        # Called by the writer thread after each commit (and its acknowledgements).
        nonlocal stored, last_commit
        stored += batch.messages
        if stored >= messages and not all_stored.is_set():
            last_commit = time.time()
            all_stored.set()

    writer = IngestWriter(
        core.db,
        prefix=settings.mqtt_prefix,
        max_payload_bytes=settings.max_payload_bytes,
        flat_topics=settings.flat_topics,
        clock=core.clock,
        extra_state=lambda: {"brokers": mqtt_collector.broker_states()},
        on_committed=on_committed,
    )
    mqtt_collector = MqttCollector(settings, writer, core.clock)
    rss = PeakRss()
    rss.reset()
    writer.start()
    mqtt_collector.start()
    publisher: Publisher | None = None
    try:
        if not all(link.subscribed.wait(10) for link in mqtt_collector.links):
            raise RuntimeError("the collector did not subscribe")
        cpu = CpuMeter(broker, {"receive_thread": THREAD_NAME, "writer_thread": "ingest-writer"})
        cpu.start()
        publisher = Publisher(
            broker, messages=messages, devices=devices, prefix="iot", timeout_s=timeout_s
        )
        sent = publisher.result(timeout=timeout_s + 30)
        remaining = max(1.0, sent["first_publish"] + timeout_s - time.time())
        all_stored.wait(remaining)
        cpu.stop()
        # Drain: whatever is still queued is committed before the counts are read.
        drain_deadline = time.monotonic() + 10
        while not writer.idle.wait(0.1) and time.monotonic() < drain_deadline:
            pass
        peak_rss_mb = rss.mb()
    finally:
        if publisher is not None:
            publisher.kill()
        mqtt_collector.stop()
        writer.stop()
        core.close()

    database = data_dir / "warden.db"
    conn = sqlite3.connect(database)
    try:
        rows = conn.execute("SELECT count(*) FROM reading").fetchone()[0]
        found = conn.execute("SELECT value FROM setting WHERE key = 'ingest.counters'").fetchone()
        counters = json.loads(found[0]) if found else {}  # nothing committed at all
        # Every message of a device has its own ts: distinct (device, ts) = messages stored.
        distinct = conn.execute(
            "SELECT count(*) FROM (SELECT DISTINCT s.device_id, r.ts "
            "FROM reading AS r JOIN series AS s ON s.id = r.series_id)"
        ).fetchone()[0]
        devices_seen = conn.execute("SELECT count(*) FROM device_seq").fetchone()[0]
    finally:
        conn.close()
    expected_rows = sum(
        rows_per_message(d) * (messages // devices + (1 if n < messages % devices else 0))
        for n, d in enumerate(device_ids(devices))
    )
    stored_messages = int(counters.get("stored_messages", 0))
    received = int(counters.get("received", 0))
    batches = int(counters.get("batches", 0))
    elapsed = (last_commit - sent["first_publish"]) if all_stored.is_set() else 0.0
    return {
        "messages_per_s": round(messages / elapsed) if elapsed > 0 else 0,
        "measurements_per_s": round(messages * 10 / elapsed) if elapsed > 0 else 0,
        "rows_per_s": round(rows / elapsed) if elapsed > 0 else 0,
        "elapsed_s": round(elapsed, 3),
        "completed": all_stored.is_set(),
        "lost": messages - distinct,
        "duplicated": max(0, stored_messages - messages),
        "rows": rows,
        "expected_rows": expected_rows,
        "rows_exact": rows == expected_rows,
        "rows_per_message": round(expected_rows / messages, 3),
        "stored_messages": stored_messages,
        "received": received,
        "duplicates_dropped": int(counters.get("duplicates", 0)),
        "dead_letters": sum(counters.get("dead_letters", {}).values()),
        "missing": int(counters.get("missing", 0)),
        "devices_seen": devices_seen,
        "batches": batches,
        "mean_batch": round(received / max(1, batches), 1),
        "peak_rss_mb": round(peak_rss_mb, 1),
        "peak_rss_method": rss.method,
        "cpu_us_per_message": cpu.per_message_us(messages, publisher=sent["cpu_s"]),
        "publish_per_s": round(sent["published"] / (sent["last_ack"] - sent["first_publish"])),
        "payload_bytes": round(sent["payload_bytes"]),
    }


# ------------------------------------------------------------------------- the run


def run(
    *,
    messages: int = 100_000,
    paho_messages: int = 100_000,
    devices: int = 50,
    sqlite_rows: int = 500_000,
    sqlite_batch_rows: int = 5000,
    broker_inflight: int = 20_000,
    timeout_s: float = 60.0,
    mqtt_protocol: str = "5",
    workdir: Path | None = None,
) -> dict[str, Any]:
    """One run of all phases; returns the JSON object ``warden bench ingest`` prints."""
    if messages < 1 or paho_messages < 2 or devices < 1:
        raise ValueError("need at least 1 message, 2 paho messages and 1 device")
    with tempfile.TemporaryDirectory(prefix="warden-bench-ingest-", dir=workdir) as tmp:
        directory = Path(tmp)
        with mosquitto(directory, inflight=broker_inflight) as broker:
            paho = paho_limit(
                broker,
                messages=paho_messages,
                devices=devices,
                timeout_s=timeout_s,
                protocol=mqtt_protocol,
            )
            raw = sqlite_limit(
                directory, rows=sqlite_rows, batch_rows=sqlite_batch_rows, devices=devices
            )
            warden = collector(
                broker,
                directory,
                messages=messages,
                devices=devices,
                timeout_s=timeout_s,
                protocol=mqtt_protocol,
            )
    ratio = warden["messages_per_s"] / paho["paho_limit_per_s"] if paho["paho_limit_per_s"] else 0
    lost, duplicated = warden.pop("lost"), warden.pop("duplicated")
    return {
        "benchmark": "ingest",
        "messages": messages,
        "devices": devices,
        "measurements_per_message": 10,
        "messages_per_s": warden.pop("messages_per_s"),
        "measurements_per_s": warden.pop("measurements_per_s"),
        "paho_limit_per_s": paho.pop("paho_limit_per_s"),
        "sqlite_limit_rows_per_s": raw.pop("sqlite_limit_rows_per_s"),
        "ratio": round(ratio, 3),
        "target_ratio": TARGET_RATIO,
        "lost": lost,
        "duplicated": duplicated,
        "meets_target": ratio >= TARGET_RATIO
        and lost == 0
        and duplicated == 0
        and warden["completed"]
        and warden["rows_exact"],
        "peak_rss_mb": warden.pop("peak_rss_mb"),
        **warden,
        "paho_messages": paho_messages,
        **paho,
        **raw,
        "publish_window": PUBLISH_WINDOW,
        "mqtt_protocol": mqtt_protocol,
        "broker_max_inflight_messages": broker_inflight,
        "cpus": os.cpu_count(),
    }


if __name__ == "__main__" and sys.argv[1:2] == ["publish"]:
    print(json.dumps(publish(json.loads(sys.argv[2]))))
