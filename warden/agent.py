"""The agent: collectors, the writer and the scheduled jobs of one process.

``warden agent`` runs it alone; ``warden serve`` runs it beside the web front end;
``warden serve --demo`` adds an embedded broker and a simulated fleet. The collectors an
operator disabled (``WARDEN_DISABLED_COLLECTORS``) are never started; the state says so.
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
import signal
import threading
from datetime import UTC
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.exc import SQLAlchemyError

from collectors.mqtt import MqttCollector
from collectors.rule_runner import RuleRunner
from collectors.syslog import ConnectionLimits, SyslogCollector, listen_address
from core.clock import to_ms
from core.disk_space import SpaceReserve
from core.live import ChangeFeed
from core.pipeline.log_writer import LogWriter, SourceLimit
from core.pipeline.writer import COMMIT_SECONDS, IngestWriter
from core.process_io import WriteRate
from core.runtime import Core
from core.services import runtime
from enforcement import notifier
from enforcement.action_runner import ActionRunner
from enforcement.reconciler import RECONCILER_ACTOR, Reconciler
from enforcement.verifier import Verifier
from warden import backup
from warden.agent_jobs import ELECTED_JOBS, enforces, schedule_elected, took_over
from warden.catalog import sync_catalog
from warden.change_signal import ChangeSignal
from warden.enforcement import build_backends, schedule_zone
from warden.leadership import ELECT_EVERY_S, open_leadership
from warden.presence import Presence

if TYPE_CHECKING:
    from collectors.sinks.archive import S3Archive
    from collectors.sinks.influx_mirror import InfluxMirror
    from collectors.sinks.raw_tap import RawTap

log = logging.getLogger(__name__)

HEARTBEAT_S = 5
RECONCILE_POLL_S = 1
"""The feed is read at least this often; a commit by any process wakes the watch sooner
(``warden.change_signal``)."""
RECONCILE_EVERY_S = 30
"""A full pass at least this often (drift); sooner when an intent or a device changes."""
ENFORCEMENT_TRIGGERS = frozenset(
    {
        "device.registered",
        "device.updated",
        "device.identity_learned",
        "command.accepted",
        "command.rejected",
        "command.error",
        "command.unsupported",
        "command.timed_out",
    }
)
"""Device changes that can move an address, and the answers device policies wait for; a
device coming and going changes nothing the kernel holds (and happens all the time)."""
TIMING_JOB = "intent-timing"


class Agent:
    def __init__(self, core: Core) -> None:
        self.core = core
        settings = core.settings
        self.raw_tap: RawTap | None = None
        """Every raw message and log line into the S3 archive's spool (``WARDEN_S3_URL``)."""
        self.archive: S3Archive | None = None
        if settings.s3_url:
            from collectors.sinks.archive import S3Archive  # the client library only when used
            from collectors.sinks.raw_tap import RawTap, open_spool

            spool = open_spool(settings, core.clock)
            self.raw_tap = RawTap(spool)
            self.archive = S3Archive(core.db, core.clock, settings, spool)
        self.writer = IngestWriter(
            core.db,
            prefix=settings.mqtt_prefix,
            max_payload_bytes=settings.max_payload_bytes,
            flat_topics=settings.flat_topics,
            clock=core.clock,
            reserve=SpaceReserve(settings.data_dir, settings.disk_reserve_mb * 1024 * 1024),
            max_lock_s=settings.write_lock_s,
            extra_state=lambda: {"brokers": self.collector.broker_states()},
            mirror=settings.influx_url is not None,
            archive=self.raw_tap.messages if self.raw_tap else None,
            agent_name=settings.agent_name,
        )
        self.disabled = settings.collectors_disabled
        """Collectors the operator switched off: ``mqtt`` and/or ``syslog``."""
        self.collector = MqttCollector(settings, self.writer, core.clock)
        self.log_writer = LogWriter(
            core.db,
            limit=SourceLimit(settings.syslog_rate_per_source, settings.syslog_burst_per_source),
            archive=self.raw_tap.lines if self.raw_tap else None,
        )
        self.syslog: SyslogCollector | None = None
        self.mirror: InfluxMirror | None = None
        """The InfluxDB mirror (``WARDEN_INFLUX_URL``), on its own thread."""
        if settings.influx_url:
            from collectors.sinks.influx_mirror import InfluxMirror  # only when configured

            self.mirror = InfluxMirror(core.db, core.clock, settings)
        self._io = WriteRate()
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
        )
        db, clock = core.db, core.clock
        sync_catalog(core)
        self.rules = RuleRunner(db, None, clock, measures=self.measures)
        self.actions = ActionRunner(db, clock, post=notifier.post_json, kernel=core.kernel)
        elected = ELECTED_JOBS - ({"commands"} if "mqtt" in self.disabled else set())
        if not settings.backup_schedule:
            elected -= {"backup"}
        self.leadership = open_leadership(
            db.url,
            elected,
            sqlite=db.is_sqlite,
            agent=settings.agent_name,
            on_acquired=lambda job: took_over(self, job),
        )
        self.presence = Presence(self, settings.agent_name)
        schedule_elected(self)
        # Per agent: its own heartbeat and row, its own disk and queues (system rules), and
        # the election itself.
        self.scheduler.add_job(self.heartbeat, "interval", seconds=HEARTBEAT_S, id="heartbeat")
        self.scheduler.add_job(self.rules.run_system, "interval", seconds=2, id="system-health")
        self.scheduler.add_job(
            self.leadership.elect, "interval", seconds=ELECT_EVERY_S, id="leadership"
        )
        backends = build_backends(settings)
        self.enforcement_reasons = backends.reasons
        self.enforcing = enforces(settings, backends.reasons, sqlite=db.is_sqlite)
        """Whether this agent reconciles and verifies (see ``enforces``)."""
        self.reconciler = Reconciler(
            db,
            clock,
            shaper=backends.shaper,
            firewall=backends.firewall,
            link_rate_bps=settings.lan_rate_bps,
            tz=schedule_zone(settings),
        )
        self.verifier = Verifier(
            db,
            clock,
            shaper=backends.shaper,
            firewall=backends.firewall,
            link_rate_bps=settings.lan_rate_bps,
            violations_for_finding=settings.violations_for_finding,
        )
        if self.enforcing:
            self.scheduler.add_job(
                self.verifier.verify, "interval", seconds=settings.verify_interval_s, id="verify"
            )
        self._next_timing: Any = None
        self._enforcement_feed = ChangeFeed(db)
        self._last_reconcile = float("-inf")
        self._changes = ChangeSignal(db)
        self._stopping = threading.Event()
        self._watch = threading.Thread(
            target=self._watch_changes, name="enforcement-watch", daemon=True
        )
        if settings.backup_schedule:
            hour, minute = settings.backup_schedule.split(":")
            self.scheduler.add_job(
                self.leadership.gate("backup", backup.scheduled_backup),
                "cron",
                hour=int(hour),
                minute=int(minute),
                args=(settings, clock),
                id="backup",
                misfire_grace_time=3600,
            )

    def state(self) -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "brokers": self.collector.broker_states(),
            "queue_depth": self.writer.queue_depth,
            "log_queue_depth": self.log_writer.queue_depth,
            "disabled_collectors": sorted(self.disabled),
            COMMIT_SECONDS: self.writer.commit_seconds.snapshot(),
            "syslog": {
                **self.syslog.stats().model_dump(),
                **self.log_writer.stats().model_dump(
                    include={"rate_limited", "rate_limited_by_source"}
                ),
            }
            if self.syslog
            else None,
            "enforcement": self.reconciler.last.mode.model_dump() if self.reconciler.last else None,
            "dry_run": self.enforcement_reasons,
            "enforcing": self.enforcing,
            "leads": self.leadership.leads(),
            "sinks": [s.stats() for s in (self.mirror, self.archive) if s is not None],
            "at_ms": to_ms(self.core.clock.now()),
            **self._io.figures(),
        }

    def _watch_changes(self) -> None:
        """Reconcile as soon as another connection commits (an intent submitted from the
        CLI, the API or a console), not at the next poll."""
        while not self._stopping.is_set():
            self._changes.wait(RECONCILE_POLL_S, self._stopping)
            if self._stopping.is_set():
                return
            try:
                self.reconcile_if_due()
            except Exception:
                log.exception("reconcile failed; trying again on the next change")

    def reconcile_if_due(self) -> None:
        """Reconcile when an intent or a device changed (from any front end), or on the
        timer, which is what finds drift."""
        changed = any(
            c.kind in ENFORCEMENT_TRIGGERS
            or (c.kind.startswith("intent.") and c.actor != RECONCILER_ACTOR)
            for c in self._enforcement_feed.poll()
        )
        now = self.core.clock.monotonic()
        if changed or now - self._last_reconcile >= RECONCILE_EVERY_S:
            self._last_reconcile = now
            self.reconciler.reconcile()
            self._schedule_timing()

    def _schedule_timing(self) -> None:
        """One date job at the next edge of an intent's time (expiry, a schedule opening or
        closing). It is rebuilt from the database after every pass, so it survives restarts
        without a job store of its own."""
        edge = self.reconciler.next_change()
        if edge == self._next_timing:
            return
        self._next_timing = edge
        if edge is None:
            if self.scheduler.get_job(TIMING_JOB):
                self.scheduler.remove_job(TIMING_JOB)
            return
        self.scheduler.add_job(
            self._on_timing_edge, "date", run_date=edge, id=TIMING_JOB, replace_existing=True
        )

    def _on_timing_edge(self) -> None:
        self._next_timing = None
        self._last_reconcile = self.core.clock.monotonic()
        self.reconciler.reconcile()
        self._schedule_timing()

    def measures(self) -> dict[str, float]:
        """What the system rules need from this process."""
        usage = shutil.disk_usage(self.core.settings.data_dir)
        return {
            "disk_free_pct": 100 * usage.free / usage.total,
            "queue_backlog": self.writer.queue_depth + self.log_writer.queue_depth,
            "sinks_failing": self.sinks_failing(),
            **(
                {"archive_spool_pct": self.archive.spool_used_pct()}
                if self.archive is not None
                else {}
            ),
            "store_full": 1.0 if self.writer.disk_full else 0.0,
        }

    def sinks_failing(self) -> float:
        """Sinks failing for longer than ``WARDEN_SINK_ALERT_AFTER_S``."""
        limit = self.core.settings.sink_alert_after_s
        sinks = [s for s in (self.mirror, self.archive) if s is not None]
        return float(sum(s.failing_for_s() > limit for s in sinks))

    def heartbeat(self) -> None:
        """Publish this process's state and upsert its row in the agents registry."""
        with self.core.db.writer() as session:
            runtime.put_state(
                session=session,
                key=runtime.AGENT_KEY,
                value=self.state(),
                now=self.core.clock.now(),
            )
        self.presence.beat()

    def start(self) -> None:
        # Long-lived objects made so far (modules, settings, engines) leave the collector's
        # view; fewer young-generation sweeps on the paho thread. Measured +2.7 % ingest.
        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, 20, 100)
        self.leadership.elect()  # SQLite: leads everything; PostgreSQL: the free jobs
        self.writer.start()
        if "mqtt" not in self.disabled:
            self.collector.start()
        self.log_writer.start()
        if self.mirror is not None:
            self._start_mirror(self.mirror)
        if self.archive is not None:
            self._start_archive(self.archive)
        if "syslog" not in self.disabled:
            self._start_syslog()
        if self.enforcing:
            self.reconcile_if_due()  # policies survive a reboot or a flushed interface
        self.scheduler.start()
        if self.enforcing:
            self._watch.start()
        self.heartbeat()
        log.info(
            "agent running: brokers %s, database %s",
            "disabled"
            if "mqtt" in self.disabled
            else ", ".join(b.url for b in self.core.settings.mqtt_brokers),
            self.core.db.url,
        )
        if self.disabled:
            log.info("collectors disabled by the settings: %s", ", ".join(sorted(self.disabled)))

    def _start_mirror(self, sink: InfluxMirror) -> None:
        """Say at start what is wrong with the mirror's server, token or bucket (the mirror
        starts anyway: readings wait in the outbox until it is fixed)."""
        from collectors.sinks.influx_mirror import probe

        ok, detail = probe(self.core.settings, now_ms=to_ms(self.core.clock.now()))
        if ok:
            log.info("InfluxDB mirror: %s", detail)
        else:
            log.error("InfluxDB mirror cannot write: %s; readings wait in the outbox", detail)
        sink.start()

    def _start_archive(self, archive: S3Archive) -> None:
        """Say at start what is wrong with the archive's server, keys or bucket (it starts
        anyway: segments wait in the spool until it is fixed)."""
        from collectors.sinks.archive import probe

        ok, detail = probe(self.core.settings)
        if ok:
            log.info("S3 archive: %s", detail)
        else:
            log.error("S3 archive cannot upload: %s; segments wait in the spool", detail)
        archive.start()

    def _start_syslog(self) -> None:
        settings = self.core.settings
        address = listen_address(settings)
        try:
            self.syslog = SyslogCollector(
                self.log_writer,
                host=address.host,
                udp_port=settings.syslog_udp_port,
                tcp_port=settings.syslog_tcp_port,
                limits=ConnectionLimits.from_settings(settings),
            )
        except OSError as exc:
            # Telemetry goes on without logs; doctor and the log say why.
            log.error(
                "syslog collector not started: cannot listen on %s udp/%d tcp/%d: %s",
                address.host,
                settings.syslog_udp_port,
                settings.syslog_tcp_port,
                exc.strerror or exc,
            )
            return
        log.info("syslog listens on %s (%s)", address.host, address.why)
        self.syslog.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._watch.is_alive():
            self._watch.join()
        self._changes.close()
        self.scheduler.shutdown(wait=True)
        self.leadership.close()  # the other agents take the jobs over at their next round
        self._enforcement_feed.close()
        if self.syslog is not None:
            self.syslog.stop()
        if "mqtt" not in self.disabled:
            self.collector.stop()
        self.writer.stop()
        self.log_writer.stop()
        if self.mirror is not None:
            self.mirror.stop()
        if self.archive is not None:
            self.archive.stop()  # seals what is open; the next start uploads it
        try:
            self.presence.stopped()
        except SQLAlchemyError as exc:  # the row goes stale instead; the stop goes on
            log.warning("could not mark this agent stopped in the registry: %s", exc)


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
