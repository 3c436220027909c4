"""``/devices/{id}/series`` and ``/devices/{id}/telemetry``: what a device measures, and
one measurement over a time window, downsampled in the database."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from core.models import SeriesPublic, SeriesWindow
from core.services import telemetry
from core.timeparse import parse_time
from web.api.deps import CanRead, CoreDep

router = APIRouter(prefix="/devices", tags=["telemetry"])

DEFAULT_WINDOW = timedelta(hours=1)
TimeText = Annotated[
    str | None,
    Query(max_length=64, description="ISO 8601, epoch seconds, `now` or relative like -1h."),
]


@router.get("/{device_id}/series", response_model=list[SeriesPublic])
def list_series(device_id: str, core: CoreDep, actor: CanRead) -> list[SeriesPublic]:
    with core.db.reader() as session:
        return telemetry.list_series(session=session, device_id=device_id)


@router.get("/{device_id}/telemetry", response_model=SeriesWindow)
def query_telemetry(
    device_id: str,
    core: CoreDep,
    actor: CanRead,
    metric: Annotated[str, Query(min_length=1, max_length=128)],
    since: TimeText = None,
    until: TimeText = None,
    points: Annotated[int, Query(ge=1, le=telemetry.MAX_POINTS)] = 500,
) -> SeriesWindow:
    """``metric`` between ``since`` (default: an hour ago) and ``until`` (default: now) as
    at most ``points`` buckets with min, max and mean."""
    now = core.clock.now()
    end = parse_time(until, now=now) if until else now
    start = parse_time(since, now=now) if since else end - DEFAULT_WINDOW
    with core.db.reader() as session:
        return telemetry.query_series(
            session=session,
            device_id=device_id,
            metric=metric,
            since=start,
            until=end,
            points=points,
        )
