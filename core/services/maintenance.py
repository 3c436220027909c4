"""Maintenance windows: one-off periods during which findings for the devices they cover
are recorded as suppressed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from core.errors import InvalidInput, NotFound
from core.models import Actor, Device, MaintenancePublic, MaintenanceWindow
from core.services.changes import record_change
from core.services.resolve import matches_selector, validate_selector


def _public(window: MaintenanceWindow) -> MaintenancePublic:
    return MaintenancePublic.model_validate(window, from_attributes=True)


def add_window(
    *,
    session: Session,
    reason: str,
    selector: dict[str, Any],
    starts_at: datetime,
    ends_at: datetime,
    actor: Actor,
) -> MaintenancePublic:
    validate_selector(selector)
    if ends_at <= starts_at:
        raise InvalidInput("a maintenance window must end after it starts")
    window = MaintenanceWindow(
        reason=reason.strip() or "maintenance",
        selector=selector,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=actor.name,
    )
    session.add(window)
    session.flush()
    record_change(
        session=session,
        actor=actor,
        kind="maintenance.added",
        entity="maintenance",
        entity_id=str(window.id),
        summary=f"maintenance {window.id} until {ends_at:%Y-%m-%d %H:%M}: {reason}",
    )
    session.commit()
    return _public(window)


def end_window(
    *, session: Session, window_id: int, actor: Actor, now: datetime
) -> MaintenancePublic:
    window = session.get(MaintenanceWindow, window_id)
    if window is None:
        raise NotFound(f"no maintenance window {window_id}")
    if window.ended_early_at is not None or window.ends_at <= now:
        raise InvalidInput(f"maintenance window {window_id} is over already")
    window.ended_early_at = now
    session.add(window)
    record_change(
        session=session,
        actor=actor,
        kind="maintenance.ended",
        entity="maintenance",
        entity_id=str(window_id),
        summary=f"maintenance {window_id} ended early",
    )
    session.commit()
    return _public(window)


def active_windows(*, session: Session, now: datetime) -> list[MaintenancePublic]:
    rows = session.exec(
        select(MaintenanceWindow)
        .where(
            col(MaintenanceWindow.starts_at) <= now,
            col(MaintenanceWindow.ends_at) > now,
            col(MaintenanceWindow.ended_early_at).is_(None),
        )
        .order_by(col(MaintenanceWindow.id))
    )
    return [_public(w) for w in rows]


def list_windows(
    *, session: Session, now: datetime, include_past: bool = False
) -> list[MaintenancePublic]:
    query = select(MaintenanceWindow).order_by(col(MaintenanceWindow.starts_at).desc())
    if not include_past:
        query = query.where(
            col(MaintenanceWindow.ends_at) > now, col(MaintenanceWindow.ended_early_at).is_(None)
        )
    return [_public(w) for w in session.exec(query)]


def covers(*, session: Session, windows: list[MaintenancePublic], device_id: str | None) -> bool:
    """Whether any of ``windows`` covers ``device_id`` (a finding without a device is
    covered only by a window over everything)."""
    if not windows:
        return False
    if device_id is None:
        return any(w.selector.get("all") for w in windows)
    device = session.get(Device, device_id)
    return device is not None and any(matches_selector(device, w.selector) for w in windows)
