"""The scheduled jobs about devices, as plain functions of their inputs: liveness, command
dispatch over MQTT (through the ``ConfigPublisher`` port the MQTT collector implements),
command time-outs (retention is ``collectors.data_jobs``'). The agent schedules them (APScheduler,
``coalesce=True, max_instances=1``); tests call them with a fake clock. Webhook delivery
is ``enforcement.notifier``'s."""

from __future__ import annotations

import logging

from core.clock import Clock, to_ms
from core.db import Database
from core.ports import ConfigPublisher
from core.protocol import TopicKind, encode_command, topic_for
from core.services import commands, liveness

log = logging.getLogger(__name__)


def check_liveness(db: Database, clock: Clock) -> list[str]:
    """Mark devices offline that have been silent too long."""
    with db.writer() as session:
        return liveness.expire_silent_devices(session=session, now=clock.now())


def dispatch_commands(
    db: Database, publisher: ConfigPublisher, clock: Clock, *, prefix: str, qos: int = 1
) -> int:
    """Send pending commands to devices that are online; returns how many went out."""
    with db.reader() as session:
        due = commands.due_commands(session=session, now=clock.now())
    sent = 0
    for due_command in due:
        # One short claim a command: another agent draining the same outbox skips it.
        with db.writer() as session:
            command = commands.claim_pending(session=session, cmd_id=due_command.id)
            if command is None:
                continue  # sent meanwhile, or being sent by another agent
            payload = encode_command(
                cmd_id=command.id, cmd=command.cmd, params=command.params, ts_ms=to_ms(clock.now())
            )
            topic = topic_for(command.device_id, TopicKind.COMMAND, prefix)
            if not publisher.publish(topic, payload, qos):
                log.info(
                    "no broker took %s for %s; it stays pending", command.cmd, command.device_id
                )
                break
            commands.mark_sent(session=session, cmd_id=command.id, now=clock.now())
        sent += 1
    return sent


def expire_commands(db: Database, clock: Clock) -> int:
    with db.writer() as session:
        return len(commands.expire_commands(session=session, now=clock.now()))
