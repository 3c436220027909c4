"""Outboxes drained by several agents at once on the real PostgreSQL: a row one agent has
claimed (``FOR UPDATE SKIP LOCKED``) is skipped by the others, so every command, webhook and
mirror batch goes out once. The second agent drains while the first is in the middle of
sending (called from inside the first's publish or POST), so the overlap is certain."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from collectors import device_jobs
from core.config import load_settings
from core.pipeline.http_ingest import HttpIngest
from core.runtime import Core, open_core
from core.services import commands, findings, mirror, notify
from tests.factories import FakeClock, actor, make_device

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_core(pg_url: str, data_dir: Path) -> Iterator[Core]:
    opened = open_core(load_settings(data_dir=data_dir, database_url=pg_url), clock=FakeClock())
    yield opened
    opened.close()


class Publisher:
    """The MQTT side of one agent; the first publish lets another agent drain meanwhile."""

    def __init__(self, sent: Counter[str], during_first: object = None) -> None:
        self.sent, self.during_first = sent, during_first

    def publish(self, topic: str, payload: bytes, qos: int = 1) -> bool:
        self.sent[json.loads(payload)["cmd_id"]] += 1
        if callable(self.during_first):
            run, self.during_first = self.during_first, None
            run()
        return True


def test_two_agents_dispatching_together_send_each_command_once(pg_core: Core) -> None:
    core = pg_core
    with core.db.writer() as session:
        make_device(session, id="meter-1", seen_at=core.clock.now())
        queued = [
            commands.queue_command(
                session=session, device_ref="meter-1", cmd="request_status", actor=actor()
            ).id
            for _ in range(3)
        ]
    sent: Counter[str] = Counter()
    other_agent = Publisher(sent)
    first_agent = Publisher(
        sent,
        during_first=lambda: device_jobs.dispatch_commands(
            core.db, other_agent, core.clock, prefix="iot"
        ),
    )
    device_jobs.dispatch_commands(core.db, first_agent, core.clock, prefix="iot")
    assert sent == dict.fromkeys(queued, 1)
    with core.db.reader() as session:
        assert {commands.get_command(session=session, cmd_id=c).state for c in queued} == {"sent"}


def test_two_agents_delivering_webhooks_together_post_each_once(pg_core: Core) -> None:
    core = pg_core
    with core.db.writer() as session:
        notify.add_target(
            session=session, url="http://127.0.0.1:9/hook", min_severity="low", actor=actor()
        )
    for key in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        with core.db.writer() as session:
            findings.raise_finding(
                session=session,
                now=core.clock.now(),
                firing=findings.FindingIn(
                    rule_id="security.ssh-login-failures",
                    severity="high",
                    key=key,
                    ts_ms=1_770_890_400_000,
                    count=5,
                    summary="5 failed logins",
                ),
            )
    posted: Counter[int] = Counter()
    nested = {"done": False}

    def other_agent_post(_url: str, body: dict[str, object]) -> None:
        posted[int(body["finding_id"])] += 1  # type: ignore[call-overload]

    def first_agent_post(_url: str, body: dict[str, object]) -> None:
        posted[int(body["finding_id"])] += 1  # type: ignore[call-overload]
        if not nested["done"]:
            nested["done"] = True
            with core.db.writer() as other:
                notify.deliver_due(session=other, post=other_agent_post, now=core.clock.now())

    with core.db.writer() as session:
        notify.deliver_due(session=session, post=first_agent_post, now=core.clock.now())
    assert sorted(posted.values()) == [1, 1, 1]


def test_two_mirrors_reading_together_take_different_batches(pg_core: Core) -> None:
    core = pg_core
    http = HttpIngest(core.db, core.clock, prefix="iot", max_payload_bytes=4096, mirror=True)
    start = core.clock.now()
    for n in range(4):
        at = (start + timedelta(seconds=n)).isoformat()
        http.telemetry("air-1", json.dumps({"data": {"t": n}, "timestamp": at}).encode())
    with core.db.reader() as first, core.db.reader() as second:
        one = mirror.pending(session=first, max_points=10)  # one batch's span fits
        two = mirror.pending(session=second, max_points=10)
        assert one.batch_ids and two.batch_ids
        assert set(one.batch_ids).isdisjoint(two.batch_ids)
