"""Webhook targets and the notification outbox.

``enqueue_for_finding`` runs inside the transaction that opens or reopens a finding, so a
notification exists exactly when its finding does. ``deliver_due`` posts what is due and
backs off on failure (5 s, 10 s, 20 s … at most 1 h), giving up after ``MAX_ATTEMPTS``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from core.errors import InvalidInput, NotFound
from core.models import (
    Actor,
    Finding,
    Notification,
    NotificationPublic,
    WebhookTarget,
    WebhookTargetPublic,
)
from core.models.finding import SEVERITIES
from core.permissions import Permission, authorize
from core.services.changes import record_change

MAX_ATTEMPTS = 10
FIRST_RETRY_S = 5
MAX_RETRY_S = 3600

Poster = Callable[[str, dict[str, Any]], None]
"""Posts a JSON body to a URL; raises on any failure (the caller retries later)."""


def add_target(
    *, session: Session, url: str, min_severity: str, actor: Actor
) -> WebhookTargetPublic:
    authorize(actor, Permission.WEBHOOKS_WRITE)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"{url!r} is not an http:// or https:// URL")
    if min_severity not in SEVERITIES:
        raise InvalidInput(f"severity {min_severity!r} is not one of {', '.join(SEVERITIES)}")
    target = WebhookTarget(url=url, min_severity=min_severity, created_by=actor.name)
    session.add(target)
    session.flush()
    record_change(
        session=session,
        actor=actor,
        kind="webhook.added",
        entity="webhook",
        entity_id=str(target.id),
        summary=f"webhook {target.id} for {min_severity}+",
    )
    session.commit()
    return WebhookTargetPublic.model_validate(target, from_attributes=True)


def remove_target(*, session: Session, target_id: int, actor: Actor) -> None:
    authorize(actor, Permission.WEBHOOKS_WRITE)
    target = session.get(WebhookTarget, target_id)
    if target is None:
        raise NotFound(f"no webhook {target_id}")
    session.delete(target)
    record_change(
        session=session,
        actor=actor,
        kind="webhook.removed",
        entity="webhook",
        entity_id=str(target_id),
        summary=f"webhook {target_id} removed",
    )
    session.commit()


def list_targets(*, session: Session) -> list[WebhookTargetPublic]:
    rows = session.exec(select(WebhookTarget).order_by(col(WebhookTarget.id)))
    return [WebhookTargetPublic.model_validate(t, from_attributes=True) for t in rows]


def enqueue_for_finding(*, session: Session, finding: Finding, event: str, now: datetime) -> int:
    """Add one notification per enabled target whose threshold the finding's severity
    meets. Does not commit: it belongs to the finding's transaction."""
    rank = SEVERITIES.index(finding.severity)
    targets = session.exec(select(WebhookTarget).where(col(WebhookTarget.enabled)))
    payload = {
        "event": event,
        "finding_id": finding.id,
        "rule_id": finding.rule_id,
        "severity": finding.severity,
        "key": finding.key,
        "device_id": finding.device_id,
        "summary": finding.summary,
        "count": finding.count,
        "first_seen": finding.first_seen.isoformat(),
        "last_seen": finding.last_seen.isoformat(),
    }
    added = 0
    for target in targets:
        if rank >= SEVERITIES.index(target.min_severity):
            session.add(
                Notification(
                    target_id=target.id,
                    finding_id=finding.id,  # type: ignore[arg-type]
                    payload=payload,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
            added += 1
    return added


def deliver_due(
    *, session: Session, post: Poster, now: datetime, limit: int = 100
) -> list[NotificationPublic]:
    """Post the due notifications; returns them in their new state.

    One notification a transaction: it is claimed (``FOR UPDATE SKIP LOCKED`` on
    PostgreSQL, so agents draining the outbox together never post one twice), posted, and
    its outcome committed, which ends the claim. A claim lasts one POST at most."""
    done: list[NotificationPublic] = []
    for _ in range(limit):
        claimed = session.exec(
            select(Notification, WebhookTarget.url)
            .join(WebhookTarget, col(WebhookTarget.id) == col(Notification.target_id))
            .where(Notification.state == "pending", col(Notification.next_attempt_at) <= now)
            .order_by(col(Notification.id))
            .limit(1)
            .with_for_update(skip_locked=True, of=Notification)
        ).first()
        if claimed is None:
            break
        notification, url = claimed
        _attempt(notification, url, post, now)
        session.add(notification)
        session.commit()
        done.append(NotificationPublic.model_validate(notification, from_attributes=True))
    session.commit()
    return done


def _attempt(notification: Notification, url: str, post: Poster, now: datetime) -> None:
    """POST one notification and record how it went (retry later on any failure)."""
    notification.attempts += 1
    try:
        post(url, notification.payload)
    except Exception as exc:  # any failure of the receiver: retry later
        notification.last_error = f"{type(exc).__name__}: {exc}"[:500]
        if notification.attempts >= MAX_ATTEMPTS:
            notification.state = "failed"
        else:
            backoff = min(FIRST_RETRY_S * 2 ** (notification.attempts - 1), MAX_RETRY_S)
            notification.next_attempt_at = now + timedelta(seconds=backoff)
    else:
        notification.state = "sent"
        notification.sent_at = now
        notification.last_error = None
