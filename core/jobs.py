"""The periodic jobs of the pipeline, as plain functions of their inputs. The composition
root schedules them (APScheduler, ``coalesce=True, max_instances=1``); tests call them with
a fake clock."""

from __future__ import annotations

import json
import logging
import urllib.request
from datetime import timedelta

from core.clock import Clock, to_ms
from core.db import Database
from core.ports import ConfigPublisher
from core.protocol import TopicKind, encode_command, topic_for
from core.services import commands, liveness, logs, notify

log = logging.getLogger(__name__)

WEBHOOK_TIMEOUT_S = 5


def check_liveness(db: Database, clock: Clock) -> list[str]:
    """Mark devices offline that have been silent too long."""
    with db.writer() as session:
        return liveness.expire_silent_devices(session=session, now=clock.now())


def dispatch_commands(
    db: Database, publisher: ConfigPublisher, clock: Clock, *, prefix: str, qos: int = 1
) -> int:
    """Send pending commands to devices that are online; returns how many went out."""
    with db.reader() as session:
        due = commands.due_commands(session=session)
    sent = 0
    for command in due:
        payload = encode_command(
            cmd_id=command.id, cmd=command.cmd, params=command.params, ts_ms=to_ms(clock.now())
        )
        if not publisher.publish(
            topic_for(command.device_id, TopicKind.COMMAND, prefix), payload, qos
        ):
            log.info("no broker took %s for %s; it stays pending", command.cmd, command.device_id)
            break
        with db.writer() as session:
            commands.mark_sent(session=session, cmd_id=command.id, now=clock.now())
        sent += 1
    return sent


def expire_commands(db: Database, clock: Clock) -> int:
    with db.writer() as session:
        return len(commands.expire_commands(session=session, now=clock.now()))


def purge_logs(db: Database, clock: Clock, *, keep_days: int) -> int:
    """Delete log lines older than the retention."""
    with db.writer() as session:
        return logs.purge_logs(session=session, before=clock.now() - timedelta(days=keep_days))


def post_json(url: str, body: dict[str, object]) -> None:
    """POST ``body`` as JSON; raises on a network error or a non-2xx answer."""
    request = urllib.request.Request(  # noqa: S310 - http(s) only, checked when added
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "warden"},
    )
    with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_S) as answer:  # noqa: S310
        if not 200 <= answer.status < 300:
            raise OSError(f"HTTP {answer.status}")


def deliver_notifications(db: Database, clock: Clock, post: notify.Poster = post_json) -> int:
    """Post due webhook notifications; returns how many were sent."""
    with db.writer() as session:
        done = notify.deliver_due(session=session, post=post, now=clock.now())
    return sum(1 for n in done if n.state == "sent")
