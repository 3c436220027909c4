"""Both sinks in a running agent on a real broker: with the InfluxDB-compatible server and
the S3 server stopped in the middle of the stream, ingest into the database goes on and loses
nothing; when they return, every reading reaches the mirror once and every message is in
exactly one archived object."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlmodel import func, select

from collectors.sinks.archive import records
from core.clock import to_ms
from core.config import load_settings
from core.models import MirrorPending, Reading
from core.runtime import open_core
from tests.collectors.conftest import QUIET_SYSLOG, wait_until
from tests.collectors.test_delivery import publisher, telemetry
from tests.sinks.conftest import WEED_ACCESS, WEED_SECRET
from warden.agent import Agent

MESSAGES = 300
MEASUREMENTS = 10


def _count(core, model) -> int:
    with core.db.reader() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_sinks_down_mid_stream_lose_nothing_and_do_not_stall_ingest(
    data_dir, broker, victoria_factory, seaweed_factory
):
    victoria, seaweed = victoria_factory(), seaweed_factory()
    started = datetime.now(UTC)
    settings = load_settings(
        data_dir=data_dir,
        mqtt_url=broker.url,
        mqtt_client_id=f"warden-sinks-{broker.port}",
        influx_url=victoria.url,
        s3_url=seaweed.url,
        s3_access_key=WEED_ACCESS,
        s3_secret_key=WEED_SECRET,
        archive_seal_s=5,
        **QUIET_SYSLOG,
    )
    core = open_core(settings)
    agent = Agent(core)
    agent.start()
    client = publisher(broker, "meter-sinks")
    try:
        wait_until(
            lambda: all(b["connected"] for b in agent.collector.broker_states()),
            what="the collector",
        )

        def send(seqs: range) -> None:
            infos = [
                client.publish(
                    "iot/dc-meter-001/telemetry",
                    telemetry("dc-meter-001", seq, measurements=MEASUREMENTS),
                    qos=1,
                )
                for seq in seqs
            ]
            for info in infos:
                info.wait_for_publish(10)

        send(range(100))
        wait_until(lambda: agent.writer.counters.stored_messages == 100, what="the first 100")
        victoria.stop()
        seaweed.stop()
        send(range(100, MESSAGES))
        # Ingest does not wait for the sinks.
        wait_until(
            lambda: agent.writer.counters.stored_messages == MESSAGES, what="all messages stored"
        )
        assert _count(core, Reading) == MESSAGES * MEASUREMENTS
        wait_until(lambda: agent.mirror.state.errors, what="the mirror to notice")
        wait_until(lambda: agent.archive.state.errors, timeout=30, what="the archive to notice")

        victoria_factory(victoria.port)
        seaweed_factory(seaweed)
        wait_until(
            lambda: _count(core, MirrorPending) == 0, timeout=90, what="the mirror's backlog"
        )
        wait_until(
            lambda: not agent.archive.spool.sealed() and agent.archive.state.sent > 0,
            timeout=90,
            what="the spool to empty",
        )
    finally:
        client.disconnect()
        client.loop_stop()
        agent.stop()  # seals what is still open
    try:
        archive = agent.archive
        for _ in range(20):  # the last segment, sealed at stop
            if not archive.upload_once():
                break
        archived = list(
            records(settings, since_ms=to_ms(started) - 1, until_ms=to_ms(datetime.now(UTC)))
        )
        mqtt = [r for r in archived if r["src"] == "mqtt"]
        seqs = sorted(json.loads(r["p"])["seq"] for r in mqtt)
        assert seqs == list(range(MESSAGES))  # each message in exactly one object
        samples = sum(len(s) for k, s in victoria.export().items() if "dc-meter-001" in k)
        assert samples == MESSAGES * MEASUREMENTS
    finally:
        core.close()
