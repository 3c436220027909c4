"""The agent's once-per-period jobs and who runs them.

With several agents on one PostgreSQL database every agent schedules every job below, and a
job runs only on the agent that leads it (``warden.leadership``). On SQLite the one agent
leads them all, exactly as before there was an election.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from collectors import data_jobs, device_jobs
from core.services import actions, logs, retention
from enforcement import notifier

if TYPE_CHECKING:
    from core.config import Settings
    from warden.agent import Agent

log = logging.getLogger(__name__)

RULES_S = 2
CHECKS_S = 30
ACTIONS_S = 2
ELECTED_JOBS = frozenset(
    {
        "liveness",
        "commands",
        "command-timeouts",
        "rules",
        "webhooks",
        "checks",
        "actions",
        "rollups",
        "retention",
        "backup",
    }
)
"""Jobs that must run once per period across all agents sharing a database; each runs on
the agent holding its lock (``warden.leadership``). The others are per agent: heartbeat,
system-health (this process's disk and queues), verify and reconcile (this gateway's own
kernel), the sinks (the archive spools what this agent received; the InfluxDB mirror claims
its batches with SKIP LOCKED)."""


def enforces(settings: Settings, dry_run_reasons: list[str], *, sqlite: bool) -> bool:
    """Whether this agent reconciles and verifies the kernel policies.

    Enforcement stays on the gateway: on PostgreSQL (several agents) an agent reconciles
    only when it can change its own kernel, or when the operator asked it for a dry run
    explicitly (a rehearsal gateway); an agent that fell back to a dry run because it cannot
    (no CAP_NET_ADMIN, no LAN interfaces) collects only, so it never reports plans for
    interfaces it does not have. Two gateways each reconcile their own interfaces. On
    SQLite the one agent reconciles as it always did, dry run or not."""
    return sqlite or not dry_run_reasons or settings.enforcement == "dry-run"


def schedule_elected(agent: Agent) -> None:
    """Schedule the elected jobs on ``agent``'s scheduler, each behind its leader gate."""
    settings = agent.core.settings
    db, clock = agent.core.db, agent.core.clock

    def every(job: str, run: Callable[..., Any], seconds: float, *args: Any, **kw: Any) -> None:
        agent.scheduler.add_job(
            agent.leadership.gate(job, run),
            "interval",
            seconds=seconds,
            args=args,
            kwargs=kw,
            id=job,
        )

    every("liveness", device_jobs.check_liveness, 5, db, clock)
    if "mqtt" not in agent.disabled:  # without a broker, commands wait (and time out)
        every(
            "commands",
            device_jobs.dispatch_commands,
            1,
            db,
            agent.collector,
            clock,
            prefix=settings.mqtt_prefix,
        )
    every("command-timeouts", device_jobs.expire_commands, 5, db, clock)
    every("rules", agent.rules.run, RULES_S)
    every("webhooks", notifier.deliver_notifications, 5, db, clock)
    every("checks", agent.rules.run_checks, CHECKS_S)
    every("actions", agent.actions.run_approved, ACTIONS_S)
    every(
        "rollups",
        data_jobs.roll_up,
        settings.rollup_interval_s,
        db,
        clock,
        raw_retention_days=settings.raw_retention_days,
    )
    every(
        "retention",
        data_jobs.purge,
        settings.retention_interval_s,
        db,
        clock,
        days=retention.retention_days(settings),
    )


def took_over(agent: Agent, job: str) -> None:
    """``agent`` became the leader of ``job``: take over what the previous leader left."""
    db = agent.core.db
    if job == "actions":
        # Whoever ran them before is gone (its lock went with its session), or this is the
        # start: actions left running were interrupted.
        with db.writer() as session:
            if interrupted := actions.fail_interrupted(session=session, now=agent.core.clock.now()):
                log.warning(
                    "%d action(s) interrupted by their runner's stop marked failed", interrupted
                )
    elif job == "rules" and not db.is_sqlite:
        # Log lines are followed from now on: the previous leader evaluated those before.
        with db.reader() as session:
            agent.rules.last_log_id = logs.last_log_id(session=session)
