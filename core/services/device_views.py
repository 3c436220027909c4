"""Read-only queries the device pages need and the other services do not offer: the newest
reading of each of a device's series, and the dead letters whose topic names a device."""

from __future__ import annotations

from sqlmodel import Session, SQLModel, col, select

from core.models import DeadLetter, DeadLetterPublic, Reading, Series
from core.services.devices import find_device


class LatestReading(SQLModel):
    """The newest stored reading of one series (``ts`` in ms since the epoch, UTC)."""

    metric: str
    unit: str | None
    ts: int
    value: float


def latest_readings(*, session: Session, device_id: str) -> list[LatestReading]:
    """The newest reading of each of the device's series, by metric; series with no
    reading are left out. One seek on the ``(series_id, ts)`` key per series."""
    device = find_device(session, device_id)
    series = session.exec(
        select(Series).where(Series.device_id == device.id).order_by(col(Series.metric))
    ).all()
    latest = []
    for one in series:
        row = session.exec(
            select(Reading.ts, Reading.value)
            .where(Reading.series_id == one.id)
            .order_by(col(Reading.ts).desc())
            .limit(1)
        ).first()
        if row is not None:
            latest.append(LatestReading(metric=one.metric, unit=one.unit, ts=row[0], value=row[1]))
    return latest


def dead_letters_for_device(
    *, session: Session, device_id: str, limit: int = 50
) -> list[DeadLetterPublic]:
    """Dead letters whose topic names the device (``{prefix}/{id}/...``), newest first.
    A dead letter keeps no device id of its own: the topic is all there is."""
    device = find_device(session, device_id)
    query = (
        select(DeadLetter)
        .where(col(DeadLetter.topic).contains(f"/{device.id}/", autoescape=True))
        .order_by(col(DeadLetter.id).desc())
        .limit(limit)
    )
    return [DeadLetterPublic.model_validate(d, from_attributes=True) for d in session.exec(query)]
