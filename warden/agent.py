"""The agent: collectors, the writer and the scheduled jobs of one process.

``warden agent`` runs it alone; ``warden serve`` runs it beside the web front end;
``warden serve --demo`` adds an embedded broker and a simulated fleet.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import threading
from datetime import UTC
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from collectors.mqtt import MqttCollector
from core import jobs
from core.clock import to_ms
from core.pipeline.writer import IngestWriter
from core.runtime import Core
from core.services import runtime

log = logging.getLogger(__name__)

HEARTBEAT_S = 5


class Agent:
    def __init__(self, core: Core) -> None:
        self.core = core
        settings = core.settings
        self.writer = IngestWriter(
            core.db,
            prefix=settings.mqtt_prefix,
            max_payload_bytes=settings.max_payload_bytes,
            flat_topics=settings.flat_topics,
            clock=core.clock,
            extra_state=lambda: {"brokers": self.collector.broker_states()},
        )
        self.collector = MqttCollector(settings, self.writer, core.clock)
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
        )
        db, clock = core.db, core.clock
        self.scheduler.add_job(
            jobs.check_liveness, "interval", seconds=5, args=(db, clock), id="liveness"
        )
        self.scheduler.add_job(
            jobs.dispatch_commands,
            "interval",
            seconds=1,
            args=(db, self.collector, clock),
            kwargs={"prefix": settings.mqtt_prefix},
            id="commands",
        )
        self.scheduler.add_job(
            jobs.expire_commands, "interval", seconds=5, args=(db, clock), id="command-timeouts"
        )
        self.scheduler.add_job(self.heartbeat, "interval", seconds=HEARTBEAT_S, id="heartbeat")

    def state(self) -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "brokers": self.collector.broker_states(),
            "queue_depth": self.writer.queue_depth,
            "at_ms": to_ms(self.core.clock.now()),
        }

    def heartbeat(self) -> None:
        with self.core.db.writer() as session:
            runtime.put_state(
                session=session,
                key=runtime.AGENT_KEY,
                value=self.state(),
                now=self.core.clock.now(),
            )

    def start(self) -> None:
        # Long-lived objects made so far (modules, settings, engines) leave the collector's
        # view; fewer young-generation sweeps on the paho thread. Measured +2.7 % ingest.
        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, 20, 100)
        self.writer.start()
        self.collector.start()
        self.scheduler.start()
        self.heartbeat()
        log.info(
            "agent running: brokers %s, database %s",
            ", ".join(b.url for b in self.core.settings.mqtt_brokers),
            self.core.db.url,
        )

    def stop(self) -> None:
        self.scheduler.shutdown(wait=True)
        self.collector.stop()
        self.writer.stop()


def wait_for_signal() -> None:
    """Block until SIGINT or SIGTERM."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    while not stop.wait(3600):
        pass


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for chatty in ("apscheduler", "alembic"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
