"""Maintenance windows: periods during which findings for the devices they cover are
recorded as suppressed. A window happens once, or recurs every day or week."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import ColumnElement, or_
from sqlmodel import Session, col, select

from core.errors import InvalidInput, NotFound
from core.models import Actor, Device, MaintenancePublic, MaintenanceWindow
from core.permissions import Permission, authorize
from core.services.changes import record_change
from core.services.paging import Page, page_of, slice_page, window
from core.services.resolve import matches_selector, validate_selector

PERIODS = {"day": timedelta(days=1), "week": timedelta(weeks=1)}
"""How often a recurring window repeats, by its ``every``."""
_LONGEST_PERIOD = max(PERIODS.values())


class Schedule(Protocol):
    """What the occurrence arithmetic reads: a window row or its public model."""

    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...
    @property
    def ended_early_at(self) -> datetime | None: ...
    @property
    def every(self) -> str | None: ...
    @property
    def repeat_until(self) -> datetime | None: ...


def _occurrence(window: Schedule, k: int) -> tuple[datetime, datetime] | None:
    """Occurrence ``k`` (0 is the first), or None when the window never gets to it."""
    period = PERIODS.get(window.every or "")
    if period is None:
        if k != 0:
            return None
        period = timedelta(0)
    start, end = window.starts_at + k * period, window.ends_at + k * period
    if window.repeat_until is not None and start >= window.repeat_until:
        return None
    if window.ended_early_at is not None:
        if start >= window.ended_early_at:
            return None
        end = min(end, window.ended_early_at)
    return start, end


def occurrence_at(window: Schedule, now: datetime) -> tuple[datetime, datetime] | None:
    """The occurrence ``[start, end)`` of ``window`` that contains ``now``, or None.

    A recurring window repeats its first occurrence every period; an occurrence counts
    only if it starts before ``repeat_until``, and ending a window early ends all of it.
    """
    if now < window.starts_at:
        return None
    period = PERIODS.get(window.every or "")
    k = (now - window.starts_at) // period if period is not None else 0
    found = _occurrence(window, k)
    return found if found is not None and now < found[1] else None


def next_occurrence(window: Schedule, now: datetime) -> tuple[datetime, datetime] | None:
    """The occurrence containing ``now``, else the first one after it; None when the
    window has no occurrence left."""
    if now < window.starts_at:
        return _occurrence(window, 0)
    if (current := occurrence_at(window, now)) is not None:
        return current
    period = PERIODS.get(window.every or "")
    if period is None:
        return None
    return _occurrence(window, (now - window.starts_at) // period + 1)


def _public(window: MaintenanceWindow) -> MaintenancePublic:
    return MaintenancePublic.model_validate(window, from_attributes=True)


def _may_have_occurrence_after(now: datetime) -> list[ColumnElement[bool]]:
    """SQL conditions every window with an occurrence ending after ``now`` meets (more
    meet them; ``occurrence_at``/``next_occurrence`` decide)."""
    return [
        or_(
            col(MaintenanceWindow.ended_early_at).is_(None),
            col(MaintenanceWindow.ended_early_at) > now,
        ),
        or_(
            col(MaintenanceWindow.ends_at) > now,
            col(MaintenanceWindow.every).is_not(None)
            & or_(
                col(MaintenanceWindow.repeat_until).is_(None),
                col(MaintenanceWindow.repeat_until) > now - _LONGEST_PERIOD,
            ),
        ),
    ]


def add_window(
    *,
    session: Session,
    reason: str,
    selector: dict[str, Any],
    starts_at: datetime,
    ends_at: datetime,
    actor: Actor,
    every: str | None = None,
    repeat_until: datetime | None = None,
) -> MaintenancePublic:
    """A window over ``selector`` from ``starts_at`` to ``ends_at``; with ``every`` that is
    its first occurrence, repeated each day or week until ``repeat_until`` (or forever)."""
    authorize(actor, Permission.MAINTENANCE_WRITE)
    validate_selector(selector)
    if ends_at <= starts_at:
        raise InvalidInput("a maintenance window must end after it starts")
    if every is not None and every not in PERIODS:
        raise InvalidInput(f"a maintenance window recurs every day or week, not {every!r}")
    if every is None and repeat_until is not None:
        raise InvalidInput("only a recurring maintenance window (every day or week) repeats")
    if every is not None and ends_at - starts_at >= PERIODS[every]:
        raise InvalidInput(f"a window that recurs every {every} must last less than a {every}")
    if repeat_until is not None and repeat_until <= starts_at:
        raise InvalidInput("a maintenance window must repeat until after it starts")
    window = MaintenanceWindow(
        reason=reason.strip() or "maintenance",
        selector=selector,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=actor.name,
        every=every,
        repeat_until=repeat_until,
    )
    session.add(window)
    session.flush()
    if every is None:
        when = f"until {ends_at:%Y-%m-%d %H:%M}"
    else:
        when = f"every {every}, first {starts_at:%Y-%m-%d %H:%M} to {ends_at:%Y-%m-%d %H:%M}"
        if repeat_until is not None:
            when += f", repeating until {repeat_until:%Y-%m-%d %H:%M}"
    record_change(
        session=session,
        actor=actor,
        kind="maintenance.added",
        entity="maintenance",
        entity_id=str(window.id),
        summary=f"maintenance {window.id} {when}: {reason}",
    )
    session.commit()
    return _public(window)


def end_window(
    *, session: Session, window_id: int, actor: Actor, now: datetime
) -> MaintenancePublic:
    """End a window now; a recurring one has no further occurrences."""
    authorize(actor, Permission.MAINTENANCE_WRITE)
    window = session.get(MaintenanceWindow, window_id)
    if window is None:
        raise NotFound(f"no maintenance window {window_id}")
    if next_occurrence(window, now) is None:
        raise InvalidInput(f"maintenance window {window_id} is over already")
    window.ended_early_at = now
    session.add(window)
    record_change(
        session=session,
        actor=actor,
        kind="maintenance.ended",
        entity="maintenance",
        entity_id=str(window_id),
        summary=f"maintenance {window_id} ended early"
        + (f" (recurred every {window.every})" if window.every else ""),
    )
    session.commit()
    return _public(window)


def active_windows(*, session: Session, now: datetime) -> list[MaintenancePublic]:
    """The windows with an occurrence covering ``now``."""
    rows = session.exec(
        select(MaintenanceWindow)
        .where(col(MaintenanceWindow.starts_at) <= now, *_may_have_occurrence_after(now))
        .order_by(col(MaintenanceWindow.id))
    )
    return [_public(w) for w in rows if occurrence_at(w, now) is not None]


def list_windows(
    *,
    session: Session,
    now: datetime,
    include_past: bool = False,
    offset: int = 0,
    limit: int = 1000,
) -> Page[MaintenancePublic]:
    """Windows with an occurrence now or to come, newest first; all with ``include_past``.
    Whether a repeating window has an occurrence to come is decided in Python, so the
    candidates are read whole and paged here (there are few windows)."""
    query = select(MaintenanceWindow).order_by(
        col(MaintenanceWindow.starts_at).desc(), col(MaintenanceWindow.id)
    )
    if include_past:
        return page_of(
            [_public(w) for w in session.exec(window(query, offset=offset, limit=limit))],
            offset=offset,
            limit=limit,
        )
    rows = session.exec(query.where(*_may_have_occurrence_after(now)))
    coming = [_public(w) for w in rows if next_occurrence(w, now) is not None]
    return slice_page(coming, offset=offset, limit=limit)


def covers(*, session: Session, windows: list[MaintenancePublic], device_id: str | None) -> bool:
    """Whether any of ``windows`` covers ``device_id`` (a finding without a device is
    covered only by a window over everything)."""
    if not windows:
        return False
    if device_id is None:
        return any(w.selector.get("all") for w in windows)
    device = session.get(Device, device_id)
    return device is not None and any(matches_selector(device, w.selector) for w in windows)
