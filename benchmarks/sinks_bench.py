"""``warden bench sinks``: the InfluxDB mirror and the S3 raw archive while ingest runs,
against the client libraries writing directly, in one run.

- Ingest with both sinks on, as a ratio of ingest with both off: the real MQTT collector and
  writer on a fresh database, fed by a publisher process (``benchmarks.ingest_bench``), the
  two kinds of run interleaved, medians compared (target ≥ 0.9).
- While that runs, the mirror's points per second (first publish → outbox empty) and the
  archive's messages per second (first publish → spool uploaded), against ``influxdb-client``
  writing the same number of points directly and ``minio`` putting the same messages in
  segments of the same size directly.
- Catch-up: ingest with the sinks' threads not running (an outage), then the time they take
  to send the backlog.
- Loss: the points VictoriaMetrics holds against the readings stored; the distinct messages in
  the archive against those published.
"""

from __future__ import annotations

import gzip
import json
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.ingest_bench import Broker, Publisher, mosquitto, workload
from benchmarks.sink_servers import (
    ACCESS_KEY,
    BUCKET,
    SECRET_KEY,
    s3_client,
    seaweed,
    victoria,
    victoria_points,
)

TARGET_INGEST_RATIO = 0.9


def _settings(directory: Path, broker: Broker, label: str, sinks: dict[str, Any] | None):
    from core.config import load_settings

    data_dir = directory / label
    return load_settings(
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'warden.db'}",
        mqtt_url=f"mqtt://{broker.host}:{broker.port}",
        mqtt_client_id=f"warden-bench-sinks-{label}-{os.getpid()}",
        mqtt_prefix="iot",
        mqtt_username=None,
        mqtt_password=None,
        mqtt_flat_topics="",
        **(sinks or {}),
    )


def ingest_run(
    broker: Broker,
    directory: Path,
    label: str,
    *,
    messages: int,
    devices: int,
    timeout_s: float,
    sinks: dict[str, Any] | None = None,
    outage: bool = False,
) -> dict[str, Any]:
    """One run of the collector and writer; with ``sinks``, the mirror and the archive run
    beside them (or, with ``outage``, start only once everything is stored)."""
    from sqlmodel import func, select

    from collectors.mqtt import MqttCollector
    from collectors.sinks.archive import S3Archive
    from collectors.sinks.influx_mirror import InfluxMirror
    from collectors.sinks.raw_tap import RawTap, open_spool
    from core.models import MirrorPending
    from core.pipeline.batch import IngestBatch
    from core.pipeline.writer import IngestWriter
    from core.runtime import open_core

    settings = _settings(directory, broker, label, sinks)
    core = open_core(settings)
    stored = 0
    all_stored = threading.Event()
    done_at = 0.0

    def on_committed(batch: IngestBatch) -> None:
        nonlocal stored, done_at
        stored += batch.messages
        if stored >= messages and not all_stored.is_set():
            done_at = time.time()
            all_stored.set()

    tap = mirror = archive = None
    if sinks:
        tap = RawTap(open_spool(settings, core.clock))
        mirror = InfluxMirror(core.db, core.clock, settings)
        archive = S3Archive(core.db, core.clock, settings, tap.spool)
    writer = IngestWriter(
        core.db,
        prefix="iot",
        max_payload_bytes=settings.max_payload_bytes,
        clock=core.clock,
        on_committed=on_committed,
        mirror=bool(sinks),
        archive=tap.messages if tap else None,
    )
    collector = MqttCollector(settings, writer, core.clock)
    writer.start()
    collector.start()
    if mirror and archive and not outage:
        mirror.start()
        archive.start()
    publisher = None
    result: dict[str, Any] = {}
    try:
        if not all(link.subscribed.wait(10) for link in collector.links):
            raise RuntimeError("the collector did not subscribe")
        publisher = Publisher(
            broker, messages=messages, devices=devices, prefix="iot", timeout_s=timeout_s
        )
        sent = publisher.result(timeout=timeout_s + 30)
        first = sent["first_publish"]
        all_stored.wait(max(1.0, first + timeout_s - time.time()))
        result["completed"] = all_stored.is_set()
        elapsed = done_at - first if all_stored.is_set() else 0.0
        result["messages_per_s"] = round(messages / elapsed) if elapsed > 0 else 0
        if mirror and archive:
            started = time.time()
            if outage:
                mirror.start()
                archive.start()
            tap.spool.close()  # seal what is open now rather than a minute from now
            deadline = time.monotonic() + timeout_s * 4
            mirror_at = archive_at = 0.0
            while time.monotonic() < deadline and not (mirror_at and archive_at):
                with core.db.reader() as session:
                    waiting = session.exec(select(func.count()).select_from(MirrorPending)).one()
                if not mirror_at and waiting == 0:
                    mirror_at = time.time()
                if not archive_at and not tap.spool.sealed():
                    archive_at = time.time()
                time.sleep(0.05)
            origin = started if outage else first
            result["mirror_s"] = round(mirror_at - origin, 3) if mirror_at else None
            result["archive_s"] = round(archive_at - origin, 3) if archive_at else None
    finally:
        if publisher is not None:
            publisher.kill()
        collector.stop()
        writer.stop()
        if mirror and archive:
            mirror.stop()
            archive.stop()
        with core.db.reader() as session:
            from core.models import Reading

            result["readings"] = session.exec(select(func.count()).select_from(Reading)).one()
        core.close()
    return result


def direct_influx(url: str, points: int, devices: int) -> float:
    """Points per second written straight through ``influxdb-client``, in batches of 5 000."""
    from influxdb_client import InfluxDBClient, WritePrecision
    from influxdb_client.client.write_api import SYNCHRONOUS

    lines = []
    for n, (topic, _payload) in enumerate(workload(points // 10, devices)):
        device = topic.split("/")[1]
        fields = ",".join(f"m{i}={n + i / 10}" for i in range(10))
        lines.append(f"direct,device={device} {fields} {1_700_000_000_000 + n}")
    client = InfluxDBClient(url=url, token=None, org="warden", enable_gzip=True, retries=False)
    write = client.write_api(write_options=SYNCHRONOUS)
    started = time.perf_counter()
    for start in range(0, len(lines), 500):  # 500 lines of 10 fields = 5 000 points
        write.write(
            bucket="direct",
            org="warden",
            record="\n".join(lines[start : start + 500]),
            write_precision=WritePrecision.MS,
        )
    elapsed = time.perf_counter() - started
    client.close()
    return len(lines) * 10 / elapsed


def direct_minio(url: str, messages: int, devices: int, segment_messages: int) -> float:
    """Messages per second put straight through ``minio``: NDJSON segments of the same size
    as the archive's, gzipped, one object each."""
    import io

    client = s3_client(url)
    records = [
        json.dumps({"t": n, "src": "mqtt", "topic": t, "p": p.decode()})
        for n, (t, p) in enumerate(workload(messages, devices))
    ]
    started = time.perf_counter()
    for n, start in enumerate(range(0, len(records), segment_messages)):
        body = gzip.compress(("\n".join(records[start : start + segment_messages])).encode())
        client.put_object(BUCKET, f"direct/{n}.ndjson.gz", io.BytesIO(body), len(body))
    return messages / (time.perf_counter() - started)


def archived_messages(url: str) -> tuple[int, int, int]:
    """(objects, records, distinct device and seq) in the archive."""
    client = s3_client(url)
    seen: set[tuple[str, int]] = set()
    total = objects = 0
    for obj in client.list_objects(BUCKET, prefix="raw/", recursive=True):
        objects += 1
        answer = client.get_object(BUCKET, obj.object_name)
        try:
            for line in gzip.decompress(answer.read()).splitlines():
                rec = json.loads(line)
                body = json.loads(rec["p"])
                seen.add((rec["topic"], body["seq"]))
                total += 1
        finally:
            answer.close()
            answer.release_conn()
    return objects, total, len(seen)


def run(
    *,
    messages: int = 20_000,
    outage_messages: int = 30_000,
    devices: int = 50,
    rounds: int = 2,
    timeout_s: float = 120.0,
    workdir: Path | None = None,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="warden-bench-sinks-", dir=workdir) as tmp:
        directory = Path(tmp)
        with mosquitto(directory) as broker, victoria(directory) as vm, seaweed(directory) as s3:
            sinks = {
                "influx_url": vm.url,
                "s3_url": s3.url,
                "s3_access_key": ACCESS_KEY,
                "s3_secret_key": SECRET_KEY,
                "s3_bucket": BUCKET,
                "archive_seal_s": 5,
            }
            off: list[int] = []
            on: list[dict[str, Any]] = []
            for n in range(rounds):  # interleaved, the order alternating
                order = ("off", "on") if n % 2 == 0 else ("on", "off")
                for kind in order:
                    label = f"{kind}-{n}"
                    run_ = ingest_run(
                        broker,
                        directory,
                        label,
                        messages=messages,
                        devices=devices,
                        timeout_s=timeout_s,
                        sinks=sinks if kind == "on" else None,
                    )
                    (on.append(run_) if kind == "on" else off.append(run_["messages_per_s"]))
            stored_points = max(r["readings"] for r in on)
            outage = ingest_run(
                broker,
                directory,
                "outage",
                messages=outage_messages,
                devices=devices,
                timeout_s=timeout_s,
                sinks=sinks,
                outage=True,
            )
            mirrored = victoria_points(vm.url)
            objects, archived, distinct = archived_messages(s3.url)
            segment = max(1, archived // max(1, objects))  # messages per archived segment
            direct_points = direct_influx(vm.url, messages * 10, devices)
            direct_messages = direct_minio(s3.url, messages, devices, segment_messages=segment)
    ratio = statistics.median(r["messages_per_s"] for r in on) / max(1, statistics.median(off))
    mirror_rates = [r["readings"] / r["mirror_s"] for r in on if r.get("mirror_s")]
    archive_rates = [messages / r["archive_s"] for r in on if r.get("archive_s")]
    return {
        "benchmark": "sinks",
        "messages": messages,
        "devices": devices,
        "rounds": rounds,
        "ingest_messages_per_s_sinks_off": off,
        "ingest_messages_per_s_sinks_on": [r["messages_per_s"] for r in on],
        "ingest_ratio_with_sinks": round(ratio, 3),
        "target_ingest_ratio": TARGET_INGEST_RATIO,
        "mirror_points_per_s": round(statistics.median(mirror_rates)) if mirror_rates else 0,
        "direct_influx_points_per_s": round(direct_points),
        "archive_messages_per_s": round(statistics.median(archive_rates)) if archive_rates else 0,
        "direct_minio_messages_per_s": round(direct_messages),
        "catch_up_s": outage.get("mirror_s"),
        "catch_up_archive_s": outage.get("archive_s"),
        "catch_up_points": outage["readings"],
        # Every run sends the same workload (a longer one for the outage): the same devices,
        # sequence numbers and times, so the servers hold the largest run once.
        "mirror_points": mirrored,
        "mirror_lost": max(stored_points, outage["readings"]) - mirrored,
        "archive_records": archived,
        "archive_lost": max(0, messages * rounds + outage_messages - archived),
        "archive_distinct_lost": max(messages, outage_messages) - distinct,
        "archive_duplicates": max(0, archived - messages * rounds - outage_messages),
        "meets_target": ratio >= TARGET_INGEST_RATIO,
        "cpus": os.cpu_count(),
    }
