"""Webhook delivery against a real local HTTP server: the outbox, severity thresholds,
retry with backoff after a failure, suppression."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.errors import InvalidInput
from core.services import findings, notify
from enforcement import notifier
from tests.factories import FakeClock, Receiver, actor


@pytest.fixture
def receiver():
    started = Receiver([500])  # the first delivery fails
    yield started
    started.close()


def fire(core, clock, severity="high", key="192.168.1.50", suppressed=False):
    with core.db.writer() as session:
        return findings.raise_finding(
            session=session,
            now=clock.now(),
            suppressed=suppressed,
            firing=findings.FindingIn(
                rule_id="security.ssh-login-failures",
                severity=severity,
                key=key,
                ts_ms=1_770_890_400_000,
                count=5,
                summary="5 failed logins",
            ),
        )


def test_a_finding_is_posted_once_after_a_failed_attempt_and_a_backoff(core, receiver):
    clock = FakeClock()
    with core.db.writer() as session:
        notify.add_target(session=session, url=receiver.url, min_severity="medium", actor=actor())
    opened = fire(core, clock)
    fire(core, clock, severity="low", key="10.0.0.1")  # below the target's threshold
    fire(core, clock, key="10.0.0.2", suppressed=True)  # maintenance: not notified

    assert notifier.deliver_notifications(core.db, clock) == 0  # the receiver answered 500
    assert notifier.deliver_notifications(core.db, clock) == 0  # not due yet: backing off
    clock.advance(5)
    assert notifier.deliver_notifications(core.db, clock) == 1
    assert notifier.deliver_notifications(core.db, clock) == 0  # sent: never again
    assert len(receiver.bodies) == 2  # the failed attempt and the delivery
    body = receiver.bodies[-1]
    assert (body["event"], body["finding_id"], body["severity"], body["count"]) == (
        "opened",
        opened.id,
        "high",
        5,
    )

    fire(core, clock)  # the same finding fires again while open: no new notification
    clock.advance(timedelta(hours=1).total_seconds())
    assert notifier.deliver_notifications(core.db, clock) == 0


def test_targets_are_checked(core):
    with core.db.writer() as session:
        with pytest.raises(InvalidInput, match="http"):
            notify.add_target(
                session=session, url="file:///etc/passwd", min_severity="high", actor=actor()
            )
        with pytest.raises(InvalidInput, match="severity"):
            notify.add_target(
                session=session,
                url="https://example.invalid/x",
                min_severity="urgent",
                actor=actor(),
            )
